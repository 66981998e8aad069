import type { Attribute, AttributeValue, InstrumentationScope, Resource, Span, SpanEvent, SpanLink } from '@ariadne/model';

/**
 * Lossless span ⇄ JSON-safe object conversion, for backends that store a span as JSON text.
 *
 * The form is compact (short keys, attributes as tuples) and keeps what JSON alone would lose:
 * bigint times (decimal strings), 64-bit ints (a `number` stays a number, a `bigint` becomes
 * `['I', "decimal"]` and comes back a bigint), doubles JSON cannot spell (NaN, ±Infinity, -0),
 * bytes (base64), nested arrays and kvlists, and whether a link has a `refType`.
 *
 * Attribute: [key, tag, payload] with tag s=string b=bool i=int(number) I=int(bigint) d=double
 * D=special double y=bytes a=array k=kvlist e=empty. Array items are [tag, payload].
 */

export type JsonSpan = Record<string, unknown>;
type JsonValue = [string, unknown] | [string];
type JsonAttr = unknown[];

export const SERIAL_FORMAT_VERSION = 1;

function valueToJson(v: AttributeValue): JsonValue {
  switch (v.type) {
    case 'string':
      return ['s', v.value];
    case 'bool':
      return ['b', v.value];
    case 'int':
      return typeof v.value === 'bigint' ? ['I', v.value.toString()] : ['i', v.value];
    case 'double':
      return Number.isFinite(v.value) && !Object.is(v.value, -0) ? ['d', v.value] : ['D', Object.is(v.value, -0) ? '-0' : String(v.value)];
    case 'bytes':
      return ['y', Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength).toString('base64')];
    case 'array':
      return ['a', v.value.map(valueToJson)];
    case 'kvlist':
      return ['k', attrsToJson(v.value)];
    case 'empty':
      return ['e'];
    default:
      throw new TypeError(`unknown attribute value type ${JSON.stringify((v as { type: unknown }).type)}`);
  }
}

function valueFromJson(j: unknown[], tag = j[0], p = j[1]): AttributeValue {
  switch (tag) {
    case 's':
      return { type: 'string', value: p as string };
    case 'b':
      return { type: 'bool', value: p as boolean };
    case 'i':
      return { type: 'int', value: p as number };
    case 'I':
      return { type: 'int', value: BigInt(p as string) };
    case 'd':
      return { type: 'double', value: p as number };
    case 'D':
      return { type: 'double', value: p === '-0' ? -0 : Number(p) };
    case 'y': {
      const b = Buffer.from(p as string, 'base64');
      return { type: 'bytes', value: new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)) };
    }
    case 'a':
      return { type: 'array', value: (p as unknown[][]).map((x) => valueFromJson(x)) };
    case 'k':
      return { type: 'kvlist', value: attrsFromJson(p as JsonAttr[]) };
    case 'e':
      return { type: 'empty' };
    default:
      throw new TypeError(`stored span: unknown attribute tag ${JSON.stringify(tag)}`);
  }
}

function attrsToJson(attrs: readonly Attribute[]): JsonAttr[] {
  const out: JsonAttr[] = new Array(attrs.length);
  for (let i = 0; i < attrs.length; i++) {
    const j = valueToJson(attrs[i].value);
    out[i] = j.length === 1 ? [attrs[i].key, j[0]] : [attrs[i].key, j[0], j[1]];
  }
  return out;
}

function attrsFromJson(a: JsonAttr[]): Attribute[] {
  const out: Attribute[] = new Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = { key: a[i][0] as string, value: valueFromJson(a[i], a[i][1], a[i][2]) };
  return out;
}

function resourceToJson(r: Resource): unknown {
  return { n: r.serviceName, a: attrsToJson(r.attributes), d: r.droppedAttributesCount, u: r.schemaUrl };
}

function resourceFromJson(j: Record<string, unknown>): Resource {
  return { serviceName: j.n as string, attributes: attrsFromJson(j.a as JsonAttr[]), droppedAttributesCount: j.d as number, schemaUrl: j.u as string };
}

function scopeToJson(s: InstrumentationScope): unknown {
  return { n: s.name, v: s.version, a: attrsToJson(s.attributes), d: s.droppedAttributesCount, u: s.schemaUrl };
}

