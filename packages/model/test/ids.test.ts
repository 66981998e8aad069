import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bytesToHex, hexToBytes, hexToInt64, int64ToHex, isValidSpanId, isValidTraceId, normalizeSpanId, normalizeTraceId,
  randomSpanId, randomTraceId, shortTraceId, traceIdToHighLow,
} from '@ariadne/model';

test('hex <-> bytes round trip, any case in, lowercase out', () => {
  const bytes = Uint8Array.from([0, 1, 0x7f, 0x80, 0xfe, 0xff]);
  assert.equal(bytesToHex(bytes), '00017f80feff');
  assert.deepEqual(hexToBytes('00017F80FEFF'), bytes);
  assert.throws(() => hexToBytes('abc'), /invalid hex/);
  assert.throws(() => hexToBytes('zz'), /invalid hex/);
});

test('64-bit ids are left-padded; leading zeros dropped by jaeger-client are restored', () => {
  assert.equal(normalizeTraceId('2165cd8171cef678'), '00000000000000002165cd8171cef678');
  assert.equal(normalizeTraceId('abc'), '00000000000000000000000000000abc');
  assert.equal(normalizeTraceId('ABCDEF'), '00000000000000000000000000abcdef');
  assert.equal(normalizeSpanId('1'), '0000000000000001');
  assert.equal(normalizeTraceId('x'.repeat(32)), '');
  assert.equal(normalizeTraceId('1'.repeat(33)), '');
  assert.equal(normalizeSpanId(''), '');
});

test('all-zero and malformed ids are invalid', () => {
  assert.equal(isValidTraceId('0'.repeat(32)), false);
  assert.equal(isValidSpanId('0'.repeat(16)), false);
  assert.equal(isValidTraceId('1'.repeat(31)), false);
  assert.equal(isValidTraceId('g'.repeat(32)), false);
  assert.equal(isValidTraceId('4bf92f3577b34da6a3ce929d0e0e4736'), true);
  assert.equal(isValidSpanId('00f067aa0ba902b7'), true);
});

test('Thrift i64 halves: signed values map to unsigned hex and back', () => {
  assert.equal(int64ToHex(-1n), 'ffffffffffffffff');
  assert.equal(int64ToHex(1n), '0000000000000001');
  assert.equal(hexToInt64('ffffffffffffffff'), -1n);
  assert.equal(hexToInt64('7fffffffffffffff'), 9223372036854775807n);
  assert.deepEqual(traceIdToHighLow('0000000000000001ffffffffffffffff'), [1n, -1n]);
  assert.equal(shortTraceId('00000000000000002165cd8171cef678'), '2165cd8171cef678');
  assert.equal(shortTraceId('4bf92f3577b34da6a3ce929d0e0e4736'), '4bf92f3577b34da6a3ce929d0e0e4736');
});

test('random ids are valid and distinct', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const t = randomTraceId();
    const s = randomSpanId();
    assert.ok(isValidTraceId(t) && isValidSpanId(s));
    seen.add(t);
  }
  assert.equal(seen.size, 5000);
});
