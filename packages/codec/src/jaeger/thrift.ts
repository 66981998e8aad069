/**
 * Hand-written Apache Thrift binary and compact protocol readers/writers (the Jaeger agent's hot
 * path). Readers are bounds-checked: truncated input, unknown types, lengths larger than the
 * remaining input and nesting deeper than THRIFT_MAX_DEPTH all raise CodecError.
 */
import { CodecError } from '../errors.js';

export type ThriftProtocol = 'binary' | 'compact';

/** Standard Thrift type ids (binary protocol numbering; the compact reader maps to these). */
export const ThriftType = {
  STOP: 0,
  BOOL: 2,
  BYTE: 3,
  DOUBLE: 4,
  I16: 6,
  I32: 8,
  I64: 10,
  STRING: 11,
  STRUCT: 12,
  MAP: 13,
  SET: 14,
  LIST: 15,
} as const;

export const ThriftMessageType = { CALL: 1, REPLY: 2, EXCEPTION: 3, ONEWAY: 4 } as const;

/** Nesting limit for structs/containers (skip of unknown fields included). */
export const THRIFT_MAX_DEPTH = 64;

export interface ThriftMessageHeader {
  name: string;
  type: number;
  seqId: number;
}

/** Minimum encoded size of one value of a type, used to reject impossible container sizes. */
function minSize(type: number, compact: boolean): number {
  switch (type) {
    case ThriftType.BOOL:
    case ThriftType.BYTE:
      return 1;
    case ThriftType.DOUBLE:
      return 8;
    case ThriftType.I16:
      return compact ? 1 : 2;
    case ThriftType.I32:
      return compact ? 1 : 4;
    case ThriftType.I64:
      return compact ? 1 : 8;
    case ThriftType.STRING:
      return compact ? 1 : 4;
    case ThriftType.STRUCT:
      return 1;
    case ThriftType.MAP:
    case ThriftType.SET:
    case ThriftType.LIST:
      return compact ? 1 : 5;
    default:
      return 1;
  }
}

