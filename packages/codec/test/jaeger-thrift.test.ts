import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { SpanKind, StatusCode, makeResource, makeSpan } from '@ariadne/model';
import type { Attribute, AttributeValue, Span } from '@ariadne/model';
import {
  CodecError,
  ThriftBinaryWriter,
  ThriftCompactWriter,
  ThriftType,
  decodeJaegerAgentMessage,
  decodeJaegerThriftBatch,
  encodeJaegerAgentMessage,
  encodeJaegerThriftBatch,
  readJaegerMessageHeader,
  transcodeThriftMessage,
  transcodeThriftStruct,
} from '../src/index.js';
import { assertSpansMatchExpect, readExpect, readFixture } from './helpers/expect.js';

const FILES = ['jaeger-udp-compact-frontend.bin', 'jaeger-udp-compact-backend.bin'];

function decodeFixtures(): Span[] {
  return FILES.flatMap((f) => decodeJaegerAgentMessage(readFixture(f), 'compact'));
}

test('jaeger-udp-compact fixtures decode to exactly what the expect file says', () => {
  const exp = readExpect('jaeger-udp-compact');
  const spans = decodeFixtures();
  assertSpansMatchExpect(spans, exp.spans);
  // per request facts: message header, process and span ids in wire order
  for (const req of exp.requests) {
    const buf = readFixture(req.file as string);
    const hdr = readJaegerMessageHeader(buf, 'compact');
    const tm = req.thriftMessage as { name: string; seqid: number };
    assert.deepEqual(hdr, { name: tm.name, type: 4, seqId: tm.seqid });
    const decoded = decodeJaegerAgentMessage(buf, 'compact');
    assert.deepEqual(
      decoded.map((s) => s.spanId),
      req.spanIds,
    );
    // one process per datagram → the spans share one resource object
    assert.ok(decoded.every((s) => s.resource === decoded[0].resource));
  }
});

test('compact → model → binary → model → compact round trip keeps every field', () => {
  for (const f of FILES) {
    const fromCompact = decodeJaegerAgentMessage(readFixture(f), 'compact');
    const [binary] = encodeJaegerAgentMessage(fromCompact, 'binary', 7);
    assert.deepEqual(readJaegerMessageHeader(binary, 'binary'), { name: 'emitBatch', type: 4, seqId: 7 });
    const fromBinary = decodeJaegerAgentMessage(binary, 'binary');
    assert.deepStrictEqual(fromBinary, fromCompact);
    const [compact2] = encodeJaegerAgentMessage(fromBinary, 'compact');
    assert.deepStrictEqual(decodeJaegerAgentMessage(compact2, 'compact'), fromCompact);
    // input that is a view into a larger buffer (non-zero byteOffset, as pooled Buffers are)
    const padded = new Uint8Array(binary.length + 11);
    padded.set(binary, 7);
    assert.deepStrictEqual(decodeJaegerAgentMessage(padded.subarray(7, 7 + binary.length), 'binary'), fromCompact);
    // encoding is deterministic
    assert.deepEqual(encodeJaegerAgentMessage(fromBinary, 'compact')[0], compact2);
    // bare Batch (collector HTTP body) in both protocols
    for (const p of ['binary', 'compact'] as const) {
      const [batch] = encodeJaegerThriftBatch(fromCompact, p);
      assert.deepStrictEqual(decodeJaegerThriftBatch(batch, p), fromCompact);
    }
  }
});

