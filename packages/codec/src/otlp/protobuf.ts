/**
 * OTLP trace protobuf (opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest) ⇄ model.
 *
 * Field numbers follow opentelemetry/proto/trace/v1/trace.proto and common/v1/common.proto. Unknown
 * fields are skipped; known fields with the wrong wire type are a CodecError. The deprecated
 * `instrumentation_library_spans` (field 1000, same layout as ScopeSpans) is accepted too.
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
import { ProtoReader, ProtoWriter, WireType } from '../protobuf.js';
import {
  MAX_VALUE_DEPTH,
  emptyResource,
  groupSpans,
  isSpanKind,
  isStatusCode,
  resourceWireAttributes,
  serviceNameOf,
} from './common.js';

const LEN = WireType.LEN;
const VARINT = WireType.VARINT;
const I64 = WireType.I64;
const I32 = WireType.I32;
const t = (field: number, wt: number): number => (field << 3) | wt;

// ------------------------------------------------------------------------------------ decode

/** Decodes an ExportTraceServiceRequest. Throws CodecError on malformed input. */
export function decodeOtlpProtobuf(buf: Uint8Array): Span[] {
  if (!(buf instanceof Uint8Array)) throw new CodecError('OTLP protobuf: body is not a byte array');
  const r = new ProtoReader(buf);
  const out: Span[] = [];
  while (r.more()) {
    const tag = r.tag();
    if (tag >>> 3 === 1) {
      r.expect(tag, LEN, 'ExportTraceServiceRequest');
      const saved = r.enter();
      readResourceSpans(r, out);
      r.leave(saved);
    } else r.skip(tag);
  }
  return out;
}

function readResourceSpans(r: ProtoReader, out: Span[]): void {
  const first = out.length;
  let resource: Resource | undefined;
  let schemaUrl = '';
  while (r.more()) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1: {
        r.expect(tag, LEN, 'ResourceSpans');
        const saved = r.enter();
        resource = readResource(r);
        r.leave(saved);
        break;
      }
      case 2:
      case 1000: {
        r.expect(tag, LEN, 'ResourceSpans');
        const saved = r.enter();
        readScopeSpans(r, out);
        r.leave(saved);
        break;
      }
      case 3:
        r.expect(tag, LEN, 'ResourceSpans');
        schemaUrl = r.string();
        break;
      default:
        r.skip(tag);
    }
  }
  if (resource) resource.schemaUrl = schemaUrl;
  else resource = emptyResource(schemaUrl);
  for (let i = first; i < out.length; i++) out[i].resource = resource;
}

function readResource(r: ProtoReader): Resource {
  const attributes: Attribute[] = [];
  let dropped = 0;
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case t(1, LEN):
        attributes.push(readKeyValue(r, 0));
        break;
      case t(2, VARINT):
        dropped = r.uint32();
        break;
      default:
        if (tag >>> 3 <= 2) r.expect(tag, tag >>> 3 === 1 ? LEN : VARINT, 'Resource');
        r.skip(tag);
    }
  }
  return { serviceName: serviceNameOf(attributes), attributes, droppedAttributesCount: dropped, schemaUrl: '' };
}

function readScopeSpans(r: ProtoReader, out: Span[]): void {
  const first = out.length;
  let scope: InstrumentationScope | undefined;
  let schemaUrl = '';
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case t(2, LEN): {
        const saved = r.enter();
        out.push(readSpan(r));
        r.leave(saved);
        break;
      }
      case t(1, LEN): {
        const saved = r.enter();
        scope = readScope(r);
        r.leave(saved);
        break;
      }
      case t(3, LEN):
        schemaUrl = r.string();
        break;
      default:
        if (tag >>> 3 <= 3) r.expect(tag, LEN, 'ScopeSpans');
        r.skip(tag);
    }
  }
  let s: InstrumentationScope;
  if (scope) {
    scope.schemaUrl = schemaUrl;
    s = scope;
  } else if (schemaUrl) s = { name: '', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl };
  else s = EMPTY_SCOPE;
  for (let i = first; i < out.length; i++) out[i].scope = s;
}

