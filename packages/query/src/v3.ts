import { assembleTrace, parseSpanKind, spanKindNames, StatusCode } from '@ariadne/model';
import type { Span } from '@ariadne/model';
import { CodecError, decodeOtlpJson, encodeOtlpJson, spansToJaegerTrace } from '@ariadne/codec';
import type { TraceQuery } from '@ariadne/storage';
import { HttpError, ok, Raw, readBody } from './context.js';
import type { ApiContext, RouteDef } from './context.js';
import { intParam, ParamError, parseDuration, parseTags, parseTraceIdParam } from './params.js';
import { protoTimestamp } from './metrics.js';

/** RFC 3339 (`2023-11-14T22:13:20.123456789Z`, any offset) → unix ns; ParamError when malformed. */
export function parseRfc3339(raw: string, param: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/.exec(raw.trim());
  const ms = m ? Date.parse(`${m[1].replace(/[t ]/, 'T')}${m[3].toUpperCase()}`) : NaN;
  if (!m || Number.isNaN(ms)) throw new ParamError(param, `unable to parse param '${param}': ${JSON.stringify(raw)} is not an RFC 3339 time (e.g. 2023-11-14T22:13:20.5Z)`);
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0') || '0');
}

function timeParam(p: URLSearchParams, name: string): bigint | undefined {
  const raw = p.get(name);
  return raw === null || raw === '' ? undefined : parseRfc3339(raw, name);
}

function durParam(p: URLSearchParams, name: string): bigint | undefined {
  const raw = p.get(name);
  if (raw === null || raw === '') return undefined;
  try {
    return parseDuration(raw);
  } catch (e) {
    throw new ParamError(name, `unable to parse param '${name}': ${(e as Error).message}`);
  }
}

/** api_v3 `query.*` search parameters → a store query. */
export function parseV3Query(p: URLSearchParams, nowNano: bigint, lookbackNano: bigint, maxLimit: number): TraceQuery {
  const service = p.get('query.service_name') ?? '';
  if (!service) throw new ParamError('query.service_name', "parameter 'query.service_name' is required");
  const max = timeParam(p, 'query.start_time_max') ?? nowNano;
  const min = timeParam(p, 'query.start_time_min') ?? (max > lookbackNano ? max - lookbackNano : 0n);
  if (min > max) throw new ParamError('query.start_time_min', "'query.start_time_min' is after 'query.start_time_max'");
  const limit =
    intParam(p, 'query.search_depth', 'number of traces', { min: 1n, max: BigInt(maxLimit) }) ??
    intParam(p, 'query.num_traces', 'number of traces', { min: 1n, max: BigInt(maxLimit) }) ??
    20n;
  const q: TraceQuery = { service, startTimeMin: min, startTimeMax: max, limit: Number(limit) };
  const op = p.get('query.operation_name');
  if (op) q.operation = op;
  const dmin = durParam(p, 'query.duration_min');
  const dmax = durParam(p, 'query.duration_max');
  if (dmin !== undefined && dmax !== undefined && dmax < dmin) throw new ParamError('query.duration_max', "'query.duration_max' should be greater than 'query.duration_min'");
  if (dmin) q.minDurationNano = dmin;
  if (dmax) q.maxDurationNano = dmax;
  const attrs = p.getAll('query.attributes');
  if (attrs.length) {
    const tp = new URLSearchParams();
    for (const a of attrs) tp.append('tags', a);
    const tags = parseTags(tp, 'query.attributes');
    if (tags.length) q.tags = tags;
  }
  return q;
}

const cmp = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

