// Property: random model spans survive model → OTLP protobuf → model and model → OTLP JSON text → model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Attribute, AttributeValue, InstrumentationScope, Resource, Span, SpanEvent, SpanLink } from '@ariadne/model';
import { bytesToHex } from '@ariadne/model';
import { CodecError } from '../src/errors.js';
import { decodeOtlpJson, decodeOtlpProtobuf, encodeOtlpJson, encodeOtlpProtobuf } from '../src/otlp/index.js';

// plain-prototype objects, like the decoders build
const rec = <T extends Record<string, fc.Arbitrary<unknown>>>(m: T): fc.Arbitrary<{ [K in keyof T]: T[K] extends fc.Arbitrary<infer U> ? U : never }> =>
  fc.record(m, { noNullPrototype: true }) as never;
const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const hexId = (n: number): fc.Arbitrary<string> => fc.uint8Array({ minLength: n, maxLength: n }).map((b) => bytesToHex(b));
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const nanos = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const int64 = fc
  .oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -1000n, max: 1000n }))
  .map((b): number | bigint => (b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b));
// -0 is spelled 0 in JSON, so it cannot round-trip there; every other double (NaN, ±Infinity) can.
const double = fc.double().map((d) => (Object.is(d, -0) ? 0 : d));

const { value: attrValue } = fc.letrec<{ value: AttributeValue; kv: Attribute }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text.map((value): AttributeValue => ({ type: 'string', value })),
    fc.boolean().map((value): AttributeValue => ({ type: 'bool', value })),
    int64.map((value): AttributeValue => ({ type: 'int', value })),
    double.map((value): AttributeValue => ({ type: 'double', value })),
    fc.uint8Array({ maxLength: 8 }).map((value): AttributeValue => ({ type: 'bytes', value })),
    fc.constant<AttributeValue>({ type: 'empty' }),
    fc.array(tie('value'), { maxLength: 3 }).map((value): AttributeValue => ({ type: 'array', value })),
    fc.array(tie('kv'), { maxLength: 3 }).map((value): AttributeValue => ({ type: 'kvlist', value })),
  ) as fc.Arbitrary<AttributeValue>,
  kv: rec({ key: text, value: tie('value') as fc.Arbitrary<AttributeValue> }),
}));
const attrs = fc.array(rec({ key: text.filter((k) => k !== 'service.name'), value: attrValue }), { maxLength: 4 });

const resource: fc.Arbitrary<Resource> = fc
  .record({ service: fc.option(text, { nil: undefined }), attributes: attrs, droppedAttributesCount: u32, schemaUrl: text })
  .map(({ service, attributes, droppedAttributesCount, schemaUrl }) => ({
    serviceName: service ?? '',
    attributes: service === undefined ? attributes : [{ key: 'service.name', value: { type: 'string', value: service } }, ...attributes],
    droppedAttributesCount,
    schemaUrl,
  }));
const scope: fc.Arbitrary<InstrumentationScope> = rec({ name: text, version: text, attributes: attrs, droppedAttributesCount: u32, schemaUrl: text });
const event: fc.Arbitrary<SpanEvent> = rec({ timeUnixNano: nanos, name: text, attributes: attrs, droppedAttributesCount: u32 });
const link: fc.Arbitrary<SpanLink> = rec({
  traceId: fc.oneof(hexId(16), fc.constant('')),
  spanId: hexId(8),
  traceState: text,
  flags: u32,
  attributes: attrs,
  droppedAttributesCount: u32,
});

const batch: fc.Arbitrary<Span[]> = fc
  .record({
    resources: fc.array(resource, { minLength: 1, maxLength: 3 }),
    scopes: fc.array(scope, { minLength: 1, maxLength: 3 }),
    spans: fc.array(
      rec({
        r: fc.nat(),
        s: fc.nat(),
        traceId: hexId(16),
        parentSpanId: fc.oneof(hexId(8), fc.constant('')),
        name: text,
        kind: fc.integer({ min: 0, max: 5 }),
        startTimeUnixNano: nanos,
        endTimeUnixNano: nanos,
        attributes: attrs,
        droppedAttributesCount: u32,
        events: fc.array(event, { maxLength: 2 }),
        droppedEventsCount: u32,
        links: fc.array(link, { maxLength: 2 }),
        droppedLinksCount: u32,
        status: rec({ code: fc.integer({ min: 0, max: 2 }), message: text }),
        traceState: text,
        flags: u32,
      }),
      { minLength: 1, maxLength: 6 },
    ),
  })
  .map(({ resources, scopes, spans }) =>
    spans.map(({ r, s, ...f }, i): Span => ({
      ...f,
      kind: f.kind as Span['kind'],
      status: f.status as Span['status'],
      // unique span ids so the decoded (regrouped) order can be compared
      spanId: i.toString(16).padStart(16, '0'),
      resource: resources[r % resources.length],
      scope: scopes[s % scopes.length],
      warnings: [],
    })),
  );

const byId = (spans: Span[]): Span[] => [...spans].sort((a, b) => (a.spanId < b.spanId ? -1 : 1));

test('property: model → OTLP protobuf → model is the identity', () => {
  fc.assert(
    fc.property(batch, (spans) => {
      const decoded = decodeOtlpProtobuf(encodeOtlpProtobuf(spans));
      assert.deepStrictEqual(byId(decoded), spans);
      assert.ok(new Set(decoded.map((s) => s.resource)).size <= new Set(spans.map((s) => s.resource)).size);
    }),
    { numRuns: 300 },
  );
});

test('property: model → OTLP JSON text → model is the identity', () => {
  fc.assert(
    fc.property(batch, (spans) => {
      const textBody = JSON.stringify(encodeOtlpJson(spans));
      assert.deepStrictEqual(byId(decodeOtlpJson(textBody)), spans);
    }),
    { numRuns: 300 },
  );
});

test('property: arbitrary JSON values never escape as anything but CodecError', () => {
  const otlpish = fc.letrec((tie) => ({
    any: fc.oneof(
      { depthSize: 'small' },
      fc.jsonValue(),
      fc.dictionary(
        fc.constantFrom('resourceSpans', 'scopeSpans', 'spans', 'resource', 'scope', 'attributes', 'value', 'values', 'key', 'intValue', 'arrayValue', 'kvlistValue', 'bytesValue', 'doubleValue', 'traceId', 'events', 'links', 'status', 'kind', 'code', 'startTimeUnixNano', 'flags'),
        tie('any'),
        { maxKeys: 4 },
      ),
      fc.array(tie('any'), { maxLength: 3 }),
    ),
  })).any;
  fc.assert(
    fc.property(otlpish, (v) => {
      for (const body of [v, JSON.stringify(v) ?? 'undefined']) {
        try {
          decodeOtlpJson(body);
        } catch (e) {
          if (!(e instanceof CodecError)) throw e;
        }
      }
    }),
    { numRuns: 500 },
  );
});

test('property: corrupted encodings of random spans decode or fail with CodecError only', () => {
  fc.assert(
    fc.property(batch, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat(), (spans, edits, cut) => {
      const buf = encodeOtlpProtobuf(spans).slice();
      for (const [at, v] of edits) buf[at % buf.length] = v;
      for (const body of [buf, buf.subarray(0, cut % (buf.length + 1))]) {
        try {
          decodeOtlpProtobuf(body);
        } catch (e) {
          if (!(e instanceof CodecError)) throw e;
        }
      }
    }),
    { numRuns: 300 },
  );
});