test('schema-less transcoding: Apache compact fixture → binary → compact is byte-exact', () => {
  for (const f of FILES) {
    const compact = readFixture(f);
    const binary = transcodeThriftMessage(compact, 'compact', 'binary');
    assert.deepEqual([...binary.subarray(0, 4)], [0x80, 0x01, 0x00, 0x04]);
    // the binary message carries every field jaeger-client sent (all optional Tag fields too)
    assert.deepStrictEqual(decodeJaegerAgentMessage(binary, 'binary'), decodeJaegerAgentMessage(compact, 'compact'));
    assert.deepEqual(Buffer.from(transcodeThriftMessage(binary, 'binary', 'compact')), compact);
    // bare struct: the emitBatch args struct starts right after the compact message header
    const argsAt = 3 + 1 + 'emitBatch'.length;
    const args = compact.subarray(argsAt);
    assert.deepEqual(Buffer.from(transcodeThriftStruct(transcodeThriftStruct(args, 'compact', 'binary'), 'binary', 'compact')), args);
  }
  for (let i = 0; i < 50; i++) {
    const junk = Uint8Array.from({ length: 40 }, () => Math.floor(Math.random() * 256));
    for (const p of ['binary', 'compact'] as const) {
      onlyCodecErrors(() => transcodeThriftMessage(junk, p, p === 'binary' ? 'compact' : 'binary'));
      onlyCodecErrors(() => transcodeThriftStruct(junk, p, p));
    }
  }
  const deep = new ThriftCompactWriter();
  for (let i = 0; i < 100; i++) {
    deep.structBegin();
    deep.fieldBegin(ThriftType.STRUCT, 1);
  }
  assert.throws(() => transcodeThriftStruct(deep.finish(), 'compact', 'binary'), /nesting deeper than 64/);
});

test('encoders emit one Batch per resource', () => {
  const spans = decodeFixtures();
  const msgs = encodeJaegerAgentMessage(spans, 'compact');
  assert.equal(msgs.length, 2);
  assert.deepEqual(
    msgs.map((m) => decodeJaegerAgentMessage(m, 'compact').map((s) => s.resource.serviceName)),
    [['frontend', 'frontend', 'frontend'], ['backend']],
  );
  // equal but distinct resource objects are merged
  const a = makeSpan({ traceId: '1'.repeat(32), spanId: '2'.repeat(16), name: 'a', resource: makeResource('svc') });
  const b = makeSpan({ traceId: '1'.repeat(32), spanId: '3'.repeat(16), name: 'b', resource: makeResource('svc') });
  assert.equal(encodeJaegerThriftBatch([a, b], 'binary').length, 1);
});

test('maxPacketSize splits a resource\'s spans over several datagrams, each within the limit', () => {
  const spans = decodeJaegerAgentMessage(readFixture(FILES[0]), 'compact');
  const many = Array.from({ length: 12 }, (_, i) => spans.map((s) => ({ ...s, spanId: (i + 1).toString(16).padStart(8, '0') + s.spanId.slice(8) }))).flat();
  for (const p of ['binary', 'compact'] as const) {
    const [whole] = encodeJaegerAgentMessage(many, p);
    for (const limit of [2500, 8000, 65000]) {
      const msgs = encodeJaegerAgentMessage(many, p, 0, limit);
      assert.ok(msgs.every((m) => m.length <= limit), `${p} ${limit}: ${msgs.map((m) => m.length)}`);
      assert.equal(msgs.length > 1, whole.length > limit);
      assert.deepStrictEqual(msgs.flatMap((m) => decodeJaegerAgentMessage(m, p)), many);
    }
    // a limit that cannot hold even one span
    assert.throws(() => encodeJaegerAgentMessage(many, p, 0, 300), /span 00000001.* needs \d+ bytes, over the 300-byte packet limit/);
  }
});

