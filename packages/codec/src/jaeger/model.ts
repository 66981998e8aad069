/**
 * Jaeger Thrift (jaeger.thrift `Batch`/`Span`/`Tag`/`Log`/`SpanRef`/`Process`, agent.thrift
 * `Agent.emitBatch`) ⇄ the Ariadne span model.
 *
 * Decoding
 * - ids: 64-bit halves → hex, trace ids left-padded to 32 chars; span/parent id 0 → ''.
 * - times: µs → ns (startTime·1000, end = start + duration·1000).
 * - tags: switch on `vType` (jaeger-client sends every optional field): STRING → string, DOUBLE →
 *   double, BOOL → bool, LONG → int, BINARY → bytes. All tags are kept, including `span.kind`/`error`.
 * - kind from the `span.kind` tag (absent/unknown → INTERNAL).
 * - status: `error` tag true (bool, or string "true") → ERROR; `otel.status_code` "ERROR"/"OK" and
 *   `otel.status_description` (as written by OpenTelemetry's Jaeger exporters) are honoured too.
 * - logs → events: name = value of the `event` field ('' if none); every field kept as attribute.
 * - references: the CHILD_OF reference naming the parent is folded into `parentSpanId` (and when
 *   parentSpanId is 0 the first same-trace CHILD_OF reference becomes the parent); every other
 *   reference becomes a link with `refType`.
 * - flags: Jaeger flags as is (1 = sampled, 2 = debug). process → resource (serviceName + tags).
 *
 * Encoding is the reverse: `span.kind` tag added for SERVER/CLIENT/PRODUCER/CONSUMER when absent,
 * `error`=true added for status ERROR when absent (plus `otel.status_description` for a message,
 * `otel.status_code`="OK" for OK), links → references (refType, default FOLLOWS_FROM), ints →
 * LONG, bytes → BINARY, arrays/kvlists → JSON string tags, empty → '' string. Link attributes and
 * trace state, event dropped counts and the instrumentation scope have no Jaeger equivalent.
 */
import {
  EMPTY_SCOPE,
  SpanKind,
  StatusCode,
  attributeValueToString,
  makeResource,
  parseSpanKind,
} from '@ariadne/model';
import type { Attribute, AttributeValue, RefType, Resource, Span, SpanEvent, SpanLink } from '@ariadne/model';
import { CodecError } from '../errors.js';
import { ThriftMessageType, ThriftType, makeThriftReader, makeThriftWriter } from './thrift.js';
import type { ThriftProtocol, ThriftReader, ThriftWriter } from './thrift.js';

export type { ThriftProtocol } from './thrift.js';

export const JaegerTagType = { STRING: 0, DOUBLE: 1, BOOL: 2, LONG: 3, BINARY: 4 } as const;
export const JaegerRefType = { CHILD_OF: 0, FOLLOWS_FROM: 1 } as const;

// ---------------------------------------------------------------------------------------------
// Decoding

