// Unit tests of the UI's pure helpers (no browser): logfmt tags, the trace model, formatting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatLogfmt, parseLogfmt } from '../src/model/logfmt.ts';
import { buildTraceModel } from '../src/model/trace.ts';
import { formatDuration, valueToText } from '../src/model/format.ts';
import { serviceColor } from '../src/model/colors.ts';
import { formStateFromQuery, validateForm } from '../src/components/search/searchState.ts';
import type { JaegerSpan, JaegerTrace } from '../src/model/jaeger.ts';

test('logfmt: plain and quoted values, escapes, errors', () => {
  assert.deepEqual(parseLogfmt('a=1 b="x y" c="q\\"uote"').tags, { a: '1', b: 'x y', c: 'q"uote' });
  assert.deepEqual(parseLogfmt('  ').tags, {});
  assert.deepEqual(parseLogfmt('http.url=http://x/?a=b').tags, { 'http.url': 'http://x/?a=b' });
  assert.deepEqual(parseLogfmt('e=').tags, { e: '' });
  assert.match(parseLogfmt('novalue').error ?? '', /no value/);
  assert.match(parseLogfmt('a="open').error ?? '', /unterminated/);
  assert.deepEqual(parseLogfmt('__proto__=x').tags, { ['__proto__']: 'x' });
  const tags = { k: 'v 2', 'x"y': 'a\\b', plain: 'p' };
  assert.deepEqual(parseLogfmt(formatLogfmt(tags)).tags, tags);
});

test('search state: URL tags as JSON or logfmt, validation', () => {
  const f = formStateFromQuery(new URLSearchParams('service=s&tags=%7B%22a%22%3A%22b%20c%22%7D&lookback=2h'));
  assert.equal(f.tags, 'a="b c"');
  assert.equal(f.limit, '20');
  const v = validateForm(f);
  assert.ok(v.ok);
  assert.deepEqual(v.params, { service: 's', operation: undefined, tags: { a: 'b c' }, minDuration: undefined, maxDuration: undefined, lookback: '2h', limit: 20 });
  assert.equal(validateForm({ ...f, minDuration: '12' }).ok, false);
  assert.equal(validateForm({ ...f, limit: '0' }).ok, false);
  assert.equal(validateForm({ ...f, service: '' }).ok, false);
  assert.equal(validateForm({ ...f, maxDuration: '1.5s' }).ok, true);
});

const span = (id: string, parent: string, start: number, dur: number, extra: Partial<JaegerSpan> = {}): JaegerSpan => ({
  traceID: 't1',
  spanID: id,
  operationName: 'op' + id,
  references: parent ? [{ refType: 'CHILD_OF', traceID: 't1', spanID: parent }] : [],
  startTime: start,
  duration: dur,
  tags: [],
  logs: [],
  processID: id === 'a' ? 'p1' : 'p2',
  ...extra,
});

test('trace model: tree order, depths, bounds, services, errors', () => {
  const trace: JaegerTrace = {
    traceID: 't1',
    spans: [span('d', 'b', 1030, 5), span('c', 'a', 1040, 50), span('b', 'a', 1010, 30, { tags: [{ key: 'error', type: 'bool', value: true }] }), span('a', '', 1000, 100)],
    processes: { p1: { serviceName: 'front', tags: [] }, p2: { serviceName: 'back', tags: [] } },
  };
  const m = buildTraceModel(trace);
  assert.deepEqual(m.spans.map((n) => n.spanID), ['a', 'b', 'd', 'c']);
  assert.deepEqual(m.spans.map((n) => n.depth), [0, 1, 2, 1]);
  assert.equal(m.startTime, 1000);
  assert.equal(m.duration, 100);
  assert.equal(m.rootServiceName, 'front');
  assert.equal(m.rootOperationName, 'opa');
  assert.deepEqual(m.services.map((s) => [s.name, s.spanCount, s.hasError]), [['back', 3, true], ['front', 1, false]]);
  assert.equal(m.errorCount, 1);
  assert.equal(m.byId.get('a')!.descendantCount, 3);
  assert.equal(m.spans[2].relStart, 30);
});

