/**
 * OTLP/HTTP JSON (the protobuf JSON mapping with OTLP's exceptions: trace/span ids are hex, not
 * base64) ⇄ model.
 *
 * Decoding accepts lowerCamelCase and snake_case keys, enums as numbers or names
 * (`2`, `"SPAN_KIND_SERVER"`), 64-bit integers as numbers or decimal strings, doubles as numbers
 * or "NaN"/"Infinity"/"-Infinity", bytes as base64 (standard or URL-safe), ids as hex (a base64 id
 * of the right size is accepted too). `null` means "not set". Anything else of the wrong shape is
 * a CodecError naming the path of the offending value.
 *
 * Encoding produces the `{resourceSpans: [...]}` object: int64 values and timestamps as decimal
 * strings, enums as numbers, bytes base64, no bigints (safe for JSON.stringify).
 */
import type {
  Attribute,
  AttributeValue,
  InstrumentationScope,
  Resource,
  Span,
  SpanEvent,
  SpanKind,
  SpanLink,
  StatusCode,
} from '@ariadne/model';
import { EMPTY_SCOPE } from '@ariadne/model';
import { CodecError } from '../errors.js';
import { MAX_VALUE_DEPTH, emptyResource, groupSpans, isSpanKind, isStatusCode, resourceWireAttributes, serviceNameOf } from './common.js';

/** Maximum nesting of `[`/`{` accepted in a JSON body. */
export const MAX_JSON_DEPTH = 96;

type Obj = Record<string, unknown>;

// ------------------------------------------------------------------------------------ decode

/** Decodes an OTLP JSON ExportTraceServiceRequest given as text, UTF-8 bytes or an already parsed value. */
export function decodeOtlpJson(body: string | unknown): Span[] {
  let root: unknown = body;
  if (typeof body === 'string') {
    checkJsonDepth(body);
    try {
      root = JSON.parse(body);
    } catch (e) {
      throw new CodecError(`OTLP JSON: invalid JSON: ${(e as Error).message}`);
    }
  } else if (body instanceof Uint8Array) {
    return decodeOtlpJson(new TextDecoder().decode(body));
  }
  if (root === null || typeof root !== 'object' || Array.isArray(root)) {
    throw new CodecError(`OTLP JSON: body must be an object, got ${describe(root)}`);
  }
  const out: Span[] = [];
  const rss = list(root as Obj, 'resourceSpans', 'resource_spans');
  for (let i = 0; i < rss.length; i++) {
    try {
      readResourceSpans(obj(rss[i]), out);
    } catch (e) {
      throw prefixed(e, `resourceSpans[${i}]`);
    }
  }
  return out;
}

/**
 * A shape error deep inside the body. Paths are assembled only when something is wrong: each
 * container level catches, prepends its segment and rethrows, so the happy path builds no strings.
 */
class JsonShapeError extends CodecError {
  private readonly segments: string[];
  constructor(
    segment: string,
    private readonly detail: string,
  ) {
    super('');
    this.segments = segment ? [segment] : [];
    this.update();
  }
  prepend(segment: string): this {
    this.segments.unshift(segment);
    this.update();
    return this;
  }
  private update(): void {
    this.message = `OTLP JSON: ${this.segments.join('.')} ${this.detail}`;
  }
}

function prefixed(e: unknown, segment: string): unknown {
  return e instanceof JsonShapeError ? e.prepend(segment) : e;
}

/** Rejects text nested deeper than MAX_JSON_DEPTH before parsing (a linear scan, strings skipped). */
function checkJsonDepth(s: string): void {
  let depth = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 34 /* " */) {
      for (i++; i < n; i++) {
        const d = s.charCodeAt(i);
        if (d === 92 /* \ */) i++;
        else if (d === 34) break;
      }
    } else if (c === 123 || c === 91) {
      if (++depth > MAX_JSON_DEPTH) throw new CodecError(`OTLP JSON: nested deeper than ${MAX_JSON_DEPTH} levels at character ${i}`);
    } else if (c === 125 || c === 93) depth--;
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `a string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v).slice(0, 40)}`;
}

function fail(name: string, what: string, v: unknown): never {
  throw new JsonShapeError(name, `must be ${what}, got ${describe(v)}`);
}