function typeName(t: number): string {
  for (const [k, v] of Object.entries(ThriftType)) if (v === t) return k;
  return `type ${t}`;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

const HEX8_PAD = '00000000';
function hex8(n: number): string {
  const h = n.toString(16);
  return h.length === 8 ? h : HEX8_PAD.slice(h.length) + h;
}

function partsToBigInt(hi: number, lo: number): bigint {
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
}

/** UTF-8 decode with a fast path for short ASCII strings (most tag keys and values). */
function decodeString(buf: Uint8Array, start: number, end: number): string {
  if (end - start <= 64) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = buf[i];
      if (c >= 0x80) return utf8.decode(buf.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return utf8.decode(buf.subarray(start, end));
}
const utf8enc = new TextEncoder();

/** Common reader state and helpers. */
export abstract class ThriftReader {
  protected pos: number;
  protected readonly view: DataView;
  /** Current struct/container nesting. */
  depth = 0;

  constructor(
    protected readonly buf: Uint8Array,
    start = 0,
  ) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get offset(): number {
    return this.pos;
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }

  protected need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) {
      throw new CodecError(`thrift: truncated input reading ${what} at offset ${this.pos} (need ${n} bytes, have ${this.buf.length - this.pos})`);
    }
  }

  protected checkSize(size: number, elemType: number, what: string): void {
    if (size < 0) throw new CodecError(`thrift: negative ${what} size ${size} at offset ${this.pos}`);
    const min = minSize(elemType, this instanceof ThriftCompactReader);
    if (size * min > this.buf.length - this.pos) {
      throw new CodecError(`thrift: ${what} size ${size} exceeds remaining input (${this.buf.length - this.pos} bytes) at offset ${this.pos}`);
    }
  }

  enter(): void {
    if (++this.depth > THRIFT_MAX_DEPTH) throw new CodecError(`thrift: nesting deeper than ${THRIFT_MAX_DEPTH} at offset ${this.pos}`);
  }
  leave(): void {
    this.depth--;
  }

  abstract readMessageBegin(): ThriftMessageHeader;
  abstract structBegin(): void;
  abstract structEnd(): void;
  /** Next field's [type, id]; type STOP (0) at the end of the struct. Stored in fieldType/fieldId. */
  abstract readFieldBegin(): void;
  fieldType = 0;
  fieldId = 0;
  abstract readBool(): boolean;
  abstract readByte(): number;
  abstract readI16(): number;
  abstract readI32(): number;
  /** Read an i64 into `hi`/`lo` (two's complement halves, each as an unsigned 32-bit number). */
  abstract readI64Parts(): void;
  hi = 0;
  lo = 0;
  /** i64 as a bigint. */
  readI64(): bigint {
    this.readI64Parts();
    return partsToBigInt(this.hi, this.lo);
  }
  /** i64 as 16 lowercase hex chars (unsigned view), without going through bigint. */
  readI64Hex(): string {
    this.readI64Parts();
    return hex8(this.hi) + hex8(this.lo);
  }
  /** i64 as a number when it is a safe integer, else a bigint. */
  readI64Safe(): number | bigint {
    this.readI64Parts();
    const hi = this.hi | 0;
    if (hi >= -0x200000 && hi < 0x200000) {
      const v = hi * 4294967296 + this.lo;
      if (Number.isSafeInteger(v)) return v;
    }
    return partsToBigInt(this.hi, this.lo);
  }
  abstract readDouble(): number;
  abstract readBinary(): Uint8Array;
  /** List or set header: element type and size (size already checked against remaining input). */
  abstract readListBegin(): { elemType: number; size: number };
  abstract readMapBegin(): { keyType: number; valueType: number; size: number };

  readString(): string {
    const b = this.readBinary();
    return b.length === 0 ? '' : decodeString(b, 0, b.length);
  }

  /** Skip one value of `type` (recursively, depth-limited). */
  skip(type: number): void {
    switch (type) {
      case ThriftType.BOOL:
        this.readBool();
        return;
      case ThriftType.BYTE:
        this.readByte();
        return;
      case ThriftType.I16:
        this.readI16();
        return;
      case ThriftType.I32:
        this.readI32();
        return;
      case ThriftType.I64:
        this.readI64Parts();
        return;
      case ThriftType.DOUBLE:
        this.readDouble();
        return;
      case ThriftType.STRING:
        this.readBinary();
        return;
      case ThriftType.STRUCT:
        this.enter();
        this.structBegin();
        for (;;) {
          this.readFieldBegin();
          if (this.fieldType === ThriftType.STOP) break;
          this.skip(this.fieldType);
        }
        this.structEnd();
        this.leave();
        return;
      case ThriftType.LIST:
      case ThriftType.SET: {
        this.enter();
        const { elemType, size } = this.readListBegin();
        for (let i = 0; i < size; i++) this.skip(elemType);
        this.leave();
        return;
      }
      case ThriftType.MAP: {
        this.enter();
        const { keyType, valueType, size } = this.readMapBegin();
        for (let i = 0; i < size; i++) {
          this.skip(keyType);
          this.skip(valueType);
        }
        this.leave();
        return;
      }
      default:
        throw new CodecError(`thrift: cannot skip unknown ${typeName(type)} at offset ${this.pos}`);
    }
  }

  /** Throw a CodecError saying the field has the wrong type. */
  wrongType(struct: string, field: string, expected: number): never {
    throw new CodecError(
      `thrift: ${struct}.${field} (field ${this.fieldId}) has ${typeName(this.fieldType)}, expected ${typeName(expected)} (offset ${this.pos})`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Binary protocol

export class ThriftBinaryReader extends ThriftReader {
  readMessageBegin(): ThriftMessageHeader {
    this.need(4, 'message header');
    const first = this.view.getInt32(this.pos);
    if (first < 0) {
      // strict: version | type
      if ((first & 0xffff0000) !== (0x80010000 | 0)) {
        throw new CodecError(`thrift binary: bad message version 0x${(first >>> 0).toString(16)}`);
      }
      this.pos += 4;
      const type = first & 0xff;
      const name = this.readString();
      const seqId = this.readI32();
      return { name, type, seqId };
    }
    // old non-strict: name, type byte, seqid
    const name = this.readString();
    const type = this.readByte();
    const seqId = this.readI32();
    return { name, type, seqId };
  }
  structBegin(): void {}
  structEnd(): void {}
  readFieldBegin(): void {
    this.need(1, 'field header');
    const t = this.buf[this.pos++];
    this.fieldType = t;
    if (t === ThriftType.STOP) {
      this.fieldId = 0;
      return;
    }
    this.need(2, 'field id');
    this.fieldId = this.view.getInt16(this.pos);
    this.pos += 2;
  }
  readBool(): boolean {
    this.need(1, 'bool');
    return this.buf[this.pos++] !== 0;
  }
  readByte(): number {
    this.need(1, 'byte');
    return this.view.getInt8(this.pos++);
  }
  readI16(): number {
    this.need(2, 'i16');
    const v = this.view.getInt16(this.pos);
    this.pos += 2;
    return v;
  }
  readI32(): number {
    this.need(4, 'i32');
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }
  readI64Parts(): void {
    this.need(8, 'i64');
    this.hi = this.view.getUint32(this.pos);
    this.lo = this.view.getUint32(this.pos + 4);
    this.pos += 8;
  }
  readDouble(): number {
    this.need(8, 'double');
    const v = this.view.getFloat64(this.pos);
    this.pos += 8;
    return v;
  }
  readBinary(): Uint8Array {
    this.need(4, 'string length');
    const len = this.view.getInt32(this.pos);
    this.pos += 4;
    if (len < 0) throw new CodecError(`thrift binary: negative string length ${len} at offset ${this.pos - 4}`);
    this.need(len, 'string');
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }
  readListBegin(): { elemType: number; size: number } {
    this.need(5, 'list header');
    const elemType = this.buf[this.pos];
    const size = this.view.getInt32(this.pos + 1);
    this.pos += 5;
    this.checkSize(size, elemType, 'list');
    return { elemType, size };
  }
  readMapBegin(): { keyType: number; valueType: number; size: number } {
    this.need(6, 'map header');
    const keyType = this.buf[this.pos];
    const valueType = this.buf[this.pos + 1];
    const size = this.view.getInt32(this.pos + 2);
    this.pos += 6;
    this.checkSize(size * 2, ThriftType.BYTE, 'map');
    return { keyType, valueType, size };
  }
}

// ---------------------------------------------------------------------------------------------
// Compact protocol

const COMPACT_PROTOCOL_ID = 0x82;
const COMPACT_VERSION = 1;

/** compact type id → standard ThriftType (index = compact id). -1 = invalid. */
const COMPACT_TO_TTYPE = [ThriftType.STOP, ThriftType.BOOL, ThriftType.BOOL, ThriftType.BYTE, ThriftType.I16, ThriftType.I32, ThriftType.I64, ThriftType.DOUBLE, ThriftType.STRING, ThriftType.LIST, ThriftType.SET, ThriftType.MAP, ThriftType.STRUCT];
/** standard ThriftType → compact type id. */
const TTYPE_TO_COMPACT: Record<number, number> = {
  [ThriftType.BOOL]: 1,
  [ThriftType.BYTE]: 3,
  [ThriftType.I16]: 4,
  [ThriftType.I32]: 5,
  [ThriftType.I64]: 6,
  [ThriftType.DOUBLE]: 7,
  [ThriftType.STRING]: 8,
  [ThriftType.LIST]: 9,
  [ThriftType.SET]: 10,
  [ThriftType.MAP]: 11,
  [ThriftType.STRUCT]: 12,
};

export class ThriftCompactReader extends ThriftReader {
  private lastFieldId = 0;
  private readonly fieldIdStack: number[] = [];
  /** Value of a bool field carried in its header (compact), or undefined. */
  private pendingBool: boolean | undefined;

  private compactType(ct: number): number {
    const t = ct < COMPACT_TO_TTYPE.length ? COMPACT_TO_TTYPE[ct] : -1;
    if (t === -1) throw new CodecError(`thrift compact: unknown type id ${ct} at offset ${this.pos}`);
    return t;
  }

  /** Unsigned varint up to 32 bits. */
  private readVarint32(what: string): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.buf.length) this.need(1, what);
      const b = this.buf[this.pos++];
      if (shift === 28) {
        if (b > 0x0f) throw new CodecError(`thrift compact: varint32 too long reading ${what} at offset ${this.pos - 1}`);
        return (result | (b << 28)) >>> 0;
      }
      result |= (b & 0x7f) << shift;
      if (b < 0x80) return result >>> 0;
      shift += 7;
    }
  }

  /** Unsigned varint up to 64 bits into hi/lo (unsigned 32-bit halves). */
  private readVarint64Parts(what: string): void {
    const buf = this.buf;
    const end = buf.length;
    let lo = 0;
    let hi = 0;
    let b: number;
    for (let shift = 0; shift < 28; shift += 7) {
      if (this.pos >= end) this.need(1, what);
      b = buf[this.pos++];
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.lo = lo >>> 0;
        this.hi = 0;
        return;
      }
    }
    if (this.pos >= end) this.need(1, what);
    b = buf[this.pos++];
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x7f) >> 4;
    if (b < 0x80) {
      this.lo = lo >>> 0;
      this.hi = hi;
      return;
    }
    for (let shift = 3; shift <= 31; shift += 7) {
      if (this.pos >= end) this.need(1, what);
      b = buf[this.pos++];
      if (shift === 31 && b > 1) break;
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    throw new CodecError(`thrift compact: varint64 too long reading ${what} at offset ${this.pos - 1}`);
  }

  readMessageBegin(): ThriftMessageHeader {
    this.need(2, 'message header');
    const pid = this.buf[this.pos];
    if (pid !== COMPACT_PROTOCOL_ID) {
      throw new CodecError(`thrift compact: bad protocol id 0x${pid.toString(16)} (expected 0x82)`);
    }
    const vt = this.buf[this.pos + 1];
    if ((vt & 0x1f) !== COMPACT_VERSION) throw new CodecError(`thrift compact: unsupported version ${vt & 0x1f}`);
    this.pos += 2;
    const type = (vt >> 5) & 0x07;
    const seqId = this.readVarint32('message seqid') | 0;
    const name = this.readString();
    return { name, type, seqId };
  }
  structBegin(): void {
    this.fieldIdStack.push(this.lastFieldId);
    this.lastFieldId = 0;
  }
  structEnd(): void {
    this.lastFieldId = this.fieldIdStack.pop() ?? 0;
  }
  readFieldBegin(): void {
    this.need(1, 'field header');
    const h = this.buf[this.pos++];
    const ct = h & 0x0f;
    if (ct === 0) {
      this.fieldType = ThriftType.STOP;
      this.fieldId = 0;
      return;
    }
    const delta = h >> 4;
    if (delta !== 0) this.fieldId = this.lastFieldId + delta;
    else this.fieldId = zigzag32(this.readVarint32('field id')) << 16 >> 16;
    this.lastFieldId = this.fieldId;
    this.fieldType = this.compactType(ct);
    this.pendingBool = ct === 1 ? true : ct === 2 ? false : undefined;
  }
  readBool(): boolean {
    if (this.pendingBool !== undefined) {
      const v = this.pendingBool;
      this.pendingBool = undefined;
      return v;
    }
    this.need(1, 'bool');
    return this.buf[this.pos++] === 1;
  }
  readByte(): number {
    this.need(1, 'byte');
    return (this.buf[this.pos++] << 24) >> 24;
  }
  readI16(): number {
    return (zigzag32(this.readVarint32('i16')) << 16) >> 16;
  }
  readI32(): number {
    return zigzag32(this.readVarint32('i32'));
  }
  readI64Parts(): void {
    this.readVarint64Parts('i64');
    // zigzag decode across the two halves
    const lo = this.lo;
    const hi = this.hi;
    let nlo = (lo >>> 1) | (hi << 31);
    let nhi = hi >>> 1;
    if (lo & 1) {
      nlo = ~nlo;
      nhi = ~nhi;
    }
    this.lo = nlo >>> 0;
    this.hi = nhi >>> 0;
  }
  readDouble(): number {
    this.need(8, 'double');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  readBinary(): Uint8Array {
    const len = this.readVarint32('string length');
    this.need(len, 'string');
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }
  readListBegin(): { elemType: number; size: number } {
    this.need(1, 'list header');
    const h = this.buf[this.pos++];
    let size = h >> 4;
    const elemType = this.compactType(h & 0x0f);
    if (size === 15) size = this.readVarint32('list size');
    this.checkSize(size, elemType, 'list');
    this.pendingBool = undefined;
    return { elemType, size };
  }
  readMapBegin(): { keyType: number; valueType: number; size: number } {
    const size = this.readVarint32('map size');
    if (size === 0) return { keyType: ThriftType.STOP, valueType: ThriftType.STOP, size: 0 };
    this.need(1, 'map types');
    const kv = this.buf[this.pos++];
    const keyType = this.compactType(kv >> 4);
    const valueType = this.compactType(kv & 0x0f);
    this.checkSize(size * 2, ThriftType.BYTE, 'map');
    return { keyType, valueType, size };
  }
}

