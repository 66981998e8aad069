import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Attribute, AttributeValue, Span } from '@ariadne/model';
import { deserializeSpan, serializeSpan, spanFromJson, spanToJson } from '../src/serialize.js';
import { richSpan } from './conformance.js';

const text = fc.string({ unit: 'binary', maxLength: 20 });
const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
const value: fc.Arbitrary<AttributeValue> = fc.letrec<{ v: AttributeValue; kv: Attribute[] }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text.map((value) => ({ type: 'string' as const, value })),
    fc.boolean().map((value) => ({ type: 'bool' as const, value })),
    fc.maxSafeInteger().map((value) => ({ type: 'int' as const, value })),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value) => ({ type: 'int' as const, value })),
    fc.double().map((value) => ({ type: 'double' as const, value })),
    fc.uint8Array({ maxLength: 12 }).map((value) => ({ type: 'bytes' as const, value })),
    fc.constant({ type: 'empty' as const }),
    fc.array(tie('v'), { maxLength: 3 }).map((value) => ({ type: 'array' as const, value })),
    tie('kv').map((value) => ({ type: 'kvlist' as const, value })),
  ) as fc.Arbitrary<AttributeValue>,
  kv: fc.array(fc.record({ key: text, value: tie('v') as fc.Arbitrary<AttributeValue> }), { maxLength: 3 }),
})).v;
const attrs = fc.array(fc.record({ key: text, value }), { maxLength: 4 });
const count = fc.nat({ max: 1000 });
const time = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });

const spanArb: fc.Arbitrary<Span> = fc.record({
  traceId: hex(32),
  spanId: hex(16),
  parentSpanId: fc.oneof(fc.constant(''), hex(16)),
  name: text,
  kind: fc.constantFrom(0, 1, 2, 3, 4, 5) as fc.Arbitrary<Span['kind']>,
  startTimeUnixNano: time,
  endTimeUnixNano: time,
  attributes: attrs,
  droppedAttributesCount: count,
  events: fc.array(fc.record({ timeUnixNano: time, name: text, attributes: attrs, droppedAttributesCount: count }), { maxLength: 2 }),
  droppedEventsCount: count,
  links: fc.array(
    fc.record(
      { traceId: hex(32), spanId: hex(16), traceState: text, flags: fc.nat(), attributes: attrs, droppedAttributesCount: count, refType: fc.constantFrom('CHILD_OF' as const, 'FOLLOWS_FROM' as const) },
      { requiredKeys: ['traceId', 'spanId', 'traceState', 'flags', 'attributes', 'droppedAttributesCount'] },
    ),
    { maxLength: 2 },
  ),
  droppedLinksCount: count,
  status: fc.record({ code: fc.constantFrom(0, 1, 2) as fc.Arbitrary<Span['status']['code']>, message: text }),
  traceState: text,
  flags: fc.nat({ max: 0xffff }),
  resource: fc.record({ serviceName: text, attributes: attrs, droppedAttributesCount: count, schemaUrl: text }),
  scope: fc.record({ name: text, version: text, attributes: attrs, droppedAttributesCount: count, schemaUrl: text }),
  warnings: fc.array(text, { maxLength: 2 }),
});

describe('span serialization', () => {
  it('round-trips arbitrary spans exactly, and the fast writer matches the reference form', () => {
    fc.assert(
      fc.property(spanArb, (raw) => {
        const s = structuredClone(raw); // plain prototypes, as spans have
        const textForm = serializeSpan(s);
        assert.equal(textForm, JSON.stringify(spanToJson(s)));
        assert.deepStrictEqual(deserializeSpan(textForm), s);
        assert.deepStrictEqual(spanFromJson(spanToJson(s)), s);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips the rich span (bigints, bytes, -0, NaN, nested values, unicode)', () => {
    const s = richSpan('0123456789abcdef0123456789abcdef');
    const back = deserializeSpan(serializeSpan(s));
    assert.deepStrictEqual(back, s);
    assert.ok(back.attributes[11].value.type === 'bytes' && Object.getPrototypeOf(back.attributes[11].value.value) === Uint8Array.prototype);
  });

  it('keeps lone surrogates (escaped in the JSON text)', () => {
    const s = richSpan('0123456789abcdef0123456789abcdef');
    s.name = 'lone \ud800 surrogate';
    const t = serializeSpan(s);
    assert.ok(t.includes('\\ud800'));
    assert.equal(deserializeSpan(t).name, s.name);
  });

  it('rejects text that is not a stored span with a TypeError saying so', () => {
    assert.throws(() => deserializeSpan('{not json'), /not valid JSON/);
    assert.throws(() => deserializeSpan('[1,2]'), /not a JSON object/);
    assert.throws(() => deserializeSpan('{"t":"x"}'), /malformed/);
  });
});