function field(o: Obj, camel: string, snake: string): unknown {
  const v = o[camel];
  if (v !== undefined && v !== null) return v;
  const w = o[snake];
  return w === null ? undefined : w;
}

function obj(v: unknown): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail('', 'an object', v);
  return v as Obj;
}

function optObj(o: Obj, camel: string, snake: string): Obj | undefined {
  const v = field(o, camel, snake);
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(camel, 'an object', v);
  return v as Obj;
}

function list(o: Obj, camel: string, snake: string): unknown[] {
  const v = field(o, camel, snake);
  if (v === undefined) return [];
  if (!Array.isArray(v)) fail(camel, 'an array', v);
  return v;
}

function str(o: Obj, camel: string, snake: string): string {
  const v = field(o, camel, snake);
  if (v === undefined) return '';
  if (typeof v !== 'string') fail(camel, 'a string', v);
  return v;
}

const UINT_RE = /^\d+$/;
const INT_RE = /^-?\d+$/;

function uint32(o: Obj, camel: string, snake: string): number {
  const v = field(o, camel, snake);
  if (v === undefined) return 0;
  if (typeof v === 'number') {
    if (v >= 0 && v <= 0xffffffff && Number.isInteger(v)) return v;
  } else if (typeof v === 'string' && UINT_RE.test(v)) {
    const n = Number(v);
    if (n <= 0xffffffff) return n;
  }
  fail(camel, 'an unsigned 32-bit integer', v);
}

/** fixed64 timestamp: decimal string or number → bigint. */
function time(o: Obj, camel: string, snake: string): bigint {
  const v = field(o, camel, snake);
  if (v === undefined) return 0n;
  if (typeof v === 'string') {
    if (UINT_RE.test(v)) {
      const b = BigInt(v);
      if (b < 2n ** 64n) return b;
    }
  } else if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** 64) return BigInt(v);
  fail(camel, 'an unsigned 64-bit integer (decimal string or number)', v);
}

function int64(v: unknown): number | bigint {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return v;
    if (Number.isInteger(v) && v >= -(2 ** 63) && v < 2 ** 63) return BigInt(v);
  } else if (typeof v === 'string' && INT_RE.test(v)) {
    if (v.length < 16) return Number(v) + 0; // (+ 0: no -0)
    const b = BigInt(v);
    if (b >= -(2n ** 63n) && b < 2n ** 63n) {
      const n = Number(b);
      return Number.isSafeInteger(n) ? n : b;
    }
  }
  fail('intValue', 'a 64-bit integer (number or decimal string)', v);
}

function double(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    const n = Number(v);
    if (v.trim() !== '' && !Number.isNaN(n)) return n;
  }
  fail('doubleValue', 'a number', v);
}

const BASE64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/;

function base64(v: unknown): Uint8Array {
  if (typeof v !== 'string' || !BASE64_RE.test(v) || v.replace(/=+$/, '').length % 4 === 1) fail('bytesValue', 'base64 bytes', v);
  const b = Buffer.from(v, v.includes('-') || v.includes('_') ? 'base64url' : 'base64');
  return new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

const HEX_RE = /^[0-9a-fA-F]*$/;
const LOWER_HEX_RE = /^[0-9a-f]*$/;

/** An id: hex (any case and length, kept as given in lowercase); base64 of 8/16 bytes accepted. */
function id(o: Obj, camel: string, snake: string): string {
  const v = field(o, camel, snake);
  if (v === undefined || v === '') return '';
  if (typeof v !== 'string') fail(camel, 'a hex string', v);
  if (LOWER_HEX_RE.test(v)) return v;
  if (HEX_RE.test(v)) return v.toLowerCase();
  if ((v.length === 24 || v.length === 12) && BASE64_RE.test(v)) return Buffer.from(v, 'base64').toString('hex');
  fail(camel, 'a hex string', v);
}

function enumValue(v: unknown, names: Record<string, number>, prefix: string, name: string): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return v;
  } else if (typeof v === 'string') {
    if (INT_RE.test(v)) return Number(v);
    const k = v.toUpperCase().replace(prefix, '');
    if (Object.hasOwn(names, k)) return names[k];
  }
  fail(name, `an enum number or name (${Object.keys(names).map((k) => prefix + k).join(', ')})`, v);
}