function zigzag32(n: number): number {
  return (n >>> 1) ^ -(n & 1);
}

export function makeThriftReader(buf: Uint8Array, protocol: ThriftProtocol): ThriftReader {
  if (protocol === 'binary') return new ThriftBinaryReader(buf);
  if (protocol === 'compact') return new ThriftCompactReader(buf);
  throw new CodecError(`thrift: unknown protocol ${JSON.stringify(protocol)} (expected 'binary' or 'compact')`);
}

// ---------------------------------------------------------------------------------------------
// Writers

/** Growable byte buffer shared by both writers. */
abstract class ByteSink {
  protected buf = new Uint8Array(1024);
  protected view = new DataView(this.buf.buffer);
  protected pos = 0;

  protected ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const nb = new Uint8Array(size);
    nb.set(this.buf.subarray(0, this.pos));
    this.buf = nb;
    this.view = new DataView(nb.buffer);
  }
  /** Append already-encoded bytes (e.g. a struct encoded by another writer of the same protocol). */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }
  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }
  /** The encoded bytes (a copy, sized exactly). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

export abstract class ThriftWriter extends ByteSink {
  abstract messageBegin(name: string, type: number, seqId: number): void;
  /** Start a struct value (top level, list element, or after fieldBegin(STRUCT)). */
  abstract structBegin(): void;
  /** Write the STOP field and close the struct. */
  abstract structEnd(): void;
  abstract fieldBegin(type: number, id: number): void;
  /** List or set header (the container type itself is in the enclosing field header). */
  abstract listBegin(elemType: number, size: number): void;
  abstract mapBegin(keyType: number, valueType: number, size: number): void;
  abstract byte(v: number): void;
  abstract i16(v: number): void;
  abstract bool(v: boolean): void;
  abstract i32(v: number): void;
  /** i64 from its two's complement halves (unsigned 32-bit numbers). */
  abstract i64Parts(hi: number, lo: number): void;
  abstract double(v: number): void;
  abstract binary(v: Uint8Array): void;
  /** A bool field (the compact protocol folds the value into the field header). */
  abstract fieldBool(id: number, v: boolean): void;
  /** Length prefix of a string/binary. */
  protected abstract lengthPrefix(n: number): void;

  i64(v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.i64Parts(Number(u >> 32n), Number(u & 0xffffffffn));
  }
  /** i64 given as up to 16 hex chars (an id); the caller validated the hex. */
  i64Hex(h: string): void {
    if (h.length > 8) this.i64Parts(parseInt(h.slice(0, -8), 16), parseInt(h.slice(-8), 16));
    else this.i64Parts(0, h.length ? parseInt(h, 16) : 0);
  }
  /** i64 given as a bigint that is usually a safe non-negative integer (times). */
  i64Big(v: bigint): void {
    if (v >= 0n && v <= 9007199254740991n) {
      const n = Number(v);
      this.i64Parts(Math.floor(n / 4294967296), n >>> 0);
    } else this.i64(v);
  }

  string(s: string): void {
    const n = s.length;
    if (n < 256) {
      let ascii = true;
      for (let i = 0; i < n; i++) {
        if (s.charCodeAt(i) >= 0x80) {
          ascii = false;
          break;
        }
      }
      if (ascii) {
        this.lengthPrefix(n);
        this.ensure(n);
        const buf = this.buf;
        let p = this.pos;
        for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
        this.pos = p;
        return;
      }
    }
    this.binary(utf8enc.encode(s));
  }
  fieldI32(id: number, v: number): void {
    this.fieldBegin(ThriftType.I32, id);
    this.i32(v);
  }
  fieldI64(id: number, v: bigint): void {
    this.fieldBegin(ThriftType.I64, id);
    this.i64(v);
  }
  fieldI64Hex(id: number, h: string): void {
    this.fieldBegin(ThriftType.I64, id);
    this.i64Hex(h);
  }
  fieldI64Big(id: number, v: bigint): void {
    this.fieldBegin(ThriftType.I64, id);
    this.i64Big(v);
  }
  fieldDouble(id: number, v: number): void {
    this.fieldBegin(ThriftType.DOUBLE, id);
    this.double(v);
  }
  fieldString(id: number, v: string): void {
    this.fieldBegin(ThriftType.STRING, id);
    this.string(v);
  }
  fieldBinary(id: number, v: Uint8Array): void {
    this.fieldBegin(ThriftType.STRING, id);
    this.binary(v);
  }
}

