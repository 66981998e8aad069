import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attr, makeResource, makeSpan, validateSpans, type Span } from '@ariadne/model';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';
const base = (over: Partial<Span> = {}) =>
  makeSpan({ traceId: T, spanId: S, name: 'op', startTimeUnixNano: 1_700_000_000_000_000_000n, endTimeUnixNano: 1_700_000_000_001_000_000n, resource: makeResource('svc'), ...over });

test('valid spans pass unchanged', () => {
  const s = base();
  const r = validateSpans([s]);
  assert.equal(r.accepted.length, 1);
  assert.equal(r.rejected.length, 0);
  assert.deepEqual(r.accepted[0].warnings, []);
});

test('zero, short-malformed and missing ids are rejected with a reason naming the id', () => {
  const r = validateSpans([
    base({ traceId: '0'.repeat(32) }),
    base({ spanId: '0'.repeat(16) }),
    base({ traceId: 'not-hex' }),
    base({ spanId: '' }),
    base({ startTimeUnixNano: 0n }),
  ]);
  assert.equal(r.accepted.length, 0);
  assert.equal(r.rejected.length, 5);
  assert.match(r.rejected[0].reason, /invalid trace id/);
  assert.match(r.rejected[1].reason, /invalid span id/);
  assert.match(r.rejected[4].reason, /no start time/);
});

test('ids are normalised: upper case lowered, 64-bit padded, zero parent means root', () => {
  const r = validateSpans([base({ traceId: 'ABCDEF0123456789', spanId: 'ABC', parentSpanId: '0000000000000000' })]);
  const s = r.accepted[0];
  assert.equal(s.traceId, '0000000000000000abcdef0123456789');
  assert.equal(s.spanId, '0000000000000abc');
  assert.equal(s.parentSpanId, '');
});

test('times are never shifted: end before start is kept and warned about', () => {
  const s = base({ endTimeUnixNano: 1_699_999_999_000_000_000n });
  const r = validateSpans([s]);
  assert.equal(r.accepted[0].endTimeUnixNano, 1_699_999_999_000_000_000n);
  assert.match(r.accepted[0].warnings[0], /end time precedes start time/);
});

test('limits truncate with a warning and a dropped count', () => {
  const attrs = Array.from({ length: 12 }, (_, i) => attr(`k${i}`, i));
  attrs.push(attr('long', 'x'.repeat(100)));
  const s = base({ attributes: attrs, name: 'n'.repeat(50) });
  const r = validateSpans([s], { maxAttributes: 13, maxValueLength: 10, maxEvents: 1, maxLinks: 1, maxNameLength: 20 });
  const v = r.accepted[0];
  assert.equal(v.name.length, 20);
  assert.equal(v.attributes.length, 13);
  assert.equal((v.attributes[12].value as { value: string }).value, 'x'.repeat(10));
  assert.ok(v.warnings.some((w) => /truncated/.test(w)));
  const r2 = validateSpans([base({ attributes: attrs })], { maxAttributes: 5, maxValueLength: 1000, maxEvents: 1, maxLinks: 1, maxNameLength: 100 });
  assert.equal(r2.accepted[0].attributes.length, 5);
  assert.equal(r2.accepted[0].droppedAttributesCount, 8);
  assert.match(r2.accepted[0].warnings[0], /8 span attributes dropped/);
});

test('an empty service name becomes unknown_service', () => {
  const r = validateSpans([base({ resource: makeResource('') })]);
  assert.equal(r.accepted[0].resource.serviceName, 'unknown_service');
});