function readScope(r: ProtoReader): InstrumentationScope {
  let name = '';
  let version = '';
  const attributes: Attribute[] = [];
  let dropped = 0;
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case t(1, LEN):
        name = r.string();
        break;
      case t(2, LEN):
        version = r.string();
        break;
      case t(3, LEN):
        attributes.push(readKeyValue(r, 0));
        break;
      case t(4, VARINT):
        dropped = r.uint32();
        break;
      default:
        if (tag >>> 3 <= 4) r.expect(tag, tag >>> 3 === 4 ? VARINT : LEN, 'InstrumentationScope');
        r.skip(tag);
    }
  }
  return { name, version, attributes, droppedAttributesCount: dropped, schemaUrl: '' };
}

const SPAN_WIRE: readonly number[] = [-1, LEN, LEN, LEN, LEN, LEN, VARINT, I64, I64, LEN, VARINT, LEN, VARINT, LEN, VARINT, LEN, I32];

function readSpan(r: ProtoReader): Span {
  const span: Span = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    name: '',
    kind: 0,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
    traceState: '',
    flags: 0,
    resource: undefined as unknown as Resource,
    scope: EMPTY_SCOPE,
    warnings: [],
  };
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case t(9, LEN):
        span.attributes.push(readKeyValue(r, 0));
        break;
      case t(1, LEN):
        span.traceId = r.hex();
        break;
      case t(2, LEN):
        span.spanId = r.hex();
        break;
      case t(3, LEN):
        span.traceState = r.string();
        break;
      case t(4, LEN):
        span.parentSpanId = r.hex();
        break;
      case t(5, LEN):
        span.name = r.string();
        break;
      case t(6, VARINT): {
        const k = r.int32();
        if (isSpanKind(k)) span.kind = k as SpanKind;
        else {
          span.kind = 0;
          span.warnings.push(`unknown span kind ${k} replaced by UNSPECIFIED`);
        }
        break;
      }
      case t(7, I64):
        span.startTimeUnixNano = r.fixed64();
        break;
      case t(8, I64):
        span.endTimeUnixNano = r.fixed64();
        break;
      case t(10, VARINT):
        span.droppedAttributesCount = r.uint32();
        break;
      case t(11, LEN): {
        const saved = r.enter();
        span.events.push(readEvent(r));
        r.leave(saved);
        break;
      }
      case t(12, VARINT):
        span.droppedEventsCount = r.uint32();
        break;
      case t(13, LEN): {
        const saved = r.enter();
        span.links.push(readLink(r));
        r.leave(saved);
        break;
      }
      case t(14, VARINT):
        span.droppedLinksCount = r.uint32();
        break;
      case t(15, LEN): {
        const saved = r.enter();
        readStatus(r, span);
        r.leave(saved);
        break;
      }
      case t(16, I32):
        span.flags = r.fixed32();
        break;
      default: {
        const f = tag >>> 3;
        if (f < SPAN_WIRE.length) r.expect(tag, SPAN_WIRE[f], 'Span');
        r.skip(tag);
      }
    }
  }
  return span;
}

function readStatus(r: ProtoReader, span: Span): void {
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case t(2, LEN):
        span.status.message = r.string();
        break;
      case t(3, VARINT): {
        const c = r.int32();
        if (isStatusCode(c)) span.status.code = c as StatusCode;
        else {
          span.status.code = 0;
          span.warnings.push(`unknown status code ${c} replaced by UNSET`);
        }
        break;
      }
      default:
        if (tag >>> 3 === 2 || tag >>> 3 === 3) r.expect(tag, tag >>> 3 === 2 ? LEN : VARINT, 'Status');
        r.skip(tag);
    }
  }
}

function readEvent(r: ProtoReader): SpanEvent {
  const ev: SpanEvent = { timeUnixNano: 0n, name: '', attributes: [], droppedAttributesCount: 0 };
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case t(1, I64):
        ev.timeUnixNano = r.fixed64();
        break;
      case t(2, LEN):
        ev.name = r.string();
        break;
      case t(3, LEN):
        ev.attributes.push(readKeyValue(r, 0));
        break;
      case t(4, VARINT):
        ev.droppedAttributesCount = r.uint32();
        break;
      default: {
        const f = tag >>> 3;
        if (f <= 4) r.expect(tag, f === 1 ? I64 : f === 4 ? VARINT : LEN, 'Span.Event');
        r.skip(tag);
      }
    }
  }
  return ev;
}

