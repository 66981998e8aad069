import { normalizeSpanId, normalizeTraceId, isValidSpanId, isValidTraceId, makeResource, parseSpanKind, StatusCode, EMPTY_SCOPE } from '@ariadne/model';
import type { Attribute, AttributeValue, InstrumentationScope, Resource, Span, SpanEvent, SpanKind, SpanLink } from '@ariadne/model';
import { CodecError } from '../errors.js';
import { JAEGER_TAG } from './encode.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(path: string, what: string): never {
  throw new CodecError(`jaeger query JSON: ${path}: ${what}`);
}

function str(o: Obj, key: string, path: string, optional = false): string {
  const v = o[key];
  if (typeof v === 'string') return v;
  if ((v === undefined || v === null) && optional) return '';
  fail(`${path}.${key}`, `expected a string, got ${describe(v)}`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/** A non-negative integer count of microseconds (number or decimal string) → nanoseconds. */
function microsToNanos(v: unknown, path: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v) * 1000n;
  if (typeof v === 'string' && /^\d{1,20}$/.test(v) && BigInt(v) < 1n << 64n) return BigInt(v) * 1000n;
  fail(path, `expected a non-negative integer number of microseconds (at most 2^53 as a JSON number, 2^64 as a string), got ${describe(v)}`);
}

function traceIdOf(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, `expected a hex trace id, got ${describe(v)}`);
  const id = normalizeTraceId(v);
  if (!isValidTraceId(id)) fail(path, `invalid trace id ${JSON.stringify(v)}: must be 1-32 hex chars, not all zero`);
  return id;
}

function spanIdOf(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, `expected a hex span id, got ${describe(v)}`);
  const id = normalizeSpanId(v);
  if (!isValidSpanId(id)) fail(path, `invalid span id ${JSON.stringify(v)}: must be 1-16 hex chars, not all zero`);
  return id;
}

/** One Jaeger JSON tag → a model attribute. */
export function jaegerTagToAttribute(t: unknown, path: string): Attribute {
  if (!isObj(t)) fail(path, `expected a {key, type, value} object, got ${describe(t)}`);
  const key = str(t, 'key', path);
  const v = t.value;
  const type = t.type === undefined || t.type === null ? inferType(v) : t.type;
  let value: AttributeValue;
  switch (type) {
    case 'string':
      if (typeof v !== 'string') fail(`${path}.value`, `string tag ${JSON.stringify(key)} has ${describe(v)}`);
      value = { type: 'string', value: v };
      break;
    case 'bool':
      if (typeof v === 'boolean') value = { type: 'bool', value: v };
      else if (v === 'true' || v === 'false') value = { type: 'bool', value: v === 'true' };
      else fail(`${path}.value`, `bool tag ${JSON.stringify(key)} has ${describe(v)}`);
      break;
    case 'int64':
      if (typeof v === 'number' && Number.isInteger(v)) value = { type: 'int', value: v };
      else if (typeof v === 'bigint') value = { type: 'int', value: v };
      else if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) {
        const b = BigInt(v);
        if (b < -(1n << 63n) || b >= 1n << 63n) fail(`${path}.value`, `int64 tag ${JSON.stringify(key)} out of range`);
        value = { type: 'int', value: Number.isSafeInteger(Number(b)) ? Number(b) : b };
      } else fail(`${path}.value`, `int64 tag ${JSON.stringify(key)} has ${describe(v)}`);
      break;
    case 'float64':
      if (typeof v === 'number') value = { type: 'double', value: v };
      else if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) || v === 'NaN') value = { type: 'double', value: Number(v) };
      else fail(`${path}.value`, `float64 tag ${JSON.stringify(key)} has ${describe(v)}`);
      break;
    case 'binary': {
      if (typeof v !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) {
        fail(`${path}.value`, `binary tag ${JSON.stringify(key)} must be base64, got ${describe(v)}`);
      }
      value = { type: 'bytes', value: new Uint8Array(Buffer.from(v, 'base64')) };
      break;
    }
    default:
      fail(`${path}.type`, `unknown tag type ${describe(type)} (expected string, bool, int64, float64 or binary)`);
  }
  return { key, value };
}

function inferType(v: unknown): string {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (typeof v === 'bigint') return 'int64';
  return 'string';
}

function tagsOf(v: unknown, path: string, optional = true): Attribute[] {
  if ((v === undefined || v === null) && optional) return [];
  if (!Array.isArray(v)) fail(path, `expected an array of tags, got ${describe(v)}`);
  return v.map((t, i) => jaegerTagToAttribute(t, `${path}[${i}]`));
}

function processOf(p: unknown, path: string): Resource {
  if (!isObj(p)) fail(path, `expected a {serviceName, tags} object, got ${describe(p)}`);
  return makeResource(str(p, 'serviceName', path), tagsOf(p.tags, `${path}.tags`));
}

function takeTag(attrs: Attribute[], key: string): AttributeValue | undefined {
  const i = attrs.findIndex((a) => a.key === key);
  if (i < 0) return undefined;
  const [a] = attrs.splice(i, 1);
  return a.value;
}

