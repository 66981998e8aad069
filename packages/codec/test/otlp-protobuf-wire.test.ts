import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtoReader, ProtoWriter, WireType, MAX_DEPTH, varintSize } from '../src/protobuf.js';
import { CodecError } from '../src/errors.js';

function bytes(...b: number[]): Uint8Array {
  return Uint8Array.from(b);
}

test('varints: known encodings round-trip', () => {
  const cases: Array<[number | bigint, number[]]> = [
    [0, [0]],
    [1, [1]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [300, [0xac, 0x02]],
    [0xffffffff, [0xff, 0xff, 0xff, 0xff, 0x0f]],
    [2 ** 53 - 1, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]],
    [-1, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
    [2n ** 63n, [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]],
  ];
  for (const [v, enc] of cases) {
    const w = new ProtoWriter();
    w.int64(v);
    assert.deepEqual([...w.finish()], enc, `encode ${v}`);
    const r = new ProtoReader(bytes(...enc));
    if (typeof v === 'bigint') assert.equal(r.uint64(), v);
    else if (v < 0) assert.equal(r.int64Safe(), v);
    else assert.equal(r.uint64Safe(), v);
    assert.equal(r.more(), false);
  }
});

test('int64 beyond 2^53 stays exact; int32 negatives are sign-extended', () => {
  for (const v of [2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n, -(2n ** 53n) - 3n]) {
    const w = new ProtoWriter();
    w.int64(v);
    const r = new ProtoReader(w.finish());
    const got = r.int64Safe();
    assert.equal(typeof got, 'bigint');
    assert.equal(got, v);
  }
  const w = new ProtoWriter();
  w.int32(-5);
  const buf = w.finish();
  assert.equal(buf.length, 10);
  assert.equal(new ProtoReader(buf).int32(), -5);
});

test('zigzag, fixed, double, float, bool, strings, bytes', () => {
  const w = new ProtoWriter(16);
  w.sint32(-3);
  w.sint64(-(2n ** 40n));
  w.fixed32(0xdeadbeef);
  w.fixed64(1700000000123456789n);
  w.sfixed64(-2n);
  w.double(3.14159);
  w.float(1.5);
  w.bool(true);
  w.string('héllo ✓ 世界');
  w.string('x'.repeat(300) + '€');
  w.bytes(bytes(1, 2, 3));
  w.hex('00f067aa0ba902b7');
  const r = new ProtoReader(w.finish());
  assert.equal(r.sint32(), -3);
  assert.equal(r.sint64(), -(2n ** 40n));
  assert.equal(r.fixed32(), 0xdeadbeef);
  assert.equal(r.fixed64(), 1700000000123456789n);
  assert.equal(r.sfixed64(), -2n);
  assert.equal(r.double(), 3.14159);
  assert.equal(r.float(), 1.5);
  assert.equal(r.bool(), true);
  assert.equal(r.string(), 'héllo ✓ 世界');
  assert.equal(r.string(), 'x'.repeat(300) + '€');
  assert.deepEqual([...r.bytes()], [1, 2, 3]);
  assert.equal(r.hex(), '00f067aa0ba902b7');
  assert.equal(r.more(), false);
});

test('nested messages with long bodies get correct length prefixes', () => {
  const w = new ProtoWriter(8);
  const m1 = w.beginMessage(1);
  const m2 = w.beginMessage(2);
  w.stringField(3, 'a'.repeat(20000));
  w.endMessage(m2);
  w.uint32Field(4, 7);
  w.endMessage(m1);
  w.uint32Field(5, 9);
  const r = new ProtoReader(w.finish());
  assert.equal(r.tag(), (1 << 3) | WireType.LEN);
  const s1 = r.enter();
  assert.equal(r.tag(), (2 << 3) | WireType.LEN);
  const s2 = r.enter();
  assert.equal(r.tag(), (3 << 3) | WireType.LEN);
  assert.equal(r.string().length, 20000);
  assert.equal(r.more(), false);
  r.leave(s2);
  assert.equal(r.tag(), (4 << 3) | WireType.VARINT);
  assert.equal(r.uint32(), 7);
  r.leave(s1);
  assert.equal(r.tag(), (5 << 3) | WireType.VARINT);
  assert.equal(r.uint32(), 9);
  assert.equal(r.more(), false);
});

test('skip handles every wire type, including nested groups', () => {
  const w = new ProtoWriter();
  w.uint32Field(1, 1 << 30);
  w.fixed64Field(2, 5n);
  w.stringField(3, 'skip me');
  w.fixed32Field(4, 1);
  w.tag(5, WireType.SGROUP);
  w.uint32Field(1, 3);
  w.tag(6, WireType.SGROUP);
  w.stringField(2, 'inner');
  w.tag(6, WireType.EGROUP);
  w.tag(5, WireType.EGROUP);
  w.uint32Field(7, 42);
  const r = new ProtoReader(w.finish());
  let last = -1;
  while (r.more()) {
    const t = r.tag();
    if (t >>> 3 === 7) last = r.uint32();
    else r.skip(t);
  }
  assert.equal(last, 42);
  assert.equal(varintSize(2 ** 35), 6);
});

function assertCodecError(fn: () => unknown, re?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CodecError, `expected CodecError, got ${String(e)}`);
    if (re) assert.match(e.message, re);
    return true;
  });
}

