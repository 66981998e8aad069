import { attributeValueToString, findAttribute, shortTraceId, StatusCode } from '@ariadne/model';
import type { Attribute, AttributeValue, Resource, Span, SpanKind } from '@ariadne/model';
import type {
  JaegerJsonKeyValue,
  JaegerJsonLog,
  JaegerJsonProcess,
  JaegerJsonReference,
  JaegerJsonSpan,
  JaegerJsonTrace,
} from './types.js';

/** Tag keys the OTLP → Jaeger translation adds (and Jaeger → OTLP removes again). */
export const JAEGER_TAG = {
  spanKind: 'span.kind',
  error: 'error',
  statusCode: 'otel.status_code',
  statusDescription: 'otel.status_description',
  scopeName: 'otel.scope.name',
  scopeVersion: 'otel.scope.version',
  libraryName: 'otel.library.name',
  libraryVersion: 'otel.library.version',
  traceState: 'w3c.tracestate',
  event: 'event',
} as const;

const KIND_TAG: Record<SpanKind, string | undefined> = {
  0: undefined,
  1: 'internal',
  2: 'server',
  3: 'client',
  4: 'producer',
  5: 'consumer',
};

/** Microseconds (truncated) of a nanosecond time, as a JSON-safe number. */
function micros(ns: bigint): number {
  return Number(ns / 1000n);
}

/** A model attribute value → one Jaeger JSON tag (arrays, maps → JSON text; empty → ""). */
export function attributeToJaegerTag(key: string, v: AttributeValue): JaegerJsonKeyValue {
  switch (v.type) {
    case 'string':
      return { key, type: 'string', value: v.value };
    case 'bool':
      return { key, type: 'bool', value: v.value };
    case 'int': {
      const n = v.value;
      if (typeof n === 'bigint') {
        return { key, type: 'int64', value: n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n };
      }
      return { key, type: 'int64', value: n };
    }
    case 'double':
      return { key, type: 'float64', value: Number.isFinite(v.value) ? v.value : String(v.value) };
    case 'bytes':
      return { key, type: 'binary', value: attributeValueToString(v) };
    default:
      return { key, type: 'string', value: attributeValueToString(v) };
  }
}

function tagsOf(attrs: readonly Attribute[], skipKey?: string): JaegerJsonKeyValue[] {
  const out: JaegerJsonKeyValue[] = [];
  for (const a of attrs) if (a.key !== skipKey) out.push(attributeToJaegerTag(a.key, a.value));
  return out;
}

/**
 * A span's tags the way Jaeger converts an OTLP span: its attributes, then `otel.scope.name`/
 * `otel.scope.version`, `span.kind`, `otel.status_code`, `error`, `otel.status_description`,
 * `w3c.tracestate`. A derived tag is left out when the span already carries that key (spans that
 * came in as Jaeger keep their own `span.kind`/`error` tags); a span with its own `error` tag
 * already states its status, so no `otel.status_*` tags are added to it.
 */
export function spanTagsToJaeger(span: Span): JaegerJsonKeyValue[] {
  const tags = tagsOf(span.attributes);
  const has = (key: string) => findAttribute(span.attributes, key) !== undefined;
  const add = (key: string, value: string | boolean) => {
    if (!has(key)) tags.push({ key, type: typeof value === 'boolean' ? 'bool' : 'string', value });
  };
  if (span.scope.name) add(JAEGER_TAG.scopeName, span.scope.name);
  if (span.scope.version) add(JAEGER_TAG.scopeVersion, span.scope.version);
  const kind = KIND_TAG[span.kind];
  if (kind) add(JAEGER_TAG.spanKind, kind);
  if (!has(JAEGER_TAG.error)) {
    if (span.status.code === StatusCode.ERROR) {
      add(JAEGER_TAG.statusCode, 'ERROR');
      add(JAEGER_TAG.error, true);
    } else if (span.status.code === StatusCode.OK) {
      add(JAEGER_TAG.statusCode, 'OK');
    }
    if (span.status.message) add(JAEGER_TAG.statusDescription, span.status.message);
  }
  if (span.traceState) add(JAEGER_TAG.traceState, span.traceState);
  return tags;
}

