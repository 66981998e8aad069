import type { IncomingMessage, ServerResponse } from 'node:http';
import { CodecError, decodeZipkinProto3, decodeZipkinV1Json, decodeZipkinV2Json } from '@ariadne/codec';
import type { Span } from '@ariadne/model';
import { discardBody, mediaType, type ByteBudget, type RequestHandler } from './http.js';
import { DEFAULT_MAX_BODY_BYTES } from './otlp-http.js';
import type { SpanPipeline } from './pipeline.js';
import { ingestPlainText, plainTextSender } from './plain-ingest.js';

/**
 * Zipkin's collector HTTP API: `POST /api/v2/spans` (JSON, or proto3 as `application/x-protobuf`)
 * and `POST /api/v1/spans` (JSON). Answers 202 once the spans are committed, as Zipkin does; errors
 * are plain text saying what is wrong. Spans refused by validation are reported in the 202 body's
 * text (Zipkin has no partial-success message); when none is left, 400.
 */

export interface ZipkinHttpOptions {
  maxBodyBytes?: number;
  /** Most spans in one request (larger: 413). */
  maxSpansPerRequest?: number;
  /** Request-body bytes held at once (e.g. shared with the other receivers); when spent, 503 + Retry-After. */
  inflightBodyBytes?: ByteBudget;
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
  const send = plainTextSender(pipeline, 'zipkin');

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
    ingestPlainText(pipeline, req, res, send, { limit, protocol: `zipkin-${format}`, what: `Zipkin ${format}`, decode: (b) => decode(format, b), maxSpans: opts.maxSpansPerRequest, budget: opts.inflightBodyBytes });
  };
}