test('model → thrift mapping: kind, status, links, typed tags, events', () => {
  const span = makeSpan({
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    parentSpanId: '00f067aa0ba902b7',
    name: 'op',
    kind: SpanKind.CONSUMER,
    startTimeUnixNano: 1_700_000_000_123_456_000n,
    endTimeUnixNano: 1_700_000_000_223_456_000n,
    status: { code: StatusCode.ERROR, message: 'boom' },
    flags: 1,
    attributes: [
      { key: 'i', value: { type: 'int', value: 5 } },
      { key: 'big', value: { type: 'int', value: 2n ** 62n } },
      { key: 'arr', value: { type: 'array', value: [{ type: 'string', value: 'x' }, { type: 'int', value: 1 }] } },
      { key: 'b', value: { type: 'bytes', value: new Uint8Array([1, 2, 3]) } },
    ],
    events: [{ timeUnixNano: 1_700_000_000_200_000_000n, name: 'ev', attributes: [], droppedAttributesCount: 0 }],
    links: [
      { traceId: 'ffffffffffffffffffffffffffffffff', spanId: '8000000000000001', traceState: '', flags: 0, attributes: [], droppedAttributesCount: 0 },
    ],
    resource: makeResource('svc', [{ key: 'host', value: { type: 'string', value: 'h' } }]),
  });
  for (const p of ['binary', 'compact'] as const) {
    const [s] = decodeJaegerThriftBatch(encodeJaegerThriftBatch([span], p)[0], p);
    assert.equal(s.traceId, span.traceId);
    assert.equal(s.spanId, span.spanId);
    assert.equal(s.parentSpanId, span.parentSpanId);
    assert.equal(s.kind, SpanKind.CONSUMER);
    assert.deepEqual(s.status, { code: StatusCode.ERROR, message: 'boom' });
    assert.equal(s.startTimeUnixNano, span.startTimeUnixNano);
    assert.equal(s.endTimeUnixNano, span.endTimeUnixNano);
    const byKey = new Map(s.attributes.map((a) => [a.key, a.value]));
    assert.deepEqual(byKey.get('i'), { type: 'int', value: 5 });
    assert.deepEqual(byKey.get('big'), { type: 'int', value: 2n ** 62n });
    assert.deepEqual(byKey.get('arr'), { type: 'string', value: '["x",1]' });
    assert.deepEqual(byKey.get('b'), { type: 'bytes', value: new Uint8Array([1, 2, 3]) });
    assert.deepEqual(byKey.get('span.kind'), { type: 'string', value: 'consumer' });
    assert.deepEqual(byKey.get('error'), { type: 'bool', value: true });
    assert.deepEqual(s.links.map((l) => [l.traceId, l.spanId, l.refType]), [
      ['ffffffffffffffffffffffffffffffff', '8000000000000001', 'FOLLOWS_FROM'],
    ]);
    assert.equal(s.events[0].name, 'ev');
    assert.deepEqual(s.events[0].attributes, [{ key: 'event', value: { type: 'string', value: 'ev' } }]);
    assert.equal(s.resource.serviceName, 'svc');
    assert.deepEqual(s.resource.attributes, span.resource.attributes);
  }
});

// ------------------------------------------------------------------ hand-built wire structures

/** Write a Batch with one span, letting the caller add fields to the span struct. */
function batchWith(w: ThriftBinaryWriter | ThriftCompactWriter, spanFields: (w: ThriftBinaryWriter | ThriftCompactWriter) => void): Uint8Array {
  w.structBegin();
  w.fieldBegin(ThriftType.STRUCT, 1);
  w.structBegin();
  w.fieldString(1, 'svc');
  w.structEnd();
  w.fieldBegin(ThriftType.LIST, 2);
  w.listBegin(ThriftType.STRUCT, 1);
  w.structBegin();
  w.fieldI64(1, 0x1234n);
  w.fieldI64(2, 0n);
  w.fieldI64(3, 0x99n);
  w.fieldI64(4, 0n);
  w.fieldString(5, 'op');
  spanFields(w);
  w.structEnd();
  w.structEnd();
  return w.finish();
}

test('parentSpanId 0 + CHILD_OF reference → parent; other refs → links; unknown fields skipped', () => {
  for (const W of [ThriftBinaryWriter, ThriftCompactWriter]) {
    const buf = batchWith(new W(), (w) => {
      w.fieldBegin(ThriftType.LIST, 6);
      w.listBegin(ThriftType.STRUCT, 2);
      for (const [rt, sid] of [[0, 0x77n], [0, 0x88n]] as const) {
        w.structBegin();
        w.fieldI32(1, rt);
        w.fieldI64(2, 0x1234n);
        w.fieldI64(3, 0n);
        w.fieldI64(4, sid);
        w.structEnd();
      }
      w.fieldI32(7, 3);
      w.fieldI64(8, 10n);
      w.fieldI64(9, 5n);
      // unknown field of a nested type: must be skipped
      w.fieldBegin(ThriftType.LIST, 99);
      w.listBegin(ThriftType.STRING, 2);
      w.string('x');
      w.string('y');
      w.fieldBool(12, true); // incomplete
    });
    const [s] = decodeJaegerThriftBatch(buf, W === ThriftBinaryWriter ? 'binary' : 'compact');
    assert.equal(s.traceId, '00000000000000000000000000001234');
    assert.equal(s.spanId, '0000000000000099');
    assert.equal(s.parentSpanId, '0000000000000077');
    assert.deepEqual(s.links.map((l) => [l.spanId, l.refType]), [['0000000000000088', 'CHILD_OF']]);
    assert.equal(s.flags, 3);
    assert.equal(s.startTimeUnixNano, 10_000n);
    assert.equal(s.endTimeUnixNano, 15_000n);
    assert.equal(s.kind, SpanKind.INTERNAL);
  }
});