function logsOf(span: Span): JaegerJsonLog[] {
  return span.events.map((e) => {
    const fields = tagsOf(e.attributes);
    if (e.name !== '' && findAttribute(e.attributes, JAEGER_TAG.event) === undefined) {
      fields.unshift({ key: JAEGER_TAG.event, type: 'string', value: e.name });
    }
    return { timestamp: micros(e.timeUnixNano), fields };
  });
}

/** A plain OTLP link: `opentracing.ref_type` = `child_of` (as OpenTelemetry's shim marks it) or FOLLOWS_FROM. */
function refTypeFromAttributes(attrs: readonly Attribute[]): JaegerJsonReference['refType'] {
  const v = findAttribute(attrs, 'opentracing.ref_type');
  return v && v.type === 'string' && v.value.toLowerCase() === 'child_of' ? 'CHILD_OF' : 'FOLLOWS_FROM';
}

function referencesOf(span: Span): JaegerJsonReference[] {
  const refs: JaegerJsonReference[] = [];
  if (span.parentSpanId) {
    refs.push({ refType: 'CHILD_OF', traceID: shortTraceId(span.traceId), spanID: span.parentSpanId });
  }
  for (const l of span.links) {
    refs.push({ refType: l.refType ?? refTypeFromAttributes(l.attributes), traceID: shortTraceId(l.traceId), spanID: l.spanId });
  }
  return refs;
}

/** A process (resource) as Jaeger prints it: its attributes minus `service.name`. */
export function resourceToJaegerProcess(resource: Resource): JaegerJsonProcess {
  return { serviceName: resource.serviceName, tags: tagsOf(resource.attributes, 'service.name') };
}

/** Identity of a process as Jaeger prints it: service name and tags (type and text of each value). */
function resourceKey(r: Resource): string {
  let key = r.serviceName;
  for (const a of r.attributes) {
    if (a.key !== 'service.name') key += `\u0000${a.key}\u0001${a.value.type}\u0001${attributeValueToString(a.value)}`;
  }
  return key;
}

/**
 * Spans of one trace → the trace as Jaeger's query service returns it. Spans keep the given order;
 * processes are de-duplicated by content (service name and tags) and named `p1`, `p2`… in order of
 * first use. Times are microseconds (truncated); a negative duration prints as 0.
 */
export function spansToJaegerTrace(spans: readonly Span[]): JaegerJsonTrace {
  const processes: Record<string, JaegerJsonProcess> = {};
  const byResource = new Map<Resource, string>();
  const byContent = new Map<string, string>();
  const out: JaegerJsonSpan[] = [];
  for (const span of spans) {
    let pid = byResource.get(span.resource);
    if (pid === undefined) {
      const key = resourceKey(span.resource);
      pid = byContent.get(key);
      if (pid === undefined) {
        pid = `p${byContent.size + 1}`;
        byContent.set(key, pid);
        processes[pid] = resourceToJaegerProcess(span.resource);
      }
      byResource.set(span.resource, pid);
    }
    const d = span.endTimeUnixNano - span.startTimeUnixNano;
    out.push({
      traceID: shortTraceId(span.traceId),
      spanID: span.spanId,
      flags: span.flags & 0xff,
      operationName: span.name,
      references: referencesOf(span),
      startTime: micros(span.startTimeUnixNano),
      duration: d > 0n ? micros(d) : 0,
      tags: spanTagsToJaeger(span),
      logs: logsOf(span),
      processID: pid,
      warnings: span.warnings.length ? span.warnings.slice() : null,
    });
  }
  return {
    traceID: spans.length ? shortTraceId(spans[0].traceId) : '',
    spans: out,
    processes,
    warnings: null,
  };
}

const BIG_MARK = `\u0000big${Math.random().toString(36).slice(2)}:`;
const BIG_RE = new RegExp(`"${BIG_MARK.replace('\u0000', '\\\\u0000')}(-?\\d+)"`, 'g');

/**
 * JSON.stringify that prints `bigint` values (int64 tags outside the safe-integer range) as exact
 * JSON numbers, as Jaeger's Go service does.
 */
export function stringifyJaegerJson(value: unknown, space?: number): string {
  try {
    return JSON.stringify(value, null, space);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    const s = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? BIG_MARK + v.toString() : v), space);
    return s.replace(BIG_RE, '$1');
  }
}
