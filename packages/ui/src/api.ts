// The query service's Jaeger-compatible JSON API, on the same origin as the UI.
import type { JaegerError, JaegerResponse, JaegerTrace } from './model/jaeger';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

// Integers beyond 2^53 (int64 tags) would silently lose digits in JSON.parse. When the text has
// such a number, parse with a reviver that keeps its exact digits as a string (the browser's
// JSON.parse source-text access); otherwise take the fast path.
const BIG_INT_RE = /[:[,]\s*-?(?:\d{17,}|9\d{15})(?![\d.eE])/;

export function parseJson(text: string): unknown {
  if (!BIG_INT_RE.test(text)) return JSON.parse(text);
  type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;
  const reviver: Reviver = (_key, value, context) =>
    typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value) && context?.source && /^-?\d+$/.test(context.source)
      ? context.source
      : value;
  return JSON.parse(text, reviver as (this: unknown, key: string, value: unknown) => unknown);
}

// Query auth and multi-tenancy: the bearer token and the tenant are asked for once (when the API
// answers 401/403) and kept in localStorage; every API request then carries them as headers.
const TOKEN_KEY = 'ariadne.token';
const TENANT_KEY = 'ariadne.tenant';
const TENANT_HEADER_KEY = 'ariadne.tenantHeader';

function stored(key: string): string {
  try {
    return localStorage.getItem(key) ?? '';
  } catch {
    return '';
  }
}

/** Headers carrying the stored token and tenant. */
export function authHeaders(): Record<string, string> {
  const h: Record<string, string> = {};
  const token = stored(TOKEN_KEY);
  if (token) h.authorization = `Bearer ${token}`;
  const tenant = stored(TENANT_KEY);
  if (tenant) h[stored(TENANT_HEADER_KEY) || 'x-tenant'] = tenant;
  return h;
}

let asking: Promise<boolean> | undefined;

/** After a 401/403: ask for the token or tenant the message names (one prompt for concurrent requests). */
function askCredentials(status: number, message: string): Promise<boolean> {
  asking ??= Promise.resolve().then(() => {
    const tenant = /tenant/i.test(message);
    if (!tenant && status !== 401) return false;
    const answer = window.prompt(`${message}\n\n${tenant ? 'Tenant' : 'Access token'}:`, stored(tenant ? TENANT_KEY : TOKEN_KEY));
    if (answer === null || answer.trim() === '') return false;
    try {
      localStorage.setItem(tenant ? TENANT_KEY : TOKEN_KEY, answer.trim());
    } catch {
      return false;
    }
    return true;
  }).finally(() => setTimeout(() => (asking = undefined), 0));
  return asking;
}

/** fetch with the stored credentials; on 401/403 asks for them (at most twice: token, then tenant) and retries. */
async function apiFetch(path: string, init: RequestInit): Promise<Response> {
  let res = await fetch(path, { ...init, headers: { ...authHeaders(), ...(init.headers as Record<string, string>) } });
  for (let i = 0; i < 2 && (res.status === 401 || res.status === 403) && typeof window !== 'undefined' && typeof window.prompt === 'function'; i++) {
    const text = await res.clone().text();
    let message = text.slice(0, 300);
    try {
      const b = JSON.parse(text) as { errors?: JaegerError[] };
      message = b.errors?.find((e) => e?.msg)?.msg ?? message;
    } catch {
      /* not JSON */
    }
    if (!(await askCredentials(res.status, message))) break;
    res = await fetch(path, { ...init, headers: { ...authHeaders(), ...(init.headers as Record<string, string>) } });
  }
  return res;
}

async function getData<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await getEnvelope<T>(path, signal, false)).data;
}

/**
 * Fetch one API response. Non-2xx answers throw an ApiError with the server's message; with
 * `allowPartial`, a 2xx answer's `errors` (e.g. some trace ids not found) are returned beside the data.
 */
