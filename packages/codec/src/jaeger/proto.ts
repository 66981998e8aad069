/**
 * Jaeger api_v2 protobuf (model.proto / collector.proto: `PostSpansRequest{Batch{spans, process}}`)
 * ⇄ the Ariadne span model, for the collector's gRPC `jaeger.api_v2.CollectorService/PostSpans`.
 *
 * The same mapping as the Thrift codec (`jaegerSpanToModel`), with two differences of the format:
 * ids are bytes (16-byte trace id, 8-byte span id) and there is no parent id field — the parent is
 * the CHILD_OF reference; times are Timestamp/Duration with nanosecond precision. A span's own
 * `process` takes priority over the batch's. Span `warnings` are kept.
 */
import { attributeValueToString, makeResource } from '@ariadne/model';
import type { Attribute, AttributeValue, Resource, Span, SpanEvent } from '@ariadne/model';
import { CodecError } from '../errors.js';
import { ProtoReader, ProtoWriter, WireType } from '../protobuf.js';
import { JaegerRefType, jaegerSpanToModel, type JaegerRawSpan } from './model.js';

const LEN = WireType.LEN;
const VARINT = WireType.VARINT;
const I64 = WireType.I64;
const t = (field: number, wire: number) => (field << 3) | wire;

/** api_v2 ValueType numbering (differs from Thrift's TagType). */
const V = { STRING: 0, BOOL: 1, INT64: 2, FLOAT64: 3, BINARY: 4 } as const;

function readKeyValue(r: ProtoReader): Attribute {
  let key = '';
  let vType = 0;
  let str = '';
  let bool = false;
  let int: number | bigint = 0;
  let dbl = 0;
  let bin: Uint8Array = new Uint8Array(0);
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case t(1, LEN): key = r.string(); break;
      case t(2, VARINT): vType = r.int32(); break;
      case t(3, LEN): str = r.string(); break;
      case t(4, VARINT): bool = r.bool(); break;
      case t(5, VARINT): int = r.int64Safe(); break;
      case t(6, I64): dbl = r.double(); break;
      case t(7, LEN): bin = r.bytesCopy(); break;
      default: r.skip(tag);
    }
  }
  let value: AttributeValue;
  switch (vType) {
    case V.STRING: value = { type: 'string', value: str }; break;
    case V.BOOL: value = { type: 'bool', value: bool }; break;
    case V.INT64: value = { type: 'int', value: int }; break;
    case V.FLOAT64: value = { type: 'double', value: dbl }; break;
    case V.BINARY: value = { type: 'bytes', value: bin }; break;
    default: throw new CodecError(`jaeger proto: KeyValue ${JSON.stringify(key)} has unknown v_type ${vType}`);
  }
  return { key, value };
}

/** google.protobuf.Timestamp / Duration → ns. */
function readNanos(r: ProtoReader): bigint {
  let seconds = 0n;
  let nanos = 0;
  while (r.more()) {
    const tag = r.tag();
    if (tag === t(1, VARINT)) seconds = r.int64();
    else if (tag === t(2, VARINT)) nanos = r.int32();
    else r.skip(tag);
  }
  return seconds * 1_000_000_000n + BigInt(nanos);
}

function sub<T>(r: ProtoReader, read: (r: ProtoReader) => T): T {
  const saved = r.enter();
  const v = read(r);
  r.leave(saved);
  return v;
}

function readProcess(r: ProtoReader): Resource {
  let service = '';
  const tags: Attribute[] = [];
  while (r.more()) {
    const tag = r.tag();
    if (tag === t(1, LEN)) service = r.string();
    else if (tag === t(2, LEN)) tags.push(sub(r, readKeyValue));
    else r.skip(tag);
  }
  return makeResource(service, tags);
}

function idHex(bytes: Uint8Array, len: number, what: string): string {
  if (bytes.length > len) throw new CodecError(`jaeger proto: ${what} has ${bytes.length} bytes, at most ${len}`);
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s.padStart(len * 2, '0');
}

