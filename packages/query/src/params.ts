import { normalizeTraceId, isValidTraceId, parseSpanKind } from '@ariadne/model';
import type { SpanKind } from '@ariadne/model';
import type { DependencyQuery, TagFilter, TagOperator, TraceQuery } from '@ariadne/storage';

/** A bad request parameter: becomes a 400 whose message names the parameter. */
export class ParamError extends Error {
  override name = 'ParamError';
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
  }
}

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
  w: 604_800_000_000_000n,
};
const PART_RE = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w)/;

/**
 * A duration in Go's `time.ParseDuration` syntax as Jaeger accepts it (`1.2s`, `100ms`, `500us`,
 * `1h30m`, a bare `0`), plus `d` and `w` (days, weeks) as Jaeger's UI uses for lookbacks.
 * Returns nanoseconds; throws a plain Error on malformed or negative input.
 */
export function parseDuration(text: string): bigint {
  let s = text.trim();
  if (s === '0') return 0n;
  if (s === '') throw new Error('empty duration');
  if (s.startsWith('+')) s = s.slice(1);
  if (s.startsWith('-')) throw new Error(`negative duration ${JSON.stringify(text)}`);
  let total = 0n;
  while (s.length) {
    const m = PART_RE.exec(s);
    if (!m) {
      throw new Error(`invalid duration ${JSON.stringify(text)} (expected e.g. 1.2s, 100ms, 500us, 1m, 1h, 2d)`);
    }
    const unit = UNIT_NS[m[2]];
    const [int, frac = ''] = m[1].split('.');
    total += BigInt(int || '0') * unit;
    if (frac) total += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    s = s.slice(m[0].length);
  }
  return total;
}

/** Parse an integer parameter; undefined when absent or empty. */
export function intParam(params: URLSearchParams, name: string, what: string, opts: { min?: bigint; max?: bigint } = {}): bigint | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^[+-]?\d{1,19}$/.test(raw.trim())) {
    throw new ParamError(name, `unable to parse param '${name}': ${JSON.stringify(raw)} is not an integer (${what})`);
  }
  const v = BigInt(raw.trim());
  if (opts.min !== undefined && v < opts.min) throw new ParamError(name, `param '${name}' must be at least ${opts.min} (${what}), got ${raw}`);
  if (opts.max !== undefined && v > opts.max) throw new ParamError(name, `param '${name}' must be at most ${opts.max} (${what}), got ${raw}`);
  return v;
}

function durationParam(params: URLSearchParams, name: string): bigint | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  try {
    return parseDuration(raw);
  } catch (e) {
    throw new ParamError(name, `unable to parse param '${name}': ${(e as Error).message}`);
  }
}

/** A trace id as the API accepts it (1-32 hex chars, any case) → 32 lowercase hex; ParamError otherwise. */
export function parseTraceIdParam(raw: string, param = 'traceID'): string {
  const id = normalizeTraceId(raw);
  if (!isValidTraceId(id)) {
    throw new ParamError(param, `cannot parse ${param} ${JSON.stringify(raw.slice(0, 64))}: a trace id is 1 to 32 hex characters, not all zero`);
  }
  return id;
}

export function parseSpanKindParam(params: URLSearchParams): SpanKind | undefined {
  const raw = params.get('spanKind');
  if (raw === null || raw === '') return undefined;
  const kind = parseSpanKind(raw);
  if (kind === undefined) {
    throw new ParamError('spanKind', `unable to parse param 'spanKind': ${JSON.stringify(raw)} is not one of server, client, producer, consumer, internal, unspecified`);
  }
  return kind;
}

export interface SearchDefaults {
  /** How far back a search reaches when neither `start` nor `lookback` is given (Jaeger: 2 days). */
  lookbackNano: bigint;
  /** Traces returned when `limit` is absent. */
  limit: number;
  /** Largest `limit` accepted. */
  maxLimit: number;
}