test('tags switch on vType, not on which optional fields are present', () => {
  const buf = batchWith(new ThriftBinaryWriter(), (w) => {
    w.fieldBegin(ThriftType.LIST, 10);
    w.listBegin(ThriftType.STRUCT, 5);
    const all = (key: string, vType: number) => {
      w.structBegin();
      w.fieldString(1, key);
      w.fieldI32(2, vType);
      w.fieldString(3, 'str');
      w.fieldDouble(4, 1.5);
      w.fieldBool(5, true);
      w.fieldI64(6, -9n);
      w.fieldBinary(7, new Uint8Array(8));
      w.structEnd();
    };
    all('s', 0);
    all('d', 1);
    all('b', 2);
    all('l', 3);
    all('x', 4);
  });
  const [s] = decodeJaegerThriftBatch(buf, 'binary');
  assert.deepEqual(s.attributes, [
    { key: 's', value: { type: 'string', value: 'str' } },
    { key: 'd', value: { type: 'double', value: 1.5 } },
    { key: 'b', value: { type: 'bool', value: true } },
    { key: 'l', value: { type: 'int', value: -9 } },
    { key: 'x', value: { type: 'bytes', value: new Uint8Array(8) } },
  ]);
});

// ------------------------------------------------------------------ hostile input

function onlyCodecErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof CodecError)) throw new Error(`non-CodecError thrown: ${String(e)}`, { cause: e });
  }
}

test('truncation at every offset → CodecError (both protocols, message and bare batch)', () => {
  const compact = readFixture(FILES[1]);
  const spans = decodeJaegerAgentMessage(compact, 'compact');
  const [binary] = encodeJaegerAgentMessage(spans, 'binary');
  const [batch] = encodeJaegerThriftBatch(spans, 'binary');
  const cases: [Uint8Array, (b: Uint8Array) => unknown][] = [
    [compact, (b) => decodeJaegerAgentMessage(b, 'compact')],
    [binary, (b) => decodeJaegerAgentMessage(b, 'binary')],
    [batch, (b) => decodeJaegerThriftBatch(b, 'binary')],
  ];
  for (const [buf, dec] of cases) {
    for (let i = 0; i < buf.length; i++) {
      assert.throws(() => dec(buf.subarray(0, i)), CodecError, `truncated at ${i}`);
    }
    assert.throws(() => dec(Buffer.concat([buf, Buffer.from([0])])), /trailing bytes/);
  }
});

test('random bytes and bit flips → CodecError only', () => {
  const compact = readFixture(FILES[0]);
  const [binary] = encodeJaegerAgentMessage(decodeJaegerAgentMessage(compact, 'compact'), 'binary');
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      for (const p of ['binary', 'compact'] as const) {
        onlyCodecErrors(() => decodeJaegerAgentMessage(bytes, p));
        onlyCodecErrors(() => decodeJaegerThriftBatch(bytes, p));
      }
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (at, x) => {
      for (const [buf, p] of [[compact, 'compact'], [binary, 'binary']] as const) {
        const copy = Uint8Array.from(buf);
        copy[at % copy.length] ^= x;
        onlyCodecErrors(() => decodeJaegerAgentMessage(copy, p));
      }
    }),
    { numRuns: 400 },
  );
});