function readTag(r: ThriftReader): Attribute {
  r.enter();
  r.structBegin();
  let key: string | undefined;
  let vType = -1;
  let vStr = '';
  let vDouble = 0;
  let vBool = false;
  let vLong: number | bigint = 0;
  let vBinary: Uint8Array | undefined;
  for (;;) {
    r.readFieldBegin();
    const t = r.fieldType;
    if (t === ThriftType.STOP) break;
    switch (r.fieldId) {
      case 1:
        if (t !== ThriftType.STRING) r.wrongType('Tag', 'key', ThriftType.STRING);
        key = r.readString();
        break;
      case 2:
        if (t !== ThriftType.I32) r.wrongType('Tag', 'vType', ThriftType.I32);
        vType = r.readI32();
        break;
      case 3:
        if (t !== ThriftType.STRING) r.wrongType('Tag', 'vStr', ThriftType.STRING);
        vStr = r.readString();
        break;
      case 4:
        if (t !== ThriftType.DOUBLE) r.wrongType('Tag', 'vDouble', ThriftType.DOUBLE);
        vDouble = r.readDouble();
        break;
      case 5:
        if (t !== ThriftType.BOOL) r.wrongType('Tag', 'vBool', ThriftType.BOOL);
        vBool = r.readBool();
        break;
      case 6:
        if (t !== ThriftType.I64) r.wrongType('Tag', 'vLong', ThriftType.I64);
        vLong = r.readI64Safe();
        break;
      case 7:
        if (t !== ThriftType.STRING) r.wrongType('Tag', 'vBinary', ThriftType.STRING);
        vBinary = r.readBinary();
        break;
      default:
        r.skip(t);
    }
  }
  r.structEnd();
  r.leave();
  if (key === undefined) throw new CodecError(`jaeger thrift: Tag without key (offset ${r.offset})`);
  let value: AttributeValue;
  switch (vType) {
    case JaegerTagType.STRING:
      value = { type: 'string', value: vStr };
      break;
    case JaegerTagType.DOUBLE:
      value = { type: 'double', value: vDouble };
      break;
    case JaegerTagType.BOOL:
      value = { type: 'bool', value: vBool };
      break;
    case JaegerTagType.LONG:
      value = { type: 'int', value: vLong };
      break;
    case JaegerTagType.BINARY:
      value = { type: 'bytes', value: vBinary ? new Uint8Array(vBinary) : new Uint8Array(0) };
      break;
    case -1:
      throw new CodecError(`jaeger thrift: Tag ${JSON.stringify(key)} without vType (offset ${r.offset})`);
    default:
      throw new CodecError(`jaeger thrift: Tag ${JSON.stringify(key)} has unknown vType ${vType} (offset ${r.offset})`);
  }
  return { key, value };
}

function readTagList(r: ThriftReader, struct: string, field: string): Attribute[] {
  if (r.fieldType !== ThriftType.LIST) r.wrongType(struct, field, ThriftType.LIST);
  r.enter();
  const { elemType, size } = r.readListBegin();
  if (elemType !== ThriftType.STRUCT && size > 0) throw new CodecError(`jaeger thrift: ${struct}.${field} is not a list of structs`);
  const out: Attribute[] = new Array(size);
  for (let i = 0; i < size; i++) out[i] = readTag(r);
  r.leave();
  return out;
}

function readLog(r: ThriftReader): SpanEvent {
  r.enter();
  r.structBegin();
  let ts: number | bigint | undefined;
  let fields: Attribute[] = [];
  for (;;) {
    r.readFieldBegin();
    const t = r.fieldType;
    if (t === ThriftType.STOP) break;
    if (r.fieldId === 1) {
      if (t !== ThriftType.I64) r.wrongType('Log', 'timestamp', ThriftType.I64);
      ts = r.readI64Safe();
    } else if (r.fieldId === 2) {
      fields = readTagList(r, 'Log', 'fields');
    } else r.skip(t);
  }
  r.structEnd();
  r.leave();
  if (ts === undefined) throw new CodecError(`jaeger thrift: Log without timestamp (offset ${r.offset})`);
  let name = '';
  for (const f of fields) {
    if (f.key === 'event') {
      name = attributeValueToString(f.value);
      break;
    }
  }
  return { timeUnixNano: BigInt(ts) * 1000n, name, attributes: fields, droppedAttributesCount: 0 };
}

interface RawRef {
  refType: number;
  traceIdLow: string;
  traceIdHigh: string;
  spanId: string;
}

const ZERO16 = '0000000000000000';