export class ThriftBinaryWriter extends ThriftWriter {
  messageBegin(name: string, type: number, seqId: number): void {
    this.ensure(4);
    this.view.setInt32(this.pos, (0x80010000 | type) | 0);
    this.pos += 4;
    this.string(name);
    this.i32(seqId);
  }
  structBegin(): void {}
  structEnd(): void {
    this.ensure(1);
    this.buf[this.pos++] = ThriftType.STOP;
  }
  fieldBegin(type: number, id: number): void {
    this.ensure(3);
    this.buf[this.pos] = type;
    this.view.setInt16(this.pos + 1, id);
    this.pos += 3;
  }
  listBegin(elemType: number, size: number): void {
    this.ensure(5);
    this.buf[this.pos] = elemType;
    this.view.setInt32(this.pos + 1, size);
    this.pos += 5;
  }
  mapBegin(keyType: number, valueType: number, size: number): void {
    this.ensure(6);
    this.buf[this.pos] = keyType;
    this.buf[this.pos + 1] = valueType;
    this.view.setInt32(this.pos + 2, size);
    this.pos += 6;
  }
  byte(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }
  i16(v: number): void {
    this.ensure(2);
    this.view.setInt16(this.pos, v);
    this.pos += 2;
  }
  bool(v: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }
  fieldBool(id: number, v: boolean): void {
    this.fieldBegin(ThriftType.BOOL, id);
    this.bool(v);
  }
  i32(v: number): void {
    this.ensure(4);
    this.view.setInt32(this.pos, v);
    this.pos += 4;
  }
  i64Parts(hi: number, lo: number): void {
    this.ensure(8);
    this.view.setUint32(this.pos, hi);
    this.view.setUint32(this.pos + 4, lo);
    this.pos += 8;
  }
  protected lengthPrefix(n: number): void {
    this.i32(n);
  }
  double(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v);
    this.pos += 8;
  }
  binary(v: Uint8Array): void {
    this.i32(v.length);
    this.raw(v);
  }
}

