/**
 * A small, fast protobuf wire-format reader and writer (no schema, no reflection).
 *
 * Reading
 * -------
 * ```ts
 * const r = new ProtoReader(bytes);
 * while (r.more()) {
 *   const tag = r.tag();                 // field number << 3 | wire type; validated
 *   switch (tag) {
 *     case (1 << 3) | WireType.LEN: name = r.string(); break;
 *     case (2 << 3) | WireType.LEN: {     // embedded message
 *       const saved = r.enter();          // narrows the readable window to the message
 *       while (r.more()) { ... }
 *       r.leave(saved);                   // restores the outer window
 *       break;
 *     }
 *     default: r.skip(tag);               // unknown field of any wire type (groups too)
 *   }
 * }
 * ```
 * Every read is bounds-checked against the current window. Truncated input, bad wire types, field
 * number 0, lengths past the end, over-long varints and nesting deeper than {@link MAX_DEPTH}
 * throw {@link CodecError} with the absolute byte offset. Nothing else is ever thrown.
 *
 * A field whose tag says one wire type but whose schema expects another is the caller's business:
 * use {@link ProtoReader.expect} (or {@link wireTypeError}) to reject it with a clear message.
 *
 * Writing
 * -------
 * ```ts
 * const w = new ProtoWriter();
 * w.stringField(1, 'x');
 * const m = w.beginMessage(2);            // tag + room for the length
 * w.uint32Field(1, 5);
 * w.endMessage(m);                        // back-fills the length
 * const out = w.finish();
 * ```
 * The writer does not skip default values: the caller decides what proto3 presence means.
 */
import { CodecError } from './errors.js';

/** Protobuf wire types. */
export const WireType = {
  VARINT: 0,
  I64: 1,
  LEN: 2,
  SGROUP: 3,
  EGROUP: 4,
  I32: 5,
} as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

/** Maximum nesting of embedded messages / groups a reader accepts. */
export const MAX_DEPTH = 64;

const WIRE_TYPE_NAMES = ['VARINT', 'I64', 'LEN', 'SGROUP', 'EGROUP', 'I32', '6', '7'];

/** An error for a field that arrived with the wrong wire type. */
export function wireTypeError(field: number, got: number, want: number, offset: number, where = ''): CodecError {
  return new CodecError(
    `protobuf: ${where ? where + ' ' : ''}field ${field} has wire type ${WIRE_TYPE_NAMES[got & 7]}, expected ${WIRE_TYPE_NAMES[want]} (at offset ${offset})`,
  );
}

const TWO_32 = 4294967296;

let sharedDecoder: InstanceType<typeof TextDecoder> | undefined;
function utf8Decoder(): InstanceType<typeof TextDecoder> {
  return (sharedDecoder ??= new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }));
}

/** Reads protobuf wire format from a byte array. Reuse is not supported: one reader per buffer. */
export class ProtoReader {
  readonly buf: Uint8Array;
  /** Current absolute read position. */
  pos: number;
  /** End (exclusive) of the current window (the innermost message being read). */
  end: number;
  /** Current nesting depth. */
  depth = 0;
  /** Offset at which the last tag started (for error messages). */
  tagOffset = 0;
  private view: DataView | undefined;
  // The last 64-bit varint read, as two unsigned 32-bit halves (avoids allocating).
  private lo = 0;
  private hi = 0;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    if (!(buf instanceof Uint8Array)) throw new CodecError('protobuf: input is not a byte array');
    if (start < 0 || end > buf.length || start > end) throw new CodecError('protobuf: invalid window');
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  /** True while the current window has bytes left. */
  more(): boolean {
    return this.pos < this.end;
  }