function readRef(r: ThriftReader): RawRef {
  r.enter();
  r.structBegin();
  const ref: RawRef = { refType: -1, traceIdLow: ZERO16, traceIdHigh: ZERO16, spanId: ZERO16 };
  for (;;) {
    r.readFieldBegin();
    const t = r.fieldType;
    if (t === ThriftType.STOP) break;
    switch (r.fieldId) {
      case 1:
        if (t !== ThriftType.I32) r.wrongType('SpanRef', 'refType', ThriftType.I32);
        ref.refType = r.readI32();
        break;
      case 2:
        if (t !== ThriftType.I64) r.wrongType('SpanRef', 'traceIdLow', ThriftType.I64);
        ref.traceIdLow = r.readI64Hex();
        break;
      case 3:
        if (t !== ThriftType.I64) r.wrongType('SpanRef', 'traceIdHigh', ThriftType.I64);
        ref.traceIdHigh = r.readI64Hex();
        break;
      case 4:
        if (t !== ThriftType.I64) r.wrongType('SpanRef', 'spanId', ThriftType.I64);
        ref.spanId = r.readI64Hex();
        break;
      default:
        r.skip(t);
    }
  }
  r.structEnd();
  r.leave();
  if (ref.refType !== JaegerRefType.CHILD_OF && ref.refType !== JaegerRefType.FOLLOWS_FROM) {
    throw new CodecError(`jaeger thrift: SpanRef with ${ref.refType === -1 ? 'no' : 'unknown'} refType ${ref.refType === -1 ? '' : ref.refType}`.trimEnd());
  }
  return ref;
}

function readStructList<T>(r: ThriftReader, struct: string, field: string, item: (r: ThriftReader) => T): T[] {
  if (r.fieldType !== ThriftType.LIST) r.wrongType(struct, field, ThriftType.LIST);
  r.enter();
  const { elemType, size } = r.readListBegin();
  if (elemType !== ThriftType.STRUCT && size > 0) throw new CodecError(`jaeger thrift: ${struct}.${field} is not a list of structs`);
  const out: T[] = new Array(size);
  for (let i = 0; i < size; i++) out[i] = item(r);
  r.leave();
  return out;
}

function kindFromTag(v: string): SpanKind {
  switch (v) {
    case 'server':
      return SpanKind.SERVER;
    case 'client':
      return SpanKind.CLIENT;
    case 'producer':
      return SpanKind.PRODUCER;
    case 'consumer':
      return SpanKind.CONSUMER;
    case 'internal':
      return SpanKind.INTERNAL;
    default: {
      const k = parseSpanKind(v);
      return k === undefined || k === SpanKind.UNSPECIFIED ? SpanKind.INTERNAL : k;
    }
  }
}

function readSpan(r: ThriftReader, resource: Resource): Span {
  r.enter();
  r.structBegin();
  let traceIdLow = ZERO16;
  let traceIdHigh = ZERO16;
  let spanId = ZERO16;
  let parentSpanId = ZERO16;
  let name = '';
  let refs: RawRef[] = [];
  let flags = 0;
  let start: number | bigint = 0;
  let duration: number | bigint = 0;
  let tags: Attribute[] = [];
  let logs: SpanEvent[] = [];
  let seen = 0;
  for (;;) {
    r.readFieldBegin();
    const t = r.fieldType;
    if (t === ThriftType.STOP) break;
    switch (r.fieldId) {
      case 1:
        if (t !== ThriftType.I64) r.wrongType('Span', 'traceIdLow', ThriftType.I64);
        traceIdLow = r.readI64Hex();
        seen |= 1;
        break;
      case 2:
        if (t !== ThriftType.I64) r.wrongType('Span', 'traceIdHigh', ThriftType.I64);
        traceIdHigh = r.readI64Hex();
        break;
      case 3:
        if (t !== ThriftType.I64) r.wrongType('Span', 'spanId', ThriftType.I64);
        spanId = r.readI64Hex();
        seen |= 2;
        break;
      case 4:
        if (t !== ThriftType.I64) r.wrongType('Span', 'parentSpanId', ThriftType.I64);
        parentSpanId = r.readI64Hex();
        break;
      case 5:
        if (t !== ThriftType.STRING) r.wrongType('Span', 'operationName', ThriftType.STRING);
        name = r.readString();
        break;
      case 6:
        refs = readStructList(r, 'Span', 'references', readRef);
        break;
      case 7:
        if (t !== ThriftType.I32) r.wrongType('Span', 'flags', ThriftType.I32);
        flags = r.readI32();
        break;
      case 8:
        if (t !== ThriftType.I64) r.wrongType('Span', 'startTime', ThriftType.I64);
        start = r.readI64Safe();
        break;
      case 9:
        if (t !== ThriftType.I64) r.wrongType('Span', 'duration', ThriftType.I64);
        duration = r.readI64Safe();
        break;
      case 10:
        tags = readTagList(r, 'Span', 'tags');
        break;
      case 11:
        logs = readStructList(r, 'Span', 'logs', readLog);
        break;
      default:
        r.skip(t);
    }
  }
  r.structEnd();
  r.leave();
  if ((seen & 1) === 0) throw new CodecError(`jaeger thrift: Span without traceIdLow (offset ${r.offset})`);
  if ((seen & 2) === 0) throw new CodecError(`jaeger thrift: Span without spanId (offset ${r.offset})`);

  return jaegerSpanToModel(
    {
      traceId: traceIdHigh + traceIdLow,
      spanId,
      parentSpanId: parentSpanId === ZERO16 ? '' : parentSpanId,
      name,
      refs: refs.map((ref) => ({ refType: ref.refType, traceId: ref.traceIdHigh + ref.traceIdLow, spanId: ref.spanId })),
      flags,
      startTimeUnixNano: BigInt(start) * 1000n,
      durationNano: BigInt(duration) * 1000n,
      tags,
      logs,
    },
    resource,
  );
}

