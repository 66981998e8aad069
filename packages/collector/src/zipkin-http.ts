import type { IncomingMessage, ServerResponse } from 'node:http';
import { CodecError, decodeZipkinProto3, decodeZipkinV1Json, decodeZipkinV2Json } from '@ariadne/codec';
import type { Span } from '@ariadne/model';
import { BadBodyError, BodyTooLargeError, ClientAbortError, discardBody, mediaType, parseContentEncoding, readBody, type RequestHandler } from './http.js';
import { DEFAULT_MAX_BODY_BYTES, rejectionMessage } from './otlp-http.js';
import { PipelineClosedError, QueueFullError, type SpanPipeline } from './pipeline.js';

/**
 * Zipkin's collector HTTP API: `POST /api/v2/spans` (JSON, or proto3 as `application/x-protobuf`)
 * and `POST /api/v1/spans` (JSON). Answers 202 once the spans are committed, as Zipkin does; errors
 * are plain text saying what is wrong. Spans refused by validation are reported in the 202 body's
 * text (Zipkin has no partial-success message); when none is left, 400.
 */

export interface ZipkinHttpOptions {
  maxBodyBytes?: number;
}

type Format = 'v2-json' | 'v2-proto3' | 'v1-json';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decode(format: Format, body: Buffer): Span[] {
  if (format === 'v2-proto3') return decodeZipkinProto3(body);
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new CodecError('body is not valid UTF-8');
  }
  return format === 'v1-json' ? decodeZipkinV1Json(text) : decodeZipkinV2Json(text);
}

export function createZipkinHttpHandler(pipeline: SpanPipeline, opts: ZipkinHttpOptions = {}): RequestHandler {
  const limit = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const requests = pipeline.metrics.requests;
  const send = (res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}) => {
    requests.inc({ receiver: 'zipkin', code: String(status) });
    if (res.headersSent || res.destroyed) return;
    const body = text ? text + '\n' : '';
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), ...headers });
    res.end(body);
  };

  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    const version = path === '/api/v2/spans' ? 'v2' : path === '/api/v1/spans' ? 'v1' : undefined;
    if (!version) {
      discardBody(req);
      return send(res, 404, `not found: ${path} (Zipkin spans are posted to /api/v2/spans or /api/v1/spans)`);
    }
    if (req.method !== 'POST') {
      discardBody(req);
      return send(res, 405, `method ${req.method} not allowed: use POST`, { allow: 'POST' });
    }
    const media = mediaType(req.headers['content-type']) || 'application/json';
    let format: Format;
    if (media === 'application/json') format = version === 'v2' ? 'v2-json' : 'v1-json';
    else if (version === 'v2' && (media === 'application/x-protobuf' || media === 'application/protobuf')) format = 'v2-proto3';
    else {
      discardBody(req);
      return send(res, 415, `unsupported content type ${JSON.stringify(media)} for /api/${version}/spans: use application/json${version === 'v2' ? ' or application/x-protobuf' : ''}`);
    }
    const coding = parseContentEncoding(req.headers['content-encoding'] as string | undefined);
    if (!coding) {
      discardBody(req);
      return send(res, 415, `unsupported content encoding ${JSON.stringify(req.headers['content-encoding'])}: use gzip, deflate or none`);
    }
    readBody(req, coding, limit)
      .then(async (body) => {
        let spans: Span[];
        try {
          spans = decode(format, body);
        } catch (err) {
          if (err instanceof CodecError) return send(res, 400, `cannot decode Zipkin ${format}: ${err.message}`);
          throw err;
        }
        if (spans.length === 0) return send(res, 202, '');
        try {
          const result = await pipeline.ingest(spans, `zipkin-${format}`);
          if (result.accepted === 0) return send(res, 400, rejectionMessage(result.rejected));
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