const KIND_NAMES: Record<string, number> = { UNSPECIFIED: 0, INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 };
const STATUS_NAMES: Record<string, number> = { UNSET: 0, OK: 1, ERROR: 2 };

function readResourceSpans(rs: Obj, out: Span[]): void {
  const first = out.length;
  const ro = optObj(rs, 'resource', 'resource');
  const schemaUrl = str(rs, 'schemaUrl', 'schema_url');
  let resource: Resource;
  if (ro) {
    try {
      const attributes = attrs(ro);
      resource = {
        serviceName: serviceNameOf(attributes),
        attributes,
        droppedAttributesCount: uint32(ro, 'droppedAttributesCount', 'dropped_attributes_count'),
        schemaUrl,
      };
    } catch (e) {
      throw prefixed(e, 'resource');
    }
  } else resource = emptyResource(schemaUrl);
  let sss = list(rs, 'scopeSpans', 'scope_spans');
  let key = 'scopeSpans';
  if (sss.length === 0) {
    sss = list(rs, 'instrumentationLibrarySpans', 'instrumentation_library_spans');
    key = 'instrumentationLibrarySpans';
  }
  for (let i = 0; i < sss.length; i++) {
    try {
      readScopeSpans(obj(sss[i]), out);
    } catch (e) {
      throw prefixed(e, `${key}[${i}]`);
    }
  }
  for (let i = first; i < out.length; i++) out[i].resource = resource;
}

function readScopeSpans(ss: Obj, out: Span[]): void {
  const so = optObj(ss, 'scope', 'scope') ?? optObj(ss, 'instrumentationLibrary', 'instrumentation_library');
  const schemaUrl = str(ss, 'schemaUrl', 'schema_url');
  let scope: InstrumentationScope;
  if (so) {
    try {
      scope = {
        name: str(so, 'name', 'name'),
        version: str(so, 'version', 'version'),
        attributes: attrs(so),
        droppedAttributesCount: uint32(so, 'droppedAttributesCount', 'dropped_attributes_count'),
        schemaUrl,
      };
    } catch (e) {
      throw prefixed(e, 'scope');
    }
  } else if (schemaUrl) scope = { name: '', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl };
  else scope = EMPTY_SCOPE;
  const spans = list(ss, 'spans', 'spans');
  for (let i = 0; i < spans.length; i++) {
    let span: Span;
    try {
      span = readSpan(obj(spans[i]));
    } catch (e) {
      throw prefixed(e, `spans[${i}]`);
    }
    span.scope = scope;
    out.push(span);
  }
}

function readSpan(o: Obj): Span {
  const warnings: string[] = [];
  const k = enumValue(field(o, 'kind', 'kind'), KIND_NAMES, 'SPAN_KIND_', 'kind');
  let kind: SpanKind = 0;
  if (isSpanKind(k)) kind = k as SpanKind;
  else warnings.push(`unknown span kind ${k} replaced by UNSPECIFIED`);
  const so = optObj(o, 'status', 'status');
  const status = { code: 0 as StatusCode, message: '' };
  if (so) {
    try {
      const c = enumValue(field(so, 'code', 'code'), STATUS_NAMES, 'STATUS_CODE_', 'code');
      if (isStatusCode(c)) status.code = c as StatusCode;
      else warnings.push(`unknown status code ${c} replaced by UNSET`);
      status.message = str(so, 'message', 'message');
    } catch (e) {
      throw prefixed(e, 'status');
    }
  }
  const ev = list(o, 'events', 'events');
  const events: SpanEvent[] = new Array(ev.length);
  for (let i = 0; i < ev.length; i++) {
    try {
      events[i] = readEvent(obj(ev[i]));
    } catch (e) {
      throw prefixed(e, `events[${i}]`);
    }
  }
  const ls = list(o, 'links', 'links');
  const links: SpanLink[] = new Array(ls.length);
  for (let i = 0; i < ls.length; i++) {
    try {
      links[i] = readLink(obj(ls[i]));
    } catch (e) {
      throw prefixed(e, `links[${i}]`);
    }
  }
  return {
    traceId: id(o, 'traceId', 'trace_id'),
    spanId: id(o, 'spanId', 'span_id'),
    parentSpanId: id(o, 'parentSpanId', 'parent_span_id'),
    name: str(o, 'name', 'name'),
    kind,
    startTimeUnixNano: time(o, 'startTimeUnixNano', 'start_time_unix_nano'),
    endTimeUnixNano: time(o, 'endTimeUnixNano', 'end_time_unix_nano'),
    attributes: attrs(o),
    droppedAttributesCount: uint32(o, 'droppedAttributesCount', 'dropped_attributes_count'),
    events,
    droppedEventsCount: uint32(o, 'droppedEventsCount', 'dropped_events_count'),
    links,
    droppedLinksCount: uint32(o, 'droppedLinksCount', 'dropped_links_count'),
    status,
    traceState: str(o, 'traceState', 'trace_state'),
    flags: uint32(o, 'flags', 'flags'),
    resource: undefined as unknown as Resource,
    scope: EMPTY_SCOPE,
    warnings,
  };
}