test('hostile wire input throws CodecError with an offset', () => {
  assertCodecError(() => new ProtoReader(bytes(0x80)).uint32(), /truncated varint at offset 0/);
  assertCodecError(() => new ProtoReader(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)).uint64(), /longer than 10/);
  assertCodecError(() => new ProtoReader(bytes(0x0e)).tag(), /invalid wire type 6 at offset 0/);
  assertCodecError(() => new ProtoReader(bytes(0x07)).tag(), /invalid wire type 7/);
  assertCodecError(() => new ProtoReader(bytes(0x02)).tag(), /field number 0/);
  assertCodecError(() => new ProtoReader(bytes(0xff, 0xff, 0xff, 0xff, 0x0f, 1)).skip(0x0a), /length 4294967295 at offset 0/);
  assertCodecError(() => new ProtoReader(bytes(0x05, 0x61)).string(), /runs past the end/);
  assertCodecError(() => new ProtoReader(bytes(1, 2, 3)).fixed64(), /truncated fixed64/);
  assertCodecError(() => new ProtoReader(bytes(1, 2, 3)).double(), /truncated double/);
  assertCodecError(() => new ProtoReader(bytes(1, 2)).fixed32(), /truncated fixed32/);
  // unterminated group, mismatched end-group, stray end-group
  const g = new ProtoReader(bytes(0x0b, 0x08, 0x01));
  assertCodecError(() => g.skip(g.tag()), /group/);
  const g2 = new ProtoReader(bytes(0x0b, 0x14));
  assertCodecError(() => g2.skip(g2.tag()), /closes group 1/);
  const g3 = new ProtoReader(bytes(0x0c));
  assertCodecError(() => g3.skip(g3.tag()), /unexpected end-group/);
  // wrong wire type, reported through expect()
  const e = new ProtoReader(bytes(0x08, 0x01));
  assertCodecError(() => e.expect(e.tag(), WireType.LEN, 'Span'), /Span field 1 has wire type VARINT, expected LEN/);
});