test('huge lengths, deep nesting, wrong types, bad headers → CodecError with a message', () => {
  // binary: string length 2^31-1
  const hugeString = Buffer.from([0x80, 0x01, 0x00, 0x04, 0x7f, 0xff, 0xff, 0xff]);
  assert.throws(() => decodeJaegerAgentMessage(hugeString, 'binary'), /truncated input reading string/);
  // binary: list of 2^31-1 structs inside Batch.spans
  const w = new ThriftBinaryWriter();
  w.structBegin();
  w.fieldBegin(ThriftType.LIST, 2);
  w.listBegin(ThriftType.STRUCT, 0x7fffffff);
  assert.throws(() => decodeJaegerThriftBatch(w.finish(), 'binary'), /list size 2147483647 exceeds remaining input/);
  // compact: list size varint huge
  assert.throws(() => decodeJaegerThriftBatch(Buffer.from([0x29, 0xfc, 0xff, 0xff, 0xff, 0x07]), 'compact'), /exceeds remaining input/);
  // negative binary list size
  const neg = new ThriftBinaryWriter();
  neg.fieldBegin(ThriftType.LIST, 2);
  neg.listBegin(ThriftType.STRUCT, -1);
  assert.throws(() => decodeJaegerThriftBatch(neg.finish(), 'binary'), /negative list size/);
  // deep nesting of an unknown struct field: skip is depth-limited
  for (const W of [ThriftBinaryWriter, ThriftCompactWriter]) {
    const d = new W();
    d.structBegin();
    for (let i = 0; i < 200; i++) {
      d.fieldBegin(ThriftType.STRUCT, 50);
      d.structBegin();
    }
    for (let i = 0; i < 200; i++) d.structEnd();
    d.structEnd();
    assert.throws(() => decodeJaegerThriftBatch(d.finish(), W === ThriftBinaryWriter ? 'binary' : 'compact'), /nesting deeper than 64/);
  }
  // wrong type for a known field
  const wt = new ThriftBinaryWriter();
  wt.structBegin();
  wt.fieldI32(1, 5);
  wt.structEnd();
  assert.throws(() => decodeJaegerThriftBatch(wt.finish(), 'binary'), /Batch\.process \(field 1\) has I32, expected STRUCT/);
  // missing required parts
  const np = new ThriftBinaryWriter();
  np.structBegin();
  np.structEnd();
  assert.throws(() => decodeJaegerThriftBatch(np.finish(), 'binary'), /Batch without process/);
  // unknown tag type
  const ut = batchWith(new ThriftCompactWriter(), (x) => {
    x.fieldBegin(ThriftType.LIST, 10);
    x.listBegin(ThriftType.STRUCT, 1);
    x.structBegin();
    x.fieldString(1, 'k');
    x.fieldI32(2, 9);
    x.structEnd();
  });
  assert.throws(() => decodeJaegerThriftBatch(ut, 'compact'), /unknown vType 9/);
  // bad message headers
  assert.throws(() => decodeJaegerAgentMessage(Buffer.from([0x81, 0x21, 0, 0]), 'compact'), /bad protocol id/);
  assert.throws(() => decodeJaegerAgentMessage(Buffer.from([0x80, 0x02, 0, 4, 0, 0, 0, 0]), 'binary'), /bad message version/);
  const other = new ThriftCompactWriter();
  other.messageBegin('emitZipkinBatch', 4, 0);
  assert.throws(() => decodeJaegerAgentMessage(other.finish(), 'compact'), /unsupported method "emitZipkinBatch"/);
  assert.throws(() => decodeJaegerAgentMessage(Buffer.alloc(0), 'compact'), CodecError);
  assert.throws(() => decodeJaegerAgentMessage(Buffer.alloc(4), 'nope' as 'binary'), /unknown protocol/);
  assert.throws(() => decodeJaegerThriftBatch('text' as unknown as Uint8Array, 'binary'), /must be a Uint8Array/);
});

// ------------------------------------------------------------------ property: model round trips

