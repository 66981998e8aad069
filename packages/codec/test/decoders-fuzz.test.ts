/**
 * Property-based fuzzing of every decoder the receivers and the UI upload use, with one contract:
 * whatever the bytes, a decoder returns spans or throws `CodecError` (never another exception),
 * and prototype-named keys (`__proto__`, `constructor`, `prototype`) anywhere in the input stay
 * data: no object prototype is ever changed.
 *
 * Inputs: random bytes; valid encodings of random spans (with hostile attribute keys) mutated by
 * bit flips, truncation, byte insertion/deletion and splices of two encodings; and for JSON
 * decoders, random JSON documents and valid documents with random values grafted in.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { attr, makeResource, makeSpan, SpanKind, type Span } from '@ariadne/model';
import {
  CodecError, decodeJaegerAgentMessage, decodeJaegerProtoPostSpans, decodeJaegerQueryJson, decodeJaegerThriftBatch, decodeOtlpJson, decodeOtlpProtobuf,
  decodeZipkinProto3, decodeZipkinV1Json, decodeZipkinV2Json, encodeJaegerAgentMessage, encodeJaegerProtoPostSpans, encodeJaegerThriftBatch,
  encodeOtlpJson, encodeOtlpProtobuf, encodeZipkinProto3, encodeZipkinV2Json, spansToJaegerTrace, stringifyJaegerJson,
} from '../src/index.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const utf8 = new TextDecoder();
const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', '__defineGetter__', 'valueOf'];

interface Codec {
  name: string;
  decode(b: Uint8Array): Span[];
  encode(spans: Span[]): Uint8Array;
}

const text = (o: unknown) => new TextEncoder().encode(typeof o === 'string' ? o : JSON.stringify(o));
const CODECS: Codec[] = [
  { name: 'OTLP protobuf', decode: decodeOtlpProtobuf, encode: encodeOtlpProtobuf },
  { name: 'OTLP JSON', decode: (b) => decodeOtlpJson(utf8.decode(b)), encode: (s) => text(encodeOtlpJson(s)) },
  { name: 'Jaeger Thrift binary Batch', decode: (b) => decodeJaegerThriftBatch(b, 'binary'), encode: (s) => encodeJaegerThriftBatch(s, 'binary')[0] },
  { name: 'Jaeger Thrift compact Batch', decode: (b) => decodeJaegerThriftBatch(b, 'compact'), encode: (s) => encodeJaegerThriftBatch(s, 'compact')[0] },
  { name: 'Jaeger agent compact emitBatch', decode: (b) => decodeJaegerAgentMessage(b, 'compact'), encode: (s) => encodeJaegerAgentMessage(s, 'compact')[0] },
  { name: 'Jaeger agent binary emitBatch', decode: (b) => decodeJaegerAgentMessage(b, 'binary'), encode: (s) => encodeJaegerAgentMessage(s, 'binary')[0] },
  { name: 'Jaeger api_v2 proto PostSpans', decode: (b) => decodeJaegerProtoPostSpans(b), encode: encodeJaegerProtoPostSpans },
  { name: 'Zipkin v2 JSON', decode: (b) => decodeZipkinV2Json(utf8.decode(b)), encode: (s) => text(encodeZipkinV2Json(s)) },
  { name: 'Zipkin v1 JSON', decode: (b) => decodeZipkinV1Json(utf8.decode(b)), encode: (s) => text(encodeZipkinV2Json(s)) },
  { name: 'Zipkin proto3', decode: decodeZipkinProto3, encode: encodeZipkinProto3 },
  { name: 'Jaeger query JSON (UI upload)', decode: (b) => decodeJaegerQueryJson(utf8.decode(b)), encode: (s) => text(stringifyJaegerJson({ data: [spansToJaegerTrace(s)] })) },
];

const hex = (n: number) => fc.uint8Array({ minLength: n / 2, maxLength: n / 2 }).map((b) => Buffer.from(b).toString('hex')).filter((h) => /[^0]/.test(h));
const key = fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.string({ minLength: 1, maxLength: 8 }));
const value = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.double({ noNaN: true }));
const spanArb: fc.Arbitrary<Span> = fc
  .record({
    traceId: hex(32),
    spanId: hex(16),
    name: fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.string({ maxLength: 12 })),
    service: fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.string({ minLength: 1, maxLength: 12 })),
    start: fc.integer({ min: 1, max: 2 ** 40 }),
    dur: fc.integer({ min: 0, max: 2 ** 20 }),
    tags: fc.array(fc.tuple(key, value), { maxLength: 6 }),
    resTags: fc.array(fc.tuple(key, fc.string({ maxLength: 8 })), { maxLength: 3 }),
    kind: fc.constantFrom(SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT),
  })
  .map((r) =>
    makeSpan({
      traceId: r.traceId,
      spanId: r.spanId,
      name: r.name,
      kind: r.kind,
      startTimeUnixNano: BigInt(r.start) * 1000n,
      endTimeUnixNano: BigInt(r.start + r.dur) * 1000n,
      resource: makeResource(r.service, r.resTags.map(([k, v]) => attr(k, v))),
      attributes: r.tags.map(([k, v]) => attr(k, v)),
    }),
  );
const spansArb = fc.array(spanArb, { minLength: 1, maxLength: 4 });

type Mutation = (b: Uint8Array) => Uint8Array;
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(([i, bit]): Mutation => (b) => {
    const c = Uint8Array.from(b);
    if (c.length) c[i % c.length] ^= 1 << bit;
    return c;
  }),
  fc.nat().map((i): Mutation => (b) => b.subarray(0, b.length ? i % b.length : 0)),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([i, ins]): Mutation => (b) => {
    const at = b.length ? i % b.length : 0;
    return Uint8Array.from([...b.subarray(0, at), ...ins, ...b.subarray(at)]);
  }),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 16 })).map(([i, n]): Mutation => (b) => {
    const at = b.length ? i % b.length : 0;
    return Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + n)]);
  }),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([i, v]): Mutation => (b) => {
    const c = Uint8Array.from(b);
    if (c.length) c[i % c.length] = v;
    return c;
  }),
);

function prototypesIntact(where: string): void {
  const probe = {} as Record<string, unknown>;
  for (const k of ['polluted', 'x', 'isAdmin', 'value', 'key']) assert.equal(probe[k], undefined, `${where}: Object.prototype.${k} was set`);
  assert.equal(Object.getPrototypeOf(probe), Object.prototype);
  assert.equal(typeof ({} as Record<string, unknown>).constructor, 'function', `${where}: Object.prototype.constructor changed`);
  assert.equal(Object.keys(Object.prototype).length, 0, `${where}: enumerable properties on Object.prototype`);
  assert.equal(Object.keys(Array.prototype).length, 0, `${where}: enumerable properties on Array.prototype`);
}

/** Decode; anything but spans or a CodecError fails the property. */
function decodeOrCodecError(c: Codec, b: Uint8Array): Span[] | undefined {
  try {
    const spans = c.decode(b);
    assert.ok(Array.isArray(spans));
    for (const s of spans) for (const a of s.attributes) assert.equal(typeof a.key, 'string');
    return spans;
  } catch (err) {
    if (err instanceof CodecError) return undefined;
    throw new Error(`${c.name}: a ${(err as Error)?.constructor?.name} escaped instead of a CodecError: ${(err as Error)?.message}`, { cause: err });
  }
}