test('nesting deeper than MAX_DEPTH throws, at the limit works', () => {
  function nested(depth: number): Uint8Array {
    let inner: Uint8Array = new Uint8Array(0);
    for (let i = 0; i < depth; i++) {
      const w = new ProtoWriter();
      w.bytesField(1, inner);
      inner = w.finish();
    }
    return inner;
  }
  function walk(buf: Uint8Array): number {
    const r = new ProtoReader(buf);
    let d = 0;
    const go = (): void => {
      while (r.more()) {
        r.tag();
        const s = r.enter();
        d = Math.max(d, r.depth);
        go();
        r.leave(s);
      }
    };
    go();
    return d;
  }
  assert.equal(walk(nested(MAX_DEPTH)), MAX_DEPTH);
  assertCodecError(() => walk(nested(MAX_DEPTH + 1)), /nested deeper than 64/);
  // deep groups
  const w = new ProtoWriter();
  for (let i = 0; i < 100; i++) w.tag(1, WireType.SGROUP);
  for (let i = 0; i < 100; i++) w.tag(1, WireType.EGROUP);
  const r = new ProtoReader(w.finish());
  assertCodecError(() => r.skip(r.tag()), /nested deeper than 64/);
});

test('random bytes through a generic walker: only CodecError', () => {
  let seed = 12345;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  for (let n = 0; n < 3000; n++) {
    const buf = new Uint8Array(1 + (n % 64));
    for (let i = 0; i < buf.length; i++) buf[i] = rnd();
    try {
      const r = new ProtoReader(buf);
      while (r.more()) r.skip(r.tag());
    } catch (e) {
      assert.ok(e instanceof CodecError, String(e));
    }
  }
});

test('stringInterned returns equal strings for equal bytes, and shares them', () => {
  const w = new ProtoWriter();
  const words = ['http.method', 'http.method', 'héllo', 'héllo', 'a', 'b', 'ab', 'ba', '', 'x'.repeat(60), 'x'.repeat(60)];
  for (let i = 0; i < 3000; i++) words.push(`k${i % 700}`);
  for (const s of words) w.string(s);
  const r = new ProtoReader(w.finish());
  const got = words.map(() => r.stringInterned());
  assert.deepEqual(got, words);
  assert.equal(r.more(), false);
  // random ASCII collisions never return a wrong string
  let seed = 7;
  const rnd = (n: number): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) % n);
  const w2 = new ProtoWriter();
  const many: string[] = [];
  for (let i = 0; i < 5000; i++) {
    let s = '';
    const n = 1 + rnd(12);
    for (let k = 0; k < n; k++) s += String.fromCharCode(97 + rnd(3));
    many.push(s);
    w2.string(s);
  }
  const r2 = new ProtoReader(w2.finish());
  for (const s of many) assert.equal(r2.stringInterned(), s);
});

test('hex writer, packed varints, safe 64-bit readers, reader windows', () => {
  const w = new ProtoWriter();
  w.hex('ABcd09');
  w.hex('zz');
  w.tag(3, WireType.LEN);
  const m = w.pos;
  w.varint(0); // placeholder length, patched below
  const bodyStart = w.pos;
  for (const v of [1, 300, 70000]) w.varint(v);
  w.buf[m] = w.pos - bodyStart;
  w.fixed64(2n ** 53n + 1n);
  w.fixed64(12345);
  w.int64(2n ** 63n);
  const r = new ProtoReader(w.finish());
  assert.deepEqual([...r.bytes()], [0xab, 0xcd, 0x09]);
  assert.deepEqual([...r.bytes()], [0]);
  const got: number[] = [];
  r.packedUint32(r.tag(), (v) => got.push(v));
  assert.deepEqual(got, [1, 300, 70000]);
  assert.equal(r.fixed64Safe(), 2n ** 53n + 1n);
  assert.equal(r.fixed64Safe(), 12345);
  assert.equal(r.uint64Safe(), 2n ** 63n);
  assert.equal(r.more(), false);
  assert.throws(() => new ProtoReader(new Uint8Array(2), 1, 5), CodecError);
  assert.throws(() => new ProtoReader([1, 2] as unknown as Uint8Array), CodecError);
  // a window: reading stops at its end
  const win = new ProtoReader(Uint8Array.from([0x08, 0x01, 0x08, 0x02]), 0, 2);
  win.tag();
  assert.equal(win.uint32(), 1);
  assert.equal(win.more(), false);
  assert.throws(() => win.tag(), /truncated varint at offset 2/);
});
