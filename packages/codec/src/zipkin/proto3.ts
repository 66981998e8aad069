/**
 * Zipkin proto3 (`zipkin.proto`: ListOfSpans, `POST /api/v2/spans` with
 * `Content-Type: application/x-protobuf`) ⇄ the model, through the Zipkin v2 span shape of model.ts.
 *
 *   message ListOfSpans { repeated Span spans = 1; }
 *   message Span { bytes trace_id = 1; bytes parent_id = 2; bytes id = 3; Kind kind = 4;
 *     string name = 5; fixed64 timestamp = 6; uint64 duration = 7; Endpoint local_endpoint = 8;
 *     Endpoint remote_endpoint = 9; repeated Annotation annotations = 10;
 *     map<string, string> tags = 11; bool debug = 12; bool shared = 13; }
 *   enum Kind { SPAN_KIND_UNSPECIFIED = 0; CLIENT = 1; SERVER = 2; PRODUCER = 3; CONSUMER = 4; }
 *   message Endpoint { string service_name = 1; bytes ipv4 = 2; bytes ipv6 = 3; int32 port = 4; }
 *   message Annotation { fixed64 timestamp = 1; string value = 2; }
 */
import type { Span } from '@ariadne/model';
import { CodecError } from '../errors.js';
import { ProtoReader, ProtoWriter, WireType, wireTypeError } from '../protobuf.js';
import { modelToZipkinSpan, zipkinSpansToModel } from './model.js';
import type { ZipkinEndpoint, ZipkinKind, ZipkinSpan } from './model.js';

const VARINT = WireType.VARINT;
const I64 = WireType.I64;
const LEN = WireType.LEN;
const t = (field: number, wt: number) => (field << 3) | wt;

const KINDS: (ZipkinKind | undefined)[] = [undefined, 'CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER'];
const KIND_NUM: Record<ZipkinKind, number> = { CLIENT: 1, SERVER: 2, PRODUCER: 3, CONSUMER: 4 };

function safeNumber(v: number | bigint, what: string, at: number): number {
  if (typeof v === 'bigint') throw new CodecError(`zipkin proto3: ${what} ${v} too large (at offset ${at})`);
  return v;
}

function idHex(r: ProtoReader, what: string, lengths: number[]): string {
  const at = r.pos;
  const h = r.hex();
  if (!lengths.includes(h.length / 2)) {
    throw new CodecError(`zipkin proto3: ${what} must be ${lengths.join(' or ')} bytes, got ${h.length / 2} (at offset ${at})`);
  }
  return h;
}

function ipv4Text(b: Uint8Array): string {
  if (b.length !== 4) throw new CodecError(`zipkin proto3: ipv4 must be 4 bytes, got ${b.length}`);
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

function ipv6Text(b: Uint8Array): string {
  if (b.length !== 16) throw new CodecError(`zipkin proto3: ipv6 must be 16 bytes, got ${b.length}`);
  // IPv4-mapped (RFC 5952 §5): ::ffff:a.b.c.d
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i] << 8) | b[i + 1]);
  // longest run (≥ 2) of zero groups → '::'
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function ipv4Bytes(s: string): Uint8Array | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const b = m.slice(1).map(Number);
  return b.every((x) => x <= 255) ? Uint8Array.from(b) : undefined;
}

function ipv6Bytes(s: string): Uint8Array | undefined {
  let text = s;
  const v4 = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (v4) {
    // embedded IPv4 (e.g. ::ffff:1.2.3.4) → two hex groups
    const b = ipv4Bytes(v4[1]);
    if (!b) return undefined;
    text = text.slice(0, -v4[1].length) + ((b[0] << 8) | b[1]).toString(16) + ':' + ((b[2] << 8) | b[3]).toString(16);
  }
  const parse = (p: string): number[] | undefined => {
    if (p === '') return [];
    const out: number[] = [];
    for (const x of p.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(x)) return undefined;
      out.push(parseInt(x, 16));
    }
    return out;
  };
  let groups: number[];
  const dbl = text.indexOf('::');
  if (dbl >= 0) {
    const head = parse(text.slice(0, dbl));
    const rest = parse(text.slice(dbl + 2));
    if (!head || !rest) return undefined;
    const fill = 8 - head.length - rest.length;
    if (fill < 1) return undefined;
    groups = [...head, ...new Array<number>(fill).fill(0), ...rest];
  } else {
    const all = parse(text);
    if (!all) return undefined;
    groups = all;
  }
  if (groups.length !== 8) return undefined;
  const out = new Uint8Array(16);
  groups.forEach((x, i) => {
    out[2 * i] = x >> 8;
    out[2 * i + 1] = x & 0xff;
  });
  return out;
}