const hex = (n: number) => fc.uint8Array({ minLength: n / 2, maxLength: n / 2 }).map((b) => Buffer.from(b).toString('hex'));
const nonZeroHex = (n: number) => hex(n).filter((h) => /[^0]/.test(h));
const key = fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !['span.kind', 'error', 'event', 'otel.status_code', 'otel.status_description'].includes(k));
const value: fc.Arbitrary<AttributeValue> = fc.oneof(
  fc.string().map((v) => ({ type: 'string' as const, value: v })),
  fc.boolean().map((v) => ({ type: 'bool' as const, value: v })),
  fc.maxSafeInteger().map((v) => ({ type: 'int' as const, value: v })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).filter((v) => v > 2n ** 53n || v < -(2n ** 53n)).map((v) => ({ type: 'int' as const, value: v })),
  fc.double({ noNaN: true }).map((v) => ({ type: 'double' as const, value: v })),
  fc.uint8Array({ maxLength: 20 }).map((v) => ({ type: 'bytes' as const, value: v })),
);
const attrs: fc.Arbitrary<Attribute[]> = fc.array(fc.tuple(key, value).map(([k, v]) => ({ key: k, value: v })), { maxLength: 6 });
const micros = fc.bigInt({ min: 0n, max: 2n ** 52n });

const spanArb: fc.Arbitrary<Span> = fc
  .record({
    traceId: nonZeroHex(32),
    spanId: nonZeroHex(16),
    parentSpanId: fc.oneof(fc.constant(''), nonZeroHex(16)),
    name: fc.string(),
    kind: fc.constantFrom(SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER),
    start: micros,
    dur: fc.bigInt({ min: 0n, max: 2n ** 40n }),
    attributes: attrs,
    events: fc.array(fc.record({ t: micros, name: fc.string({ minLength: 1 }), attributes: attrs }), { maxLength: 3 }),
    links: fc.array(fc.record({ traceId: nonZeroHex(32), spanId: nonZeroHex(16), follows: fc.boolean() }), { maxLength: 3 }),
    error: fc.boolean(),
    flags: fc.integer({ min: 0, max: 255 }),
    service: fc.string(),
    resAttrs: attrs,
  })
  .map((r) => {
    const attributes = [...r.attributes];
    if (r.kind !== SpanKind.INTERNAL) attributes.unshift({ key: 'span.kind', value: { type: 'string', value: ['', '', 'server', 'client', 'producer', 'consumer'][r.kind] } });
    if (r.error) attributes.push({ key: 'error', value: { type: 'bool', value: true } });
    return makeSpan({
      traceId: r.traceId,
      spanId: r.spanId,
      parentSpanId: r.parentSpanId,
      name: r.name,
      kind: r.kind,
      startTimeUnixNano: r.start * 1000n,
      endTimeUnixNano: (r.start + r.dur) * 1000n,
      attributes,
      status: { code: r.error ? StatusCode.ERROR : StatusCode.UNSET, message: '' },
      flags: r.flags,
      events: r.events.map((e) => ({
        timeUnixNano: e.t * 1000n,
        name: e.name,
        attributes: [{ key: 'event', value: { type: 'string', value: e.name } }, ...e.attributes],
        droppedAttributesCount: 0,
      })),
      // a CHILD_OF link would be folded into an empty parent: only FOLLOWS_FROM, or CHILD_OF with a parent
      links: r.links.map((l) => ({
        traceId: l.traceId,
        spanId: l.spanId,
        traceState: '',
        flags: 0,
        attributes: [],
        droppedAttributesCount: 0,
        refType: l.follows || r.parentSpanId === '' || l.spanId === r.parentSpanId ? ('FOLLOWS_FROM' as const) : ('CHILD_OF' as const),
      })),
      resource: makeResource(r.service, r.resAttrs),
    });
  });

test('property: model → binary/compact (message and batch) → model is the identity', () => {
  fc.assert(
    fc.property(fc.array(spanArb, { minLength: 1, maxLength: 4 }), (spans) => {
      // one resource per encode call: give all spans the first one's
      const same = spans.map((s) => ({ ...s, resource: spans[0].resource }));
      for (const p of ['binary', 'compact'] as const) {
        const msgs = encodeJaegerAgentMessage(same, p, 3);
        assert.equal(msgs.length, 1);
        assert.deepStrictEqual(decodeJaegerAgentMessage(msgs[0], p), same);
        const [batch] = encodeJaegerThriftBatch(same, p);
        assert.deepStrictEqual(decodeJaegerThriftBatch(batch, p), same);
      }
    }),
    { numRuns: 150 },
  );
});

