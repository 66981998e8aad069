import type { IncomingMessage, ServerResponse } from 'node:http';
import { CodecError, decodeJaegerThriftBatch } from '@ariadne/codec';
import { BadBodyError, BodyTooLargeError, ClientAbortError, discardBody, mediaType, parseContentEncoding, readBody, type RequestHandler } from './http.js';
import { DEFAULT_MAX_BODY_BYTES, rejectionMessage } from './otlp-http.js';
import { PipelineClosedError, QueueFullError, type SpanPipeline } from './pipeline.js';

/**
 * Jaeger's collector HTTP endpoint: `POST /api/traces` with a binary-Thrift `Batch` (what
 * jaeger-client's HTTPSender posts). 202 once committed, as Jaeger answers; errors in plain text.
 */
const THRIFT_TYPES = new Set(['application/x-thrift', 'application/vnd.apache.thrift.binary']);

export function createJaegerHttpHandler(pipeline: SpanPipeline, opts: { maxBodyBytes?: number } = {}): RequestHandler {
  const limit = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const requests = pipeline.metrics.requests;
  const send = (res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}) => {
    requests.inc({ receiver: 'jaeger-http', code: String(status) });
    if (res.headersSent || res.destroyed) return;
    const body = text ? text + '\n' : '';
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), ...headers });
    res.end(body);
  };
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/api/traces') {
      discardBody(req);
      return send(res, 404, `not found: ${path} (Jaeger Thrift batches are posted to /api/traces)`);
    }
    if (req.method !== 'POST') {
      discardBody(req);
      return send(res, 405, `method ${req.method} not allowed: use POST`, { allow: 'POST' });
    }
    const media = mediaType(req.headers['content-type']);
    if (!THRIFT_TYPES.has(media)) {
      discardBody(req);
      return send(res, 415, `unsupported content type ${JSON.stringify(media)}: use application/x-thrift (binary Thrift Batch)`);
    }
    const coding = parseContentEncoding(req.headers['content-encoding'] as string | undefined);
    if (!coding) {
      discardBody(req);
      return send(res, 415, `unsupported content encoding ${JSON.stringify(req.headers['content-encoding'])}`);
    }
    readBody(req, coding, limit)
      .then(async (body) => {
        let spans;
        try {
          spans = decodeJaegerThriftBatch(body, 'binary');
        } catch (err) {
          if (err instanceof CodecError) return send(res, 400, `cannot decode Thrift Batch: ${err.message}`);
          throw err;
        }
        try {
          const result = spans.length ? await pipeline.ingest(spans, 'jaeger-http') : { accepted: 0, rejected: [] };
          if (spans.length && result.accepted === 0) return send(res, 400, rejectionMessage(result.rejected));
          send(res, 202, rejectionMessage(result.rejected));
        } catch (err) {
          if (err instanceof QueueFullError) return send(res, 503, err.message, { 'retry-after': String(err.retryAfterSeconds) });
          if (err instanceof PipelineClosedError) return send(res, 503, err.message, { 'retry-after': '1' });
          send(res, 500, (err as Error).message);
        }
      })
      .catch((err: Error) => {
        if (err instanceof BodyTooLargeError) return send(res, 413, err.message);
        if (err instanceof BadBodyError) return send(res, 400, err.message);
        if (err instanceof ClientAbortError) return;
        send(res, 500, `internal error: ${err.message}`);
      });
  };
}