async function getEnvelope<T>(path: string, signal: AbortSignal | undefined, allowPartial: boolean): Promise<{ data: T; errors: JaegerError[] }> {
  let res: Response;
  try {
    res = await apiFetch(path, { signal, headers: { accept: 'application/json' } });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(`cannot reach the query service: ${(e as Error).message}`, 0);
  }
  const text = await res.text();
  let body: JaegerResponse<T> | undefined;
  try {
    body = text ? (parseJson(text) as JaegerResponse<T>) : undefined;
  } catch {
    body = undefined;
  }
  const firstError = body?.errors?.find((e) => e && (e.msg || e.code));
  if (!res.ok || (firstError && !allowPartial)) {
    const msg = firstError?.msg || (text && !body ? text.slice(0, 300) : '') || res.statusText || 'request failed';
    throw new ApiError(`${res.status} ${msg}`.trim(), res.status);
  }
  if (!body) throw new ApiError(`${res.status} the response is not JSON`, res.status);
  return { data: (body.data ?? ([] as unknown)) as T, errors: (body.errors ?? []).filter(Boolean) };
}

export function fetchServices(signal?: AbortSignal): Promise<string[]> {
  return getData<string[]>('/api/services', signal);
}

export function fetchOperations(service: string, signal?: AbortSignal): Promise<string[]> {
  return getData<string[]>(`/api/services/${encodeURIComponent(service)}/operations`, signal);
}

export interface SearchParams {
  service: string;
  operation?: string;
  /** Tag filters as the API takes them: one JSON object of key → value. */
  tags?: Record<string, string>;
  minDuration?: string;
  maxDuration?: string;
  lookback: string;
  /** with lookback `custom`: unix microseconds (Jaeger's `start`/`end`) */
  start?: string;
  end?: string;
  limit: number;
}

export function searchQueryString(p: SearchParams): string {
  const q = new URLSearchParams();
  q.set('service', p.service);
  if (p.operation) q.set('operation', p.operation);
  if (p.tags && Object.keys(p.tags).length) q.set('tags', JSON.stringify(p.tags));
  if (p.minDuration) q.set('minDuration', p.minDuration);
  if (p.maxDuration) q.set('maxDuration', p.maxDuration);
  q.set('lookback', p.lookback);
  if (p.start) q.set('start', p.start);
  if (p.end) q.set('end', p.end);
  q.set('limit', String(p.limit));
  return q.toString();
}

export function searchTraces(p: SearchParams, signal?: AbortSignal): Promise<JaegerTrace[]> {
  return getData<JaegerTrace[]>(`/api/traces?${searchQueryString(p)}`, signal);
}

/** Several traces by id (Jaeger: `/api/traces?traceID=a&traceID=b`); ids not found come back as errors. */
export async function fetchTracesById(ids: string[], signal?: AbortSignal): Promise<{ traces: JaegerTrace[]; notFound: string[] }> {
  const q = new URLSearchParams();
  for (const id of ids) q.append('traceID', id);
  const { data, errors } = await getEnvelope<JaegerTrace[]>(`/api/traces?${q}`, signal, true);
  return { traces: data, notFound: errors.map((e) => e.traceID || e.msg || 'unknown') };
}

export async function fetchTrace(traceId: string, signal?: AbortSignal): Promise<JaegerTrace> {
  const data = await getData<JaegerTrace[]>(`/api/traces/${encodeURIComponent(traceId)}`, signal);
  const trace = data[0];
  if (!trace) throw new ApiError(`404 trace ${traceId} not found`, 404);
  return trace;
}

export interface DependencyLinkJson {
  parent: string;
  child: string;
  callCount: number;
  /** Ariadne's extra: calls whose child span has status ERROR (absent from a Jaeger backend) */
  errorCount?: number;
}

export interface DeepDepNode {
  service: string;
  operation?: string;
  distance: number;
  count: number;
}
export interface DeepDependencies {
  focal: { service: string; operation?: string };
  traceCount: number;
  nodes: DeepDepNode[];
  edges: Array<{ from: { service: string; operation?: string }; to: { service: string; operation?: string }; distance: number; count: number }>;
}

/** The deep dependency graph around a service (paths through it in the traces of the window). */
export function fetchDeepDependencies(service: string, lookbackMs: number, signal?: AbortSignal): Promise<DeepDependencies> {
  const q = new URLSearchParams({ service, lookback: `${lookbackMs}ms` });
  return getData<DeepDependencies>(`/api/analytics/deep-dependencies?${q}`, signal);
}