// ------------------------------------------------------------------ independent Thrift library

test('our binary Batch is read by thriftrw (jaeger-client\'s own Thrift library and IDL) as the same spans', async () => {
  const require = createRequire(import.meta.url);
  const { readFileSync } = await import('node:fs');
  const { dirname, join } = await import('node:path');
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const { Thrift } = require('thriftrw') as any;
  const idl = join(dirname(require.resolve('jaeger-client/package.json')), 'dist/src/jaeger-idl/thrift/jaeger.thrift');
  const thrift = new Thrift({ source: readFileSync(idl, 'utf8'), allowOptionalArguments: true });
  const hex = (b: Buffer) => b.toString('hex');
  const num = (b: Buffer) => b.readBigInt64BE(0);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const tagValue = (t: any): unknown => {
    switch (t.vType) {
      case 'STRING':
        return { type: 'string', value: t.vStr };
      case 'DOUBLE':
        return { type: 'double', value: t.vDouble };
      case 'BOOL':
        return { type: 'bool', value: t.vBool };
      case 'LONG':
        return { type: 'int', value: Number(num(t.vLong)) };
      case 'BINARY':
        return { type: 'bytes', value: new Uint8Array(t.vBinary) };
    }
    throw new Error(`vType ${t.vType}`);
  };
  for (const f of FILES) {
    const spans = decodeJaegerAgentMessage(readFixture(f), 'compact');
    // plus a span with LONG tags (jaeger-client itself never sends any) and a CHILD_OF link
    spans.push(
      makeSpan({
        traceId: 'ffffffffffffffff0000000000000001',
        spanId: '8000000000000000',
        parentSpanId: '0000000000000001',
        name: 'longs',
        startTimeUnixNano: 5_000n,
        endTimeUnixNano: 9_000n,
        attributes: [
          { key: 'n', value: { type: 'int', value: -(2 ** 40) } },
          { key: 'z', value: { type: 'int', value: 0 } },
        ],
        links: [{ traceId: 'ffffffffffffffff0000000000000001', spanId: '0000000000000002', traceState: '', flags: 0, attributes: [], droppedAttributesCount: 0, refType: 'CHILD_OF' }],
        resource: spans[0].resource,
      }),
    );
    const [bytes] = encodeJaegerThriftBatch(spans, 'binary');
    assert.deepStrictEqual(decodeJaegerThriftBatch(bytes, 'binary'), spans);
    const batch = thrift.Batch.fromBuffer(Buffer.from(bytes));
    assert.equal(batch.process.serviceName, spans[0].resource.serviceName);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    assert.deepEqual(batch.process.tags.map((t: any) => ({ key: t.key, value: tagValue(t) })), spans[0].resource.attributes);
    assert.equal(batch.spans.length, spans.length);
    spans.forEach((s, i) => {
      const t = batch.spans[i];
      assert.equal(hex(t.traceIdHigh) + hex(t.traceIdLow), s.traceId);
      assert.equal(hex(t.spanId), s.spanId);
      assert.equal(hex(t.parentSpanId), s.parentSpanId || '0000000000000000');
      assert.equal(t.operationName, s.name);
      assert.equal(t.flags, s.flags);
      assert.equal(num(t.startTime) * 1000n, s.startTimeUnixNano);
      assert.equal(num(t.duration) * 1000n, s.endTimeUnixNano - s.startTimeUnixNano);
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      assert.deepEqual(t.tags.map((x: any) => ({ key: x.key, value: tagValue(x) })), s.attributes);
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      assert.deepEqual((t.logs ?? []).map((l: any) => [num(l.timestamp) * 1000n, l.fields.map((x: any) => ({ key: x.key, value: tagValue(x) }))]),
        s.events.map((e) => [e.timeUnixNano, e.attributes]));
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      assert.deepEqual((t.references ?? []).map((r: any) => [r.refType, hex(r.traceIdHigh) + hex(r.traceIdLow), hex(r.spanId)]),
        s.links.map((l) => [l.refType, l.traceId, l.spanId]));
    });
  }
});

// ------------------------------------------------------------------ real jaeger-client over UDP