/** A Jaeger span as every Jaeger wire format (Thrift, api_v2 protobuf) carries it, ids in hex. */
export interface JaegerRawSpan {
  traceId: string;
  spanId: string;
  /** '' when absent. */
  parentSpanId: string;
  name: string;
  refs: { refType: number; traceId: string; spanId: string }[];
  flags: number;
  startTimeUnixNano: bigint;
  durationNano: bigint;
  tags: Attribute[];
  logs: SpanEvent[];
}

/**
 * The Jaeger → model mapping shared by the Thrift and protobuf decoders: folds the parent's
 * CHILD_OF reference into `parentSpanId`, turns other references into links, and derives kind and
 * status from the `span.kind`, `error` and `otel.status_*` tags (which stay in the attributes).
 */
export function jaegerSpanToModel(raw: JaegerRawSpan, resource: Resource): Span {
  const { traceId, tags } = raw;
  let parent = raw.parentSpanId;
  const links: SpanLink[] = [];
  let folded = false;
  for (const ref of raw.refs) {
    if (!folded && ref.refType === JaegerRefType.CHILD_OF && ref.traceId === traceId && ref.spanId !== ZERO16) {
      if (parent === '') {
        parent = ref.spanId;
        folded = true;
        continue;
      }
      if (parent === ref.spanId) {
        folded = true;
        continue;
      }
    }
    links.push({
      traceId: ref.traceId,
      spanId: ref.spanId,
      traceState: '',
      flags: 0,
      attributes: [],
      droppedAttributesCount: 0,
      refType: ref.refType === JaegerRefType.CHILD_OF ? 'CHILD_OF' : 'FOLLOWS_FROM',
    });
  }

  let kind: SpanKind = SpanKind.INTERNAL;
  let code: StatusCode = StatusCode.UNSET;
  let message = '';
  let otelCode: string | undefined;
  for (let i = 0; i < tags.length; i++) {
    const { key, value } = tags[i];
    if (key === 'span.kind') {
      if (value.type === 'string') kind = kindFromTag(value.value);
    } else if (key === 'error') {
      if ((value.type === 'bool' && value.value) || (value.type === 'string' && value.value.toLowerCase() === 'true')) {
        code = StatusCode.ERROR;
      }
    } else if (key === 'otel.status_code') {
      if (value.type === 'string') otelCode = value.value.toUpperCase();
    } else if (key === 'otel.status_description') {
      if (value.type === 'string') message = value.value;
    }
  }
  if (otelCode === 'ERROR') code = StatusCode.ERROR;
  else if (otelCode === 'OK' && code !== StatusCode.ERROR) code = StatusCode.OK;
  if (code !== StatusCode.ERROR) message = '';

  return {
    traceId,
    spanId: raw.spanId,
    parentSpanId: parent,
    name: raw.name,
    kind,
    startTimeUnixNano: raw.startTimeUnixNano,
    endTimeUnixNano: raw.startTimeUnixNano + raw.durationNano,
    attributes: tags,
    droppedAttributesCount: 0,
    events: raw.logs,
    droppedEventsCount: 0,
    links,
    droppedLinksCount: 0,
    status: { code, message },
    traceState: '',
    flags: raw.flags,
    resource,
    scope: EMPTY_SCOPE,
    warnings: [],
  };
}