const OTEL_KEYS = new Set<string>([
  JAEGER_TAG.statusCode,
  JAEGER_TAG.statusDescription,
  JAEGER_TAG.scopeName,
  JAEGER_TAG.scopeVersion,
  JAEGER_TAG.libraryName,
  JAEGER_TAG.libraryVersion,
  JAEGER_TAG.traceState,
]);

const textOf = (v: AttributeValue | undefined): string | undefined => (v && v.type === 'string' ? v.value : undefined);

/**
 * One trace in Jaeger query JSON → model spans. `span.kind` → kind, `error`=true / `otel.status_code`
 * / `otel.status_description` → status, `otel.scope.*` (or `otel.library.*`) → scope,
 * `w3c.tracestate` → traceState. A span carrying any of those `otel.*`/`w3c.*` tags was translated
 * from OTLP, and the translation is undone completely (the derived tags are removed, as
 * OpenTelemetry's Jaeger translator does); a Jaeger-native span keeps its `span.kind`/`error` tags
 * among its attributes, as the Jaeger Thrift decoder keeps them, so that converting back gives the
 * same JSON. Log `event` fields name the event and stay among its attributes (as for Jaeger Thrift). The first CHILD_OF reference within the trace (or a
 * legacy `parentSpanID`) is the parent; every other reference is a link with its refType.
 * Throws `CodecError` naming the offending field.
 */
export function jaegerTraceToSpans(trace: unknown, path = 'trace'): Span[] {
  if (!isObj(trace)) fail(path, `expected a trace object, got ${describe(trace)}`);
  const rawProcesses = trace.processes;
  if (rawProcesses !== undefined && rawProcesses !== null && !isObj(rawProcesses)) {
    fail(`${path}.processes`, `expected an object of processes, got ${describe(rawProcesses)}`);
  }
  const processes = new Map<string, Resource>();
  for (const [id, p] of Object.entries(rawProcesses ?? {})) processes.set(id, processOf(p, `${path}.processes.${id}`));
  if (!Array.isArray(trace.spans)) fail(`${path}.spans`, `expected an array of spans, got ${describe(trace.spans)}`);
  const scopes = new Map<string, InstrumentationScope>();
  return trace.spans.map((s, i) => spanOf(s, `${path}.spans[${i}]`, processes, scopes));
}

