import { attributeValueToString, durationNano, SpanKind } from '@ariadne/model';
import type { Attribute, Span } from '@ariadne/model';
import { StoreArgumentError } from './types.js';
import type { DependencyQuery, OperationQuery, SpanMetricsQuery, TagFilter, TagOperator, TraceQuery } from './types.js';

/**
 * Tag filter semantics shared by every backend (the memory store is the reference).
 *
 * A filter's key matches any span attribute, resource attribute or event attribute with that key
 * (a key can thus have several values on one span). Values are compared in their text form
 * (`attributeValueToString`).
 * - '=': some value equals `value`.
 * - '!=': the key is present and no value equals `value`.
 * - 'exists' / 'absent': the key is present / not present (`value` is ignored).
 * - '>', '>=', '<', '<=': some value parses as a number and compares so with `value` (which must
 *   parse as a number); integers are compared exactly, beyond 2^53 too.
 * - 'prefix' / 'contains': some value starts with / contains `value` (case-sensitive).
 * - '~': some value matches the JavaScript regular expression `value` (unanchored).
 */
export const ALL_TAG_OPERATORS: readonly TagOperator[] = Object.freeze([
  '=',
  '!=',
  'exists',
  'absent',
  '>',
  '>=',
  '<',
  '<=',
  'prefix',
  'contains',
  '~',
]);

const OPERATORS = new Set<string>(ALL_TAG_OPERATORS);

export interface CompiledTagFilter {
  readonly key: string;
  readonly op: TagOperator;
  readonly value: string;
  /** Does one text value satisfy the comparison? (For '!=' this is "equals": the negation is applied per span.) */
  readonly test: (text: string) => boolean;
}

const INT_RE = /^[+-]?\d+$/;

interface ParsedNumber {
  int?: bigint;
  num: number;
}

function parseNumber(text: string): ParsedNumber | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (INT_RE.test(t)) return { int: BigInt(t), num: Number(t) };
  const n = Number(t);
  return Number.isNaN(n) ? undefined : { num: n };
}

function compareNumbers(a: ParsedNumber, b: ParsedNumber): number {
  if (a.int !== undefined && b.int !== undefined) return a.int < b.int ? -1 : a.int > b.int ? 1 : 0;
  return a.num < b.num ? -1 : a.num > b.num ? 1 : 0;
}

/** Check and compile tag filters; throws `StoreArgumentError` on an unknown operator, empty key, bad number or bad regex. */
export function compileTagFilters(filters: readonly TagFilter[] | undefined): CompiledTagFilter[] {
  if (filters === undefined) return [];
  if (!Array.isArray(filters)) throw new StoreArgumentError('tags must be an array of {key, op, value}');
  return filters.map((f, i) => compileTagFilter(f, i));
}

function compileTagFilter(f: TagFilter, i: number): CompiledTagFilter {
  if (!f || typeof f !== 'object') throw new StoreArgumentError(`tag filter #${i} is not an object`);
  const { key, op } = f;
  if (typeof key !== 'string' || key === '') throw new StoreArgumentError(`tag filter #${i} has no key`);
  if (typeof op !== 'string' || !OPERATORS.has(op)) {
    throw new StoreArgumentError(`tag filter on "${key}" has unknown operator ${JSON.stringify(op)}; expected one of ${ALL_TAG_OPERATORS.join(' ')}`);
  }
  const value = f.value ?? '';
  if (typeof value !== 'string') throw new StoreArgumentError(`tag filter on "${key}" has a non-string value`);
  let test: (text: string) => boolean;
  switch (op) {
    case '=':
    case '!=':
      test = (t) => t === value;
      break;
    case 'exists':
    case 'absent':
      test = () => true;
      break;
    case 'prefix':
      test = (t) => t.startsWith(value);
      break;
    case 'contains':
      test = (t) => t.includes(value);
      break;
    case '~': {
      let re: RegExp;
      try {
        re = new RegExp(value);
      } catch (e) {
        throw new StoreArgumentError(`tag filter on "${key}": invalid regular expression ${JSON.stringify(value)}: ${(e as Error).message}`);
      }
      test = (t) => re.test(t);
      break;
    }
    default: {
      const bound = parseNumber(value);
      if (!bound) throw new StoreArgumentError(`tag filter on "${key}" ${op}: ${JSON.stringify(value)} is not a number`);
      const want = op === '>' ? (c: number) => c > 0 : op === '>=' ? (c: number) => c >= 0 : op === '<' ? (c: number) => c < 0 : (c: number) => c <= 0;
      test = (t) => {
        const n = parseNumber(t);
        return n !== undefined && !Number.isNaN(n.num) && want(compareNumbers(n, bound));
      };
    }
  }
  return { key, op: op as TagOperator, value, test };
}

const KIND_TAG = ['', 'internal', 'server', 'client', 'producer', 'consumer'];
const STATUS_TAG = ['', 'OK', 'ERROR'];