interface ProtoSpan {
  raw: JaegerRawSpan;
  process?: Resource;
  warnings: string[];
}

function readSpan(r: ProtoReader): ProtoSpan {
  const raw: JaegerRawSpan = { traceId: '', spanId: '', parentSpanId: '', name: '', refs: [], flags: 0, startTimeUnixNano: 0n, durationNano: 0n, tags: [], logs: [] };
  let process: Resource | undefined;
  const warnings: string[] = [];
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case t(1, LEN): raw.traceId = idHex(r.bytes(), 16, 'trace_id'); break;
      case t(2, LEN): raw.spanId = idHex(r.bytes(), 8, 'span_id'); break;
      case t(3, LEN): raw.name = r.string(); break;
      case t(4, LEN):
        raw.refs.push(
          sub(r, (rr) => {
            const ref = { refType: JaegerRefType.CHILD_OF as number, traceId: '', spanId: '' };
            while (rr.more()) {
              const tg = rr.tag();
              if (tg === t(1, LEN)) ref.traceId = idHex(rr.bytes(), 16, 'reference trace_id');
              else if (tg === t(2, LEN)) ref.spanId = idHex(rr.bytes(), 8, 'reference span_id');
              else if (tg === t(3, VARINT)) ref.refType = rr.int32();
              else rr.skip(tg);
            }
            if (ref.refType !== JaegerRefType.CHILD_OF && ref.refType !== JaegerRefType.FOLLOWS_FROM) throw new CodecError(`jaeger proto: unknown ref_type ${ref.refType}`);
            return ref;
          }),
        );
        break;
      case t(5, VARINT): raw.flags = r.uint32(); break;
      case t(6, LEN): raw.startTimeUnixNano = sub(r, readNanos); break;
      case t(7, LEN): raw.durationNano = sub(r, readNanos); break;
      case t(8, LEN): raw.tags.push(sub(r, readKeyValue)); break;
      case t(9, LEN):
        raw.logs.push(
          sub(r, (rr) => {
            const ev: SpanEvent = { timeUnixNano: 0n, name: '', attributes: [], droppedAttributesCount: 0 };
            while (rr.more()) {
              const tg = rr.tag();
              if (tg === t(1, LEN)) ev.timeUnixNano = sub(rr, readNanos);
              else if (tg === t(2, LEN)) ev.attributes.push(sub(rr, readKeyValue));
              else rr.skip(tg);
            }
            const name = ev.attributes.find((a) => a.key === 'event');
            ev.name = name ? attributeValueToString(name.value) : '';
            return ev;
          }),
        );
        break;
      case t(10, LEN): process = sub(r, readProcess); break;
      case t(12, LEN): warnings.push(r.string()); break;
      default: r.skip(tag);
    }
  }
  return { raw, process, warnings };
}

/** Decode a `PostSpansRequest` (or a bare `Batch` when `bareBatch`). Throws CodecError. */
export function decodeJaegerProtoPostSpans(buf: Uint8Array, bareBatch = false): Span[] {
  const r = new ProtoReader(buf);
  const readBatch = (rr: ProtoReader) => {
    const spans: ProtoSpan[] = [];
    let process: Resource | undefined;
    while (rr.more()) {
      const tag = rr.tag();
      if (tag === t(1, LEN)) spans.push(sub(rr, readSpan));
      else if (tag === t(2, LEN)) process = sub(rr, readProcess);
      else rr.skip(tag);
    }
    const fallback = process ?? makeResource('');
    return spans.map((s) => {
      const span = jaegerSpanToModel(s.raw, s.process ?? fallback);
      if (s.warnings.length) span.warnings.push(...s.warnings);
      return span;
    });
  };
  if (bareBatch) return readBatch(r);
  let out: Span[] = [];
  while (r.more()) {
    const tag = r.tag();
    if (tag === t(1, LEN)) out = out.concat(sub(r, readBatch));
    else r.skip(tag);
  }
  return out;
}