function readLink(r: ProtoReader): SpanLink {
  const link: SpanLink = { traceId: '', spanId: '', traceState: '', flags: 0, attributes: [], droppedAttributesCount: 0 };
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case t(1, LEN):
        link.traceId = r.hex();
        break;
      case t(2, LEN):
        link.spanId = r.hex();
        break;
      case t(3, LEN):
        link.traceState = r.string();
        break;
      case t(4, LEN):
        link.attributes.push(readKeyValue(r, 0));
        break;
      case t(5, VARINT):
        link.droppedAttributesCount = r.uint32();
        break;
      case t(6, I32):
        link.flags = r.fixed32();
        break;
      default: {
        const f = tag >>> 3;
        if (f <= 6) r.expect(tag, f === 5 ? VARINT : f === 6 ? I32 : LEN, 'Span.Link');
        r.skip(tag);
      }
    }
  }
  return link;
}

/** Reads a length-delimited KeyValue (the tag has been read). */
function readKeyValue(r: ProtoReader, depth: number): Attribute {
  const saved = r.enter();
  let key = '';
  let value: AttributeValue | undefined;
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case t(1, LEN):
        key = r.stringInterned();
        break;
      case t(2, LEN):
        value = readAnyValue(r, depth);
        break;
      default:
        if (tag >>> 3 <= 2) r.expect(tag, LEN, 'KeyValue');
        r.skip(tag);
    }
  }
  r.leave(saved);
  return { key, value: value ?? EMPTY_VALUE };
}

const EMPTY_VALUE: AttributeValue = Object.freeze({ type: 'empty' }) as AttributeValue;

const ANY_WIRE: readonly number[] = [-1, LEN, VARINT, VARINT, I64, LEN, LEN, LEN];

/** Reads a length-delimited AnyValue (the tag has been read). */
function readAnyValue(r: ProtoReader, depth: number): AttributeValue {
  if (depth > MAX_VALUE_DEPTH) {
    throw new CodecError(`OTLP protobuf: AnyValue arrays/kvlists nested deeper than ${MAX_VALUE_DEPTH} at offset ${r.pos}`);
  }
  const saved = r.enter();
  let v: AttributeValue = EMPTY_VALUE;
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case t(1, LEN):
        v = { type: 'string', value: r.stringInterned() };
        break;
      case t(2, VARINT):
        v = { type: 'bool', value: r.bool() };
        break;
      case t(3, VARINT):
        v = { type: 'int', value: r.int64Safe() };
        break;
      case t(4, I64):
        v = { type: 'double', value: r.double() };
        break;
      case t(5, LEN): {
        const s2 = r.enter();
        const values: AttributeValue[] = [];
        while (r.more()) {
          const tg = r.tag();
          if (tg === t(1, LEN)) values.push(readAnyValue(r, depth + 1));
          else {
            if (tg >>> 3 === 1) r.expect(tg, LEN, 'ArrayValue');
            r.skip(tg);
          }
        }
        r.leave(s2);
        v = { type: 'array', value: values };
        break;
      }
      case t(6, LEN): {
        const s2 = r.enter();
        const values: Attribute[] = [];
        while (r.more()) {
          const tg = r.tag();
          if (tg === t(1, LEN)) values.push(readKeyValue(r, depth + 1));
          else {
            if (tg >>> 3 === 1) r.expect(tg, LEN, 'KeyValueList');
            r.skip(tg);
          }
        }
        r.leave(s2);
        v = { type: 'kvlist', value: values };
        break;
      }
      case t(7, LEN):
        v = { type: 'bytes', value: r.bytesCopy() };
        break;
      default: {
        const f = tag >>> 3;
        if (f < ANY_WIRE.length) r.expect(tag, ANY_WIRE[f], 'AnyValue');
        r.skip(tag);
      }
    }
  }
  r.leave(saved);
  return v;
}

// ------------------------------------------------------------------------------------ encode

/**
 * Encodes spans as an ExportTraceServiceRequest, one ResourceSpans per distinct resource (by
 * identity or equal content) and one ScopeSpans per distinct scope within it. Warnings are not encoded.
 */