function spanOf(s: unknown, path: string, processes: Map<string, Resource>, scopes: Map<string, InstrumentationScope>): Span {
  if (!isObj(s)) fail(path, `expected a span object, got ${describe(s)}`);
  const traceId = traceIdOf(s.traceID, `${path}.traceID`);
  const spanId = spanIdOf(s.spanID, `${path}.spanID`);
  const start = microsToNanos(s.startTime, `${path}.startTime`);
  const duration = microsToNanos(s.duration ?? 0, `${path}.duration`);

  let resource: Resource;
  if (s.process !== undefined && s.process !== null) resource = processOf(s.process, `${path}.process`);
  else {
    const pid = str(s, 'processID', path);
    const p = processes.get(pid);
    if (!p) fail(`${path}.processID`, `process ${JSON.stringify(pid)} is not in the trace's processes`);
    resource = p;
  }

  let parentSpanId = '';
  if (s.parentSpanID !== undefined && s.parentSpanID !== null && s.parentSpanID !== '') {
    const p = normalizeSpanId(String(s.parentSpanID));
    if (p === '') fail(`${path}.parentSpanID`, `invalid span id ${describe(s.parentSpanID)}`);
    if (isValidSpanId(p)) parentSpanId = p;
  }
  const links: SpanLink[] = [];
  const refs = s.references ?? [];
  if (!Array.isArray(refs)) fail(`${path}.references`, `expected an array, got ${describe(refs)}`);
  refs.forEach((r, i) => {
    const rp = `${path}.references[${i}]`;
    if (!isObj(r)) fail(rp, `expected a {refType, traceID, spanID} object, got ${describe(r)}`);
    const refType = r.refType ?? 'CHILD_OF';
    if (refType !== 'CHILD_OF' && refType !== 'FOLLOWS_FROM') fail(`${rp}.refType`, `expected CHILD_OF or FOLLOWS_FROM, got ${describe(refType)}`);
    const rTrace = r.traceID === undefined || r.traceID === null || r.traceID === '' ? traceId : traceIdOf(r.traceID, `${rp}.traceID`);
    const rSpan = spanIdOf(r.spanID, `${rp}.spanID`);
    if (refType === 'CHILD_OF' && rTrace === traceId) {
      if (parentSpanId === '') {
        parentSpanId = rSpan;
        return;
      }
      if (parentSpanId === rSpan) return; // the parent named twice (legacy field and reference)
    }
    links.push({ traceId: rTrace, spanId: rSpan, traceState: '', flags: 0, attributes: [], droppedAttributesCount: 0, refType });
  });

  const attributes = tagsOf(s.tags, `${path}.tags`);
  // A span translated from OTLP carries otel.* tags: undo that translation completely. A span that
  // came in as Jaeger keeps its own span.kind / error tags (as the Jaeger Thrift decoder does).
  const otelStyle = attributes.some((a) => OTEL_KEYS.has(a.key));
  let kind: SpanKind = 0;
  const kindIdx = attributes.findIndex((a) => a.key === JAEGER_TAG.spanKind);
  if (kindIdx >= 0) {
    const k = textOf(attributes[kindIdx].value);
    const parsed = k === undefined ? undefined : parseSpanKind(k);
    if (parsed !== undefined && parsed !== 0) {
      kind = parsed;
      if (otelStyle) attributes.splice(kindIdx, 1);
    }
  }
  let code: StatusCode = StatusCode.UNSET;
  let message = '';
  const errIdx = attributes.findIndex((a) => a.key === JAEGER_TAG.error);
  const errVal = errIdx >= 0 ? attributes[errIdx].value : undefined;
  const isErr = errVal !== undefined && ((errVal.type === 'bool' && errVal.value) || (errVal.type === 'string' && errVal.value.toLowerCase() === 'true'));
  if (isErr) {
    code = StatusCode.ERROR;
    if (otelStyle) attributes.splice(errIdx, 1);
  }
  const sc = textOf(takeTag(attributes, JAEGER_TAG.statusCode));
  if (!isErr && sc !== undefined) {
    const u = sc.toUpperCase();
    code = u === 'OK' ? StatusCode.OK : u === 'ERROR' ? StatusCode.ERROR : StatusCode.UNSET;
  }
  const sd = textOf(takeTag(attributes, JAEGER_TAG.statusDescription));
  if (sd !== undefined && code !== StatusCode.UNSET) message = sd;
  else if (sd !== undefined) attributes.push({ key: JAEGER_TAG.statusDescription, value: { type: 'string', value: sd } });

  const scopeName = textOf(takeTag(attributes, JAEGER_TAG.scopeName)) ?? textOf(takeTag(attributes, JAEGER_TAG.libraryName)) ?? '';
  const scopeVersion = textOf(takeTag(attributes, JAEGER_TAG.scopeVersion)) ?? textOf(takeTag(attributes, JAEGER_TAG.libraryVersion)) ?? '';
  let scope = EMPTY_SCOPE;
  if (scopeName || scopeVersion) {
    const key = `${scopeName}\u0000${scopeVersion}`;
    scope = scopes.get(key) ?? { name: scopeName, version: scopeVersion, attributes: [], droppedAttributesCount: 0, schemaUrl: '' };
    scopes.set(key, scope);
  }
  const traceState = textOf(takeTag(attributes, JAEGER_TAG.traceState)) ?? '';

  const rawLogs = s.logs ?? [];
  if (!Array.isArray(rawLogs)) fail(`${path}.logs`, `expected an array, got ${describe(rawLogs)}`);
  const events: SpanEvent[] = rawLogs.map((l, i) => {
    const lp = `${path}.logs[${i}]`;
    if (!isObj(l)) fail(lp, `expected a {timestamp, fields} object, got ${describe(l)}`);
    const fields = tagsOf(l.fields, `${lp}.fields`);
    const ev = fields.find((f) => f.key === JAEGER_TAG.event);
    const name = ev ? (ev.value.type === 'string' ? ev.value.value : '') : '';
    return { timeUnixNano: microsToNanos(l.timestamp, `${lp}.timestamp`), name, attributes: fields, droppedAttributesCount: 0 };
  });

  const flags = s.flags ?? 0;
  if (typeof flags !== 'number' || !Number.isInteger(flags) || flags < 0) fail(`${path}.flags`, `expected a non-negative integer, got ${describe(flags)}`);
  const warnings = s.warnings ?? [];
  if (!Array.isArray(warnings) || !warnings.every((w) => typeof w === 'string')) fail(`${path}.warnings`, 'expected an array of strings or null');

  return {
    traceId,
    spanId,
    parentSpanId,
    name: str(s, 'operationName', path),
    kind,
    startTimeUnixNano: start,
    endTimeUnixNano: start + duration,
    attributes,
    droppedAttributesCount: 0,
    events,
    droppedEventsCount: 0,
    links,
    droppedLinksCount: 0,
    status: { code, message },
    traceState,
    flags,
    resource,
    scope,
    warnings: warnings.slice(),
  };
}

/**
 * Decode Jaeger query JSON as the query API returns it or the UI downloads it: a response envelope
 * `{data: [trace…]}`, an array of traces, or one trace; given as text, bytes or parsed JSON.
 * Returns the spans of every trace.
 */
export function decodeJaegerQueryJson(input: string | Uint8Array | unknown): Span[] {
  let doc: unknown = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new CodecError(`jaeger query JSON: not valid JSON: ${(e as Error).message}`);
    }
  }
  if (isObj(doc) && 'data' in doc && !('spans' in doc)) {
    if (!Array.isArray(doc.data)) fail('data', `expected an array of traces, got ${describe(doc.data)}`);
    return doc.data.flatMap((t, i) => jaegerTraceToSpans(t, `data[${i}]`));
  }
  if (Array.isArray(doc)) return doc.flatMap((t, i) => jaegerTraceToSpans(t, `[${i}]`));
  return jaegerTraceToSpans(doc);
}
