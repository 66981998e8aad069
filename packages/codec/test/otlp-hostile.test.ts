// Hostile OTLP protobuf input: only CodecError may escape, and nothing hangs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CodecError } from '../src/errors.js';
import { decodeOtlpProtobuf, decodeOtlpJson } from '../src/otlp/index.js';
import { ProtoWriter, WireType } from '../src/protobuf.js';
import { readFixture } from './helpers/expect.js';

const fixture = new Uint8Array(readFixture('otlp-http-protobuf.bin'));

function decodeOrCodecError(buf: Uint8Array): number {
  try {
    return decodeOtlpProtobuf(buf).length;
  } catch (e) {
    if (!(e instanceof CodecError)) throw new Error(`non-CodecError for ${Buffer.from(buf.subarray(0, 64)).toString('hex')}: ${String(e)}`);
    assert.match(e.message, /offset \d+|nested|wire type/);
    return -1;
  }
}

function rejects(buf: Uint8Array, re: RegExp): void {
  assert.throws(() => decodeOtlpProtobuf(buf), (e: unknown) => {
    assert.ok(e instanceof CodecError, `expected CodecError, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  });
}

test('truncation at every offset of the fixture: CodecError or a shorter decode', () => {
  let errors = 0;
  for (let n = 0; n < fixture.length; n++) {
    const got = decodeOrCodecError(fixture.subarray(0, n));
    if (got < 0) errors++;
    else assert.ok(got < 4, `prefix ${n} decoded ${got} spans`);
  }
  // only cuts at the boundary between the two ResourceSpans (and at 0) decode
  assert.ok(errors >= fixture.length - 2, `${errors} errors`);
  assert.equal(decodeOrCodecError(fixture), 4);
});

test('every single-byte corruption of the fixture: CodecError or a decode', () => {
  const buf = fixture.slice();
  for (let i = 0; i < buf.length; i++) {
    const orig = buf[i];
    for (const v of [0x00, 0xff, orig ^ 0x80, orig ^ 0x07, orig + 1]) {
      buf[i] = v & 0xff;
      decodeOrCodecError(buf);
    }
    buf[i] = orig;
  }
});

test('random bytes and random splices: only CodecError', () => {
  let seed = 0x5eed;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed % n;
  };
  const t0 = Date.now();
  for (let k = 0; k < 4000; k++) {
    const len = rnd(200);
    const buf = new Uint8Array(len);
    for (let i = 0; i < len; i++) buf[i] = rnd(256);
    // start most with a plausible ExportTraceServiceRequest tag so decoding goes deeper
    if (len > 2 && k % 2 === 0) buf[0] = 0x0a;
    decodeOrCodecError(buf);
    // a random window of the fixture
    const a = rnd(fixture.length);
    decodeOrCodecError(fixture.subarray(a, a + rnd(fixture.length - a + 1)));
  }
  assert.ok(Date.now() - t0 < 10000);
});

function span(build: (w: ProtoWriter) => void): Uint8Array {
  const w = new ProtoWriter();
  const rs = w.beginMessage(1);
  const ss = w.beginMessage(2);
  const sp = w.beginMessage(2);
  build(w);
  w.endMessage(sp);
  w.endMessage(ss);
  w.endMessage(rs);
  return w.finish();
}

test('wrong wire types of known fields are CodecErrors naming the message and field', () => {
  rejects(span((w) => w.uint32Field(1, 5)), /Span field 1 has wire type VARINT, expected LEN/);
  rejects(span((w) => w.uint32Field(7, 5)), /Span field 7 has wire type VARINT, expected I64/);
  rejects(span((w) => w.stringField(6, 'SERVER')), /Span field 6 has wire type LEN, expected VARINT/);
  rejects(span((w) => w.uint32Field(16, 1)), /Span field 16 has wire type VARINT, expected I32/);
  rejects(span((w) => w.fixed64Field(15, 1n)), /Span field 15/);
  rejects(span((w) => { const kv = w.beginMessage(9); w.uint32Field(1, 3); w.endMessage(kv); }), /KeyValue field 1/);
  rejects(span((w) => { const kv = w.beginMessage(9); const v = w.beginMessage(2); w.stringField(3, '12'); w.endMessage(v); w.endMessage(kv); }), /AnyValue field 3 has wire type LEN, expected VARINT/);
  rejects(span((w) => { const e = w.beginMessage(11); w.uint32Field(1, 1); w.endMessage(e); }), /Span.Event field 1/);
  rejects(span((w) => { const l = w.beginMessage(13); w.uint32Field(6, 1); w.endMessage(l); }), /Span.Link field 6/);
  rejects(span((w) => { const s = w.beginMessage(15); w.stringField(3, 'ERROR'); w.endMessage(s); }), /Status field 3/);
  const w = new ProtoWriter();
  w.uint32Field(1, 1);
  rejects(w.finish(), /ExportTraceServiceRequest field 1 has wire type VARINT/);
  rejects(Uint8Array.from([0x0a, 0x02, 0x0a, 0x00, 0x0f]), /invalid wire type 7/);
});

test('unknown fields of every wire type are skipped', () => {
  const buf = span((w) => {
    w.stringField(5, 'named');
    w.uint32Field(99, 1);
    w.fixed64Field(100, 2n);
    w.fixed32Field(101, 3);
    w.stringField(102, 'x');
    w.tag(103, WireType.SGROUP);
    w.uint32Field(1, 1);
    w.tag(103, WireType.EGROUP);
  });
  const [s] = decodeOtlpProtobuf(buf);
  assert.equal(s.name, 'named');
});

test('huge declared lengths fail fast', () => {
  const t0 = Date.now();
  rejects(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]), /length 4294967295 at offset 1 runs past the end/);
  rejects(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), /runs past the end/);
  rejects(span((w) => { w.tag(1, WireType.LEN); w.varint(2 ** 31); }), /runs past the end/);
  assert.ok(Date.now() - t0 < 100);
});

test('deep nesting: AnyValue arrays and unknown groups beyond the limit are CodecErrors', () => {
  const deepArray = span((w) => {
    const kv = w.beginMessage(9);
    w.stringField(1, 'deep');
    const marks: number[] = [];
    for (let i = 0; i < 200; i++) {
      marks.push(w.beginMessage(i === 0 ? 2 : 1)); // AnyValue
      marks.push(w.beginMessage(5)); // ArrayValue
    }
    while (marks.length) w.endMessage(marks.pop()!);
    w.endMessage(kv);
  });
  rejects(deepArray, /nested deeper than/);
  const deepGroups = span((w) => {
    for (let i = 0; i < 1000; i++) w.tag(50, WireType.SGROUP);
    for (let i = 0; i < 1000; i++) w.tag(50, WireType.EGROUP);
  });
  rejects(deepGroups, /nested deeper than 64/);
  // 100k nested unknown LEN fields are skipped without recursion
  const w = new ProtoWriter();
  w.bytesField(77, new Uint8Array(100000));
  assert.deepEqual(decodeOtlpProtobuf(w.finish()), []);
});

test('non-byte input is a CodecError', () => {
  assert.throws(() => decodeOtlpProtobuf('abc' as unknown as Uint8Array), CodecError);
  assert.throws(() => decodeOtlpJson(Symbol('x')), CodecError);
});