export function encodeOtlpProtobuf(spans: readonly Span[]): Uint8Array {
  const w = new ProtoWriter(256 + spans.length * 256);
  for (const g of groupSpans(spans)) {
    const rs = w.beginMessage(1);
    const res = g.resource;
    const rm = w.beginMessage(1);
    for (const a of resourceWireAttributes(res)) writeKeyValue(w, 1, a);
    if (res.droppedAttributesCount) w.uint32Field(2, res.droppedAttributesCount);
    w.endMessage(rm);
    for (const sg of g.scopes) {
      const ss = w.beginMessage(2);
      const sc = sg.scope;
      if (sc.name || sc.version || sc.attributes.length || sc.droppedAttributesCount) {
        const sm = w.beginMessage(1);
        if (sc.name) w.stringField(1, sc.name);
        if (sc.version) w.stringField(2, sc.version);
        for (const a of sc.attributes) writeKeyValue(w, 3, a);
        if (sc.droppedAttributesCount) w.uint32Field(4, sc.droppedAttributesCount);
        w.endMessage(sm);
      }
      for (const span of sg.spans) writeSpan(w, span);
      if (sc.schemaUrl) w.stringField(3, sc.schemaUrl);
      w.endMessage(ss);
    }
    if (res.schemaUrl) w.stringField(3, res.schemaUrl);
    w.endMessage(rs);
  }
  return w.finish();
}

function writeSpan(w: ProtoWriter, s: Span): void {
  const m = w.beginMessage(2);
  if (s.traceId) w.hexField(1, s.traceId);
  if (s.spanId) w.hexField(2, s.spanId);
  if (s.traceState) w.stringField(3, s.traceState);
  if (s.parentSpanId) w.hexField(4, s.parentSpanId);
  w.stringField(5, s.name);
  if (s.kind) w.int32Field(6, s.kind);
  if (s.startTimeUnixNano) w.fixed64Field(7, s.startTimeUnixNano);
  if (s.endTimeUnixNano) w.fixed64Field(8, s.endTimeUnixNano);
  for (const a of s.attributes) writeKeyValue(w, 9, a);
  if (s.droppedAttributesCount) w.uint32Field(10, s.droppedAttributesCount);
  for (const e of s.events) {
    const em = w.beginMessage(11);
    if (e.timeUnixNano) w.fixed64Field(1, e.timeUnixNano);
    if (e.name) w.stringField(2, e.name);
    for (const a of e.attributes) writeKeyValue(w, 3, a);
    if (e.droppedAttributesCount) w.uint32Field(4, e.droppedAttributesCount);
    w.endMessage(em);
  }
  if (s.droppedEventsCount) w.uint32Field(12, s.droppedEventsCount);
  for (const l of s.links) {
    const lm = w.beginMessage(13);
    if (l.traceId) w.hexField(1, l.traceId);
    if (l.spanId) w.hexField(2, l.spanId);
    if (l.traceState) w.stringField(3, l.traceState);
    for (const a of l.attributes) writeKeyValue(w, 4, a);
    if (l.droppedAttributesCount) w.uint32Field(5, l.droppedAttributesCount);
    if (l.flags) w.fixed32Field(6, l.flags);
    w.endMessage(lm);
  }
  if (s.droppedLinksCount) w.uint32Field(14, s.droppedLinksCount);
  if (s.status.code || s.status.message) {
    const sm = w.beginMessage(15);
    if (s.status.message) w.stringField(2, s.status.message);
    if (s.status.code) w.int32Field(3, s.status.code);
    w.endMessage(sm);
  }
  if (s.flags) w.fixed32Field(16, s.flags);
  w.endMessage(m);
}

function writeKeyValue(w: ProtoWriter, field: number, a: Attribute): void {
  const m = w.beginMessage(field);
  if (a.key) w.stringField(1, a.key);
  writeAnyValue(w, 2, a.value);
  w.endMessage(m);
}

function writeAnyValue(w: ProtoWriter, field: number, v: AttributeValue): void {
  const m = w.beginMessage(field);
  switch (v.type) {
    case 'string':
      w.stringField(1, v.value);
      break;
    case 'bool':
      w.boolField(2, v.value);
      break;
    case 'int':
      w.int64Field(3, v.value);
      break;
    case 'double':
      w.doubleField(4, v.value);
      break;
    case 'array': {
      const am = w.beginMessage(5);
      for (const x of v.value) writeAnyValue(w, 1, x);
      w.endMessage(am);
      break;
    }
    case 'kvlist': {
      const km = w.beginMessage(6);
      for (const x of v.value) writeKeyValue(w, 1, x);
      w.endMessage(km);
      break;
    }
    case 'bytes':
      w.bytesField(7, v.value);
      break;
    case 'empty':
      break;
  }
  w.endMessage(m);
}
