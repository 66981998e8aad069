import { SpanKind } from '@ariadne/model';
import type { Span } from '@ariadne/model';
import { encodeZipkinV2Json } from '@ariadne/codec';
import type { TagFilter, TraceQuery } from '@ariadne/storage';
import { HttpError, Raw } from './context.js';
import type { ApiContext, RouteDef } from './context.js';
import { intParam, ParamError, parseTraceIdParam } from './params.js';

const MS = 1_000_000n;
const DAY_MS = 86_400_000n;
/** How far back autocompleteValues looks, and how many traces per service it reads. */
const AUTOCOMPLETE_TRACES = 1000;

export interface ZipkinOptions {
  /** Tag keys offered by `/autocompleteKeys` (Zipkin's `AUTOCOMPLETE_KEYS`); none by default. */
  autocompleteKeys?: string[];
}

const lower = (s: string) => s.toLowerCase();
const uniqSorted = (xs: Iterable<string>) => [...new Set(xs)].sort();
type ZSpan = { remoteEndpoint?: { serviceName?: string }; tags?: Record<string, string> };

/** Remote services a span of `service` talks to: its `remoteEndpoint` (peer.service), or the other service of a child of a CLIENT/PRODUCER span. */
function remoteServicesOf(spans: Span[], service: string | undefined): Set<string> {
  const out = new Set<string>();
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const zs = encodeZipkinV2Json(spans) as ZSpan[];
  spans.forEach((s, i) => {
    if (service !== undefined && lower(s.resource.serviceName) !== service) return;
    const r = zs[i].remoteEndpoint?.serviceName;
    if (r) out.add(r);
  });
  for (const c of spans) {
    const p = c.parentSpanId ? byId.get(c.parentSpanId) : undefined;
    if (!p || (p.kind !== SpanKind.CLIENT && p.kind !== SpanKind.PRODUCER)) continue;
    if (service !== undefined && lower(p.resource.serviceName) !== service) continue;
    if (lower(c.resource.serviceName) !== lower(p.resource.serviceName)) out.add(lower(c.resource.serviceName));
  }
  return out;
}

/** `error and http.method=GET` → filters: `key=value` is equality, a bare `key` must exist. */
export function parseAnnotationQuery(q: string): TagFilter[] {
  const out: TagFilter[] = [];
  for (const term of q.split(/\s+and\s+/i)) {
    const t = term.trim();
    if (!t) continue;
    const i = t.indexOf('=');
    if (i === 0) throw new ParamError('annotationQuery', `malformed annotationQuery term ${JSON.stringify(t)}`);
    out.push(i < 0 ? { key: t, op: 'exists', value: '' } : { key: t.slice(0, i), op: '=', value: t.slice(i + 1) });
  }
  return out;
}

/**
 * Zipkin's v2 read API (`/zipkin/api/v2/…`) over the store, with Zipkin's JSON (via
 * `encodeZipkinV2Json`: names lowercased as Zipkin does) and matching rules: service and span
 * names compare case-insensitively; times in ms (`endTs`, `lookback`) and durations in µs.
 * Errors are plain text with the HTTP status, as Zipkin's server answers.
 */