function readEvent(o: Obj): SpanEvent {
  return {
    timeUnixNano: time(o, 'timeUnixNano', 'time_unix_nano'),
    name: str(o, 'name', 'name'),
    attributes: attrs(o),
    droppedAttributesCount: uint32(o, 'droppedAttributesCount', 'dropped_attributes_count'),
  };
}

function readLink(o: Obj): SpanLink {
  return {
    traceId: id(o, 'traceId', 'trace_id'),
    spanId: id(o, 'spanId', 'span_id'),
    traceState: str(o, 'traceState', 'trace_state'),
    flags: uint32(o, 'flags', 'flags'),
    attributes: attrs(o),
    droppedAttributesCount: uint32(o, 'droppedAttributesCount', 'dropped_attributes_count'),
  };
}

function attrs(o: Obj): Attribute[] {
  const a = list(o, 'attributes', 'attributes');
  const out: Attribute[] = new Array(a.length);
  for (let i = 0; i < a.length; i++) {
    try {
      out[i] = keyValue(a[i], 0);
    } catch (e) {
      throw prefixed(e, `attributes[${i}]`);
    }
  }
  return out;
}

function keyValue(v: unknown, depth: number): Attribute {
  const kv = obj(v);
  const key = str(kv, 'key', 'key');
  const val = field(kv, 'value', 'value');
  if (val === undefined) return { key, value: { type: 'empty' } };
  try {
    return { key, value: anyValue(val, depth) };
  } catch (e) {
    throw prefixed(e, 'value');
  }
}

function anyValue(v: unknown, depth: number): AttributeValue {
  if (depth > MAX_VALUE_DEPTH) throw new JsonShapeError('', `arrays/kvlists nested deeper than ${MAX_VALUE_DEPTH}`);
  const o = obj(v);
  let x: unknown;
  if ((x = field(o, 'stringValue', 'string_value')) !== undefined) {
    if (typeof x !== 'string') fail('stringValue', 'a string', x);
    return { type: 'string', value: x };
  }
  if ((x = field(o, 'intValue', 'int_value')) !== undefined) return { type: 'int', value: int64(x) };
  if ((x = field(o, 'boolValue', 'bool_value')) !== undefined) {
    if (typeof x !== 'boolean') fail('boolValue', 'a boolean', x);
    return { type: 'bool', value: x };
  }
  if ((x = field(o, 'doubleValue', 'double_value')) !== undefined) return { type: 'double', value: double(x) };
  if ((x = field(o, 'arrayValue', 'array_value')) !== undefined) {
    const vs = list(obj(x), 'values', 'values');
    const out: AttributeValue[] = new Array(vs.length);
    for (let i = 0; i < vs.length; i++) {
      try {
        out[i] = anyValue(vs[i], depth + 1);
      } catch (e) {
        throw prefixed(e, `arrayValue.values[${i}]`);
      }
    }
    return { type: 'array', value: out };
  }
  if ((x = field(o, 'kvlistValue', 'kvlist_value')) !== undefined) {
    const vs = list(obj(x), 'values', 'values');
    const out: Attribute[] = new Array(vs.length);
    for (let i = 0; i < vs.length; i++) {
      try {
        out[i] = keyValue(vs[i], depth + 1);
      } catch (e) {
        throw prefixed(e, `kvlistValue.values[${i}]`);
      }
    }
    return { type: 'kvlist', value: out };
  }
  if ((x = field(o, 'bytesValue', 'bytes_value')) !== undefined) return { type: 'bytes', value: base64(x) };
  return { type: 'empty' };
}