test('decodes a real jaeger-client@3.19.0 UDP binary datagram', async () => {
  const require = createRequire(import.meta.url);
  const jaeger = require('jaeger-client') as {
    initTracer: (config: object, options: object) => {
      startSpan: (name: string, opts?: object) => {
        setTag: (k: string, v: unknown) => void;
        log: (fields: object, ts?: number) => void;
        context: () => unknown;
        finish: (t?: number) => void;
      };
      close: (cb?: () => void) => void;
    };
  };
  const sock = createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  const port = sock.address().port;
  const received = new Promise<Buffer>((resolve) => sock.once('message', (msg) => resolve(msg)));
  const tracer = jaeger.initTracer(
    {
      serviceName: 'interop-svc',
      sampler: { type: 'const', param: 1 },
      reporter: { agentHost: '127.0.0.1', agentPort: port, flushIntervalMs: 60_000 },
    },
    { tags: { 'deploy.env': 'test' }, logger: { info() {}, error() {} } },
  );
  try {
    const t0 = 1_700_000_000_000; // ms
    const root = tracer.startSpan('root-op', { startTime: t0 });
    root.setTag('span.kind', 'server');
    root.setTag('http.status_code', 503);
    root.setTag('error', true);
    root.log({ event: 'retry', attempt: 2 }, t0 + 5);
    const child = tracer.startSpan('child-op', { childOf: root.context(), startTime: t0 + 1 });
    child.setTag('span.kind', 'client');
    child.finish(t0 + 3);
    root.finish(t0 + 10);
    await new Promise<void>((resolve) => tracer.close(resolve));
    const datagram = await Promise.race([
      received,
      new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no datagram from jaeger-client')), 5000)),
    ]);
    // jaeger-client writes strict binary Thrift: version 1, ONEWAY, "emitBatch"
    assert.deepEqual([...datagram.subarray(0, 4)], [0x80, 0x01, 0x00, 0x04]);
    const spans = decodeJaegerAgentMessage(datagram, 'binary');
    assert.equal(spans.length, 2);
    const r = spans.find((s) => s.name === 'root-op')!;
    const c = spans.find((s) => s.name === 'child-op')!;
    assert.ok(r && c);
    assert.equal(r.resource.serviceName, 'interop-svc');
    assert.ok(r.resource.attributes.some((a) => a.key === 'deploy.env' && a.value.type === 'string' && a.value.value === 'test'));
    assert.ok(r.resource.attributes.some((a) => a.key === 'jaeger.version'));
    assert.match(r.traceId, /^0{16}[0-9a-f]{16}$/);
    assert.equal(r.traceId.slice(16), r.spanId); // jaeger-client: root span id = trace id
    assert.equal(c.traceId, r.traceId);
    assert.equal(c.parentSpanId, r.spanId);
    assert.equal(r.parentSpanId, '');
    assert.equal(r.kind, SpanKind.SERVER);
    assert.equal(c.kind, SpanKind.CLIENT);
    assert.equal(r.status.code, StatusCode.ERROR);
    assert.equal(r.startTimeUnixNano, BigInt(t0) * 1_000_000n);
    assert.equal(r.endTimeUnixNano - r.startTimeUnixNano, 10_000_000n);
    assert.equal(c.endTimeUnixNano - c.startTimeUnixNano, 2_000_000n);
    assert.deepEqual(r.attributes.find((a) => a.key === 'http.status_code')?.value, { type: 'double', value: 503 });
    assert.equal(r.events.length, 1);
    assert.equal(r.events[0].name, 'retry');
    assert.equal(r.events[0].timeUnixNano, BigInt(t0 + 5) * 1_000_000n);
    assert.equal(r.flags & 1, 1);
    // byte-exact binary (thriftrw) → compact → binary through the schema-less transcoder
    assert.deepEqual(Buffer.from(transcodeThriftMessage(transcodeThriftMessage(datagram, 'binary', 'compact'), 'compact', 'binary')), datagram);
    // and the same spans survive re-encoding to compact
    const [compact] = encodeJaegerAgentMessage(spans, 'compact');
    assert.deepStrictEqual(decodeJaegerAgentMessage(compact, 'compact'), spans);
  } finally {
    sock.close();
  }
});