/**
 * Tags that Jaeger shows for a span, and so lets users search by, without the span carrying them
 * as attributes: `span.kind`, `error` (= "true" for status ERROR), `otel.status_code`,
 * `otel.status_description` and `otel.scope.name`/`otel.scope.version` — each only when the span
 * has no attribute of that key. Searching `error=true` thus finds OTLP spans whose status is ERROR.
 */
export function derivedTags(span: Span): Attribute[] {
  const out: Attribute[] = [];
  const has = (k: string) => span.attributes.some((a) => a.key === k);
  const add = (key: string, value: string) => {
    if (value && !has(key)) out.push({ key, value: { type: 'string', value } });
  };
  add('span.kind', KIND_TAG[span.kind] ?? '');
  if (span.status.code === 2) add('error', 'true');
  add('otel.status_code', STATUS_TAG[span.status.code] ?? '');
  if (span.status.code === 2) add('otel.status_description', span.status.message);
  add('otel.scope.name', span.scope.name);
  add('otel.scope.version', span.scope.version);
  return out;
}

/** Call `fn` with the text of every value of `key` on the span (span, resource, event attributes, derived tags); stop when it returns true. */
function someValue(span: Span, key: string, fn: (text: string) => boolean): boolean {
  const scan = (attrs: readonly Attribute[]) => {
    for (let i = 0; i < attrs.length; i++) {
      if (attrs[i].key === key && fn(attributeValueToString(attrs[i].value))) return true;
    }
    return false;
  };
  if (scan(span.attributes) || scan(span.resource.attributes)) return true;
  for (const e of span.events) if (scan(e.attributes)) return true;
  return scan(derivedTags(span));
}

/** Does the span satisfy this one filter? */
export function spanMatchesTagFilter(span: Span, f: CompiledTagFilter): boolean {
  switch (f.op) {
    case 'exists':
      return someValue(span, f.key, () => true);
    case 'absent':
      return !someValue(span, f.key, () => true);
    case '!=': {
      let present = false;
      const equal = someValue(span, f.key, (t) => {
        present = true;
        return t === f.value;
      });
      return present && !equal;
    }
    default:
      return someValue(span, f.key, f.test);
  }
}

/** Does a span whose values (text form) for `f.key` are `values` satisfy `f`? */
export function valuesMatchTagFilter(values: readonly string[], f: CompiledTagFilter): boolean {
  switch (f.op) {
    case 'exists':
      return values.length > 0;
    case 'absent':
      return values.length === 0;
    case '!=':
      return values.length > 0 && !values.includes(f.value);
    default:
      return values.some(f.test);
  }
}

/** Does the span satisfy every filter? */
export function spanMatchesTagFilters(span: Span, filters: readonly CompiledTagFilter[]): boolean {
  for (const f of filters) if (!spanMatchesTagFilter(span, f)) return false;
  return true;
}

const KINDS = new Set<number>(Object.values(SpanKind));

function checkBigint(v: unknown, what: string, optional: boolean): void {
  if (v === undefined && optional) return;
  if (typeof v !== 'bigint') throw new StoreArgumentError(`${what} must be a bigint (unix nanoseconds), got ${typeof v}`);
}

export function checkSpanKind(kind: unknown, what = 'spanKind'): void {
  if (kind !== undefined && (typeof kind !== 'number' || !KINDS.has(kind))) {
    throw new StoreArgumentError(`${what} must be a SpanKind number 0-5, got ${JSON.stringify(kind)}`);
  }
}

/** A checked trace query with its tag filters compiled. */
export interface CompiledTraceQuery {
  query: TraceQuery;
  tags: CompiledTagFilter[];
}

/** Validate a trace query; throws `StoreArgumentError` saying what is wrong. */
export function compileTraceQuery(query: TraceQuery): CompiledTraceQuery {
  if (!query || typeof query !== 'object') throw new StoreArgumentError('query must be an object');
  checkBigint(query.startTimeMin, 'startTimeMin', false);
  checkBigint(query.startTimeMax, 'startTimeMax', false);
  checkBigint(query.minDurationNano, 'minDurationNano', true);
  checkBigint(query.maxDurationNano, 'maxDurationNano', true);
  if (!Number.isSafeInteger(query.limit) || query.limit <= 0) {
    throw new StoreArgumentError(`limit must be a positive integer, got ${String(query.limit)}`);
  }
  if (query.service !== undefined && typeof query.service !== 'string') throw new StoreArgumentError('service must be a string');
  if (query.operation !== undefined && typeof query.operation !== 'string') throw new StoreArgumentError('operation must be a string');
  checkSpanKind(query.spanKind);
  return { query, tags: compileTagFilters(query.tags) };
}

/** Does the span satisfy every criterion of the query (Jaeger semantics: all on this one span)? */
export function spanMatchesQuery(span: Span, q: CompiledTraceQuery): boolean {
  const { query } = q;
  if (span.startTimeUnixNano < query.startTimeMin || span.startTimeUnixNano > query.startTimeMax) return false;
  if (query.service !== undefined && query.service !== '' && span.resource.serviceName !== query.service) return false;
  if (query.operation !== undefined && query.operation !== '' && span.name !== query.operation) return false;
  if (query.spanKind !== undefined && span.kind !== query.spanKind) return false;
  if (query.minDurationNano !== undefined || query.maxDurationNano !== undefined) {
    const d = durationNano(span);
    if (query.minDurationNano !== undefined && d < query.minDurationNano) return false;
    if (query.maxDurationNano !== undefined && d > query.maxDurationNano) return false;
  }
  return spanMatchesTagFilters(span, q.tags);
}

