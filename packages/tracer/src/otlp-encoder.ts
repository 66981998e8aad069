/**
 * The tracer's OTLP protobuf encoder (ExportTraceServiceRequest), built for the export hot path.
 *
 * Same bytes on the wire as `@ariadne/codec`'s `encodeOtlpProtobuf` for the tracer's spans (a
 * test decodes both and compares), but written for throughput:
 * - one growable buffer reused for every batch (no per-batch scratch allocation besides the
 *   returned copy);
 * - spans are written straight from the model objects, fields in order, with no intermediate
 *   objects; ids go hex → bytes through a table, times are written as fixed64 without conversion;
 * - the encoded Resource and InstrumentationScope messages are cached per object (the tracer
 *   hands out one frozen resource and one frozen scope per tracer, so a batch costs one lookup);
 *   attribute keys are cached as ready-made `key` fields (bounded);
 * - spans are grouped by resource and scope identity (a batch from one tracer is one group), not
 *   by content as the codec does — spans with equal but distinct resource objects go out as two
 *   ResourceSpans, which OTLP allows.
 * Nested length prefixes are reserved (1 byte for attributes, 2 for a span, 5 for the
 * ResourceSpans/ScopeSpans wrappers) and the body is moved only when the guess was wrong.
 */
import type { Attribute, AttributeValue, InstrumentationScope, Resource, Span } from '@ariadne/model';

const TWO_32 = 2 ** 32;
const MAX_CACHED_KEYS = 4096;

/** Hex digit value by char code (0 for anything that is not a hex digit). */
const NIBBLE = new Uint8Array(128);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) NIBBLE[97 + i] = NIBBLE[65 + i] = 10 + i;

const textEncoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** An attribute value as the encoder accepts it: a model value, or a plain string / number / boolean. */
type RawValue = AttributeValue | string | number | boolean;

function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return 5;
}

/** Resource attributes on the wire: `service.name` first when the attributes lack it (as the codec does). */
function resourceWireAttributes(r: Resource): readonly Attribute[] {
  if (!r.serviceName) return r.attributes;
  for (const a of r.attributes) if (a.key === 'service.name') return r.attributes;
  return [{ key: 'service.name', value: { type: 'string', value: r.serviceName } }, ...r.attributes];
}

interface Run {
  resource: Resource;
  scope: InstrumentationScope;
  start: number;
  end: number;
}

/** Cached wire pieces of a resource or scope: what goes before the spans and after them. */
interface Framing {
  /** `ResourceSpans.resource` / `ScopeSpans.scope` field (tag, length, message); empty if none. */
  head: Uint8Array;
  /** `schema_url` field, or empty. */
  tail: Uint8Array;
}

/**
 * Appends spans one at a time into an internal buffer (each as a ready `ScopeSpans.spans` field)
 * and, on `take()`, frames them into one ExportTraceServiceRequest. Not safe to share between
 * concurrent users; cheap to keep for the life of a sender.
 */
export class OtlpTraceEncoder {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;
  private runs: Run[] = [];
  /** Spans appended since the last take(). */
  count = 0;
  private readonly keys = new Map<string, Uint8Array>();
  private readonly resources = new WeakMap<Resource, Framing>();
  private readonly scopes = new WeakMap<InstrumentationScope, Framing>();

  constructor(initialSize = 64 * 1024) {
    this.buf = new Uint8Array(Math.max(1024, initialSize));
    this.view = new DataView(this.buf.buffer);
  }

  /** Bytes of span data appended since the last take(). */
  get byteLength(): number {
    return this.pos;
  }

  /** Encodes a whole batch at once (anything appended before is taken along). */
  encode(spans: readonly Span[]): Uint8Array {
    for (let i = 0; i < spans.length; i++) this.append(spans[i]);
    return this.take();
  }

  /**
   * Encodes one span now. Throws only on a malformed span (a value of the wrong type), in which
   * case nothing of it is kept.
   */
  append(s: Span): void {
    const start = this.pos;
    try {
      this.span(s);
    } catch (e) {
      this.pos = start;
      throw e;
    }
    const runs = this.runs;
    const last = runs.length > 0 ? runs[runs.length - 1] : undefined;
    if (last !== undefined && last.resource === s.resource && last.scope === s.scope) last.end = this.pos;
    else runs.push({ resource: s.resource, scope: s.scope, start, end: this.pos });
    this.count++;
  }