export const DEFAULT_SEARCH: SearchDefaults = {
  lookbackNano: 2n * 86_400_000_000_000n,
  limit: 20,
  maxLimit: 10_000,
};

export type SearchRequest = { kind: 'ids'; traceIds: string[] } | { kind: 'query'; query: TraceQuery };

const US = 1000n;

/**
 * `/api/traces` parameters → a store query, with Jaeger's query-service rules: `service` is
 * required unless `traceID`s are given; `start`/`end` are unix µs (end defaults to now, start to
 * end − lookback); `lookback` is a duration (`1h`, `2d`; `custom` means "use start"); `tags` is a
 * JSON object and `tag` a repeated `key:value`; durations in Go syntax; `limit` defaults to 20.
 */
export function parseSearchParams(params: URLSearchParams, nowNano: bigint, defaults: SearchDefaults = DEFAULT_SEARCH): SearchRequest {
  const rawIds = params.getAll('traceID');
  if (rawIds.length) {
    const ids: string[] = [];
    for (const raw of rawIds) for (const part of raw.split(',')) if (part.trim()) ids.push(parseTraceIdParam(part.trim()));
    if (ids.length) return { kind: 'ids', traceIds: [...new Set(ids)] };
  }
  const service = params.get('service') ?? '';
  if (service === '') throw new ParamError('service', "parameter 'service' is required");

  const endUs = intParam(params, 'end', 'unix microseconds', { min: 0n });
  const startUs = intParam(params, 'start', 'unix microseconds', { min: 0n });
  const end = endUs !== undefined ? endUs * US : nowNano;
  let start: bigint;
  if (startUs !== undefined) start = startUs * US;
  else {
    const lb = params.get('lookback');
    let lookback = defaults.lookbackNano;
    if (lb !== null && lb !== '' && lb !== 'custom') lookback = durationParam(params, 'lookback')!;
    start = end - lookback;
    if (start < 0n) start = 0n;
  }
  if (start > end) throw new ParamError('start', `param 'start' (${start / US} µs) is after 'end' (${end / US} µs)`);

  const limit = intParam(params, 'limit', 'number of traces', { min: 1n, max: BigInt(defaults.maxLimit) });
  const minDuration = durationParam(params, 'minDuration');
  const maxDuration = durationParam(params, 'maxDuration');
  if (minDuration !== undefined && maxDuration !== undefined && maxDuration < minDuration) {
    throw new ParamError('maxDuration', "'maxDuration' should be greater than 'minDuration'");
  }

  const query: TraceQuery = {
    service,
    startTimeMin: start,
    startTimeMax: end,
    limit: limit !== undefined ? Number(limit) : defaults.limit,
  };
  const operation = params.get('operation');
  if (operation) query.operation = operation;
  const spanKind = parseSpanKindParam(params);
  if (spanKind !== undefined) query.spanKind = spanKind;
  if (minDuration !== undefined && minDuration > 0n) query.minDurationNano = minDuration;
  if (maxDuration !== undefined && maxDuration > 0n) query.maxDurationNano = maxDuration;
  const tags = parseTags(params);
  if (tags.length) query.tags = tags;
  return { kind: 'query', query };
}

/**
 * Operator names accepted in a `tags` object value (`{"http.status_code": {">=": 500}}`): the
 * store's operators and word aliases, which need no escaping in a URL.
 */
export const TAG_OPERATOR_NAMES: Readonly<Record<string, TagOperator>> = Object.freeze({
  '=': '=',
  eq: '=',
  '!=': '!=',
  ne: '!=',
  exists: 'exists',
  absent: 'absent',
  '>': '>',
  gt: '>',
  '>=': '>=',
  gte: '>=',
  '<': '<',
  lt: '<',
  '<=': '<=',
  lte: '<=',
  prefix: 'prefix',
  contains: 'contains',
  '~': '~',
  regex: '~',
});