export class ThriftCompactWriter extends ThriftWriter {
  private lastFieldId = 0;
  private readonly stack: number[] = [];

  private varint32(v: number): void {
    this.ensure(5);
    v >>>= 0;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }
  private varintParts(hi: number, lo: number): void {
    this.ensure(10);
    const buf = this.buf;
    let p = this.pos;
    while (hi !== 0 || lo >= 0x80) {
      buf[p++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi = hi >>> 7;
    }
    buf[p++] = lo;
    this.pos = p;
  }
  protected lengthPrefix(n: number): void {
    this.varint32(n);
  }
  messageBegin(name: string, type: number, seqId: number): void {
    this.ensure(2);
    this.buf[this.pos++] = COMPACT_PROTOCOL_ID;
    this.buf[this.pos++] = COMPACT_VERSION | ((type & 0x07) << 5);
    this.varint32(seqId);
    this.string(name);
  }
  structBegin(): void {
    this.stack.push(this.lastFieldId);
    this.lastFieldId = 0;
  }
  structEnd(): void {
    this.ensure(1);
    this.buf[this.pos++] = 0;
    this.lastFieldId = this.stack.pop() ?? 0;
  }
  private header(ct: number, id: number): void {
    const delta = id - this.lastFieldId;
    this.ensure(1);
    if (delta > 0 && delta <= 15) {
      this.buf[this.pos++] = (delta << 4) | ct;
    } else {
      this.buf[this.pos++] = ct;
      this.varint32(((id << 1) ^ (id >> 31)) >>> 0);
    }
    this.lastFieldId = id;
  }
  fieldBegin(type: number, id: number): void {
    this.header(TTYPE_TO_COMPACT[type], id);
  }
  fieldBool(id: number, v: boolean): void {
    this.header(v ? 1 : 2, id);
  }
  listBegin(elemType: number, size: number): void {
    const ct = TTYPE_TO_COMPACT[elemType];
    this.ensure(1);
    if (size < 15) this.buf[this.pos++] = (size << 4) | ct;
    else {
      this.buf[this.pos++] = 0xf0 | ct;
      this.varint32(size);
    }
  }
  mapBegin(keyType: number, valueType: number, size: number): void {
    this.varint32(size);
    if (size > 0) {
      this.ensure(1);
      this.buf[this.pos++] = (TTYPE_TO_COMPACT[keyType] << 4) | TTYPE_TO_COMPACT[valueType];
    }
  }
  byte(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }
  i16(v: number): void {
    this.i32(v);
  }
  bool(v: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 2;
  }
  i32(v: number): void {
    this.varint32(((v << 1) ^ (v >> 31)) >>> 0);
  }
  i64Parts(hi: number, lo: number): void {
    // zigzag: (v << 1) ^ (v >> 63), on the two halves
    let zhi = ((hi << 1) | (lo >>> 31)) >>> 0;
    let zlo = (lo << 1) >>> 0;
    if (hi & 0x80000000) {
      zhi = ~zhi >>> 0;
      zlo = ~zlo >>> 0;
    }
    this.varintParts(zhi, zlo);
  }
  double(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }
  binary(v: Uint8Array): void {
    this.varint32(v.length);
    this.raw(v);
  }
}

export function makeThriftWriter(protocol: ThriftProtocol): ThriftWriter {
  if (protocol === 'binary') return new ThriftBinaryWriter();
  if (protocol === 'compact') return new ThriftCompactWriter();
  throw new CodecError(`thrift: unknown protocol ${JSON.stringify(protocol)} (expected 'binary' or 'compact')`);
}

// ---------------------------------------------------------------------------------------------
// Generic transcoding (any Thrift struct/message, no schema)

function copyValue(r: ThriftReader, w: ThriftWriter, type: number): void {
  switch (type) {
    case ThriftType.BOOL:
      w.bool(r.readBool());
      return;
    case ThriftType.BYTE:
      w.byte(r.readByte());
      return;
    case ThriftType.I16:
      w.i16(r.readI16());
      return;
    case ThriftType.I32:
      w.i32(r.readI32());
      return;
    case ThriftType.I64:
      r.readI64Parts();
      w.i64Parts(r.hi, r.lo);
      return;
    case ThriftType.DOUBLE:
      w.double(r.readDouble());
      return;
    case ThriftType.STRING:
      w.binary(r.readBinary());
      return;
    case ThriftType.STRUCT:
      r.enter();
      r.structBegin();
      w.structBegin();
      for (;;) {
        r.readFieldBegin();
        const ft = r.fieldType;
        if (ft === ThriftType.STOP) break;
        if (ft === ThriftType.BOOL) w.fieldBool(r.fieldId, r.readBool());
        else {
          w.fieldBegin(ft, r.fieldId);
          copyValue(r, w, ft);
        }
      }
      r.structEnd();
      w.structEnd();
      r.leave();
      return;
    case ThriftType.LIST:
    case ThriftType.SET: {
      r.enter();
      const { elemType, size } = r.readListBegin();
      if (size > 0 && TTYPE_TO_COMPACT[elemType] === undefined) throw new CodecError(`thrift: invalid list element type ${elemType}`);
      w.listBegin(size > 0 ? elemType : elemType in TTYPE_TO_COMPACT ? elemType : ThriftType.BYTE, size);
      for (let i = 0; i < size; i++) copyValue(r, w, elemType);
      r.leave();
      return;
    }
    case ThriftType.MAP: {
      r.enter();
      const { keyType, valueType, size } = r.readMapBegin();
      if (size > 0 && (TTYPE_TO_COMPACT[keyType] === undefined || TTYPE_TO_COMPACT[valueType] === undefined)) {
        throw new CodecError(`thrift: invalid map key/value types ${keyType}/${valueType}`);
      }
      w.mapBegin(keyType, valueType, size);
      for (let i = 0; i < size; i++) {
        copyValue(r, w, keyType);
        copyValue(r, w, valueType);
      }
      r.leave();
      return;
    }
    default:
      throw new CodecError(`thrift: unknown type ${type} at offset ${r.offset}`);
  }
}

/**
 * Re-encode one Thrift struct (e.g. a bare Jaeger Batch) from one protocol to the other, without a
 * schema: every field is kept, so compact → binary → compact is byte-exact for canonical input.
 */
export function transcodeThriftStruct(buf: Uint8Array, from: ThriftProtocol, to: ThriftProtocol): Uint8Array {
  const r = makeThriftReader(buf, from);
  const w = makeThriftWriter(to);
  copyValue(r, w, ThriftType.STRUCT);
  if (r.remaining !== 0) throw new CodecError(`thrift: ${r.remaining} trailing bytes after struct`);
  return w.finish();
}

/** Re-encode a whole Thrift message (header + argument struct), e.g. an agent `emitBatch` datagram. */
export function transcodeThriftMessage(buf: Uint8Array, from: ThriftProtocol, to: ThriftProtocol): Uint8Array {
  const r = makeThriftReader(buf, from);
  const w = makeThriftWriter(to);
  const h = r.readMessageBegin();
  w.messageBegin(h.name, h.type, h.seqId);
  copyValue(r, w, ThriftType.STRUCT);
  if (r.remaining !== 0) throw new CodecError(`thrift: ${r.remaining} trailing bytes after message`);
  return w.finish();
}
