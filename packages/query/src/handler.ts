import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { shortTraceId, spanKindNames } from '@ariadne/model';
import type { Span } from '@ariadne/model';
import { spansToJaegerTrace, stringifyJaegerJson } from '@ariadne/codec';
import type { JaegerJsonTrace } from '@ariadne/codec';
import { StoreArgumentError } from '@ariadne/storage';
import type { SpanStore, TimeRange } from '@ariadne/storage';
import { DEFAULT_SEARCH, intParam, ParamError, parseDependencyParams, parseSearchParams, parseSpanKindParam, parseTraceIdParam } from './params.js';
import type { SearchDefaults } from './params.js';
import { moveLibraryAttributesToResource, reparentLoneSharedSpans, sortJaegerTrace } from './adjust.js';
import { adjustClockSkew } from './skew.js';
import { createStaticHandler } from './static.js';
import { DEFAULT_MAX_TRACE_SPANS, limitTraceSize } from './limits.js';
import { HttpError, isRaw, ok, Raw } from './context.js';
import type { ApiContext, Route, RouteDef } from './context.js';
import { analyticsRoutes } from './analytics.js';
import { metricsRoutes } from './metrics.js';
import { v3Routes } from './v3.js';
import { zipkinRoutes } from './zipkin.js';
import type { ZipkinOptions } from './zipkin.js';
import type { TraceArchive } from './archive.js';

const gzip = promisify(gzipCb);

export interface QueryHandlerOptions {
  store: SpanStore;
  /** Most spans returned per trace; larger traces are cut to their first spans with a warning. Default 100,000. */
  maxTraceSpans?: number;
  /** Directory of the built web UI (`packages/ui/dist`), served at `/`. Without it only the API is served. */
  uiDir?: string;
  /** Search defaults (lookback, limit); Jaeger's when absent. */
  search?: Partial<SearchDefaults>;
  /** Clock for defaults (unix ns); tests pin it. */
  now?: () => bigint;
  /**
   * Largest clock-skew correction applied when reading (ns). Default 0, as Jaeger's
   * `--query.max-clock-skew-adjustment`: nothing is shifted, spans that would need it get a warning.
   */
  maxClockSkewAdjustNano?: bigint;
  /**
   * Transform a trace's spans before conversion; replaces the default clock-skew adjustment.
   * Not applied (nor the other adjusters) when a request asks for `raw=true`.
   */
  adjustTrace?: (spans: Span[]) => Span[];
  /** Zipkin v2 read API options (`/zipkin/api/v2/…`). */
  zipkin?: ZipkinOptions;
  /**
   * Jaeger's trace archive (`POST /api/archive/{traceID}`; by-id reads fall back to it). Without
   * it, archiving answers 501 as Jaeger does when no archive storage is configured.
   */
  archive?: TraceArchive;
  /** Called with unexpected errors (store failures); defaults to console.error. */
  onError?: (err: unknown, req: IncomingMessage) => void;
}

export interface StructuredError {
  /** The HTTP status; absent on per-trace errors of a successful search by trace ids. */
  code?: number;
  msg: string;
  traceID?: string;
}

/** The envelope of every Jaeger query-API response. */
export interface StructuredResponse<T = unknown> {
  data: T;
  total: number;
  limit: number;
  offset: number;
  errors: StructuredError[] | null;
}

export { HttpError };

const nowNano = () => BigInt(Date.now()) * 1_000_000n;


function kindName(kind: number): string {
  return kind === 0 ? '' : (spanKindNames[kind as keyof typeof spanKindNames] ?? '');
}

/**
 * The query service: Jaeger's HTTP query API (`/api/…`) over a SpanStore, and the static web UI
 * from `uiDir` at every other path. Returns a plain node:http request listener.
 */