function writeKeyValue(w: ProtoWriter, field: number, key: string, v: AttributeValue): void {
  const m = w.beginMessage(field);
  w.stringField(1, key);
  switch (v.type) {
    case 'bool': w.int32Field(2, V.BOOL); w.boolField(4, v.value); break;
    case 'int': w.int32Field(2, V.INT64); w.int64Field(5, v.value); break;
    case 'double': w.int32Field(2, V.FLOAT64); w.doubleField(6, v.value); break;
    case 'bytes': w.int32Field(2, V.BINARY); w.bytesField(7, v.value); break;
    default: w.int32Field(2, V.STRING); w.stringField(3, v.type === 'string' ? v.value : attributeValueToString(v));
  }
  w.endMessage(m);
}

function writeNanos(w: ProtoWriter, field: number, ns: bigint): void {
  const m = w.beginMessage(field);
  w.int64Field(1, ns / 1_000_000_000n);
  w.int32Field(2, Number(ns % 1_000_000_000n));
  w.endMessage(m);
}

function writeProcess(w: ProtoWriter, field: number, r: Resource): void {
  const m = w.beginMessage(field);
  w.stringField(1, r.serviceName);
  for (const a of r.attributes) if (a.key !== 'service.name') writeKeyValue(w, 2, a.key, a.value);
  w.endMessage(m);
}

const KIND_TAG = ['', '', 'server', 'client', 'producer', 'consumer'];

/**
 * Encode spans as one `PostSpansRequest` (what a Jaeger gRPC client sends). Each span carries its
 * own process, so spans of several resources fit in one request.
 */
export function encodeJaegerProtoPostSpans(spans: readonly Span[]): Uint8Array {
  const w = new ProtoWriter(1024);
  const batch = w.beginMessage(1);
  for (const s of spans) {
    const m = w.beginMessage(1);
    w.hexField(1, s.traceId);
    w.hexField(2, s.spanId);
    w.stringField(3, s.name);
    const refs = s.parentSpanId ? [{ refType: JaegerRefType.CHILD_OF as number, traceId: s.traceId, spanId: s.parentSpanId }] : [];
    for (const l of s.links) refs.push({ refType: l.refType === 'CHILD_OF' ? JaegerRefType.CHILD_OF : JaegerRefType.FOLLOWS_FROM, traceId: l.traceId, spanId: l.spanId });
    for (const ref of refs) {
      const rm = w.beginMessage(4);
      w.hexField(1, ref.traceId);
      w.hexField(2, ref.spanId);
      w.int32Field(3, ref.refType);
      w.endMessage(rm);
    }
    w.uint32Field(5, s.flags & 0xff);
    writeNanos(w, 6, s.startTimeUnixNano);
    writeNanos(w, 7, s.endTimeUnixNano - s.startTimeUnixNano);
    const has = (k: string) => s.attributes.some((a) => a.key === k);
    for (const a of s.attributes) writeKeyValue(w, 8, a.key, a.value);
    if (KIND_TAG[s.kind] && !has('span.kind')) writeKeyValue(w, 8, 'span.kind', { type: 'string', value: KIND_TAG[s.kind] });
    if (s.status.code === 2 && !has('error')) writeKeyValue(w, 8, 'error', { type: 'bool', value: true });
    for (const e of s.events) {
      const lm = w.beginMessage(9);
      writeNanos(w, 1, e.timeUnixNano);
      if (e.name && !e.attributes.some((a) => a.key === 'event')) writeKeyValue(w, 2, 'event', { type: 'string', value: e.name });
      for (const a of e.attributes) writeKeyValue(w, 2, a.key, a.value);
      w.endMessage(lm);
    }
    writeProcess(w, 10, s.resource);
    for (const warning of s.warnings) w.stringField(12, warning);
    w.endMessage(m);
  }
  w.endMessage(batch);
  return w.finish();
}
