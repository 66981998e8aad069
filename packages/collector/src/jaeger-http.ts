import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeJaegerThriftBatch } from '@ariadne/codec';
import { discardBody, mediaType, type ByteBudget, type RequestHandler } from './http.js';
import { DEFAULT_MAX_BODY_BYTES } from './otlp-http.js';
import type { SpanPipeline } from './pipeline.js';
import { ingestPlainText, plainTextSender } from './plain-ingest.js';

/**
 * Jaeger's collector HTTP endpoint: `POST /api/traces` with a binary-Thrift `Batch` (what
 * jaeger-client's HTTPSender posts). 202 once committed, as Jaeger answers; errors in plain text.
 */
const THRIFT_TYPES = new Set(['application/x-thrift', 'application/vnd.apache.thrift.binary']);

export function createJaegerHttpHandler(
  pipeline: SpanPipeline,
  /** `inflightBodyBytes`: request-body bytes held at once (e.g. shared with the other receivers); when spent, 503 + Retry-After. */
  opts: { maxBodyBytes?: number; maxSpansPerRequest?: number; inflightBodyBytes?: ByteBudget } = {},
): RequestHandler {
  const limit = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const send = plainTextSender(pipeline, 'jaeger-http');
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
    ingestPlainText(pipeline, req, res, send, { limit, protocol: 'jaeger-http', what: 'Thrift Batch', decode: (b) => decodeJaegerThriftBatch(b, 'binary'), maxSpans: opts.maxSpansPerRequest, budget: opts.inflightBodyBytes });
  };
}