/**
 * `tag=key:value` (repeated) and `tags={"key":"value",…}` (repeated) → filters. A string (or
 * number, boolean) value is Jaeger's equality, and a later one wins per key. An **object** value
 * holds operators (an extension; Jaeger's own query service rejects non-string values, so it
 * cannot be mistaken for a literal): `{"http.status_code": {">=": 500, "<": 600}}`,
 * `{"user.id": {"exists": true}}`, `{"debug": {"absent": true}}`, `{"peer": {"prefix": "10."}}`,
 * `{"http.url": {"~": "/api/v[12]/"}}`; every operator must hold on the same span.
 * `{"exists": false}` means absent, `{"absent": false}` exists.
 */
export function parseTags(params: URLSearchParams, param = 'tags'): TagFilter[] {
  const byKey = new Map<string, string>();
  const ops: TagFilter[] = [];
  for (const t of params.getAll('tag')) {
    const i = t.indexOf(':');
    if (i <= 0) throw new ParamError('tag', `malformed 'tag' parameter, expecting key:value, received: ${JSON.stringify(t)}`);
    byKey.set(t.slice(0, i), t.slice(i + 1));
  }
  for (const raw of params.getAll('tags')) {
    if (raw.trim() === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (e) {
      throw new ParamError(param, `malformed '${param}' parameter, cannot unmarshal JSON: ${(e as Error).message}`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      throw new ParamError(param, `malformed '${param}' parameter: expected a JSON object of key/value strings, e.g. {"error":"true"}`);
    }
    for (const [k, v] of Object.entries(obj)) {
      if (k === '') throw new ParamError(param, `malformed '${param}' parameter: empty tag key`);
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
        byKey.set(k, String(v));
        continue;
      }
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        throw new ParamError(param, `malformed '${param}' parameter: the value of ${JSON.stringify(k)} must be a string or an object of operators, e.g. {">=": 500}`);
      }
      const entries = Object.entries(v);
      if (!entries.length) throw new ParamError(param, `malformed '${param}' parameter: no operator for ${JSON.stringify(k)}, e.g. {"exists": true}`);
      for (const [name, operand] of entries) {
        let op = Object.prototype.hasOwnProperty.call(TAG_OPERATOR_NAMES, name) ? TAG_OPERATOR_NAMES[name] : undefined;
        if (!op) {
          throw new ParamError(param, `malformed '${param}' parameter: unknown operator ${JSON.stringify(name)} for ${JSON.stringify(k)}; expected one of ${Object.keys(TAG_OPERATOR_NAMES).join(' ')}`);
        }
        if (op === 'exists' || op === 'absent') {
          if (typeof operand !== 'boolean') throw new ParamError(param, `malformed '${param}' parameter: ${JSON.stringify(name)} of ${JSON.stringify(k)} takes true or false`);
          if (!operand) op = op === 'exists' ? 'absent' : 'exists';
          ops.push({ key: k, op, value: '' });
          continue;
        }
        if (typeof operand !== 'string' && typeof operand !== 'number' && typeof operand !== 'boolean') {
          throw new ParamError(param, `malformed '${param}' parameter: the operand of ${JSON.stringify(name)} for ${JSON.stringify(k)} must be a string or number`);
        }
        ops.push({ key: k, op, value: String(operand) });
      }
    }
  }
  return [...[...byKey].map(([key, value]): TagFilter => ({ key, op: '=', value })), ...ops];
}

/** `/api/dependencies`: `endTs` (unix ms, default now) and `lookback` (ms, default 24h). */
export function parseDependencyParams(params: URLSearchParams, nowNano: bigint): DependencyQuery {
  const endTs = intParam(params, 'endTs', 'unix milliseconds', { min: 0n });
  const lookback = intParam(params, 'lookback', 'milliseconds', { min: 1n });
  return {
    endTime: endTs !== undefined ? endTs * 1_000_000n : nowNano,
    lookback: (lookback ?? 86_400_000n) * 1_000_000n,
  };
}