function scopeFromJson(j: Record<string, unknown>): InstrumentationScope {
  return {
    name: j.n as string,
    version: j.v as string,
    attributes: attrsFromJson(j.a as JsonAttr[]),
    droppedAttributesCount: j.d as number,
    schemaUrl: j.u as string,
  };
}

function eventToJson(e: SpanEvent): unknown {
  return { t: e.timeUnixNano.toString(), n: e.name, a: attrsToJson(e.attributes), d: e.droppedAttributesCount };
}

function eventFromJson(j: Record<string, unknown>): SpanEvent {
  return { timeUnixNano: BigInt(j.t as string), name: j.n as string, attributes: attrsFromJson(j.a as JsonAttr[]), droppedAttributesCount: j.d as number };
}

function linkToJson(l: SpanLink): unknown {
  const o: Record<string, unknown> = { t: l.traceId, s: l.spanId, ts: l.traceState, f: l.flags, a: attrsToJson(l.attributes), d: l.droppedAttributesCount };
  if (l.refType !== undefined) o.r = l.refType;
  return o;
}

function linkFromJson(j: Record<string, unknown>): SpanLink {
  const l: SpanLink = {
    traceId: j.t as string,
    spanId: j.s as string,
    traceState: j.ts as string,
    flags: j.f as number,
    attributes: attrsFromJson(j.a as JsonAttr[]),
    droppedAttributesCount: j.d as number,
  };
  if (j.r !== undefined) l.refType = j.r as SpanLink['refType'];
  return l;
}

/** A span as a JSON-safe object (see the module comment for the form). */
export function spanToJson(s: Span): JsonSpan {
  return {
    t: s.traceId,
    s: s.spanId,
    p: s.parentSpanId,
    n: s.name,
    k: s.kind,
    st: s.startTimeUnixNano.toString(),
    et: s.endTimeUnixNano.toString(),
    a: attrsToJson(s.attributes),
    da: s.droppedAttributesCount,
    e: s.events.map(eventToJson),
    de: s.droppedEventsCount,
    l: s.links.map(linkToJson),
    dl: s.droppedLinksCount,
    sc: s.status.code,
    sm: s.status.message,
    ts: s.traceState,
    f: s.flags,
    r: resourceToJson(s.resource),
    i: scopeToJson(s.scope),
    w: s.warnings,
  };
}

/** The span back from `spanToJson`'s form. */
export function spanFromJson(j: JsonSpan): Span {
  return {
    traceId: j.t as string,
    spanId: j.s as string,
    parentSpanId: j.p as string,
    name: j.n as string,
    kind: j.k as Span['kind'],
    startTimeUnixNano: BigInt(j.st as string),
    endTimeUnixNano: BigInt(j.et as string),
    attributes: attrsFromJson(j.a as JsonAttr[]),
    droppedAttributesCount: j.da as number,
    events: (j.e as Record<string, unknown>[]).map(eventFromJson),
    droppedEventsCount: j.de as number,
    links: (j.l as Record<string, unknown>[]).map(linkFromJson),
    droppedLinksCount: j.dl as number,
    status: { code: j.sc as Span['status']['code'], message: j.sm as string },
    traceState: j.ts as string,
    flags: j.f as number,
    resource: resourceFromJson(j.r as Record<string, unknown>),
    scope: scopeFromJson(j.i as Record<string, unknown>),
    warnings: (j.w as string[]).slice(),
  };
}

/**
 * A span as JSON text: the same text as `JSON.stringify(spanToJson(span))`, built directly
 * because this is on the write path (≈2× faster than building the object and stringifying it).
 */