// ------------------------------------------------------------------------------------ encode

export interface OtlpJsonRequest {
  resourceSpans: Array<Record<string, unknown>>;
}

/** Encodes spans as the OTLP JSON `{resourceSpans: [...]}` object (JSON.stringify-safe). */
export function encodeOtlpJson(spans: readonly Span[]): OtlpJsonRequest {
  const resourceSpans: Array<Record<string, unknown>> = [];
  for (const g of groupSpans(spans)) {
    const r = g.resource;
    const rs: Record<string, unknown> = {
      resource: { attributes: encAttrs(resourceWireAttributes(r)), droppedAttributesCount: r.droppedAttributesCount },
      scopeSpans: g.scopes.map((sg) => {
        const sc = sg.scope;
        const ss: Record<string, unknown> = {
          scope: {
            name: sc.name,
            version: sc.version,
            attributes: encAttrs(sc.attributes),
            droppedAttributesCount: sc.droppedAttributesCount,
          },
          spans: sg.spans.map(encSpan),
        };
        if (sc.schemaUrl) ss.schemaUrl = sc.schemaUrl;
        return ss;
      }),
    };
    if (r.schemaUrl) rs.schemaUrl = r.schemaUrl;
    resourceSpans.push(rs);
  }
  return { resourceSpans };
}

function encSpan(s: Span): Record<string, unknown> {
  const o: Record<string, unknown> = { traceId: s.traceId, spanId: s.spanId };
  if (s.traceState) o.traceState = s.traceState;
  if (s.parentSpanId) o.parentSpanId = s.parentSpanId;
  o.flags = s.flags;
  o.name = s.name;
  o.kind = s.kind;
  o.startTimeUnixNano = s.startTimeUnixNano.toString();
  o.endTimeUnixNano = s.endTimeUnixNano.toString();
  o.attributes = encAttrs(s.attributes);
  o.droppedAttributesCount = s.droppedAttributesCount;
  o.events = s.events.map((e) => ({
    timeUnixNano: e.timeUnixNano.toString(),
    name: e.name,
    attributes: encAttrs(e.attributes),
    droppedAttributesCount: e.droppedAttributesCount,
  }));
  o.droppedEventsCount = s.droppedEventsCount;
  o.links = s.links.map((l) => {
    const lo: Record<string, unknown> = { traceId: l.traceId, spanId: l.spanId };
    if (l.traceState) lo.traceState = l.traceState;
    lo.attributes = encAttrs(l.attributes);
    lo.droppedAttributesCount = l.droppedAttributesCount;
    lo.flags = l.flags;
    return lo;
  });
  o.droppedLinksCount = s.droppedLinksCount;
  o.status = s.status.message ? { code: s.status.code, message: s.status.message } : { code: s.status.code };
  return o;
}

function encAttrs(attrs: readonly Attribute[]): Array<{ key: string; value: Record<string, unknown> }> {
  return attrs.map((a) => ({ key: a.key, value: encValue(a.value) }));
}

function encValue(v: AttributeValue): Record<string, unknown> {
  switch (v.type) {
    case 'string':
      return { stringValue: v.value };
    case 'bool':
      return { boolValue: v.value };
    case 'int':
      return { intValue: String(v.value) };
    case 'double':
      return { doubleValue: Number.isFinite(v.value) ? v.value : String(v.value) };
    case 'bytes':
      return { bytesValue: Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength).toString('base64') };
    case 'array':
      return { arrayValue: { values: v.value.map(encValue) } };
    case 'kvlist':
      return { kvlistValue: { values: encAttrs(v.value) } };
    case 'empty':
      return {};
  }
}