export function checkOperationQuery(query: OperationQuery): void {
  if (!query || typeof query !== 'object' || typeof query.service !== 'string') {
    throw new StoreArgumentError('operation query needs a service name');
  }
  checkSpanKind(query.spanKind);
}

export function checkDependencyQuery(query: DependencyQuery): void {
  if (!query || typeof query !== 'object') throw new StoreArgumentError('dependency query must be an object');
  checkBigint(query.endTime, 'endTime', false);
  checkBigint(query.lookback, 'lookback', false);
  if (query.lookback < 0n) throw new StoreArgumentError('lookback must not be negative');
}

export function checkSpanMetricsQuery(query: SpanMetricsQuery): void {
  if (!query || typeof query !== 'object') throw new StoreArgumentError('span metrics query must be an object');
  if (!Array.isArray(query.services) || query.services.some((s) => typeof s !== 'string')) throw new StoreArgumentError('services must be an array of strings');
  if (!Array.isArray(query.spanKinds)) throw new StoreArgumentError('spanKinds must be an array');
  query.spanKinds.forEach((k) => checkSpanKind(k));
  checkBigint(query.firstPoint, 'firstPoint', false);
  checkBigint(query.step, 'step', false);
  checkBigint(query.ratePer, 'ratePer', false);
  if (query.step <= 0n || query.ratePer <= 0n) throw new StoreArgumentError('step and ratePer must be positive');
  if (!Number.isSafeInteger(query.points) || query.points < 0 || query.points > 1_000_000) throw new StoreArgumentError('points must be an integer 0…1000000');
  if (!Array.isArray(query.quantiles) || query.quantiles.some((q) => typeof q !== 'number' || !(q >= 0 && q <= 1))) {
    throw new StoreArgumentError('quantiles must be numbers between 0 and 1');
  }
}

export function checkTraceId(traceId: unknown): asserts traceId is string {
  if (typeof traceId !== 'string') throw new StoreArgumentError(`trace id must be a string, got ${typeof traceId}`);
}

export function checkHint(hint: unknown): void {
  if (hint === undefined) return;
  if (!hint || typeof hint !== 'object') throw new StoreArgumentError('hint must be a time range');
  const h = hint as { startTimeMin: unknown; startTimeMax: unknown };
  checkBigint(h.startTimeMin, 'hint.startTimeMin', false);
  checkBigint(h.startTimeMax, 'hint.startTimeMax', false);
}

export function checkCutoff(cutoff: unknown): void {
  checkBigint(cutoff, 'cutoff', false);
}

/** Start-time order, then span id, so results are deterministic. */
export function compareSpansByStart(a: Span, b: Span): number {
  if (a.startTimeUnixNano !== b.startTimeUnixNano) return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1;
  return a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}

/** Check that a batch holds spans of the model's shape (enough for a backend to store them); throws `StoreArgumentError`. */
export function checkSpans(spans: readonly Span[]): void {
  if (!Array.isArray(spans)) throw new StoreArgumentError('writeSpans needs an array of spans');
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i];
    if (!s || typeof s !== 'object') throw new StoreArgumentError(`span #${i} is not an object`);
    if (typeof s.traceId !== 'string' || s.traceId === '') throw new StoreArgumentError(`span #${i} has no trace id`);
    if (typeof s.spanId !== 'string' || s.spanId === '') throw new StoreArgumentError(`span #${i} (trace ${s.traceId}) has no span id`);
    if (typeof s.startTimeUnixNano !== 'bigint' || typeof s.endTimeUnixNano !== 'bigint') {
      throw new StoreArgumentError(`span ${s.spanId} (trace ${s.traceId}): start and end times must be bigint nanoseconds`);
    }
    if (!s.resource || typeof s.resource.serviceName !== 'string') {
      throw new StoreArgumentError(`span ${s.spanId} (trace ${s.traceId}) has no resource/service name`);
    }
    if (typeof s.name !== 'string') throw new StoreArgumentError(`span ${s.spanId} (trace ${s.traceId}) has no name`);
    if (!KINDS.has(s.kind)) throw new StoreArgumentError(`span ${s.spanId} (trace ${s.traceId}) has an invalid kind ${JSON.stringify(s.kind)} (expected 0-5)`);
    if (!s.status || (s.status.code !== 0 && s.status.code !== 1 && s.status.code !== 2)) {
      throw new StoreArgumentError(`span ${s.spanId} (trace ${s.traceId}) has an invalid status code ${JSON.stringify(s.status?.code)} (expected 0-2)`);
    }
    if (!Array.isArray(s.attributes) || !Array.isArray(s.events) || !Array.isArray(s.links)) {
      throw new StoreArgumentError(`span ${s.spanId} (trace ${s.traceId}): attributes, events and links must be arrays`);
    }
  }
}
