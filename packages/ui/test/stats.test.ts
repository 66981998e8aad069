// Unit tests of the client-side trace statistics, graph and upload classification (no browser).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTraceModel } from '../src/model/trace.ts';
import { selfTime, traceGraph, traceStats } from '../src/model/stats.ts';
import { classifyUpload, jaegerJsonText } from '../src/model/upload.ts';
import type { JaegerSpan, JaegerTrace } from '../src/model/jaeger.ts';

const T = 'a'.repeat(32);
const span = (id: string, parent: string, op: string, p: string, start: number, dur: number): JaegerSpan => ({
  traceID: T,
  spanID: id,
  operationName: op,
  references: parent ? [{ refType: 'CHILD_OF', traceID: T, spanID: parent }] : [],
  startTime: start,
  duration: dur,
  tags: [],
  logs: [],
  processID: p,
});
const trace: JaegerTrace = {
  traceID: T,
  processes: { p1: { serviceName: 'fe' }, p2: { serviceName: 'be' } },
  spans: [
    span('1', '', 'root', 'p1', 1000, 100),
    // overlapping children 10–40 and 30–50 → 40 covered; one past the parent's end is clipped (90–100)
    span('2', '1', 'q', 'p2', 1010, 30),
    span('3', '1', 'q', 'p2', 1030, 20),
    span('4', '1', 'late', 'p2', 1090, 50),
    // recursion: be/q calls be/q
    span('5', '2', 'q', 'p2', 1015, 5),
  ],
};

test('selfTime: merges overlapping children and clips them to the span', () => {
  const m = buildTraceModel(trace);
  assert.equal(selfTime(m.byId.get('1')!), 100 - 40 - 10);
  assert.equal(selfTime(m.byId.get('2')!), 25);
  assert.equal(selfTime(m.byId.get('5')!), 5);
});

test('traceStats: per service/operation count, total, self, min/avg/max, sorted', () => {
  const s = traceStats(buildTraceModel(trace));
  assert.deepEqual(
    s.map((r) => [r.service, r.operation, r.count, r.total, r.selfTotal, r.min, r.avg, r.max]),
    [
      ['be', 'late', 1, 50, 50, 50, 50, 50],
      ['be', 'q', 3, 55, 50, 5, 55 / 3, 30],
      ['fe', 'root', 1, 100, 50, 100, 100, 100],
    ],
  );
});

test('traceGraph: nodes by service/operation with layers, edges with call counts (self edges kept)', () => {
  const g = traceGraph(buildTraceModel(trace));
  assert.deepEqual(g.nodes.map((n) => [n.service, n.operation, n.count, n.layer]).sort(), [
    ['be', 'late', 1, 1],
    ['be', 'q', 3, 1],
    ['fe', 'root', 1, 0],
  ]);
  assert.deepEqual(g.edges.map((e) => [e.from.replace('\u0000', '/'), e.to.replace('\u0000', '/'), e.count]).sort(), [
    ['be/q', 'be/q', 1],
    ['fe/root', 'be/late', 1],
    ['fe/root', 'be/q', 2],
  ]);
});

test('classifyUpload: Jaeger envelope, array, single trace, OTLP and api_v3 OTLP; errors', () => {
  const env = JSON.parse(jaegerJsonText(trace));
  assert.equal(classifyUpload(env).kind, 'jaeger');
  const c = classifyUpload([trace]);
  assert.ok(c.kind === 'jaeger' && c.traces.length === 1);
  assert.equal(classifyUpload(trace).kind, 'jaeger');
  const otlp = { resourceSpans: [] };
  assert.deepEqual(classifyUpload(otlp), { kind: 'otlp', body: '{"resourceSpans":[]}' });
  assert.deepEqual(classifyUpload({ result: otlp }), { kind: 'otlp', body: '{"resourceSpans":[]}' });
  assert.throws(() => classifyUpload({ hello: 1 }), /not a trace file/);
  assert.throws(() => classifyUpload({ data: [{ spans: [] }] }), /trace 1 is not a Jaeger trace/);
  assert.throws(() => classifyUpload(42), /not a trace file/);
});
