import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assembleTrace, makeSpan, walkTrace } from '@ariadne/model';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const sp = (id: string, parent: string, start: number, end = start + 10) =>
  makeSpan({ traceId: T, spanId: id.padStart(16, '0'), parentSpanId: parent ? parent.padStart(16, '0') : '', name: `op-${id}`, startTimeUnixNano: BigInt(start), endTimeUnixNano: BigInt(end) });

test('spans become a tree with children in start order and depths', () => {
  const t = assembleTrace([sp('3', '1', 30), sp('1', '', 0, 100), sp('2', '1', 20), sp('4', '2', 25)]);
  assert.equal(t.roots.length, 1);
  assert.equal(t.roots[0].span.spanId, '0000000000000001');
  assert.deepEqual(t.roots[0].children.map((c) => c.span.name), ['op-2', 'op-3']);
  assert.equal(t.byId.get('0000000000000004')!.depth, 2);
  assert.equal(t.startTimeUnixNano, 0n);
  assert.equal(t.endTimeUnixNano, 100n);
  const order: string[] = [];
  walkTrace(t, (n) => order.push(n.span.name));
  assert.deepEqual(order, ['op-1', 'op-2', 'op-4', 'op-3']);
});

test('orphans (parent missing) are kept as extra roots after the true roots', () => {
  const t = assembleTrace([sp('5', '9', 5), sp('1', '', 10)]);
  assert.equal(t.roots.length, 2);
  assert.equal(t.roots[0].span.name, 'op-1');
  assert.equal(t.roots[1].span.name, 'op-5');
  assert.deepEqual(t.orphans.map((s) => s.name), ['op-5']);
});

test('a parent cycle does not loop forever and loses no span', () => {
  const t = assembleTrace([sp('1', '2', 0), sp('2', '1', 1), sp('3', '3', 2)]);
  let n = 0;
  walkTrace(t, () => n++);
  assert.equal(n, 3);
});

test('an empty trace assembles to nothing', () => {
  const t = assembleTrace([]);
  assert.equal(t.spanCount, 0);
  assert.equal(t.roots.length, 0);
});
