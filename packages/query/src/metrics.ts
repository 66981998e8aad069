import { parseSpanKind, StatusCode } from '@ariadne/model';
import type { Span, SpanKind } from '@ariadne/model';
import { ok, Raw } from './context.js';
import type { ApiContext, RouteDef } from './context.js';
import { intParam, ParamError } from './params.js';

const MS = 1_000_000n;
/** Prometheus refuses range queries over 11000 points; so do we. */
const MAX_POINTS = 11_000;
/** Traces read per service for one metrics query. */
const MAX_TRACES = 10_000;

export interface MetricsQuery {
  services: string[];
  groupByOperation: boolean;
  spanKinds: SpanKind[];
  /** unix ns */
  endTime: bigint;
  lookback: bigint;
  step: bigint;
  ratePer: bigint;
}

/** Go's strconv.ParseBool, as Jaeger parses `groupByOperation`. */
function parseBool(p: URLSearchParams, name: string): boolean {
  const raw = p.get(name);
  if (raw === null || raw === '') return false;
  if (/^(1|t|T|TRUE|true|True)$/.test(raw)) return true;
  if (/^(0|f|F|FALSE|false|False)$/.test(raw)) return false;
  throw new ParamError(name, `unable to parse param '${name}': strconv.ParseBool: parsing ${JSON.stringify(raw)}: invalid syntax`);
}

/** `/api/metrics/*` parameters with Jaeger's defaults (lookback 1h, step 5s, ratePer 10m, spanKind server). */
export function parseMetricsParams(p: URLSearchParams, nowNano: bigint): MetricsQuery {
  const services = p.getAll('service').flatMap((s) => s.split(',')).filter(Boolean);
  if (!services.length) throw new ParamError('service', "unable to parse param 'service': please provide at least one service name");
  const spanKinds: SpanKind[] = [];
  for (const raw of p.getAll('spanKind').flatMap((s) => s.split(','))) {
    if (!raw) continue;
    const k = parseSpanKind(raw);
    if (k === undefined) throw new ParamError('spanKind', `unable to parse param 'spanKind': unsupported span kind: ${JSON.stringify(raw)}`);
    spanKinds.push(k);
  }
  const endTs = intParam(p, 'endTs', 'unix milliseconds', { min: 0n });
  const lookback = intParam(p, 'lookback', 'milliseconds', { min: 1n }) ?? 3_600_000n;
  const step = intParam(p, 'step', 'milliseconds', { min: 1n }) ?? 5_000n;
  const ratePer = intParam(p, 'ratePer', 'milliseconds', { min: 1n }) ?? 600_000n;
  if (lookback / step + 1n > BigInt(MAX_POINTS)) {
    throw new ParamError('step', `param 'step' (${step} ms) gives more than ${MAX_POINTS} points over 'lookback' (${lookback} ms)`);
  }
  return {
    services: [...new Set(services)],
    groupByOperation: parseBool(p, 'groupByOperation'),
    spanKinds: spanKinds.length ? [...new Set(spanKinds)] : [2],
    endTime: endTs !== undefined ? endTs * MS : nowNano,
    lookback: lookback * MS,
    step: step * MS,
    ratePer: ratePer * MS,
  };
}

/** A timestamp in protobuf JSON form (RFC 3339, UTC, fraction only when non-zero). */
export function protoTimestamp(ns: bigint): string {
  const sec = ns / 1_000_000_000n;
  const frac = ns % 1_000_000_000n;
  const base = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
  if (frac === 0n) return `${base}Z`;
  let f = frac.toString().padStart(9, '0');
  f = f.endsWith('000000') ? f.slice(0, 3) : f.endsWith('000') ? f.slice(0, 6) : f;
  return `${base}.${f}Z`;
}

/** Linear interpolation between the closest ranks (sorted input). */
export function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  // rounded to 1e-9 so that exact answers stay exact (3.8 - 3 is 0.7999…)
  return Math.round((sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo)) * 1e9) / 1e9;
}

type Kind = 'latencies' | 'calls' | 'errors';

interface Series {
  labels: { name: string; value: string }[];
  /** sorted by start */
  spans: Span[];
}

