import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attr, attributeValuesEqual, attributeValueToString, findAttribute, jsonSafe, toAttributeValue } from '@ariadne/model';

test('plain JS values become typed attribute values', () => {
  assert.deepEqual(toAttributeValue('x'), { type: 'string', value: 'x' });
  assert.deepEqual(toAttributeValue(3), { type: 'int', value: 3 });
  assert.deepEqual(toAttributeValue(3.5), { type: 'double', value: 3.5 });
  assert.deepEqual(toAttributeValue(true), { type: 'bool', value: true });
  assert.deepEqual(toAttributeValue(2n ** 63n - 1n), { type: 'int', value: 2n ** 63n - 1n });
  assert.deepEqual(toAttributeValue(['a', 1]), { type: 'array', value: [{ type: 'string', value: 'a' }, { type: 'int', value: 1 }] });
  assert.deepEqual(toAttributeValue({ a: 1 }), { type: 'string', value: '{"a":1}' });
});

test('text form matches how Jaeger shows and matches tags', () => {
  assert.equal(attributeValueToString({ type: 'int', value: 42 }), '42');
  assert.equal(attributeValueToString({ type: 'bool', value: false }), 'false');
  assert.equal(attributeValueToString({ type: 'bytes', value: Uint8Array.from([0xde, 0xad, 0xbe, 0xef]) }), '3q2+7w==');
  assert.equal(attributeValueToString(toAttributeValue(['a', 'b'])), '["a","b"]');
  assert.equal(attributeValueToString({ type: 'int', value: 2n ** 64n - 1n }), '18446744073709551615');
});

test('findAttribute, equality across number/bigint ints, jsonSafe', () => {
  const attrs = [attr('a', 1), attr('b', 'x')];
  assert.deepEqual(findAttribute(attrs, 'b'), { type: 'string', value: 'x' });
  assert.equal(findAttribute(attrs, 'c'), undefined);
  assert.ok(attributeValuesEqual({ type: 'int', value: 5 }, { type: 'int', value: 5n }));
  assert.ok(!attributeValuesEqual({ type: 'int', value: 5 }, { type: 'double', value: 5 }));
  assert.deepEqual(jsonSafe({ a: 1n, b: Uint8Array.from([1]) }), Object.assign(Object.create(null), { a: '1', b: 'AQ==' }));
  // keys like __proto__ stay data
  const o = jsonSafe(JSON.parse('{"__proto__": {"polluted": 1}}')) as Record<string, unknown>;
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.ok(Object.prototype.hasOwnProperty.call(o, '__proto__'));
});