function readProcess(r: ThriftReader): Resource {
  r.enter();
  r.structBegin();
  let serviceName: string | undefined;
  let tags: Attribute[] = [];
  for (;;) {
    r.readFieldBegin();
    const t = r.fieldType;
    if (t === ThriftType.STOP) break;
    if (r.fieldId === 1) {
      if (t !== ThriftType.STRING) r.wrongType('Process', 'serviceName', ThriftType.STRING);
      serviceName = r.readString();
    } else if (r.fieldId === 2) tags = readTagList(r, 'Process', 'tags');
    else r.skip(t);
  }
  r.structEnd();
  r.leave();
  if (serviceName === undefined) throw new CodecError(`jaeger thrift: Process without serviceName (offset ${r.offset})`);
  return makeResource(serviceName, tags);
}

/**
 * Read a Batch struct. Spans may appear before the process on the wire (field order is free in
 * Thrift), so span decoding is deferred until the process is known only in that unusual case.
 */
function readBatch(r: ThriftReader): Span[] {
  r.enter();
  r.structBegin();
  let resource: Resource | undefined;
  let spans: Span[] | undefined;
  let placeholder: Resource | undefined;
  for (;;) {
    r.readFieldBegin();
    const t = r.fieldType;
    if (t === ThriftType.STOP) break;
    if (r.fieldId === 1) {
      if (t !== ThriftType.STRUCT) r.wrongType('Batch', 'process', ThriftType.STRUCT);
      resource = readProcess(r);
    } else if (r.fieldId === 2) {
      const res = resource ?? (placeholder = makeResource(''));
      spans = readStructList(r, 'Batch', 'spans', (rr) => readSpan(rr, res));
    } else r.skip(t);
  }
  r.structEnd();
  r.leave();
  if (!resource) throw new CodecError('jaeger thrift: Batch without process');
  if (!spans) throw new CodecError('jaeger thrift: Batch without spans');
  if (placeholder) {
    placeholder.serviceName = resource.serviceName;
    placeholder.attributes = resource.attributes;
  }
  return spans;
}

function asBytes(buf: Uint8Array | ArrayBuffer): Uint8Array {
  if (buf instanceof Uint8Array) return buf;
  if (buf instanceof ArrayBuffer) return new Uint8Array(buf);
  throw new CodecError('jaeger thrift: input must be a Uint8Array/Buffer');
}

/** Decode a bare Jaeger `Batch` struct (collector `POST /api/traces` body: binary Thrift). */
export function decodeJaegerThriftBatch(buf: Uint8Array | ArrayBuffer, protocol: ThriftProtocol = 'binary'): Span[] {
  const r = makeThriftReader(asBytes(buf), protocol);
  const spans = readBatch(r);
  if (r.remaining !== 0) throw new CodecError(`jaeger thrift: ${r.remaining} trailing bytes after Batch`);
  return spans;
}

/**
 * Decode an agent `Agent.emitBatch` message (UDP 6831 compact / 6832 binary). The message must be
 * a CALL or ONEWAY named `emitBatch`; its argument struct's field 1 is the Batch.
 */