/** Spans of the series that started in (first point − ratePer, `until`]. */
async function collect(ctx: ApiContext, q: MetricsQuery, until: bigint): Promise<Series[]> {
  const from = q.endTime - q.lookback - q.ratePer;
  const kinds = new Set<number>(q.spanKinds);
  const series = new Map<string, Series>();
  for (const service of q.services) {
    const ids = await ctx.store.findTraceIds({ service, startTimeMin: from < 0n ? 0n : from, startTimeMax: until, limit: MAX_TRACES });
    const traces = ids.length ? await ctx.store.getTraces(ids) : new Map<string, Span[]>();
    for (const spans of traces.values()) {
      for (const s of spans) {
        if (s.resource.serviceName !== service || !kinds.has(s.kind)) continue;
        if (s.startTimeUnixNano <= from || s.startTimeUnixNano > until) continue;
        const key = q.groupByOperation ? `${service}\u0000${s.name}` : service;
        let se = series.get(key);
        if (!se) {
          const labels = seriesLabels(q, service, s.name);
          series.set(key, (se = { labels, spans: [] }));
        }
        se.spans.push(s);
      }
    }
  }
  const out = [...series.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s);
  for (const s of out) s.spans.sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : a.startTimeUnixNano > b.startTimeUnixNano ? 1 : 0));
  return out;
}

/** Per point of a series: calls, errors and the wanted quantile (ms), or undefined without calls. */
interface SeriesPoints {
  labels: { name: string; value: string }[];
  at: (k: number) => { calls: number; errors: number; quantileMs?: number } | undefined;
}

const seriesLabels = (q: MetricsQuery, service: string, operation: string) =>
  q.groupByOperation ? [{ name: 'operation', value: operation }, { name: 'service_name', value: service }] : [{ name: 'service_name', value: service }];