export function createQueryHandler(opts: QueryHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const store = limitTraceSize(opts.store, opts.maxTraceSpans ?? DEFAULT_MAX_TRACE_SPANS);
  const now = opts.now ?? nowNano;
  const searchDefaults: SearchDefaults = { ...DEFAULT_SEARCH, ...opts.search };
  const maxDeltaNano = opts.maxClockSkewAdjustNano ?? 0n;
  const adjust = opts.adjustTrace ?? ((s: Span[]) => adjustClockSkew(reparentLoneSharedSpans(s), { maxDeltaNano }));
  const onError = opts.onError ?? ((err: unknown) => console.error('query: request failed:', err));
  const serveStatic = opts.uiDir ? createStaticHandler({ root: opts.uiDir }) : undefined;

  // As Jaeger's query service: adjusters (clock skew, SDK tags to the process, ordering of process
  // tags and log fields) unless the request asks for the raw trace.
  const toTrace = (spans: Span[], p: URLSearchParams): JaegerJsonTrace =>
    isRaw(p) ? spansToJaegerTrace(spans) : sortJaegerTrace(spansToJaegerTrace(moveLibraryAttributesToResource(adjust(spans))));
  const { archive } = opts;
  const traceById = async (id: string, hint?: TimeRange): Promise<Span[]> => {
    let spans = hint ? await store.getTrace(id, hint) : [];
    // a hint must never hide a trace: fall back to a full lookup
    if (!spans.length) spans = await store.getTrace(id);
    if (!spans.length && archive) spans = (await (await archive.reader())?.getTrace(id)) ?? [];
    return spans;
  };
  const tracesById = async (ids: readonly string[]): Promise<Map<string, Span[]>> => {
    const found = await store.getTraces(ids);
    const missing = ids.filter((id) => !found.get(id)?.length);
    const arch = missing.length && archive ? await archive.reader() : undefined;
    if (arch) for (const [id, spans] of await arch.getTraces(missing)) if (spans.length) found.set(id, spans);
    return found;
  };
  const ctx: ApiContext = {
    store,
    now,
    searchDefaults,
    adjusted: (spans, p) => (isRaw(p) ? spans : moveLibraryAttributesToResource(adjust(spans))),
    toTrace,
    traceById,
    tracesById,
  };

  const jaegerRoutes: [RegExp, Route][] = [
    [/^\/api\/services$/, async () => ok(await store.getServices())],
    [
      /^\/api\/services\/(.+)\/operations$/,
      async (_p, [service]) => {
        const ops = await store.getOperations({ service });
        const names = [...new Set(ops.map((o) => o.name))].sort();
        return ok(names);
      },
    ],
    [
      /^\/api\/operations$/,
      async (p) => {
        const service = p.get('service') ?? '';
        if (!service) throw new ParamError('service', "parameter 'service' is required");
        const spanKind = parseSpanKindParam(p);
        const ops = await store.getOperations(spanKind === undefined ? { service } : { service, spanKind });
        return ok(ops.map((o) => ({ name: o.name, spanKind: kindName(o.spanKind) })));
      },
    ],
    [
      /^\/api\/traces$/,
      async (p) => {
        const req = parseSearchParams(p, now(), searchDefaults);
        if (req.kind === 'ids') {
          const found = await tracesById(req.traceIds);
          const data: JaegerJsonTrace[] = [];
          const errors: StructuredError[] = [];
          for (const id of req.traceIds) {
            const spans = found.get(id);
            if (spans && spans.length) data.push(toTrace(spans, p));
            // as Jaeger: no code, the id in its printed form
            else errors.push({ msg: 'trace not found', traceID: shortTraceId(id) });
          }
          return ok(data, data.length, errors.length ? errors : null);
        }
        const ids = await store.findTraceIds(req.query);
        const found = ids.length ? await store.getTraces(ids) : new Map<string, Span[]>();
        const data: JaegerJsonTrace[] = [];
        for (const id of ids) {
          const spans = found.get(id);
          if (spans && spans.length) data.push(toTrace(spans, p));
        }
        return ok(data);
      },
    ],
    [
      /^\/api\/traces\/([^/]+)$/,
      async (p, [rawId]) => {
        const id = parseTraceIdParam(rawId);
        const startUs = intParam(p, 'start', 'unix microseconds', { min: 0n });
        const endUs = intParam(p, 'end', 'unix microseconds', { min: 0n });
        let spans: Span[];
        if (startUs !== undefined && endUs !== undefined) {
          if (startUs > endUs) throw new ParamError('start', `param 'start' (${startUs} µs) is after 'end' (${endUs} µs)`);
          spans = await traceById(id, { startTimeMin: startUs * 1000n, startTimeMax: endUs * 1000n });
        } else spans = await traceById(id);
        if (!spans.length) throw new HttpError(404, 'trace not found');
        return ok([toTrace(spans, p)]);
      },
    ],
    [
      /^\/api\/dependencies$/,
      async (p) => {
        const q = parseDependencyParams(p, now());
        const service = p.get('service');
        let links = await store.getDependencies(q);
        if (service) links = links.filter((l) => l.parent === service || l.child === service);
        // Jaeger's fields, plus errorCount (calls whose child span has status ERROR)
        return ok(links.map((l) => ({ parent: l.parent, child: l.child, callCount: l.callCount, errorCount: l.errorCount })));
      },
    ],
  ];
  // Jaeger's "Archive Trace": copy the trace (as stored, unadjusted) into the archive store
  const archiveRoute: RouteDef = {
    re: /^\/api\/archive\/([^/]+)$/,
    methods: ['POST'],
    run: async (_p, [rawId], req) => {
      if (req.method !== 'POST') throw new HttpError(405, `method ${req.method} not allowed on /api/archive/{traceID}; use POST`);
      const id = parseTraceIdParam(rawId);
      if (!archive) throw new HttpError(501, 'archive span storage was not configured');
      const spans = await traceById(id);
      if (!spans.length) throw new HttpError(404, 'trace not found');
      await (await archive.writer()).writeSpans(spans);
      // as Jaeger: empty data and errors
      return ok([], 0, []);
    },
  };
  const routes: RouteDef[] = [...jaegerRoutes.map(([re, run]) => ({ re, run })), archiveRoute, ...analyticsRoutes(ctx), ...metricsRoutes(ctx), ...v3Routes(ctx), ...zipkinRoutes(ctx, opts.zipkin)];

  async function handleApi(req: IncomingMessage, res: ServerResponse, path: string, query: string): Promise<void> {
    const apiPath = path.length > 5 && path.endsWith('/') ? path.slice(0, -1) : path;
    const v3 = apiPath.startsWith('/api/v3/');
    const zipkin = apiPath.startsWith('/zipkin/');
    const fail = (status: number, msg: string) =>
      zipkin ? sendText(res, status, msg) : sendJson(req, res, status, v3 ? v3ErrorBody(status, msg) : errorBody(status, msg));
    for (const { re, run: route, methods } of routes) {
      const m = re.exec(apiPath);
      if (!m) continue;
      if (req.method !== 'GET' && req.method !== 'HEAD' && !methods?.includes(req.method ?? '')) {
        const allow = ['GET', 'HEAD', ...(methods ?? [])].join(', ');
        res.setHeader('Allow', allow);
        return fail(405, `method ${req.method} not allowed on ${path} (allowed: ${allow})`);
      }
      let captures: string[];
      try {
        captures = m.slice(1).map((s) => decodeURIComponent(s));
      } catch {
        return fail(400, `malformed percent-encoding in path ${path}`);
      }
      const params = new URLSearchParams(query);
      try {
        const result = await route(params, captures, req);
        const body = result instanceof Raw ? result.body : result;
        const pretty = params.get('prettyPrint');
        return sendJson(req, res, 200, body, pretty && pretty !== 'false' ? 4 : undefined);
      } catch (err) {
        if (err instanceof ParamError || err instanceof StoreArgumentError) return fail(400, err.message);
        if (err instanceof HttpError) {
          if (err.status === 405) res.setHeader('Allow', (methods ?? ['GET', 'HEAD']).join(', '));
          return fail(err.status, err.message);
        }
        onError(err, req);
        return fail(500, `storage error: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return fail(405, `method ${req.method} not allowed on ${path}; the query API is read-only (GET)`);
    }
    return fail(404, `unknown API endpoint ${path}`);
  }

  return function queryHandler(req: IncomingMessage, res: ServerResponse): void {
    let url = req.url ?? '/';
    // absolute-form request target (sent to proxies): keep only the path and query
    const abs = /^https?:\/\/[^/?#]*/i.exec(url);
    if (abs) url = url.slice(abs[0].length) || '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? '' : url.slice(q + 1);
    const done = (err: unknown) => {
      onError(err, req);
      if (!res.headersSent) sendJson(req, res, 500, errorBody(500, 'internal error'));
      else res.destroy();
    };
    if (path === '/api' || path.startsWith('/api/') || path.startsWith('/zipkin/api/')) {
      handleApi(req, res, path, query).catch(done);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendJson(req, res, 405, errorBody(405, `method ${req.method} not allowed`));
      return;
    }
    if (!serveStatic) {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end('no UI configured; the query API is at /api/\n');
      return;
    }
    serveStatic(req, res, path).catch(done);
  };
}

export function errorBody(code: number, msg: string): StructuredResponse<null> {
  return { data: null, total: 0, limit: 0, offset: 0, errors: [{ code, msg }] };
}

/** api_v3's error shape (its HTTP gateway): `{"error": {"httpCode": 404, "message": "…"}}`. */
export function v3ErrorBody(code: number, msg: string): { error: { httpCode: number; message: string } } {
  return { error: { httpCode: code, message: msg } };
}

/** Zipkin's server answers errors as plain text. */
function sendText(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

async function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, space?: number): Promise<void> {
  const text = stringifyJaegerJson(body, space);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Vary', 'Accept-Encoding');
  if (text.length > 2048 && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
    const zipped = await gzip(text);
    res.setHeader('Content-Encoding', 'gzip');
    res.setHeader('Content-Length', zipped.length);
    res.end(zipped);
    return;
  }
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