export function decodeJaegerAgentMessage(buf: Uint8Array | ArrayBuffer, protocol: ThriftProtocol): Span[] {
  const r = makeThriftReader(asBytes(buf), protocol);
  const msg = r.readMessageBegin();
  if (msg.name !== 'emitBatch') {
    throw new CodecError(`jaeger agent: unsupported method ${JSON.stringify(msg.name.slice(0, 64))} (only emitBatch)`);
  }
  if (msg.type !== ThriftMessageType.ONEWAY && msg.type !== ThriftMessageType.CALL) {
    throw new CodecError(`jaeger agent: unexpected message type ${msg.type} (expected ONEWAY or CALL)`);
  }
  r.enter();
  r.structBegin();
  let spans: Span[] | undefined;
  for (;;) {
    r.readFieldBegin();
    const t = r.fieldType;
    if (t === ThriftType.STOP) break;
    if (r.fieldId === 1) {
      if (t !== ThriftType.STRUCT) r.wrongType('emitBatch_args', 'batch', ThriftType.STRUCT);
      spans = readBatch(r);
    } else r.skip(t);
  }
  r.structEnd();
  r.leave();
  if (!spans) throw new CodecError('jaeger agent: emitBatch without batch argument');
  if (r.remaining !== 0) throw new CodecError(`jaeger agent: ${r.remaining} trailing bytes after message`);
  return spans;
}

/** Read just the message header (name, type, seqId) of an agent message. */
export function readJaegerMessageHeader(buf: Uint8Array, protocol: ThriftProtocol): { name: string; type: number; seqId: number } {
  return makeThriftReader(buf, protocol).readMessageBegin();
}

// ---------------------------------------------------------------------------------------------
// Encoding

function writeTag(w: ThriftWriter, key: string, v: AttributeValue): void {
  w.structBegin();
  w.fieldString(1, key);
  switch (v.type) {
    case 'string':
      w.fieldI32(2, JaegerTagType.STRING);
      w.fieldString(3, v.value);
      break;
    case 'double':
      w.fieldI32(2, JaegerTagType.DOUBLE);
      w.fieldDouble(4, v.value);
      break;
    case 'bool':
      w.fieldI32(2, JaegerTagType.BOOL);
      w.fieldBool(5, v.value);
      break;
    case 'int':
      w.fieldI32(2, JaegerTagType.LONG);
      w.fieldI64(6, BigInt(v.value));
      break;
    case 'bytes':
      w.fieldI32(2, JaegerTagType.BINARY);
      w.fieldBinary(7, v.value);
      break;
    default:
      w.fieldI32(2, JaegerTagType.STRING);
      w.fieldString(3, attributeValueToString(v));
  }
  w.structEnd();
}

function writeTags(w: ThriftWriter, id: number, tags: Attribute[], extra: Attribute[] = []): void {
  w.fieldBegin(ThriftType.LIST, id);
  w.listBegin(ThriftType.STRUCT, tags.length + extra.length);
  for (const t of tags) writeTag(w, t.key, t.value);
  for (const t of extra) writeTag(w, t.key, t.value);
}

function hasKey(attrs: Attribute[], key: string): boolean {
  for (let i = 0; i < attrs.length; i++) if (attrs[i].key === key) return true;
  return false;
}

function toMicros(ns: bigint): bigint {
  return ns / 1000n;
}