for (const c of CODECS) {
  test(`${c.name}: random bytes → spans or CodecError`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (b) => {
        decodeOrCodecError(c, b);
      }),
      { numRuns: RUNS },
    );
    prototypesIntact(c.name);
  });

  test(`${c.name}: mutated encodings of random spans (hostile keys) → spans or CodecError; prototypes intact`, () => {
    fc.assert(
      fc.property(spansArb, fc.array(mutation, { minLength: 1, maxLength: 4 }), (spans, muts) => {
        let b = c.encode(spans);
        for (const m of muts) b = m(b);
        decodeOrCodecError(c, b);
      }),
      { numRuns: RUNS },
    );
    prototypesIntact(c.name);
  });

  test(`${c.name}: splices of two encodings → spans or CodecError`, () => {
    fc.assert(
      fc.property(spansArb, spansArb, fc.nat(), fc.nat(), (a, b, i, j) => {
        const x = c.encode(a);
        const y = c.encode(b);
        decodeOrCodecError(c, Uint8Array.from([...x.subarray(0, i % (x.length + 1)), ...y.subarray(j % (y.length + 1))]));
      }),
      { numRuns: RUNS },
    );
  });

  if (c.name !== 'Zipkin v1 JSON') test(`${c.name}: prototype-named attribute keys and names round-trip as data`, () => {
    const spans = [
      makeSpan({
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        name: '__proto__',
        kind: SpanKind.SERVER,
        startTimeUnixNano: 1_700_000_000_000_000_000n,
        endTimeUnixNano: 1_700_000_000_001_000_000n,
        resource: makeResource('constructor', [attr('__proto__', 'res'), attr('prototype', 'p')]),
        attributes: HOSTILE_KEYS.map((k) => attr(k, `v-${k}`)),
      }),
    ];
    const got = c.decode(c.encode(spans));
    assert.equal(got.length, 1);
    const keys = new Map(got[0].attributes.map((a) => [a.key, a.value]));
    for (const k of HOSTILE_KEYS) {
      assert.ok(keys.has(k), `${k} kept as an attribute key`);
      assert.deepEqual(keys.get(k), { type: 'string', value: `v-${k}` });
    }
    assert.equal(got[0].resource.serviceName, 'constructor');
    assert.equal(got[0].name, '__proto__');
    prototypesIntact(c.name);
  });
}