test('trace model: orphans become roots, cycles and duplicates do not hang or repeat', () => {
  const trace: JaegerTrace = {
    traceID: 't1',
    spans: [span('x', 'y', 10, 1), span('y', 'x', 20, 1), span('o', 'missing', 5, 1), span('o', '', 6, 1), span('s', 's', 30, 1)],
    processes: {},
  };
  const m = buildTraceModel(trace);
  assert.equal(m.spanCount, 4);
  assert.deepEqual(new Set(m.spans.map((n) => n.spanID)), new Set(['x', 'y', 'o', 's']));
  assert.equal(m.spans[0].spanID, 'o');
  assert.equal(m.spans[0].serviceName, 'unknown');
});

test('trace model: a 20,000-deep chain builds without recursion', () => {
  const spans: JaegerSpan[] = [];
  for (let i = 0; i < 20_000; i++) spans.push(span('s' + i, i ? 's' + (i - 1) : '', i, 20_000 - i));
  const m = buildTraceModel({ traceID: 't1', spans, processes: {} });
  assert.equal(m.maxDepth, 19_999);
  assert.equal(m.spans[19_999].spanID, 's19999');
});

test('formatting', () => {
  assert.equal(formatDuration(0), '0µs');
  assert.equal(formatDuration(950), '950µs');
  assert.equal(formatDuration(1234), '1.23ms');
  assert.equal(formatDuration(100_000), '100ms');
  assert.equal(formatDuration(1_500_000), '1.5s');
  assert.equal(formatDuration(125_000_000), '2m 5s');
  assert.equal(valueToText({ value: '<b>' }), '<b>');
  assert.equal(valueToText({ value: 12 }), '12');
  assert.equal(valueToText({ value: false }), 'false');
  assert.equal(valueToText({ value: { a: [1] } }), '{"a":[1]}');
  assert.equal(serviceColor('frontend'), serviceColor('frontend'));
  assert.match(serviceColor('x'), /^#[0-9a-f]{6}$/);
});

test('parseJson keeps the digits of integers beyond 2^53 and leaves the rest alone', async () => {
  const { parseJson } = await import('../src/api.ts');
  const v = parseJson('{"a":[{"value":12345678901234567890},{"value":9007199254740993},{"value":1763782887918000},{"value":"99999999999999999"},{"value":1.5e300}]}') as {
    a: Array<{ value: unknown }>;
  };
  const supported = (() => {
    let src: unknown;
    JSON.parse('1', (_k, val, ctx?: { source?: string }) => ((src = ctx?.source), val));
    return src === '1';
  })();
  if (supported) {
    assert.equal(v.a[0].value, '12345678901234567890');
    assert.equal(v.a[1].value, '9007199254740993');
  } else {
    assert.equal(typeof v.a[0].value, 'number');
  }
  assert.equal(v.a[2].value, 1763782887918000);
  assert.equal(v.a[3].value, '99999999999999999');
  assert.equal(v.a[4].value, 1.5e300);
  assert.deepEqual(parseJson('{"data":["a"]}'), { data: ['a'] });
});

test('dependency layout: callers left of callees, cycles and self-calls placed', async () => {
  const { layoutDependencies } = await import('../src/model/dependencies.ts');
  const g = layoutDependencies([
    { parent: 'web', child: 'api', callCount: 5 },
    { parent: 'api', child: 'db', callCount: 7 },
    { parent: 'web', child: 'db', callCount: 1 },
    { parent: 'x', child: 'y', callCount: 1 },
    { parent: 'y', child: 'x', callCount: 1 },
    { parent: 'db', child: 'db', callCount: 2 },
  ]);
  const layer = (n: string) => g.byName.get(n)!.layer;
  assert.deepEqual([layer('web'), layer('api'), layer('db')], [0, 1, 2]);
  assert.equal(g.nodes.length, 5);
  assert.ok(layer('x') !== layer('y'));
  assert.equal(g.byName.get('db')!.calls, 10);
  assert.equal(g.layers, 3);
  // rows are unique within a layer
  const slots = new Set(g.nodes.map((n) => `${n.layer}:${n.row}`));
  assert.equal(slots.size, g.nodes.length);
});

test('critical path: last-finishing children back from the end, self time in between', async () => {
  const { criticalPath } = await import('../src/model/trace.ts');
  const trace: JaegerTrace = {
    traceID: 't1',
    // root 0-100; a 10-40; b 45-90 with c 50-60; d 20-30 (hidden behind a); e 95-120 (outlasts root)
    spans: [span('r', '', 0, 100), span('a', 'r', 10, 30), span('b', 'r', 45, 45), span('c', 'b', 50, 10), span('d', 'r', 20, 10), span('e', 'r', 95, 25)],
    processes: {},
  };
  const cp = criticalPath(buildTraceModel(trace));
  assert.deepEqual(Object.fromEntries(cp), {
    r: [[0, 10], [40, 45], [90, 95]],
    e: [[95, 100]],
    b: [[45, 50], [60, 90]],
    c: [[50, 60]],
    a: [[10, 40]],
  });
  // a 20,000-deep chain does not overflow
  const chain: JaegerSpan[] = [];
  for (let i = 0; i < 20_000; i++) chain.push(span('s' + i, i ? 's' + (i - 1) : '', i, 40_000 - 2 * i));
  const deep = criticalPath(buildTraceModel({ traceID: 't1', spans: chain, processes: {} }));
  assert.equal(deep.size, 20_000);
});

test('compare: spans merged by service/operation path, counted per side', async () => {
  const { compareTraces } = await import('../src/model/compare.ts');
  const procs = { p1: { serviceName: 'front', tags: [] }, p2: { serviceName: 'back', tags: [] } };
  const a = buildTraceModel({ traceID: 't1', spans: [span('a', '', 0, 100), span('b', 'a', 10, 10), span('c', 'a', 30, 10, { operationName: 'opx' })], processes: procs });
  const b = buildTraceModel({
    traceID: 't1',
    spans: [span('a', '', 0, 100), span('b', 'a', 10, 10), span('b2', 'a', 20, 10, { operationName: 'opb' }), span('d', 'b', 12, 2, { operationName: 'opd' })],
    processes: procs,
  });
  const diff = compareTraces(a, b);
  assert.deepEqual(
    diff.rows.map((r) => [r.service, r.operation, r.depth, r.countA, r.countB, r.status]),
    [
      ['front', 'opa', 0, 1, 1, 'same'],
      ['back', 'opb', 1, 1, 2, 'changed'],
      ['back', 'opd', 2, 0, 1, 'added'],
      ['back', 'opx', 1, 1, 0, 'removed'],
    ],
  );
  assert.deepEqual(diff.counts, { same: 1, changed: 1, added: 1, removed: 1 });
});

test('trace model tolerates nulls, missing processes and negative durations', () => {
  const m = buildTraceModel({
    traceID: 't1',
    spans: [
      { traceID: 't1', spanID: 'a', operationName: 'root', references: null, startTime: 100, duration: -5, tags: null, logs: null, processID: 'nope', warnings: null },
      { traceID: 't1', spanID: 'b', operationName: '__proto__', references: [{ refType: 'CHILD_OF', traceID: 't1', spanID: 'a' }], startTime: 90, duration: 30, tags: [{ key: 'error', type: 'string', value: 'true' }], logs: [{ timestamp: 95, fields: null as never }], processID: 'p1' },
    ],
    processes: { p1: { serviceName: '', tags: null } },
  });
  assert.deepEqual(m.spans.map((n) => n.spanID), ['a', 'b']);
  assert.equal(m.startTime, 90);
  assert.equal(m.endTime, 120);
  assert.deepEqual(m.services.map((s) => [s.name, s.spanCount]), [['unknown', 2]]);
  assert.equal(m.errorCount, 1);
  assert.equal(m.spans[1].relStart, 0);
});