function writeSpan(w: ThriftWriter, s: Span): void {
  const [high, low] = traceIdHalves(s.traceId);
  w.structBegin();
  w.fieldI64Hex(1, low);
  w.fieldI64Hex(2, high);
  w.fieldI64Hex(3, checkHex(s.spanId, 16, 'span id'));
  w.fieldI64Hex(4, checkHex(s.parentSpanId, 16, 'parent span id'));
  w.fieldString(5, s.name);
  if (s.links.length > 0) {
    w.fieldBegin(ThriftType.LIST, 6);
    w.listBegin(ThriftType.STRUCT, s.links.length);
    for (const l of s.links) {
      const [lh, ll] = traceIdHalves(l.traceId);
      w.structBegin();
      w.fieldI32(1, l.refType === 'CHILD_OF' ? JaegerRefType.CHILD_OF : JaegerRefType.FOLLOWS_FROM);
      w.fieldI64Hex(2, ll);
      w.fieldI64Hex(3, lh);
      w.fieldI64Hex(4, checkHex(l.spanId, 16, 'link span id'));
      w.structEnd();
    }
  }
  w.fieldI32(7, s.flags & 0xff);
  const startUs = toMicros(s.startTimeUnixNano);
  const d = s.endTimeUnixNano - s.startTimeUnixNano;
  w.fieldI64Big(8, startUs);
  w.fieldI64Big(9, d > 0n ? d / 1000n : 0n);
  const extra: Attribute[] = [];
  if (
    s.kind !== SpanKind.INTERNAL &&
    s.kind !== SpanKind.UNSPECIFIED &&
    !hasKey(s.attributes, 'span.kind')
  ) {
    extra.push({ key: 'span.kind', value: { type: 'string', value: KIND_TAG[s.kind] } });
  }
  if (s.status.code === StatusCode.ERROR) {
    if (!hasKey(s.attributes, 'error')) extra.push({ key: 'error', value: { type: 'bool', value: true } });
    if (s.status.message && !hasKey(s.attributes, 'otel.status_description')) {
      extra.push({ key: 'otel.status_description', value: { type: 'string', value: s.status.message } });
    }
  } else if (s.status.code === StatusCode.OK && !hasKey(s.attributes, 'otel.status_code')) {
    extra.push({ key: 'otel.status_code', value: { type: 'string', value: 'OK' } });
  }
  if (s.attributes.length + extra.length > 0) writeTags(w, 10, s.attributes, extra);
  if (s.events.length > 0) {
    w.fieldBegin(ThriftType.LIST, 11);
    w.listBegin(ThriftType.STRUCT, s.events.length);
    for (const e of s.events) {
      w.structBegin();
      w.fieldI64Big(1, toMicros(e.timeUnixNano));
      const evExtra: Attribute[] =
        e.name !== '' && !hasKey(e.attributes, 'event') ? [{ key: 'event', value: { type: 'string', value: e.name } }] : [];
      writeTagsPrepend(w, 2, evExtra, e.attributes);
      w.structEnd();
    }
  }
  w.structEnd();
}

function writeTagsPrepend(w: ThriftWriter, id: number, first: Attribute[], rest: Attribute[]): void {
  w.fieldBegin(ThriftType.LIST, id);
  w.listBegin(ThriftType.STRUCT, first.length + rest.length);
  for (const t of first) writeTag(w, t.key, t.value);
  for (const t of rest) writeTag(w, t.key, t.value);
}

const KIND_TAG: Record<number, string> = {
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
};

const HEX_RE = /^[0-9a-fA-F]*$/;
function checkHex(id: string, max: number, what: string): string {
  if (id.length > max || !HEX_RE.test(id)) throw new CodecError(`jaeger thrift: invalid ${what} ${JSON.stringify(id.slice(0, 40))}`);
  return id;
}

/** [high, low] 16-hex-char halves of a trace id (left-padded). */
function traceIdHalves(traceId: string): [string, string] {
  const t = checkHex(traceId, 32, 'trace id').padStart(32, '0');
  return [t.slice(0, 16), t.slice(16)];
}

/** Batch field 1: the Process struct. */
function writeProcess(w: ThriftWriter, resource: Resource): void {
  w.fieldBegin(ThriftType.STRUCT, 1);
  w.structBegin();
  w.fieldString(1, resource.serviceName);
  if (resource.attributes.length > 0) writeTags(w, 2, resource.attributes);
  w.structEnd();
}

function writeBatch(w: ThriftWriter, resource: Resource, spans: Span[]): void {
  w.structBegin();
  writeProcess(w, resource);
  w.fieldBegin(ThriftType.LIST, 2);
  w.listBegin(ThriftType.STRUCT, spans.length);
  for (const s of spans) writeSpan(w, s);
  w.structEnd();
}

/** Group spans by resource: by object identity first, then by equal content. Order kept. */
export function groupByResource(spans: readonly Span[]): { resource: Resource; spans: Span[] }[] {
  const byObj = new Map<Resource, { resource: Resource; spans: Span[] }>();
  const byKey = new Map<string, { resource: Resource; spans: Span[] }>();
  const groups: { resource: Resource; spans: Span[] }[] = [];
  for (const s of spans) {
    let g = byObj.get(s.resource);
    if (!g) {
      const key = resourceKey(s.resource);
      g = byKey.get(key);
      if (!g) {
        g = { resource: s.resource, spans: [] };
        byKey.set(key, g);
        groups.push(g);
      }
      byObj.set(s.resource, g);
    }
    g.spans.push(s);
  }
  return groups;
}

