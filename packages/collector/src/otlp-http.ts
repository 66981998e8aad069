import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeOtlpJson, decodeOtlpProtobuf, encodeExportTraceServiceResponse, encodeRpcStatus } from '@ariadne/codec';
import type { RejectedSpan, Span } from '@ariadne/model';
import { BadBodyError, BodyTooLargeError, BusyError, ByteBudget, ClientAbortError, discardBody, mediaType, parseContentEncoding, readBody } from './http.js';
import type { RequestHandler } from './http.js';
import { PipelineClosedError, QueueFullError } from './pipeline.js';
import type { SpanPipeline } from './pipeline.js';

/**
 * OTLP/HTTP trace receiver (https://opentelemetry.io/docs/specs/otlp/#otlphttp): `POST /v1/traces`
 * with an ExportTraceServiceRequest as binary protobuf or JSON, optionally gzip-compressed.
 * Answers 200 only after the store committed the accepted spans.
 */

export interface OtlpHttpOptions {
  /** Largest request body accepted, on the wire and after decompression. Default 16 MiB. */
  maxBodyBytes?: number;
  /** The path served. Default '/v1/traces'. */
  path?: string;
  /** Label for metrics. Default 'otlp-http'. */
  protocol?: string;
  /**
   * Origins allowed to post from a browser (CORS); '*' allows any. Default none (no CORS headers,
   * OPTIONS answered 405).
   */
  corsAllowedOrigins?: readonly string[];
  /**
   * Request-body bytes held at once across concurrent requests (a number, or a `ByteBudget` shared
   * with other receivers); past it requests get 503 + Retry-After. Must be at least `maxBodyBytes`.
   * Default max(4 × maxBodyBytes, 64 MiB).
   */
  maxInflightBodyBytes?: number | ByteBudget;
  /** Most rejection reasons listed in a partial-success message. Default 10. */
  maxReasons?: number;
  /** Most spans in one request (larger: 413, nothing stored). Default `DEFAULT_MAX_SPANS_PER_REQUEST`. */
  maxSpansPerRequest?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Most spans accepted in one request by every receiver (a small body can decode into very many spans). */
export const DEFAULT_MAX_SPANS_PER_REQUEST = 100_000;

/** The refusal message for a request with more spans than `max`. */
export function tooManySpansMessage(n: number, max: number): string {
  return `request carries ${n} spans, more than the limit of ${max} per request: send smaller batches`;
}

/** google.rpc.Code values used in error responses. */
export const RpcCode = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

type Wire = 'protobuf' | 'json';

const CONTENT_TYPES: Record<Wire, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

function wireOf(media: string): Wire | undefined {
  if (media === 'application/x-protobuf' || media === 'application/protobuf') return 'protobuf';
  if (media === 'application/json') return 'json';
  return undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Summarise validation rejections for the partialSuccess error message. */
export function rejectionMessage(rejected: readonly RejectedSpan[], maxReasons = 10): string {
  if (rejected.length === 0) return '';
  const shown = rejected.slice(0, maxReasons).map((r) => r.reason);
  const more = rejected.length > shown.length ? `; and ${rejected.length - shown.length} more` : '';
  return `${rejected.length} span(s) rejected: ${shown.join('; ')}${more}`;
}

export function createOtlpHttpHandler(pipeline: SpanPipeline, opts: OtlpHttpOptions = {}): RequestHandler {
  const limit = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isFinite(limit) || limit <= 0) throw new RangeError(`maxBodyBytes must be a positive number, got ${limit}`);
  const inflight = opts.maxInflightBodyBytes;
  const budget = inflight instanceof ByteBudget ? inflight : new ByteBudget(inflight ?? Math.max(4 * limit, 64 * 1024 * 1024));
  if (budget.limit < limit) throw new RangeError(`maxInflightBodyBytes (${budget.limit}) must be at least maxBodyBytes (${limit})`);
  const path = opts.path ?? '/v1/traces';
  const protocol = opts.protocol ?? 'otlp-http';
  const cors = opts.corsAllowedOrigins;
  const maxReasons = opts.maxReasons ?? 10;
  const maxSpans = opts.maxSpansPerRequest ?? DEFAULT_MAX_SPANS_PER_REQUEST;
  const requests = pipeline.metrics.requests;

  const send = (res: ServerResponse, status: number, wire: Wire, body: Uint8Array | string, headers: Record<string, string> = {}) => {
    requests.inc({ receiver: protocol, code: String(status) });
    if (res.headersSent || res.destroyed) return;
    const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    res.writeHead(status, { 'content-type': CONTENT_TYPES[wire], 'content-length': String(buf.byteLength), ...headers });
    res.end(buf);
  };

  const fail = (res: ServerResponse, status: number, wire: Wire, code: number, message: string, headers?: Record<string, string>) => {
    let body: Uint8Array | string;
    try {
      body = encodeRpcStatus(code, message, wire);
    } catch {
      body = JSON.stringify({ code, message });
      wire = 'json';
    }
    send(res, status, wire, body, headers);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const media = mediaType(req.headers['content-type']);
    const wire = wireOf(media);
    const replyWire: Wire = wire ?? 'json';

    const origin = req.headers.origin;
    if (cors && origin && (cors.includes('*') || cors.includes(origin))) {
      res.setHeader('access-control-allow-origin', cors.includes('*') ? '*' : origin);
      res.setHeader('vary', 'Origin');
    }

    const urlPath = (req.url ?? '/').split('?')[0];
    if (urlPath !== path) {
      return fail(res, 404, replyWire, RpcCode.NOT_FOUND, `no such path ${JSON.stringify(urlPath)}: OTLP/HTTP traces are received at POST ${path}`);
    }
    if (req.method === 'OPTIONS' && cors) {
      requests.inc({ receiver: protocol, code: '204' });
      res.writeHead(204, {
        'access-control-allow-methods': 'POST, OPTIONS',
        'access-control-allow-headers': req.headers['access-control-request-headers'] ?? 'content-type, content-encoding',
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }
    if (req.method !== 'POST') {
      return fail(res, 405, replyWire, RpcCode.UNIMPLEMENTED, `method ${req.method} not allowed: use POST`, { allow: cors ? 'POST, OPTIONS' : 'POST' });
    }
    if (!wire) {
      return fail(
        res,
        415,
        'json',
        RpcCode.INVALID_ARGUMENT,
        `unsupported Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')}: use application/x-protobuf or application/json`,
      );
    }
    const coding = parseContentEncoding(req.headers['content-encoding']);
    if (!coding) {
      return fail(
        res,
        415,
        wire,
        RpcCode.INVALID_ARGUMENT,
        `unsupported Content-Encoding ${JSON.stringify(req.headers['content-encoding'])}: use gzip, deflate or identity`,
      );
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limit) {
      discardBody(req);
      return fail(res, 413, wire, RpcCode.RESOURCE_EXHAUSTED, `request body of ${declared} bytes exceeds the limit of ${limit} bytes`);
    }

    let body: Buffer;
    try {
      body = await readBody(req, coding, limit, undefined, budget);
    } catch (err) {
      if (err instanceof BusyError) return fail(res, 503, wire, RpcCode.UNAVAILABLE, err.message, { 'retry-after': '1' });
      if (err instanceof BodyTooLargeError) return fail(res, 413, wire, RpcCode.RESOURCE_EXHAUSTED, err.message);
      if (err instanceof BadBodyError) return fail(res, 400, wire, RpcCode.INVALID_ARGUMENT, err.message);
      if (err instanceof ClientAbortError) {
        requests.inc({ receiver: protocol, code: 'aborted' });
        return;
      }
      throw err;
    }

    let spans: Span[];
    try {
      if (wire === 'protobuf') spans = decodeOtlpProtobuf(body);
      else {
        let text: string;
        try {
          text = utf8.decode(body);
        } catch {
          return fail(res, 400, wire, RpcCode.INVALID_ARGUMENT, 'request body is not valid UTF-8');
        }
        spans = decodeOtlpJson(text);
      }
    } catch (err) {
      // CodecError says what is wrong; anything else a decoder throws is still caused by the input.
      const msg = err instanceof Error ? err.message : String(err);
      return fail(res, 400, wire, RpcCode.INVALID_ARGUMENT, `malformed ExportTraceServiceRequest (${wire}): ${msg}`);
    } finally {
      // The body is garbage once decoded; the spans are accounted for by the pipeline queue.
      budget.release(body.length);
    }

    if (spans.length > maxSpans) return fail(res, 413, wire, RpcCode.INVALID_ARGUMENT, tooManySpansMessage(spans.length, maxSpans));

    let rejected: RejectedSpan[];
    try {
      ({ rejected } = await pipeline.ingest(spans, protocol));
    } catch (err) {
      if (err instanceof QueueFullError) {
        return fail(res, 503, wire, RpcCode.UNAVAILABLE, err.message, { 'retry-after': String(err.retryAfterSeconds) });
      }
      if (err instanceof PipelineClosedError) {
        return fail(res, 503, wire, RpcCode.UNAVAILABLE, `${err.message}: the collector is shutting down`, { 'retry-after': '5' });
      }
      const msg = err instanceof Error ? err.message : String(err);
      return fail(res, 500, wire, RpcCode.INTERNAL, `spans not stored: ${msg}`);
    }
    send(res, 200, wire, encodeExportTraceServiceResponse(rejected.length, rejectionMessage(rejected, maxReasons), wire));
  };

  return (req, res) => {
    req.on('error', () => {});
    res.on('error', () => {});
    handle(req, res).catch((err: unknown) => {
      // A bug, not the client's fault: answer 500 when we still can, never crash the process.
      const msg = err instanceof Error ? err.message : String(err);
      try {
        fail(res, 500, 'json', RpcCode.INTERNAL, `internal error: ${msg}`);
      } catch {
        res.destroy();
      }
    });
  };
}