  /**
   * The spans appended so far as one ExportTraceServiceRequest (a fresh buffer owned by the
   * caller), grouped by resource and scope identity in order of first appearance; resets.
   */
  take(): Uint8Array {
    const runs = this.runs;
    // group runs: resource → scope → runs
    const groups: { resource: Resource; f: Framing; scopes: { scope: InstrumentationScope; f: Framing; runs: Run[]; size: number }[]; size: number }[] = [];
    for (const r of runs) {
      let g = groups.find((x) => x.resource === r.resource);
      if (!g) groups.push((g = { resource: r.resource, f: this.resourceFraming(r.resource), scopes: [], size: 0 }));
      let sg = g.scopes.find((x) => x.scope === r.scope);
      if (!sg) g.scopes.push((sg = { scope: r.scope, f: this.scopeFraming(r.scope), runs: [], size: 0 }));
      sg.runs.push(r);
    }
    let total = 0;
    for (const g of groups) {
      let rsSize = g.f.head.length + g.f.tail.length;
      for (const sg of g.scopes) {
        let ssSize = sg.f.head.length + sg.f.tail.length;
        for (const r of sg.runs) ssSize += r.end - r.start;
        sg.size = ssSize;
        rsSize += 1 + varintSize(ssSize) + ssSize;
      }
      g.size = rsSize;
      total += 1 + varintSize(rsSize) + rsSize;
    }
    const out = Buffer.allocUnsafe(total);
    let p = 0;
    const put = (b: Uint8Array) => {
      out.set(b, p);
      p += b.length;
    };
    const len = (v: number) => {
      while (v > 0x7f) {
        out[p++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      out[p++] = v;
    };
    const src = this.buf;
    for (const g of groups) {
      out[p++] = 0x0a; // ExportTraceServiceRequest.resource_spans = 1
      len(g.size);
      put(g.f.head); // ResourceSpans.resource = 1
      for (const sg of g.scopes) {
        out[p++] = 0x12; // ResourceSpans.scope_spans = 2
        len(sg.size);
        put(sg.f.head); // ScopeSpans.scope = 1
        for (const r of sg.runs) put(src.subarray(r.start, r.end)); // ScopeSpans.spans = 2
        put(sg.f.tail); // ScopeSpans.schema_url = 3
      }
      put(g.f.tail); // ResourceSpans.schema_url = 3
    }
    this.pos = 0;
    this.runs = [];
    this.count = 0;
    return out;
  }

  /** Drops whatever was appended. */
  reset(): void {
    this.pos = 0;
    this.runs = [];
    this.count = 0;
  }

  // ------------------------------------------------------------------ buffer

  private ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const nb = new Uint8Array(size);
    nb.set(this.buf.subarray(0, this.pos));
    this.buf = nb;
    this.view = new DataView(nb.buffer);
  }

  private varint(v: number): void {
    // callers ensure 10 bytes
    const buf = this.buf;
    let pos = this.pos;
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

  private varint64(lo: number, hi: number): void {
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

  /** int64 varint of a number or bigint (two's complement for negatives). */
  private int64(v: number | bigint): void {
    this.ensure(10);
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) v = 0;
      else v = Math.trunc(v);
      if (v >= 0 && v <= Number.MAX_SAFE_INTEGER) return this.varint(v);
      if (Number.isSafeInteger(v)) {
        const hi = Math.floor(v / TWO_32);
        return this.varint64(v - hi * TWO_32, hi >>> 0);
      }
      v = BigInt(v);
    }
    const u = BigInt.asUintN(64, v);
    this.varint64(Number(u & 0xffffffffn), Number(u >> 32n));
  }

  private fixed64(v: bigint | number): void {
    this.ensure(8);
    if (typeof v === 'bigint') this.view.setBigUint64(this.pos, v, true);
    else {
      const hi = Math.floor(v / TWO_32);
      this.view.setUint32(this.pos, (v - hi * TWO_32) >>> 0, true);
      this.view.setUint32(this.pos + 4, hi >>> 0, true);
    }
    this.pos += 8;
  }

  private fixed32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v >>> 0, true);
    this.pos += 4;
  }

  private raw(b: Uint8Array): void {
    const n = b.length;
    this.ensure(n);
    if (n < 48) {
      const buf = this.buf;
      let p = this.pos;
      for (let i = 0; i < n; i++) buf[p++] = b[i];
      this.pos = p;
    } else {
      this.buf.set(b, this.pos);
      this.pos += n;
    }
  }

  /** Tag byte(s) + length-prefixed bytes decoded from hex (ids); invalid digits encode as 0. */
  private hexField(tag: number, h: string): void {
    const n = h.length >> 1;
    this.ensure(n + 6);
    const buf = this.buf;
    let pos = this.pos;
    buf[pos++] = tag;
    if (n < 0x80) buf[pos++] = n;
    else {
      this.pos = pos;
      this.varint(n);
      pos = this.pos;
    }
    for (let i = 0; i < 2 * n; i += 2) {
      const a = h.charCodeAt(i);
      const b = h.charCodeAt(i + 1);
      buf[pos++] = ((a < 128 ? NIBBLE[a] : 0) << 4) | (b < 128 ? NIBBLE[b] : 0);
    }
    this.pos = pos;
  }

  /** A one-byte tag followed by a length-prefixed UTF-8 string (lone surrogates → U+FFFD). */
  private stringField(tag: number, s: string): void {
    const n = s.length;
    const max = n * 3;
    const pre = varintSize(max);
    this.ensure(2 + pre + max);
    const buf = this.buf;
    buf[this.pos++] = tag;
    const lenAt = this.pos;
    let pos = lenAt + pre;
    let ascii = true;
    if (n <= 64) {
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) {
          ascii = false;
          break;
        }
        buf[pos++] = c;
      }
    } else ascii = false;
    if (!ascii) pos = lenAt + pre + textEncoder.encodeInto(s, buf.subarray(lenAt + pre, lenAt + pre + max)).written;
    const len = pos - lenAt - pre;
    const actual = varintSize(len);
    if (actual !== pre) buf.copyWithin(lenAt + actual, lenAt + pre, pos);
    this.pos = lenAt;
    this.varint(len);
    this.pos += len;
  }

  /** Closes a message whose length was reserved as `reserved` bytes at `lenAt`. */
  private close(lenAt: number, reserved: number): void {
    const start = lenAt + reserved;
    const len = this.pos - start;
    const size = varintSize(len);
    if (size !== reserved) {
      if (size > reserved) this.ensure(size - reserved);
      this.buf.copyWithin(lenAt + size, start, this.pos);
      this.pos += size - reserved;
    }
    const b = this.buf;
    let v = len;
    let p = lenAt;
    while (v > 0x7f) {
      b[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[p] = v;
  }

  /** Writes a tag byte and reserves `reserved` length bytes; returns where the length goes. */
  private open(tag: number, reserved: number): number {
    this.ensure(1 + reserved);
    this.buf[this.pos++] = tag;
    const at = this.pos;
    this.pos += reserved;
    return at;
  }

  // ------------------------------------------------------------------ messages

  private resourceFraming(res: Resource): Framing {
    let f = this.resources.get(res);
    if (f === undefined) {
      f = {
        head: this.detached(() => {
          const m = this.open(0x0a, 5);
          for (const a of resourceWireAttributes(res)) this.keyValue(0x0a, a);
          if (res.droppedAttributesCount) this.uint32Field(0x10, res.droppedAttributesCount);
          this.close(m, 5);
        }),
        tail: this.detached(() => {
          if (res.schemaUrl) this.stringField(0x1a, res.schemaUrl);
        }),
      };
      this.resources.set(res, f);
    }
    return f;
  }

  private scopeFraming(sc: InstrumentationScope): Framing {
    let f = this.scopes.get(sc);
    if (f === undefined) {
      f = {
        head: this.detached(() => {
          if (!(sc.name || sc.version || sc.attributes.length || sc.droppedAttributesCount)) return;
          const m = this.open(0x0a, 5);
          if (sc.name) this.stringField(0x0a, sc.name);
          if (sc.version) this.stringField(0x12, sc.version);
          for (const a of sc.attributes) this.keyValue(0x1a, a);
          if (sc.droppedAttributesCount) this.uint32Field(0x20, sc.droppedAttributesCount);
          this.close(m, 5);
        }),
        tail: this.detached(() => {
          if (sc.schemaUrl) this.stringField(0x1a, sc.schemaUrl);
        }),
      };
      this.scopes.set(sc, f);
    }
    return f;
  }

  /** Runs `write` at the end of the buffer and returns (a copy of) what it wrote, leaving pos as it was. */
  private detached(write: () => void): Uint8Array {
    const start = this.pos;
    write();
    const out = this.buf.slice(start, this.pos);
    this.pos = start;
    return out;
  }

  private uint32Field(tag: number, v: number): void {
    this.ensure(11);
    this.buf[this.pos++] = tag;
    this.varint(v >>> 0);
  }

  private span(s: Span): void {
    const m = this.open(0x12, 2); // ScopeSpans.spans = 2
    if (s.traceId) this.hexField(0x0a, s.traceId);
    if (s.spanId) this.hexField(0x12, s.spanId);
    if (s.traceState) this.stringField(0x1a, s.traceState);
    if (s.parentSpanId) this.hexField(0x22, s.parentSpanId);
    this.stringField(0x2a, s.name);
    if (s.kind) {
      this.ensure(11);
      this.buf[this.pos++] = 0x30;
      this.int32(s.kind);
    }
    if (s.startTimeUnixNano) {
      this.ensure(1);
      this.buf[this.pos++] = 0x39;
      this.fixed64(s.startTimeUnixNano);
    }
    if (s.endTimeUnixNano) {
      this.ensure(1);
      this.buf[this.pos++] = 0x41;
      this.fixed64(s.endTimeUnixNano);
    }
    const attrs = s.attributes;
    for (let i = 0; i < attrs.length; i++) this.keyValueOf(0x4a, attrs[i].key, attrs[i].value);
    if (s.droppedAttributesCount) this.uint32Field(0x50, s.droppedAttributesCount);
    const events = s.events;
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      const em = this.open(0x5a, 2);
      if (e.timeUnixNano) {
        this.ensure(1);
        this.buf[this.pos++] = 0x09;
        this.fixed64(e.timeUnixNano);
      }
      if (e.name) this.stringField(0x12, e.name);
      for (let j = 0; j < e.attributes.length; j++) this.keyValue(0x1a, e.attributes[j]);
      if (e.droppedAttributesCount) this.uint32Field(0x20, e.droppedAttributesCount);
      this.close(em, 2);
    }
    if (s.droppedEventsCount) this.uint32Field(0x60, s.droppedEventsCount);
    const links = s.links;
    for (let i = 0; i < links.length; i++) {
      const l = links[i];
      const lm = this.open(0x6a, 2);
      if (l.traceId) this.hexField(0x0a, l.traceId);
      if (l.spanId) this.hexField(0x12, l.spanId);
      if (l.traceState) this.stringField(0x1a, l.traceState);
      for (let j = 0; j < l.attributes.length; j++) this.keyValue(0x22, l.attributes[j]);
      if (l.droppedAttributesCount) this.uint32Field(0x28, l.droppedAttributesCount);
      if (l.flags) {
        this.ensure(1);
        this.buf[this.pos++] = 0x35;
        this.fixed32(l.flags);
      }
      this.close(lm, 2);
    }
    if (s.droppedLinksCount) this.uint32Field(0x70, s.droppedLinksCount);
    const st = s.status;
    if (st.code || st.message) {
      const sm = this.open(0x7a, 1);
      if (st.message) this.stringField(0x12, st.message);
      if (st.code) {
        this.ensure(11);
        this.buf[this.pos++] = 0x18;
        this.int32(st.code);
      }
      this.close(sm, 1);
    }
    if (s.flags) {
      this.ensure(2);
      this.buf[this.pos++] = 0x85; // field 16, fixed32
      this.buf[this.pos++] = 0x01;
      this.fixed32(s.flags);
    }
    this.close(m, 2);
  }

  private int32(v: number): void {
    if (v >= 0) this.varint(v);
    else this.varint64(v >>> 0, 0xffffffff);
  }

  /** `KeyValue.key` field bytes (tag, length, UTF-8), cached for the first MAX_CACHED_KEYS keys. */
  private keyField(key: string): Uint8Array {
    const kb = this.keys.get(key);
    return kb !== undefined ? kb : this.newKeyField(key);
  }

  // (separate from keyField: a closure capturing `key` there would allocate a context per call)
  private newKeyField(key: string): Uint8Array {
    const kb = this.detached(() => this.stringField(0x0a, key));
    if (this.keys.size < MAX_CACHED_KEYS) this.keys.set(key, kb);
    return kb;
  }

  private keyValue(tag: number, a: Attribute): void {
    this.keyValueOf(tag, a.key, a.value);
  }

  /**
   * KeyValue as field `tag`: cached key bytes, then the AnyValue. `raw` is a model value or a
   * plain string / number (integer → int, else double) / boolean.
   */
  private keyValueOf(tag: number, key: string, raw: RawValue): void {
    const kb = key ? this.keyField(key) : EMPTY;
    let v: AttributeValue;
    switch (typeof raw) {
      case 'string':
        if (this.kvString(tag, kb, raw)) return;
        v = { type: 'string', value: raw };
        break;
      case 'number':
        if (Number.isInteger(raw)) {
          if (this.kvInt(tag, kb, raw)) return;
          v = { type: 'int', value: raw };
        } else v = { type: 'double', value: raw };
        break;
      case 'boolean':
        if (this.kvBool(tag, kb, raw)) return;
        v = { type: 'bool', value: raw };
        break;
      default:
        v = raw;
        if (v.type === 'string' ? this.kvString(tag, kb, v.value) : v.type === 'int' ? this.kvInt(tag, kb, v.value) : v.type === 'bool' && this.kvBool(tag, kb, v.value)) return;
    }
    const m = this.open(tag, 1);
    this.raw(kb);
    this.anyValue(0x12, v);
    this.close(m, 1);
  }

  // Fast paths: the whole KeyValue is shorter than 128 bytes, so every length is one byte.
  // Each returns false (having written nothing that counts) when it does not apply.

  private kvString(tag: number, kb: Uint8Array, str: string): boolean {
    const kl = kb.length;
    const n = str.length;
    if (kl + n >= 120) return false;
    this.ensure(kl + n + 6);
    const buf = this.buf;
    let p = this.pos;
    buf[p] = tag;
    buf[p + 1] = kl + n + 4;
    p += 2;
    for (let i = 0; i < kl; i++) buf[p++] = kb[i];
    buf[p] = 0x12;
    buf[p + 1] = n + 2;
    buf[p + 2] = 0x0a;
    buf[p + 3] = n;
    p += 4;
    for (let i = 0; i < n; i++) {
      const c = str.charCodeAt(i);
      if (c >= 0x80) return false; // not ASCII: the general path
      buf[p++] = c;
    }
    this.pos = p;
    return true;
  }

  private kvInt(tag: number, kb: Uint8Array, x: number | bigint): boolean {
    const kl = kb.length;
    if (typeof x !== 'number' || !(x >= 0 && x <= 0x7fffffff) || kl >= 100 || !Number.isInteger(x)) return false;
    this.ensure(kl + 12);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = tag;
    const lenAt = p++;
    for (let i = 0; i < kl; i++) buf[p++] = kb[i];
    buf[p++] = 0x12;
    const avAt = p++;
    buf[p++] = 0x18;
    let y = x;
    while (y > 0x7f) {
      buf[p++] = (y & 0x7f) | 0x80;
      y >>>= 7;
    }
    buf[p++] = y;
    buf[avAt] = p - avAt - 1;
    buf[lenAt] = p - lenAt - 1;
    this.pos = p;
    return true;
  }

  private kvBool(tag: number, kb: Uint8Array, b: boolean): boolean {
    const kl = kb.length;
    if (kl >= 120) return false;
    this.ensure(kl + 6);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = tag;
    buf[p++] = kl + 4;
    for (let i = 0; i < kl; i++) buf[p++] = kb[i];
    buf[p++] = 0x12;
    buf[p++] = 2;
    buf[p++] = 0x10;
    buf[p++] = b ? 1 : 0;
    this.pos = p;
    return true;
  }

  private anyValue(tag: number, v: AttributeValue): void {
    const m = this.open(tag, 1);
    switch (v.type) {
      case 'string':
        this.stringField(0x0a, v.value);
        break;
      case 'bool':
        this.ensure(2);
        this.buf[this.pos++] = 0x10;
        this.buf[this.pos++] = v.value ? 1 : 0;
        break;
      case 'int':
        this.ensure(1);
        this.buf[this.pos++] = 0x18;
        this.int64(v.value);
        break;
      case 'double':
        this.ensure(9);
        this.buf[this.pos++] = 0x21;
        this.view.setFloat64(this.pos, v.value, true);
        this.pos += 8;
        break;
      case 'array': {
        const am = this.open(0x2a, 1);
        for (const x of v.value) this.anyValue(0x0a, x);
        this.close(am, 1);
        break;
      }
      case 'kvlist': {
        const km = this.open(0x32, 1);
        for (const x of v.value) this.keyValue(0x0a, x);
        this.close(km, 1);
        break;
      }
      case 'bytes': {
        this.ensure(11);
        this.buf[this.pos++] = 0x3a;
        this.varint(v.value.length);
        this.raw(v.value);
        break;
      }
      case 'empty':
        break;
    }
    this.close(m, 1);
  }
}