/** A trace at a glance: root, time range, span/error/orphan counts, per-service counts. */
export function traceSummary(traceId: string, spans: Span[]) {
  const t = assembleTrace(spans);
  const root = t.roots[0]?.span;
  const services = new Map<string, { name: string; spanCount: number; errorCount: number }>();
  let errorCount = 0;
  for (const s of spans) {
    const err = s.status.code === StatusCode.ERROR;
    if (err) errorCount++;
    let sv = services.get(s.resource.serviceName);
    if (!sv) services.set(s.resource.serviceName, (sv = { name: s.resource.serviceName, spanCount: 0, errorCount: 0 }));
    sv.spanCount++;
    if (err) sv.errorCount++;
  }
  const start = t.startTimeUnixNano;
  const end = t.endTimeUnixNano;
  return {
    traceID: traceId,
    rootService: root?.resource.serviceName ?? '',
    rootOperation: root?.name ?? '',
    rootSpanID: root?.spanId ?? '',
    hasRoot: t.roots.length > t.orphans.length,
    startTime: protoTimestamp(start),
    endTime: protoTimestamp(end),
    startTimeUnixNano: start.toString(),
    endTimeUnixNano: end.toString(),
    durationNano: (end > start ? end - start : 0n).toString(),
    spanCount: spans.length,
    errorCount,
    orphanCount: t.orphans.length,
    services: [...services.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
}

/**
 * Jaeger's api_v3 over HTTP (`/api/v3/…`: OTLP JSON in `{"result": …}`, errors as
 * `{"error": {"httpCode", "message"}}`), an Ariadne trace-summaries extension, and Jaeger's
 * `POST /api/transform` (OTLP JSON → Jaeger query JSON).
 */
export function v3Routes(ctx: ApiContext): RouteDef[] {
  const { store } = ctx;
  const search = async (p: URLSearchParams): Promise<{ ids: string[]; traces: Map<string, Span[]> }> => {
    const q = parseV3Query(p, ctx.now(), ctx.searchDefaults.lookbackNano, ctx.searchDefaults.maxLimit);
    const ids = await store.findTraceIds(q);
    return { ids, traces: ids.length ? await store.getTraces(ids) : new Map() };
  };
  const adjustedV3 = (spans: Span[], p: URLSearchParams) => {
    // api_v3 says raw_traces=true for unadjusted traces; `raw` works too
    const q = new URLSearchParams(p);
    if (/^(1|t|true)$/i.test(p.get('raw_traces') ?? '')) q.set('raw', 'true');
    return ctx.adjusted(spans, q);
  };
  return [
    { re: /^\/api\/v3\/services$/, run: async () => new Raw({ services: await store.getServices() }) },
    {
      re: /^\/api\/v3\/operations$/,
      run: async (p) => {
        const service = p.get('service') ?? '';
        if (!service) throw new ParamError('service', "parameter 'service' is required");
        const rawKind = p.get('span_kind') ?? p.get('spanKind') ?? '';
        const kind = rawKind ? parseSpanKind(rawKind) : undefined;
        if (rawKind && kind === undefined) throw new ParamError('span_kind', `unable to parse param 'span_kind': ${JSON.stringify(rawKind)} is not a span kind`);
        const ops = await store.getOperations(kind === undefined ? { service } : { service, spanKind: kind });
        return new Raw({ operations: ops.map((o) => ({ name: o.name, spanKind: o.spanKind === 0 ? '' : spanKindNames[o.spanKind] })) });
      },
    },
    {
      re: /^\/api\/v3\/traces\/([^/]+)$/,
      run: async (p, [rawId]) => {
        const id = parseTraceIdParam(rawId, 'trace_id');
        const min = timeParam(p, 'start_time');
        const max = timeParam(p, 'end_time');
        const spans = await ctx.traceById(id, min !== undefined && max !== undefined ? { startTimeMin: min, startTimeMax: max } : undefined);
        if (!spans.length) throw new HttpError(404, 'trace not found');
        return new Raw({ result: encodeOtlpJson(adjustedV3(spans, p)) });
      },
    },
    {
      re: /^\/api\/v3\/traces$/,
      run: async (p) => {
        const { ids, traces } = await search(p);
        const all: Span[] = [];
        for (const id of ids) {
          const spans = traces.get(id);
          if (spans?.length) all.push(...adjustedV3(spans, p));
        }
        return new Raw({ result: encodeOtlpJson(all) });
      },
    },
    {
      re: /^\/api\/v3\/trace-summaries$/,
      run: async (p) => {
        const { ids, traces } = await search(p);
        const out = ids.filter((id) => traces.get(id)?.length).map((id) => traceSummary(id, adjustedV3(traces.get(id)!, p)));
        return new Raw({ result: out });
      },
    },
    {
      re: /^\/api\/transform$/,
      methods: ['POST'],
      run: async (_p, _m, req) => {
        if (req.method !== 'POST') throw new HttpError(405, 'POST an OTLP JSON body (ExportTraceServiceRequest) to /api/transform');
        const body = await readBody(req);
        let spans: Span[];
        try {
          spans = decodeOtlpJson(body.toString('utf8'));
        } catch (e) {
          if (e instanceof CodecError) throw new HttpError(400, `cannot decode OTLP JSON: ${e.message}`);
          throw e;
        }
        const byTrace = new Map<string, Span[]>();
        for (const s of spans) {
          let l = byTrace.get(s.traceId);
          if (!l) byTrace.set(s.traceId, (l = []));
          l.push(s);
        }
        const data = [...byTrace.values()].map((l) => spansToJaegerTrace(l.sort((a, b) => cmp(a.startTimeUnixNano, b.startTimeUnixNano))));
        return ok(data);
      },
    },
  ];
}
