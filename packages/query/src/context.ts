import type { IncomingMessage } from 'node:http';
import type { Span } from '@ariadne/model';
import type { JaegerJsonTrace } from '@ariadne/codec';
import type { SpanStore, TimeRange } from '@ariadne/storage';
import type { SearchDefaults } from './params.js';
import type { StructuredError, StructuredResponse } from './handler.js';

/** What the route modules share with the handler. */
export interface ApiContext {
  store: SpanStore;
  now: () => bigint;
  searchDefaults: SearchDefaults;
  /** The read-time adjusters on model spans (clock skew, SDK tags), unless the request says raw=true. */
  adjusted: (spans: Span[], p: URLSearchParams) => Span[];
  /** Spans → Jaeger JSON trace, adjusted unless raw=true. */
  toTrace: (spans: Span[], p: URLSearchParams) => JaegerJsonTrace;
  /**
   * A trace by id: the store (with the hint, then without it), else the archive; [] when neither
   * has it. Every by-id lookup of the APIs goes through here, as Jaeger's query service does.
   */
  traceById: (traceId: string, hint?: TimeRange) => Promise<Span[]>;
  /** Several traces by id, each from the store or else the archive; ids found in neither are absent. */
  tracesById: (traceIds: readonly string[]) => Promise<Map<string, Span[]>>;
}

/** A route: resolves to the response body (an envelope from `ok`, or `Raw` for other shapes). */
export type Route = (params: URLSearchParams, match: string[], req: IncomingMessage) => Promise<unknown>;

export interface RouteDef {
  re: RegExp;
  run: Route;
  /** Methods besides GET/HEAD (e.g. POST). */
  methods?: string[];
}

/** An error with an HTTP status that the API reports in its envelope. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Microseconds (truncated) as a JSON number, as Jaeger prints times. */
export const us = (ns: bigint): number => Number(ns / 1000n);

export const isRaw = (p: URLSearchParams) => /^(1|t|true)$/i.test(p.get('raw') ?? '');

/** Read a request body, at most `limit` bytes (413 beyond). */
export async function readBody(req: IncomingMessage, limit = 32 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) throw new HttpError(413, `request body larger than ${limit} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** A response body sent as it is (not in Jaeger's envelope). */
export class Raw {
  constructor(readonly body: unknown) {}
}

/** Jaeger's envelope around `data`; `total` is the array length (0 for other data) unless given. */
export function ok<T>(data: T, total = Array.isArray(data) ? data.length : 0, errors: StructuredError[] | null = null): StructuredResponse<T> {
  return { data, total, limit: 0, offset: 0, errors };
}