/** Service-to-service calls in the window ending now (Jaeger: `endTs` and `lookback` in ms). */
export function fetchDependencies(lookbackMs: number, signal?: AbortSignal): Promise<DependencyLinkJson[]> {
  const q = new URLSearchParams({ endTs: String(Date.now()), lookback: String(lookbackMs) });
  return getData<DependencyLinkJson[]>(`/api/dependencies?${q}`, signal);
}

// ---- service performance monitoring (Jaeger SPM: MetricFamily JSON, not in the envelope) ----
export interface MetricPoint {
  gaugeValue?: { doubleValue?: number };
  timestamp: string;
}
export interface MetricSeries {
  labels: { name: string; value: string }[];
  metricPoints: MetricPoint[];
}
export interface MetricFamily {
  name: string;
  type?: string;
  help?: string;
  metrics: MetricSeries[];
}

async function getRaw<T>(path: string, signal?: AbortSignal, init?: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await apiFetch(path, { signal, ...init, headers: { accept: 'application/json', ...((init?.headers as Record<string, string>) ?? {}) } });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(`cannot reach the query service: ${(e as Error).message}`, 0);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? parseJson(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const b = body as { errors?: JaegerError[]; error?: { message?: string } } | undefined;
    const msg = b?.errors?.find((e) => e?.msg)?.msg || b?.error?.message || text.slice(0, 300) || res.statusText;
    throw new ApiError(`${res.status} ${msg}`.trim(), res.status);
  }
  if (body === undefined) throw new ApiError(`${res.status} the response is not JSON`, res.status);
  return body as T;
}

export interface MetricsQuery {
  service: string;
  lookbackMs: number;
  stepMs: number;
  ratePerMs: number;
  groupByOperation?: boolean;
  endTs?: number;
  /** server (default), client, producer, consumer, internal */
  spanKind?: string;
}

export function fetchMetric(kind: 'latencies' | 'calls' | 'errors', q: MetricsQuery & { quantile?: number }, signal?: AbortSignal): Promise<MetricFamily> {
  const p = new URLSearchParams({
    service: q.service,
    endTs: String(q.endTs ?? Date.now()),
    lookback: String(q.lookbackMs),
    step: String(q.stepMs),
    ratePer: String(q.ratePerMs),
  });
  if (q.quantile !== undefined) p.set('quantile', String(q.quantile));
  if (q.groupByOperation) p.set('groupByOperation', 'true');
  if (q.spanKind) p.set('spanKind', q.spanKind);
  return getRaw<MetricFamily>(`/api/metrics/${kind}?${p}`, signal);
}

// ---- analytics (envelope) ----
export interface OperationStats {
  service: string;
  operation: string;
  count: number;
  errorCount: number;
  total: number;
  selfTotal: number;
  min: number;
  avg: number;
  max: number;
  selfAvg: number;
}

export function fetchTraceStats(traceId: string, signal?: AbortSignal): Promise<OperationStats[]> {
  return getData<OperationStats[]>(`/api/analytics/traces/${encodeURIComponent(traceId)}/stats`, signal);
}

export interface SelfTimeRow {
  spanID: string;
  parentSpanID: string;
  service: string;
  operation: string;
  depth: number;
  startTime: number;
  duration: number;
  selfTime: number;
}

export function fetchSelfTimes(traceId: string, signal?: AbortSignal): Promise<SelfTimeRow[]> {
  return getData<SelfTimeRow[]>(`/api/analytics/traces/${encodeURIComponent(traceId)}/self-time`, signal);
}

/** OTLP JSON → Jaeger traces via the query service (nothing is stored). */
export async function transformOtlp(body: string, signal?: AbortSignal): Promise<JaegerTrace[]> {
  const env = await getRaw<JaegerResponse<JaegerTrace[]>>('/api/transform', signal, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
  });
  return env.data ?? [];
}

/** The trace as OTLP JSON text (api_v3). */
export async function fetchTraceOtlpText(traceId: string, signal?: AbortSignal): Promise<string> {
  const body = await getRaw<{ result?: unknown }>(`/api/v3/traces/${encodeURIComponent(traceId)}`, signal);
  return JSON.stringify(body.result ?? body, null, 2);
}