const byKey = (a: [string, unknown], b: [string, unknown]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
const roundMs = (ms: number) => Math.round(ms * 1e9) / 1e9;

/** From the store's own aggregation (SQL), when it declares `spanMetrics`. */
async function fromStore(ctx: ApiContext, kind: Kind, q: MetricsQuery, quant: number, points: number): Promise<SeriesPoints[]> {
  const from = q.endTime - q.lookback;
  const series = await ctx.store.getSpanMetrics!({
    services: q.services,
    spanKinds: q.spanKinds,
    groupByOperation: q.groupByOperation,
    firstPoint: from,
    step: q.step,
    points,
    ratePer: q.ratePer,
    quantiles: kind === 'latencies' ? [quant] : [],
  });
  const keyed = series.map((s): [string, SeriesPoints] => {
    const byIndex = new Map(s.points.map((p) => [p.index, p]));
    return [
      q.groupByOperation ? `${s.service}\u0000${s.operation ?? ''}` : s.service,
      {
        labels: seriesLabels(q, s.service, s.operation ?? ''),
        at: (k) => {
          const p = byIndex.get(k);
          return p && { calls: p.calls, errors: p.errors, quantileMs: p.quantilesNano.length ? roundMs(p.quantilesNano[0] / 1e6) : undefined };
        },
      },
    ];
  });
  return keyed.sort(byKey).map(([, s]) => s);
}

/** From whole traces read through findTraceIds/getTraces (stores without `spanMetrics`; at most MAX_TRACES per service). */
async function fromTraces(ctx: ApiContext, kind: Kind, q: MetricsQuery, quant: number, pointTimes: bigint[]): Promise<SeriesPoints[]> {
  const series = await collect(ctx, q, pointTimes[pointTimes.length - 1]);
  return series.map((se) => {
    // errors before index i, for O(1) error counts per window
    const errBefore = [0];
    for (const s of se.spans) errBefore.push(errBefore[errBefore.length - 1] + (s.status.code === StatusCode.ERROR ? 1 : 0));
    const durMs = se.spans.map((s) => Number(s.endTimeUnixNano > s.startTimeUnixNano ? s.endTimeUnixNano - s.startTimeUnixNano : 0n) / 1e6);
    const at: ({ calls: number; errors: number; quantileMs?: number } | undefined)[] = [];
    let lo = 0;
    let hi = 0;
    for (const t of pointTimes) {
      while (hi < se.spans.length && se.spans[hi].startTimeUnixNano <= t) hi++;
      while (lo < hi && se.spans[lo].startTimeUnixNano <= t - q.ratePer) lo++;
      const calls = hi - lo;
      at.push(
        calls === 0
          ? undefined
          : { calls, errors: errBefore[hi] - errBefore[lo], quantileMs: kind === 'latencies' ? quantile(durMs.slice(lo, hi).sort((a, b) => a - b), quant) : undefined },
      );
    }
    return { labels: se.labels, at: (k: number) => at[k] };
  });
}

/**
 * RED metrics from stored spans, in Jaeger's SPM `MetricFamily` JSON: one series per service (or
 * service + operation), one point per `step` from `endTs − lookback` to `endTs`, each over the
 * spans that started in `(t − ratePer, t]`: calls/s, the fraction with status ERROR, or the
 * `quantile` of durations in milliseconds. Points without calls are left out of latencies and errors.
 * Computed by the store when it can (`capabilities.spanMetrics`, e.g. DuckDB's SQL), else here.
 */
export async function computeMetrics(ctx: ApiContext, kind: Kind, q: MetricsQuery, quant = 0.95): Promise<object> {
  const pointTimes: bigint[] = [];
  for (let t = q.endTime - q.lookback; t <= q.endTime; t += q.step) pointTimes.push(t);
  const series =
    ctx.store.capabilities.spanMetrics && ctx.store.getSpanMetrics
      ? await fromStore(ctx, kind, q, quant, pointTimes.length)
      : await fromTraces(ctx, kind, q, quant, pointTimes);
  const rateSeconds = Number(q.ratePer) / 1e9;
  const metrics = series.map((se) => {
    const metricPoints: object[] = [];
    pointTimes.forEach((t, k) => {
      const p = se.at(k);
      let value: number;
      if (kind === 'calls') value = (p?.calls ?? 0) / rateSeconds;
      else if (!p) return;
      else if (kind === 'errors') value = p.errors / p.calls;
      else value = p.quantileMs ?? NaN;
      metricPoints.push({ gaugeValue: { doubleValue: value }, timestamp: protoTimestamp(t) });
    });
    return { labels: se.labels, metricPoints };
  });
  const by = q.groupByOperation ? 'service & operation' : 'service';
  const prefix = q.groupByOperation ? 'service_operation' : 'service';
  const meta =
    kind === 'latencies'
      ? { name: `${prefix}_latencies`, help: `${quant.toFixed(2)}th quantile latency, grouped by ${by}` }
      : kind === 'calls'
        ? { name: `${prefix}_call_rate`, help: `calls/sec, grouped by ${by}` }
        : { name: `${prefix}_error_rate`, help: `error rate, computed as a fraction of errors/sec over calls/sec, grouped by ${by}` };
  return { name: meta.name, type: 'GAUGE', help: meta.help, metrics };
}

export function metricsRoutes(ctx: ApiContext): RouteDef[] {
  return [
    {
      re: /^\/api\/metrics\/(latencies|calls|errors)$/,
      run: async (p, [kind]) => {
        let quant = 0.95;
        if (kind === 'latencies') {
          const raw = p.get('quantile') ?? '';
          quant = raw.trim() === '' ? NaN : Number(raw);
          if (!Number.isFinite(quant)) throw new ParamError('quantile', `unable to parse param 'quantile': strconv.ParseFloat: parsing ${JSON.stringify(raw)}: invalid syntax`);
          if (quant < 0 || quant > 1) throw new ParamError('quantile', `param 'quantile' must be between 0 and 1, got ${raw}`);
        }
        const q = parseMetricsParams(p, ctx.now());
        return new Raw(await computeMetrics(ctx, kind as Kind, q, quant));
      },
    },
    // the smallest step we compute: 1 ms, as Jaeger's Prometheus reader reports
    { re: /^\/api\/metrics\/minstep$/, run: async () => ok(1) },
  ];
}