test('Zipkin v1 JSON: prototype-named binaryAnnotation keys and names stay data', () => {
  const ep = { serviceName: 'constructor', ipv4: '127.0.0.1' };
  const v1 = [{
    traceId: '0af7651916cd43dd', id: 'b7ad6b7169203331', name: '__proto__', timestamp: 1_700_000_000_000_000, duration: 5,
    annotations: [{ timestamp: 1_700_000_000_000_001, value: '__proto__', endpoint: ep }],
    binaryAnnotations: [...HOSTILE_KEYS.map((k) => ({ key: k, value: `v-${k}`, endpoint: ep })), { key: 'lc', value: '', endpoint: ep }],
  }];
  const got = decodeZipkinV1Json(JSON.stringify(v1).replace('"name":"__proto__"', '"name":"__proto__","__proto__":{"polluted":1}'));
  assert.equal(got.length, 1);
  const keys = new Map(got[0].attributes.map((a) => [a.key, a.value]));
  for (const k of HOSTILE_KEYS) assert.deepEqual(keys.get(k), { type: 'string', value: `v-${k}` }, k);
  assert.equal(got[0].resource.serviceName, 'constructor');
  prototypesIntact('Zipkin v1 JSON');
});

const JSON_CODECS = CODECS.filter((c) => c.name.includes('JSON'));
const jsonValue = fc.jsonValue({ maxDepth: 4 });
const protoObj = fc.constantFrom('{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '{"__proto__":[1]}', '{"prototype":null}');

for (const c of JSON_CODECS) {
  test(`${c.name}: random JSON documents and grafted values (incl. __proto__ objects) → spans or CodecError`, () => {
    fc.assert(
      fc.property(jsonValue, (v) => {
        decodeOrCodecError(c, text(v));
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(spansArb, fc.nat(), fc.oneof(jsonValue.map((v) => JSON.stringify(v)), protoObj), (spans, at, graft) => {
        // replace one JSON value of a valid document (found at a ':' or ',' or '[') with the graft
        const doc = utf8.decode(c.encode(spans));
        const seps = [...doc.matchAll(/[:[,]/g)].map((m) => m.index!);
        const i = seps[at % seps.length] + 1;
        const end = doc.slice(i).search(/[,}\]]/);
        const mutated = doc.slice(0, i) + graft + (end < 0 ? '' : doc.slice(i + end));
        decodeOrCodecError(c, text(mutated));
      }),
      { numRuns: RUNS },
    );
    prototypesIntact(c.name);
  });
}