  private dv(): DataView {
    return (this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength));
  }

  private truncated(what: string, at = this.pos): CodecError {
    return new CodecError(`protobuf: truncated ${what} at offset ${at} (window ends at ${this.end})`);
  }

  /**
   * Reads a field tag, returning `fieldNumber << 3 | wireType` (as an unsigned number; compare with
   * `(n << 3) | WireType.X`). Throws on field number 0 and on wire types 6/7.
   */
  tag(): number {
    this.tagOffset = this.pos;
    const t = this.uint32();
    const wt = t & 7;
    if (wt > 5) throw new CodecError(`protobuf: invalid wire type ${wt} at offset ${this.tagOffset}`);
    if (t >>> 3 === 0) throw new CodecError(`protobuf: invalid field number 0 at offset ${this.tagOffset}`);
    return t;
  }

  /** Throws a CodecError unless `tag` has the given wire type. */
  expect(tag: number, wireType: number, where = ''): void {
    if ((tag & 7) !== wireType) throw wireTypeError(tag >>> 3, tag & 7, wireType, this.tagOffset, where);
  }

  /** Varint → unsigned 32-bit number (upper bits of longer varints are discarded, as protobuf does). */
  uint32(): number {
    const buf = this.buf;
    let pos = this.pos;
    if (this.end - pos >= 5) {
      let b = buf[pos++];
      let v = b & 0x7f;
      if (b < 0x80) {
        this.pos = pos;
        return v;
      }
      b = buf[pos++];
      v |= (b & 0x7f) << 7;
      if (b < 0x80) {
        this.pos = pos;
        return v;
      }
      b = buf[pos++];
      v |= (b & 0x7f) << 14;
      if (b < 0x80) {
        this.pos = pos;
        return v;
      }
      b = buf[pos++];
      v |= (b & 0x7f) << 21;
      if (b < 0x80) {
        this.pos = pos;
        return v;
      }
      b = buf[pos++];
      v = (v | ((b & 0x0f) << 28)) >>> 0;
      if (b < 0x80) {
        this.pos = pos;
        return v;
      }
      // Up to 5 more bytes carrying the high half: validate and discard them.
      this.pos = pos;
      this.skipVarintTail(pos - 5);
      return v;
    }
    this.varint64Checked();
    return this.lo;
  }

  private skipVarintTail(start: number): void {
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < 5; i++) {
      if (pos >= this.end) throw this.truncated('varint', start);
      if (buf[pos++] < 0x80) {
        this.pos = pos;
        return;
      }
    }
    throw new CodecError(`protobuf: varint longer than 10 bytes at offset ${start}`);
  }

  /** Slow, fully checked 64-bit varint read into lo/hi. */
  private varint64Checked(): void {
    const buf = this.buf;
    const start = this.pos;
    let pos = start;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= this.end) throw this.truncated('varint', start);
      const b = buf[pos++];
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if (b < 0x80) {
        this.pos = pos;
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    throw new CodecError(`protobuf: varint longer than 10 bytes at offset ${start}`);
  }

  private varint64(): void {
    // Fast path for small values (the common case: lengths, enums, small ints).
    const pos = this.pos;
    if (pos < this.end) {
      const b = this.buf[pos];
      if (b < 0x80) {
        this.pos = pos + 1;
        this.lo = b;
        this.hi = 0;
        return;
      }
    }
    this.varint64Checked();
  }

  /** Varint → signed 32-bit number (int32/enum). */
  int32(): number {
    return this.uint32() | 0;
  }

  /** ZigZag varint → signed 32-bit number (sint32). */
  sint32(): number {
    const n = this.uint32();
    return (n >>> 1) ^ -(n & 1);
  }

  /** Varint → boolean (any non-zero value is true). */
  bool(): boolean {
    this.varint64();
    return this.lo !== 0 || this.hi !== 0;
  }

  /** Varint → unsigned 64-bit bigint (uint64). */
  uint64(): bigint {
    this.varint64();
    if (this.hi === 0) return BigInt(this.lo);
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** Varint → signed 64-bit bigint (int64). */
  int64(): bigint {
    this.varint64();
    if (this.hi === 0) return BigInt(this.lo);
    return BigInt.asIntN(64, (BigInt(this.hi) << 32n) | BigInt(this.lo));
  }

  /** Varint → signed 64-bit value as a `number` when it is a safe integer, a `bigint` otherwise. */
  int64Safe(): number | bigint {
    this.varint64();
    const v = (this.hi | 0) * TWO_32 + this.lo;
    if (Number.isSafeInteger(v)) return v;
    return BigInt.asIntN(64, (BigInt(this.hi) << 32n) | BigInt(this.lo));
  }

  /** Varint → unsigned 64-bit value as a `number` when safe, a `bigint` otherwise. */
  uint64Safe(): number | bigint {
    this.varint64();
    const v = this.hi * TWO_32 + this.lo;
    if (v <= Number.MAX_SAFE_INTEGER) return v;
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** ZigZag varint → signed 64-bit bigint (sint64). */
  sint64(): bigint {
    const u = this.uint64();
    return (u >> 1n) ^ -(u & 1n);
  }

  private need(n: number, what: string): number {
    const pos = this.pos;
    if (this.end - pos < n) throw this.truncated(what);
    this.pos = pos + n;
    return pos;
  }

  /** fixed32 → unsigned number. */
  fixed32(): number {
    const p = this.need(4, 'fixed32');
    const b = this.buf;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  }

  /** sfixed32 → signed number. */
  sfixed32(): number {
    return this.fixed32() | 0;
  }

  /** fixed64 → unsigned bigint (e.g. OTLP nanosecond timestamps). */
  fixed64(): bigint {
    const p = this.need(8, 'fixed64');
    return this.dv().getBigUint64(p, true);
  }

  /** sfixed64 → signed bigint. */
  sfixed64(): bigint {
    const p = this.need(8, 'sfixed64');
    return this.dv().getBigInt64(p, true);
  }

  /** fixed64 → number when it fits in a safe integer, bigint otherwise. */
  fixed64Safe(): number | bigint {
    const p = this.need(8, 'fixed64');
    const b = this.buf;
    const lo = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
    const hi = (b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24)) >>> 0;
    const v = hi * TWO_32 + lo;
    if (v <= Number.MAX_SAFE_INTEGER) return v;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** double (I64). */
  double(): number {
    const p = this.need(8, 'double');
    return this.dv().getFloat64(p, true);
  }

  /** float (I32). */
  float(): number {
    const p = this.need(4, 'float');
    return this.dv().getFloat32(p, true);
  }

  /** Reads a length prefix and checks it fits in the window; returns the length. */
  length(): number {
    const at = this.pos;
    this.varint64();
    const len = this.lo;
    if (this.hi !== 0 || len > this.end - this.pos) {
      const full = this.hi * TWO_32 + this.lo;
      throw new CodecError(
        `protobuf: length ${full} at offset ${at} runs past the end of its window (${this.end - this.pos} bytes left)`,
      );
    }
    return len;
  }

  /** Length-delimited → bytes. A view into the input (no copy): copy it if you keep it beyond the input's life. */
  bytes(): Uint8Array {
    const len = this.length();
    const p = this.pos;
    this.pos = p + len;
    return this.buf.subarray(p, p + len);
  }

  /** Length-delimited → a copy of the bytes. */
  bytesCopy(): Uint8Array {
    return this.bytes().slice();
  }

  /** Length-delimited → lowercase hex of the bytes (ids). */
  hex(): string {
    const len = this.length();
    const p = this.pos;
    this.pos = p + len;
    return bytesHex(this.buf, p, p + len);
  }

  /** Length-delimited → UTF-8 string (invalid sequences become U+FFFD). */
  string(): string {
    const len = this.length();
    const p = this.pos;
    this.pos = p + len;
    return decodeUtf8(this.buf, p, p + len);
  }

  /**
   * Like {@link string}, but short ASCII strings are interned in a small process-wide cache:
   * repeated values (attribute keys, enum-like values) cost a hash and a compare instead of a new
   * string. Use it for low-cardinality fields only.
   */
  stringInterned(): string {
    const len = this.length();
    const p = this.pos;
    const end = p + len;
    this.pos = end;
    if (len === 0) return '';
    if (len > INTERN_MAX_LEN) return decodeUtf8(this.buf, p, end);
    const buf = this.buf;
    // Slot from the length and a few bytes; the full compare below decides.
    const slot = (len * 31 + buf[p] * 7 + buf[end - 1] * 131 + buf[p + (len >> 1)] * 1031 + buf[end - 2 < p ? p : end - 2] * 17) & INTERN_MASK;
    const hit = internTable[slot];
    if (hit !== undefined && hit.length === len) {
      let i = 0;
      while (i < len && hit.charCodeAt(i) === buf[p + i]) i++;
      if (i === len) return hit;
    }
    for (let i = p; i < end; i++) if (buf[i] >= 0x80) return decodeUtf8(buf, p, end);
    const s = decodeUtf8(buf, p, end);
    internTable[slot] = s;
    return s;
  }

  /**
   * Reads a length prefix and narrows the window to the embedded message that follows. Returns the
   * outer window's end, to be passed to {@link leave}. Throws past {@link MAX_DEPTH}.
   */
  enter(): number {
    const len = this.length();
    if (++this.depth > MAX_DEPTH) {
      throw new CodecError(`protobuf: messages nested deeper than ${MAX_DEPTH} at offset ${this.pos}`);
    }
    const saved = this.end;
    this.end = this.pos + len;
    return saved;
  }

  /** Leaves an embedded message: skips what the caller did not read and restores the outer window. */
  leave(saved: number): void {
    this.pos = this.end;
    this.end = saved;
    this.depth--;
  }

  /** Skips the value of the field whose tag (as returned by {@link tag}) has just been read. */
  skip(tag: number): void {
    const wireType = tag & 7;
    switch (wireType) {
      case WireType.VARINT:
        this.varint64Checked();
        return;
      case WireType.I64:
        this.need(8, 'fixed64');
        return;
      case WireType.LEN: {
        const len = this.length();
        this.pos += len;
        return;
      }
      case WireType.I32:
        this.need(4, 'fixed32');
        return;
      case WireType.SGROUP:
        this.skipGroup(tag >>> 3);
        return;
      case WireType.EGROUP:
        throw new CodecError(`protobuf: unexpected end-group at offset ${this.tagOffset}`);
      default:
        throw new CodecError(`protobuf: invalid wire type ${wireType} at offset ${this.tagOffset}`);
    }
  }

  private skipGroup(field: number): void {
    const start = this.tagOffset;
    if (++this.depth > MAX_DEPTH) {
      throw new CodecError(`protobuf: groups nested deeper than ${MAX_DEPTH} at offset ${start}`);
    }
    for (;;) {
      if (this.pos >= this.end) throw this.truncated('group (no end-group tag)', start);
      const t = this.tag();
      if ((t & 7) === WireType.EGROUP) {
        if (t >>> 3 !== field) {
          throw new CodecError(`protobuf: end-group for field ${t >>> 3} at offset ${this.tagOffset} closes group ${field}`);
        }
        this.depth--;
        return;
      }
      this.skip(t);
    }
  }

  /**
   * Reads a packed repeated field of varints (or a single unpacked element when `tag` is VARINT),
   * calling `each` per element as uint32. Use for packed enums / small ints.
   */
  packedUint32(tag: number, each: (v: number) => void): void {
    if ((tag & 7) === WireType.VARINT) {
      each(this.uint32());
      return;
    }
    this.expect(tag, WireType.LEN);
    const saved = this.enter();
    while (this.pos < this.end) each(this.uint32());
    this.leave(saved);
  }
}

const INTERN_MAX_LEN = 48;
const INTERN_MASK = 4095;
const internTable: Array<string | undefined> = new Array(INTERN_MASK + 1).fill(undefined);

const HEX = '0123456789abcdef';
const BYTE_HEX: string[] = [];
for (let i = 0; i < 256; i++) BYTE_HEX.push(HEX[i >> 4] + HEX[i & 15]);

type SliceFn = (this: Uint8Array, start: number, end: number) => string;
// Node's native UTF-8 slicer works on any Uint8Array and beats TextDecoder on short strings.
const nativeUtf8Slice: SliceFn | undefined = (() => {
  const B = (globalThis as { Buffer?: { prototype?: { utf8Slice?: SliceFn } } }).Buffer;
  const f = B?.prototype?.utf8Slice;
  try {
    if (typeof f === 'function' && f.call(Uint8Array.from([0x68, 0xc3, 0xa9, 0xff]), 0, 4) === 'h\u00e9\ufffd') return f;
  } catch {
    // not usable: fall back to TextDecoder
  }
  return undefined;
})();

const nativeHexSlice: SliceFn | undefined = (() => {
  const B = (globalThis as { Buffer?: { prototype?: { hexSlice?: SliceFn } } }).Buffer;
  const f = B?.prototype?.hexSlice;
  try {
    if (typeof f === 'function' && f.call(Uint8Array.from([0x0a, 0xff]), 0, 2) === '0aff') return f;
  } catch {
    // not usable
  }
  return undefined;
})();

/** Bytes → lowercase hex. */
export function bytesHex(buf: Uint8Array, start: number, end: number): string {
  if (start === end) return '';
  if (nativeHexSlice !== undefined && end - start > 4) return nativeHexSlice.call(buf, start, end);
  let s = '';
  for (let i = start; i < end; i++) s += BYTE_HEX[buf[i]];
  return s;
}

/** UTF-8 bytes → string (invalid sequences become U+FFFD). */
export function decodeUtf8(buf: Uint8Array, start: number, end: number): string {
  if (start === end) return '';
  if (nativeUtf8Slice !== undefined) return nativeUtf8Slice.call(buf, start, end);
  return utf8Decoder().decode(buf.subarray(start, end));
}

let sharedEncoder: InstanceType<typeof TextEncoder> | undefined;

/** Writes protobuf wire format into a growing buffer. */
export class ProtoWriter {
  buf: Uint8Array;
  pos = 0;
  private view: DataView;

  constructor(initialSize = 1024) {
    this.buf = new Uint8Array(Math.max(16, initialSize));
    this.view = new DataView(this.buf.buffer);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const nb = new Uint8Array(size);
    nb.set(this.buf.subarray(0, this.pos));
    this.buf = nb;
    this.view = new DataView(nb.buffer);
  }

  /** The bytes written so far (a copy sized exactly; the writer may be discarded). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  // ---- raw values ----

  /** Unsigned varint of a non-negative integer up to 2^53 (or a uint32). */
  varint(v: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    if (v < 0x80) {
      buf[pos++] = v;
      this.pos = pos;
      return;
    }
    if (v <= 0xffffffff) {
      v >>>= 0;
      while (v > 0x7f) {
        buf[pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      buf[pos++] = v;
      this.pos = pos;
      return;
    }
    this.pos = pos;
    this.varint64(v % TWO_32, Math.floor(v / TWO_32));
  }

  /** Varint of a 64-bit value given as unsigned 32-bit halves. */
  varint64(lo: number, hi: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    lo >>>= 0;
    hi >>>= 0;
    while (hi > 0 || lo > 0x7f) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[pos++] = lo;
    this.pos = pos;
  }

  /** int32/enum: negative values take 10 bytes (sign-extended), as protobuf specifies. */
  int32(v: number): void {
    if (v >= 0) this.varint(v);
    else this.varint64(v >>> 0, 0xffffffff);
  }

  uint32(v: number): void {
    this.varint(v >>> 0);
  }

  sint32(v: number): void {
    this.varint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** int64 / uint64 varint (two's complement for negatives). */
  int64(v: number | bigint): void {
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) v = 0;
      else if (!Number.isInteger(v)) v = Math.trunc(v);
      if (v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
        this.varint(v);
        return;
      }
      if (!Number.isSafeInteger(v)) v = BigInt(Math.trunc(v));
      else {
        // Negative safe integer: two's complement over 64 bits.
        const hi = Math.floor(v / TWO_32);
        const lo = v - hi * TWO_32;
        this.varint64(lo, hi >>> 0);
        return;
      }
    }
    const u = BigInt.asUintN(64, v as bigint);
    this.varint64(Number(u & 0xffffffffn), Number(u >> 32n));
  }

  uint64(v: number | bigint): void {
    this.int64(v);
  }

  sint64(v: number | bigint): void {
    const b = BigInt.asIntN(64, BigInt(v));
    const z = BigInt.asUintN(64, (b << 1n) ^ (b >> 63n));
    this.varint64(Number(z & 0xffffffffn), Number(z >> 32n));
  }

  bool(v: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  fixed32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v >>> 0, true);
    this.pos += 4;
  }

  sfixed32(v: number): void {
    this.ensure(4);
    this.view.setInt32(this.pos, v | 0, true);
    this.pos += 4;
  }

  /** fixed64 (unsigned; negative bigints are written as two's complement). */
  fixed64(v: bigint | number): void {
    this.ensure(8);
    if (typeof v === 'number') {
      const hi = Math.floor(v / TWO_32);
      this.view.setUint32(this.pos, (v - hi * TWO_32) >>> 0, true);
      this.view.setUint32(this.pos + 4, hi >>> 0, true);
    } else {
      this.view.setBigUint64(this.pos, BigInt.asUintN(64, v), true);
    }
    this.pos += 8;
  }

  sfixed64(v: bigint | number): void {
    this.fixed64(typeof v === 'number' ? BigInt(v) : v);
  }

  double(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  float(v: number): void {
    this.ensure(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
  }

  /** Length-prefixed bytes. */
  bytes(v: Uint8Array): void {
    this.varint(v.length);
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  /** Length-prefixed bytes from a hex string (ids). Invalid hex digits encode as 0. */
  hex(h: string): void {
    const n = h.length >> 1;
    this.varint(n);
    this.ensure(n);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < 2 * n; i += 2) {
      const a = h.charCodeAt(i);
      const b = h.charCodeAt(i + 1);
      buf[pos++] = ((a < 128 ? NIBBLE[a] : 0) << 4) | (b < 128 ? NIBBLE[b] : 0);
    }
    this.pos = pos;
  }

  /** Length-prefixed UTF-8 string (lone surrogates become U+FFFD). */
  string(s: string): void {
    const n = s.length;
    if (n * 3 < 0x80) {
      // Length fits in one byte whatever the content: write in place.
      this.ensure(1 + n * 3);
      const buf = this.buf;
      const lenAt = this.pos;
      let pos = lenAt + 1;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c < 0x80) buf[pos++] = c;
        else {
          pos = lenAt + 1;
          const r = (sharedEncoder ??= new TextEncoder()).encodeInto(s, buf.subarray(pos, pos + n * 3));
          pos += r.written;
          break;
        }
      }
      buf[lenAt] = pos - lenAt - 1;
      this.pos = pos;
      return;
    }
    const enc = (sharedEncoder ??= new TextEncoder());
    // Reserve the maximum length-prefix size for n*3 bytes, encode, then close the gap.
    const max = n * 3;
    const pre = varintSize(max);
    this.ensure(pre + max);
    const start = this.pos + pre;
    const r = enc.encodeInto(s, this.buf.subarray(start, start + max));
    const len = r.written;
    const actual = varintSize(len);
    if (actual !== pre) this.buf.copyWithin(this.pos + actual, start, start + len);
    this.varint(len);
    this.pos += len;
  }

  // ---- fields (tag + value) ----

  tag(field: number, wireType: number): void {
    this.varint(((field << 3) | wireType) >>> 0);
  }

  stringField(field: number, s: string): void {
    this.tag(field, WireType.LEN);
    this.string(s);
  }

  bytesField(field: number, v: Uint8Array): void {
    this.tag(field, WireType.LEN);
    this.bytes(v);
  }

  hexField(field: number, h: string): void {
    this.tag(field, WireType.LEN);
    this.hex(h);
  }

  uint32Field(field: number, v: number): void {
    this.tag(field, WireType.VARINT);
    this.uint32(v);
  }

  int32Field(field: number, v: number): void {
    this.tag(field, WireType.VARINT);
    this.int32(v);
  }

  int64Field(field: number, v: number | bigint): void {
    this.tag(field, WireType.VARINT);
    this.int64(v);
  }

  boolField(field: number, v: boolean): void {
    this.tag(field, WireType.VARINT);
    this.bool(v);
  }

  fixed32Field(field: number, v: number): void {
    this.tag(field, WireType.I32);
    this.fixed32(v);
  }

  fixed64Field(field: number, v: bigint | number): void {
    this.tag(field, WireType.I64);
    this.fixed64(v);
  }

  doubleField(field: number, v: number): void {
    this.tag(field, WireType.I64);
    this.double(v);
  }

  /**
   * Starts an embedded message field: writes the tag and reserves one byte for the length.
   * Returns a mark for {@link endMessage}.
   */
  beginMessage(field: number): number {
    this.tag(field, WireType.LEN);
    this.ensure(1);
    return this.pos++;
  }

  /** Ends the embedded message started at `mark`: writes its length, shifting the body if needed. */
  endMessage(mark: number): void {
    const len = this.pos - mark - 1;
    if (len < 0x80) {
      this.buf[mark] = len;
      return;
    }
    const size = varintSize(len);
    this.ensure(size - 1);
    const buf = this.buf;
    buf.copyWithin(mark + size, mark + 1, this.pos);
    let v = len;
    let p = mark;
    while (v > 0x7f) {
      buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[p] = v;
    this.pos += size - 1;
  }
}

/** Hex digit value by char code (0 for anything that is not a hex digit). */
const NIBBLE = new Uint8Array(128);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) NIBBLE[97 + i] = NIBBLE[65 + i] = 10 + i;

/** Bytes a varint of the non-negative integer `v` (≤ 2^53) takes. */
export function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  let n = 5;
  v = Math.floor(v / 0x800000000);
  while (v > 0) {
    n++;
    v = Math.floor(v / 128);
  }
  return n;
}