export function serializeSpan(s: Span): string {
  let o = '{"t":' + str(s.traceId);
  o += ',"s":' + str(s.spanId);
  o += ',"p":' + str(s.parentSpanId);
  o += ',"n":' + str(s.name);
  o += ',"k":' + num(s.kind);
  o += ',"st":"' + s.startTimeUnixNano.toString();
  o += '","et":"' + s.endTimeUnixNano.toString();
  o += '","a":' + attrsText(s.attributes);
  o += ',"da":' + num(s.droppedAttributesCount);
  o += ',"e":[';
  for (let i = 0; i < s.events.length; i++) {
    const e = s.events[i];
    if (i > 0) o += ',';
    o += '{"t":"' + e.timeUnixNano.toString() + '","n":' + str(e.name) + ',"a":' + attrsText(e.attributes) + ',"d":' + num(e.droppedAttributesCount) + '}';
  }
  o += '],"de":' + num(s.droppedEventsCount);
  o += ',"l":[';
  for (let i = 0; i < s.links.length; i++) {
    const l = s.links[i];
    if (i > 0) o += ',';
    o += '{"t":' + str(l.traceId) + ',"s":' + str(l.spanId) + ',"ts":' + str(l.traceState) + ',"f":' + num(l.flags);
    o += ',"a":' + attrsText(l.attributes) + ',"d":' + num(l.droppedAttributesCount);
    if (l.refType !== undefined) o += ',"r":' + str(l.refType);
    o += '}';
  }
  o += '],"dl":' + num(s.droppedLinksCount);
  o += ',"sc":' + num(s.status.code) + ',"sm":' + str(s.status.message);
  o += ',"ts":' + str(s.traceState) + ',"f":' + num(s.flags);
  const r = s.resource;
  o += ',"r":{"n":' + str(r.serviceName) + ',"a":' + attrsText(r.attributes) + ',"d":' + num(r.droppedAttributesCount) + ',"u":' + str(r.schemaUrl) + '}';
  const c = s.scope;
  o += ',"i":{"n":' + str(c.name) + ',"v":' + str(c.version) + ',"a":' + attrsText(c.attributes) + ',"d":' + num(c.droppedAttributesCount) + ',"u":' + str(c.schemaUrl) + '}';
  o += ',"w":[';
  for (let i = 0; i < s.warnings.length; i++) o += (i > 0 ? ',' : '') + str(s.warnings[i]);
  return o + ']}';
}

/** Printable ASCII without '"' and '\\': needs no escaping. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function str(s: string): string {
  return s.length < 200 && PLAIN.test(s) ? '"' + s + '"' : JSON.stringify(s);
}

function num(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

function attrsText(attrs: readonly Attribute[]): string {
  let o = '[';
  for (let i = 0; i < attrs.length; i++) {
    if (i > 0) o += ',';
    o += '[' + str(attrs[i].key) + ',' + valueText(attrs[i].value) + ']';
  }
  return o + ']';
}

/** The tag and payload of a value, comma-separated (the inside of its tuple). */
function valueText(v: AttributeValue): string {
  switch (v.type) {
    case 'string':
      return '"s",' + str(v.value);
    case 'bool':
      return v.value ? '"b",true' : '"b",false';
    case 'int':
      return typeof v.value === 'bigint' ? '"I","' + v.value.toString() + '"' : '"i",' + num(v.value);
    case 'double':
      return Number.isFinite(v.value) && !Object.is(v.value, -0) ? '"d",' + String(v.value) : '"D","' + (Object.is(v.value, -0) ? '-0' : String(v.value)) + '"';
    case 'bytes':
      return '"y","' + Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength).toString('base64') + '"';
    case 'array': {
      let o = '"a",[';
      for (let i = 0; i < v.value.length; i++) o += (i > 0 ? ',[' : '[') + valueText(v.value[i]) + ']';
      return o + ']';
    }
    case 'kvlist':
      return '"k",' + attrsText(v.value);
    case 'empty':
      return '"e"';
    default:
      throw new TypeError(`unknown attribute value type ${JSON.stringify((v as { type: unknown }).type)}`);
  }
}

/** A span from `serializeSpan`'s text; throws a TypeError naming the problem on text that is not such a span. */
export function deserializeSpan(text: string): Span {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new TypeError(`stored span is not valid JSON: ${(e as Error).message}`);
  }
  if (!j || typeof j !== 'object' || Array.isArray(j)) throw new TypeError('stored span is not a JSON object');
  try {
    return spanFromJson(j as JsonSpan);
  } catch (e) {
    throw new TypeError(`stored span is malformed: ${(e as Error).message}`);
  }
}