/** Expected wire type per known field number; a known field with another wire type is an error. */
const SPAN_WT = [-1, LEN, LEN, LEN, VARINT, LEN, I64, VARINT, LEN, LEN, LEN, LEN, VARINT, VARINT];
const ENDPOINT_WT = [-1, LEN, LEN, LEN, VARINT];
const ANNOTATION_WT = [-1, I64, LEN];
const ENTRY_WT = [-1, LEN, LEN];

function skipUnknown(r: ProtoReader, tag: number, wts: number[], where: string): void {
  const f = tag >>> 3;
  if (f < wts.length) throw wireTypeError(f, tag & 7, wts[f], r.tagOffset, `zipkin proto3: ${where}`);
  r.skip(tag);
}

function readEndpoint(r: ProtoReader): ZipkinEndpoint {
  const saved = r.enter();
  const ep: ZipkinEndpoint = {};
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case t(1, LEN):
        ep.serviceName = r.string();
        break;
      case t(2, LEN): {
        const b = r.bytes();
        if (b.length > 0) ep.ipv4 = ipv4Text(b);
        break;
      }
      case t(3, LEN): {
        const b = r.bytes();
        if (b.length > 0) ep.ipv6 = ipv6Text(b);
        break;
      }
      case t(4, VARINT): {
        const port = r.int32();
        if (port < 0 || port > 65535) throw new CodecError(`zipkin proto3: endpoint port ${port} out of range`);
        if (port > 0) ep.port = port;
        break;
      }
      default:
        skipUnknown(r, tag, ENDPOINT_WT, 'Endpoint');
    }
  }
  r.leave(saved);
  if (!ep.serviceName) delete ep.serviceName;
  return ep;
}

function readSpan(r: ProtoReader, index: number): ZipkinSpan {
  const saved = r.enter();
  const z: ZipkinSpan = { traceId: '', id: '' };
  const where = `Span[${index}]`;
  while (r.more()) {
    const tag = r.tag();
    switch (tag) {
      case t(1, LEN):
        z.traceId = idHex(r, `${where}.trace_id`, [8, 16]);
        break;
      case t(2, LEN): {
        const p = idHex(r, `${where}.parent_id`, [0, 8]);
        if (p) z.parentId = p;
        break;
      }
      case t(3, LEN):
        z.id = idHex(r, `${where}.id`, [8]);
        break;
      case t(4, VARINT): {
        const k = r.int32();
        if (k < 0 || k >= KINDS.length) throw new CodecError(`zipkin proto3: ${where}.kind ${k} unknown`);
        const kind = KINDS[k];
        if (kind) z.kind = kind;
        else delete z.kind;
        break;
      }
      case t(5, LEN):
        z.name = r.string();
        break;
      case t(6, I64): {
        const at = r.pos;
        z.timestamp = safeNumber(r.fixed64Safe(), `${where}.timestamp`, at);
        break;
      }
      case t(7, VARINT): {
        const at = r.pos;
        z.duration = safeNumber(r.uint64Safe(), `${where}.duration`, at);
        break;
      }
      case t(8, LEN):
        z.localEndpoint = readEndpoint(r);
        break;
      case t(9, LEN):
        z.remoteEndpoint = readEndpoint(r);
        break;
      case t(10, LEN): {
        const s2 = r.enter();
        let ts = 0;
        let value = '';
        while (r.more()) {
          const tg = r.tag();
          if (tg === t(1, I64)) {
            const at = r.pos;
            ts = safeNumber(r.fixed64Safe(), `${where}.annotation.timestamp`, at);
          } else if (tg === t(2, LEN)) value = r.string();
          else {
            skipUnknown(r, tg, ANNOTATION_WT, 'Annotation');
          }
        }
        r.leave(s2);
        (z.annotations ??= []).push({ timestamp: ts, value });
        break;
      }
      case t(11, LEN): {
        const s2 = r.enter();
        let key = '';
        let value = '';
        while (r.more()) {
          const tg = r.tag();
          if (tg === t(1, LEN)) key = r.string();
          else if (tg === t(2, LEN)) value = r.string();
          else {
            skipUnknown(r, tg, ENTRY_WT, 'tags entry');
          }
        }
        r.leave(s2);
        (z.tags ??= Object.create(null) as Record<string, string>)[key] = value;
        break;
      }
      case t(12, VARINT):
        if (r.bool()) z.debug = true;
        else delete z.debug;
        break;
      case t(13, VARINT):
        if (r.bool()) z.shared = true;
        else delete z.shared;
        break;
      default:
        // a known field with the wrong wire type is an error; unknown fields are skipped
        skipUnknown(r, tag, SPAN_WT, where);
    }
  }
  r.leave(saved);
  if (!z.traceId) throw new CodecError(`zipkin proto3: ${where} has no trace_id`);
  if (!z.id) throw new CodecError(`zipkin proto3: ${where} has no id`);
  return z;
}

