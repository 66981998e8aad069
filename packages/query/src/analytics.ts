import { assembleTrace, compareTraces, criticalPath, deepDependencies, durationNano, selfTimes, shortTraceId, traceStatistics, walkTrace } from '@ariadne/model';
import type { CompareSide, ServiceOperation, Span } from '@ariadne/model';
import { HttpError, ok, us } from './context.js';
import type { ApiContext, RouteDef } from './context.js';
import { ParamError, parseSearchParams, parseTraceIdParam } from './params.js';

/** Deep-dependency and group-compare searches read at most this many traces by default. */
const ANALYTICS_TRACE_LIMIT = 100;

/**
 * Native analytics endpoints (`/api/analytics/…`), computed from stored spans with the pure
 * functions of `@ariadne/model`. Times in microseconds, as the rest of the API.
 */
export function analyticsRoutes(ctx: ApiContext): RouteDef[] {
  const { store } = ctx;

  async function traceSpans(rawId: string, p: URLSearchParams): Promise<{ id: string; spans: Span[] }> {
    const id = parseTraceIdParam(rawId);
    const spans = await ctx.traceById(id);
    if (!spans.length) throw new HttpError(404, 'trace not found');
    return { id, spans: ctx.adjusted(spans, p) };
  }

  /** Trace ids from `<prefix>` (ids, comma-separated or repeated) or `<prefix>Service`/`<prefix>Operation` (a search). */
  async function group(p: URLSearchParams, prefix: 'a' | 'b' | 'x'): Promise<{ ids: string[]; traces: Span[][] }> {
    const rawIds = p.getAll(prefix).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
    let ids: string[];
    if (rawIds.length) ids = [...new Set(rawIds.map((r) => parseTraceIdParam(r, prefix === 'x' ? 'traceID' : prefix)))];
    else {
      const service = p.get(`${prefix}Service`);
      if (!service) throw new ParamError(prefix, `parameter '${prefix}' (trace ids) or '${prefix}Service' is required`);
      const sp = searchParamsFrom(p, { service, operation: p.get(`${prefix}Operation`) ?? '' });
      const req = parseSearchParams(sp, ctx.now(), { ...ctx.searchDefaults, limit: ANALYTICS_TRACE_LIMIT });
      if (req.kind !== 'query') throw new ParamError(prefix, 'unexpected trace id search');
      ids = await store.findTraceIds(req.query);
    }
    const found = !ids.length ? new Map<string, Span[]>() : rawIds.length ? await ctx.tracesById(ids) : await store.getTraces(ids);
    const missing = ids.filter((id) => !found.get(id)?.length);
    if (rawIds.length && missing.length) throw new HttpError(404, `trace not found: ${missing.map(shortTraceId).join(', ')}`);
    const present = ids.filter((id) => found.get(id)?.length);
    return { ids: present, traces: present.map((id) => ctx.adjusted(found.get(id)!, p)) };
  }

  const side = (s: CompareSide) => ({ count: s.count, duration: us(s.totalNano), countPerTrace: s.countPerTrace, durationPerTrace: us(s.durationPerTraceNano) });
  const so = (x: ServiceOperation) => ({ service: x.service, operation: x.operation });

  return [
    {
      re: /^\/api\/analytics\/traces\/([^/]+)\/critical-path$/,
      run: async (p, [rawId]) => {
        const { id, spans } = await traceSpans(rawId, p);
        const trace = assembleTrace(spans);
        const segments = criticalPath(trace).map((s) => ({
          spanID: s.spanId,
          service: s.service,
          operation: s.operation,
          startTime: us(s.startTimeUnixNano),
          duration: us(s.endTimeUnixNano - s.startTimeUnixNano),
        }));
        const root = trace.roots[0]?.span;
        return ok(
          {
            traceID: shortTraceId(id),
            rootSpanID: root?.spanId ?? '',
            startTime: root ? us(root.startTimeUnixNano) : 0,
            duration: root ? us(durationNano(root)) : 0,
            segments,
          },
          segments.length,
        );
      },
    },
    {
      re: /^\/api\/analytics\/traces\/([^/]+)\/self-time$/,
      run: async (p, [rawId]) => {
        const { spans } = await traceSpans(rawId, p);
        const trace = assembleTrace(spans);
        const self = selfTimes(trace);
        const data: unknown[] = [];
        walkTrace(trace, (n) => {
          data.push({
            spanID: n.span.spanId,
            parentSpanID: n.span.parentSpanId,
            service: n.span.resource.serviceName,
            operation: n.span.name,
            depth: n.depth,
            startTime: us(n.span.startTimeUnixNano),
            duration: us(durationNano(n.span)),
            selfTime: us(self.get(n.span.spanId) ?? 0n),
          });
        });
        return ok(data);
      },
    },
    {
      re: /^\/api\/analytics\/traces\/([^/]+)\/stats$/,
      run: async (p, [rawId]) => {
        const { spans } = await traceSpans(rawId, p);
        return ok(statsJson([spans]));
      },
    },
    {
      // over several traces: `traceID` (ids) or a search (`service`, `operation`, window, limit)
      re: /^\/api\/analytics\/stats$/,
      run: async (p) => {
        const q = new URLSearchParams(p);
        if (p.getAll('traceID').length) q.set('x', p.getAll('traceID').join(','));
        else if (p.get('service')) {
          q.set('xService', p.get('service')!);
          if (p.get('operation')) q.set('xOperation', p.get('operation')!);
        } else throw new ParamError('service', "parameter 'service' (or 'traceID') is required");
        const g = await group(q, 'x');
        return ok({ traceIDs: g.ids.map(shortTraceId), operations: statsJson(g.traces) }, g.traces.length);
      },
    },
    {
      re: /^\/api\/analytics\/compare$/,
      run: async (p) => {
        const a = await group(p, 'a');
        const b = await group(p, 'b');
        const c = compareTraces(a.traces, b.traces);
        return ok(
          {
            a: { traceIDs: a.ids.map(shortTraceId) },
            b: { traceIDs: b.ids.map(shortTraceId) },
            onlyA: c.onlyA,
            onlyB: c.onlyB,
            both: c.both,
            nodes: c.nodes.map((n) => ({
              path: n.path.map(so),
              presence: n.presence,
              a: side(n.a),
              b: side(n.b),
              countDelta: n.countDelta,
              durationDelta: us(n.durationDeltaNano),
            })),
          },
          c.nodes.length,
        );
      },
    },
    {
      re: /^\/api\/analytics\/deep-dependencies$/,
      run: async (p) => {
        const service = p.get('service') ?? '';
        if (!service) throw new ParamError('service', "parameter 'service' is required");
        const operation = p.get('operation') || undefined;
        const req = parseSearchParams(searchParamsFrom(p, { service, operation: operation ?? '' }), ctx.now(), { ...ctx.searchDefaults, limit: ANALYTICS_TRACE_LIMIT });
        if (req.kind !== 'query') throw new ParamError('service', 'unexpected trace id search');
        const ids = await store.findTraceIds(req.query);
        const found = ids.length ? await store.getTraces(ids) : new Map<string, Span[]>();
        const traces = ids.map((id) => found.get(id)).filter((t): t is Span[] => !!t?.length);
        const g = deepDependencies(traces, operation === undefined ? { service } : { service, operation });
        return ok(
          {
            focal: g.focal,
            traceCount: traces.length,
            paths: g.paths.map((x) => ({ path: x.path.map(so), focalIndex: x.focalIndex, count: x.count })),
            nodes: g.nodes.map((n) => ({ service: n.service, operation: n.operation, distance: n.distance, count: n.count })),
            edges: g.edges.map((e) => ({ from: so(e.from), to: so(e.to), distance: e.distance, count: e.count })),
          },
          g.paths.length,
        );
      },
    },
  ];
}

function statsJson(traces: Span[][]) {
  return traceStatistics(traces).map((s) => ({
    service: s.service,
    operation: s.operation,
    count: s.count,
    errorCount: s.errorCount,
    total: us(s.totalNano),
    selfTotal: us(s.selfTotalNano),
    min: us(s.minNano),
    avg: us(s.avgNano),
    max: us(s.maxNano),
    selfAvg: us(s.selfAvgNano),
  }));
}

/** A search over the request's window parameters (start, end, lookback, limit, durations, tags) for one service/operation. */
function searchParamsFrom(p: URLSearchParams, target: { service: string; operation: string }): URLSearchParams {
  const out = new URLSearchParams();
  for (const k of ['start', 'end', 'lookback', 'limit', 'minDuration', 'maxDuration', 'spanKind']) {
    const v = p.get(k);
    if (v !== null) out.set(k, v);
  }
  for (const t of p.getAll('tag')) out.append('tag', t);
  for (const t of p.getAll('tags')) out.append('tags', t);
  out.set('service', target.service);
  if (target.operation) out.set('operation', target.operation);
  return out;
}