export function zipkinRoutes(ctx: ApiContext, opts: ZipkinOptions = {}): RouteDef[] {
  const { store } = ctx;

  /** Stored service names whose lowercase form is `name`. */
  const servicesNamed = async (name: string) => (await store.getServices()).filter((s) => lower(s) === lower(name));
  const operationsNamed = async (service: string, name: string) => uniqSorted((await store.getOperations({ service })).map((o) => o.name).filter((n) => lower(n) === lower(name)));

  function window(p: URLSearchParams, defaultLookbackMs: bigint | undefined) {
    const endMs = intParam(p, 'endTs', 'unix milliseconds', { min: 1n });
    const end = endMs !== undefined ? endMs * MS : ctx.now();
    const lbMs = intParam(p, 'lookback', 'milliseconds', { min: 1n }) ?? defaultLookbackMs;
    const start = lbMs === undefined || lbMs * MS > end ? 0n : end - lbMs * MS;
    return { start, end };
  }

  const traceRoute = (spans: Span[]) => encodeZipkinV2Json(spans);

  return [
    { re: /^\/zipkin\/api\/v2\/services$/, run: async () => new Raw(uniqSorted((await store.getServices()).map(lower))) },
    {
      re: /^\/zipkin\/api\/v2\/spans$/,
      run: async (p) => {
        const name = p.get('serviceName');
        if (!name) throw new ParamError('serviceName', 'serviceName is required');
        const names: string[] = [];
        for (const s of await servicesNamed(name)) for (const o of await store.getOperations({ service: s })) names.push(lower(o.name));
        return new Raw(uniqSorted(names));
      },
    },
    {
      re: /^\/zipkin\/api\/v2\/remoteServices$/,
      run: async (p) => {
        const name = p.get('serviceName');
        if (!name) throw new ParamError('serviceName', 'serviceName is required');
        const { start, end } = window(p, DAY_MS);
        const out = new Set<string>();
        for (const service of await servicesNamed(name)) {
          const ids = await store.findTraceIds({ service, startTimeMin: start, startTimeMax: end, limit: AUTOCOMPLETE_TRACES });
          const traces = ids.length ? await store.getTraces(ids) : new Map<string, Span[]>();
          for (const spans of traces.values()) for (const r of remoteServicesOf(spans, lower(service))) out.add(r);
        }
        return new Raw(uniqSorted(out));
      },
    },
    {
      re: /^\/zipkin\/api\/v2\/traces$/,
      run: async (p) => {
        const { start, end } = window(p, DAY_MS);
        const limit = Number(intParam(p, 'limit', 'number of traces', { min: 1n, max: BigInt(ctx.searchDefaults.maxLimit) }) ?? 10n);
        const minUs = intParam(p, 'minDuration', 'microseconds', { min: 0n });
        const maxUs = intParam(p, 'maxDuration', 'microseconds', { min: 0n });
        if (minUs !== undefined && maxUs !== undefined && maxUs < minUs) throw new ParamError('maxDuration', 'maxDuration should be >= minDuration');
        const base: TraceQuery = { startTimeMin: start, startTimeMax: end, limit };
        if (minUs) base.minDurationNano = minUs * 1000n;
        if (maxUs) base.maxDurationNano = maxUs * 1000n;
        const aq = p.get('annotationQuery');
        if (aq) {
          const tags = parseAnnotationQuery(aq);
          if (tags.length) base.tags = tags;
        }
        const remote = p.get('remoteServiceName') ? lower(p.get('remoteServiceName')!) : undefined;
        if (remote) base.limit = Math.min(limit * 10, ctx.searchDefaults.maxLimit);
        // one store query per (service, span name) spelling that matches case-insensitively
        const queries: TraceQuery[] = [];
        const serviceName = p.get('serviceName');
        const spanName = p.get('spanName');
        const services = serviceName ? await servicesNamed(serviceName) : [undefined];
        for (const service of services) {
          if (spanName && spanName !== 'all') {
            if (!service) {
              queries.push({ ...base, operation: spanName });
              continue;
            }
            for (const op of await operationsNamed(service, spanName)) queries.push({ ...base, service, operation: op });
          } else queries.push(service ? { ...base, service } : { ...base });
        }
        const ids: string[] = [];
        for (const q of queries) for (const id of await store.findTraceIds(q)) if (!ids.includes(id)) ids.push(id);
        const found = ids.length ? await store.getTraces(ids) : new Map<string, Span[]>();
        const out: object[][] = [];
        for (const id of ids) {
          const spans = found.get(id);
          if (!spans?.length) continue;
          if (remote && !remoteServicesOf(spans, serviceName ? lower(serviceName) : undefined).has(remote)) continue;
          out.push(traceRoute(spans));
          if (out.length >= limit) break;
        }
        return new Raw(out);
      },
    },
    {
      re: /^\/zipkin\/api\/v2\/trace\/([^/]+)$/,
      run: async (_p, [rawId]) => {
        const id = parseTraceIdParam(rawId, 'traceId');
        const spans = await store.getTrace(id);
        if (!spans.length) throw new HttpError(404, `trace ${rawId} not found`);
        return new Raw(traceRoute(spans));
      },
    },
    {
      re: /^\/zipkin\/api\/v2\/traceMany$/,
      run: async (p) => {
        const raw = (p.get('traceIds') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        if (!raw.length) throw new ParamError('traceIds', 'traceIds parameter is empty');
        const ids = [...new Set(raw.map((r) => parseTraceIdParam(r, 'traceIds')))];
        const found = await store.getTraces(ids);
        return new Raw(ids.filter((id) => found.get(id)?.length).map((id) => traceRoute(found.get(id)!)));
      },
    },
    {
      re: /^\/zipkin\/api\/v2\/dependencies$/,
      run: async (p) => {
        if (!p.get('endTs')) throw new ParamError('endTs', 'endTs is required');
        const { start, end } = window(p, DAY_MS);
        const links = await store.getDependencies({ endTime: end, lookback: end - start });
        const merged = new Map<string, { parent: string; child: string; callCount: number; errorCount: number }>();
        for (const l of links) {
          const k = `${lower(l.parent)}\u0000${lower(l.child)}`;
          const m = merged.get(k);
          if (m) {
            m.callCount += l.callCount;
            m.errorCount += l.errorCount;
          } else merged.set(k, { parent: lower(l.parent), child: lower(l.child), callCount: l.callCount, errorCount: l.errorCount });
        }
        // as Zipkin's JSON: errorCount only when non-zero
        return new Raw([...merged.values()].map((l) => (l.errorCount ? l : { parent: l.parent, child: l.child, callCount: l.callCount })));
      },
    },
    { re: /^\/zipkin\/api\/v2\/autocompleteKeys$/, run: async () => new Raw(uniqSorted(opts.autocompleteKeys ?? [])) },
    {
      re: /^\/zipkin\/api\/v2\/autocompleteValues$/,
      run: async (p) => {
        const key = p.get('key');
        if (!key) throw new ParamError('key', 'key is required');
        const { start, end } = window(p, DAY_MS);
        const values = new Set<string>();
        for (const service of await store.getServices()) {
          const ids = await store.findTraceIds({ service, startTimeMin: start, startTimeMax: end, limit: AUTOCOMPLETE_TRACES, tags: [{ key, op: 'exists', value: '' }] });
          const traces = ids.length ? await store.getTraces(ids) : new Map<string, Span[]>();
          for (const spans of traces.values()) for (const z of encodeZipkinV2Json(spans) as ZSpan[]) if (z.tags && key in z.tags) values.add(z.tags[key]);
        }
        return new Raw(uniqSorted(values));
      },
    },
  ];
}
