import type { IncomingMessage, ServerResponse } from 'node:http';
import { CodecError } from '@ariadne/codec';
import type { Span } from '@ariadne/model';
import { BadBodyError, BodyTooLargeError, BusyError, ClientAbortError, discardBody, parseContentEncoding, readBody, type ByteBudget } from './http.js';
import { DEFAULT_MAX_SPANS_PER_REQUEST, rejectionMessage, tooManySpansMessage } from './otlp-http.js';
import { PipelineClosedError, QueueFullError, type SpanPipeline } from './pipeline.js';

/** Sends a plain-text answer and counts it. */
export type PlainSend = (res: ServerResponse, status: number, text: string, headers?: Record<string, string>) => void;

export function plainTextSender(pipeline: SpanPipeline, receiver: string): PlainSend {
  return (res, status, text, headers = {}) => {
    pipeline.metrics.requests.inc({ receiver, code: String(status) });
    if (res.headersSent || res.destroyed) return;
    const body = text ? text + '\n' : '';
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), ...headers });
    res.end(body);
  };
}

/**
 * The body half of the Jaeger-HTTP and Zipkin receivers (protocols that answer 202 and plain-text
 * errors): read the (possibly compressed) body within `limit`, decode it, ingest, and answer —
 * 202 once committed (rejections listed in the text), 400 for undecodable bodies or when every
 * span was rejected, 413, 415, 503 + Retry-After when the queue is full, 500 when the store failed.
 */
export function ingestPlainText(
  pipeline: SpanPipeline,
  req: IncomingMessage,
  res: ServerResponse,
  send: PlainSend,
  o: {
    limit: number;
    protocol: string;
    what: string;
    decode: (body: Buffer) => Span[];
    maxSpans?: number;
    /** Request-body bytes held at once across requests (shared between receivers); when spent: 503 + Retry-After. */
    budget?: ByteBudget;
  },
): void {
  const coding = parseContentEncoding(req.headers['content-encoding'] as string | undefined);
  if (!coding) {
    discardBody(req);
    return send(res, 415, `unsupported content encoding ${JSON.stringify(req.headers['content-encoding'])}: use gzip, deflate or none`);
  }
  readBody(req, coding, o.limit, undefined, o.budget)
    .then(async (body) => {
      let spans: Span[];
      try {
        spans = o.decode(body);
      } catch (err) {
        if (err instanceof CodecError) return send(res, 400, `cannot decode ${o.what}: ${err.message}`);
        throw err;
      } finally {
        // Once decoded the body is garbage; the spans are accounted for by the pipeline queue.
        o.budget?.release(body.length);
      }
      if (spans.length === 0) return send(res, 202, '');
      const maxSpans = o.maxSpans ?? DEFAULT_MAX_SPANS_PER_REQUEST;
      if (spans.length > maxSpans) return send(res, 413, tooManySpansMessage(spans.length, maxSpans));
      try {
        const result = await pipeline.ingest(spans, o.protocol);
        if (result.accepted === 0) return send(res, 400, rejectionMessage(result.rejected));
        send(res, 202, rejectionMessage(result.rejected));
      } catch (err) {
        if (err instanceof QueueFullError) return send(res, 503, err.message, { 'retry-after': String(err.retryAfterSeconds) });
        if (err instanceof PipelineClosedError) return send(res, 503, err.message, { 'retry-after': '1' });
        send(res, 500, (err as Error).message);
      }
    })
    .catch((err: Error) => {
      if (err instanceof BusyError) return send(res, 503, err.message, { 'retry-after': '1' });
      if (err instanceof BodyTooLargeError) return send(res, 413, err.message);
      if (err instanceof BadBodyError) return send(res, 400, err.message);
      if (err instanceof ClientAbortError) return;
      send(res, 500, `internal error: ${err.message}`);
    });
}