/** Decode a proto3 `ListOfSpans` into Zipkin v2 spans. */
export function parseZipkinProto3(buf: Uint8Array): ZipkinSpan[] {
  if (!(buf instanceof Uint8Array)) throw new CodecError('zipkin proto3: input must be a Uint8Array/Buffer');
  const r = new ProtoReader(buf);
  const out: ZipkinSpan[] = [];
  while (r.more()) {
    const tag = r.tag();
    if (tag === t(1, LEN)) out.push(readSpan(r, out.length));
    else {
      if (tag >>> 3 === 1) r.expect(tag, LEN, 'ListOfSpans');
      r.skip(tag);
    }
  }
  return out;
}

/** Decode a Zipkin proto3 `ListOfSpans` body into model spans. */
export function decodeZipkinProto3(buf: Uint8Array): Span[] {
  return zipkinSpansToModel(parseZipkinProto3(buf));
}

function writeEndpoint(w: ProtoWriter, field: number, ep: ZipkinEndpoint): void {
  const m = w.beginMessage(field);
  if (ep.serviceName) w.stringField(1, ep.serviceName);
  const v4 = ep.ipv4 ? ipv4Bytes(ep.ipv4) : undefined;
  if (v4) w.bytesField(2, v4);
  const v6 = ep.ipv6 ? ipv6Bytes(ep.ipv6) : undefined;
  if (v6) w.bytesField(3, v6);
  if (ep.port) w.int32Field(4, ep.port);
  w.endMessage(m);
}

/** Encode Zipkin v2 spans as a proto3 `ListOfSpans`. Unparseable IP addresses are left out. */
export function writeZipkinProto3(spans: readonly ZipkinSpan[]): Uint8Array {
  const w = new ProtoWriter();
  for (const z of spans) {
    const m = w.beginMessage(1);
    w.hexField(1, z.traceId.length % 2 ? '0' + z.traceId : z.traceId);
    if (z.parentId) w.hexField(2, z.parentId);
    w.hexField(3, z.id);
    if (z.kind) w.int32Field(4, KIND_NUM[z.kind]);
    if (z.name) w.stringField(5, z.name);
    if (z.timestamp) w.fixed64Field(6, z.timestamp);
    if (z.duration) w.int64Field(7, z.duration);
    if (z.localEndpoint) writeEndpoint(w, 8, z.localEndpoint);
    if (z.remoteEndpoint) writeEndpoint(w, 9, z.remoteEndpoint);
    for (const a of z.annotations ?? []) {
      const am = w.beginMessage(10);
      w.fixed64Field(1, a.timestamp);
      w.stringField(2, a.value);
      w.endMessage(am);
    }
    if (z.tags) {
      for (const k in z.tags) {
        const tm = w.beginMessage(11);
        w.stringField(1, k);
        w.stringField(2, z.tags[k]);
        w.endMessage(tm);
      }
    }
    if (z.debug) w.boolField(12, true);
    if (z.shared) w.boolField(13, true);
    w.endMessage(m);
  }
  return w.finish();
}

/** Encode model spans as a Zipkin proto3 `ListOfSpans`. */
export function encodeZipkinProto3(spans: readonly Span[]): Uint8Array {
  return writeZipkinProto3(spans.map(modelToZipkinSpan));
}