function resourceKey(r: Resource): string {
  let k = r.serviceName + '\u0000';
  for (const a of r.attributes) k += a.key + '\u0001' + a.value.type + '\u0001' + attributeValueToString(a.value) + '\u0000';
  return k;
}

/**
 * Encode spans as bare Jaeger `Batch` structs, one per distinct resource (the collector's
 * `POST /api/traces` takes one Batch per request).
 */
export function encodeJaegerThriftBatch(spans: readonly Span[], protocol: ThriftProtocol = 'binary'): Uint8Array[] {
  return groupByResource(spans).map((g) => {
    const w = makeThriftWriter(protocol);
    writeBatch(w, g.resource, g.spans);
    return w.finish();
  });
}

/**
 * Encode spans as `Agent.emitBatch` ONEWAY messages: one message (one UDP datagram) per distinct
 * resource, or more when `maxPacketSize` is given — spans are then packed greedily, in order, so
 * that every message fits (the Jaeger agent's UDP limit is 65000 bytes). A single span that cannot
 * fit even alone raises a CodecError naming it.
 */
export function encodeJaegerAgentMessage(
  spans: readonly Span[],
  protocol: ThriftProtocol,
  seqId = 0,
  maxPacketSize = Infinity,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const g of groupByResource(spans)) {
    if (maxPacketSize === Infinity) {
      const w = makeThriftWriter(protocol);
      w.messageBegin('emitBatch', ThriftMessageType.ONEWAY, seqId);
      w.structBegin();
      w.fieldBegin(ThriftType.STRUCT, 1);
      writeBatch(w, g.resource, g.spans);
      w.structEnd();
      out.push(w.finish());
      continue;
    }
    // encode each span alone (a struct's bytes do not depend on its context), then pack
    const encoded = g.spans.map((s) => {
      const w = makeThriftWriter(protocol);
      writeSpan(w, s);
      return w.finish();
    });
    // fixed cost: message header + args/batch/process structs + list header (≤ 5 bytes) + stops
    const pw = makeThriftWriter(protocol);
    pw.messageBegin('emitBatch', ThriftMessageType.ONEWAY, seqId);
    pw.structBegin();
    pw.fieldBegin(ThriftType.STRUCT, 1);
    pw.structBegin();
    writeProcess(pw, g.resource);
    const overhead = pw.length + 3 /* list field header */ + 5 /* list header */ + 2 /* two struct stops */;
    let i = 0;
    while (i < encoded.length) {
      let size = overhead;
      let j = i;
      while (j < encoded.length && size + encoded[j].length <= maxPacketSize) size += encoded[j++].length;
      if (j === i) {
        const s = g.spans[i];
        throw new CodecError(
          `jaeger agent: span ${s.spanId} (${JSON.stringify(s.name.slice(0, 60))}) needs ${overhead + encoded[i].length} bytes, over the ${maxPacketSize}-byte packet limit`,
        );
      }
      const w = makeThriftWriter(protocol);
      w.messageBegin('emitBatch', ThriftMessageType.ONEWAY, seqId);
      w.structBegin();
      w.fieldBegin(ThriftType.STRUCT, 1);
      w.structBegin();
      writeProcess(w, g.resource);
      w.fieldBegin(ThriftType.LIST, 2);
      w.listBegin(ThriftType.STRUCT, j - i);
      for (let k = i; k < j; k++) w.raw(encoded[k]);
      w.structEnd();
      w.structEnd();
      out.push(w.finish());
      i = j;
    }
  }
  return out;
}

/** Map a RefType to its Jaeger enum value. */
export function refTypeToJaeger(t: RefType | undefined): number {
  return t === 'CHILD_OF' ? JaegerRefType.CHILD_OF : JaegerRefType.FOLLOWS_FROM;
}
