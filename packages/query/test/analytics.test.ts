import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeResource, makeSpan, SpanKind, StatusCode } from '@ariadne/model';
import type { Span } from '@ariadne/model';
import { MemoryStore } from '@ariadne/storage';
import { HOUR, MS, startServer, T0 } from './helpers.js';
import type { TestServer } from './helpers.js';

const X = 'aaaa0000000000000000000000000001';
const Y = 'bbbb0000000000000000000000000002';
const NOW = T0 + HOUR;
const T0us = Number(T0 / 1000n);
const ms = (n: number) => n * 1000; // → µs

const res = (name: string) => makeResource(name);
function span(traceId: string, id: string, parent: string, startMs: number, endMs: number, service: string, name: string, extra: Partial<Span> = {}): Span {
  return makeSpan({
    traceId,
    spanId: id.padStart(16, '0'),
    parentSpanId: parent ? parent.padStart(16, '0') : '',
    name,
    kind: parent ? SpanKind.CLIENT : SpanKind.SERVER,
    startTimeUnixNano: T0 + BigInt(startMs) * MS,
    endTimeUnixNano: T0 + BigInt(endMs) * MS,
    resource: res(service),
    flags: 1,
    ...extra,
  });
}

/**
 * X: fe "GET /" [0,100] → be "q" a [10,40], be "q" b [20,70] → db "sel" [30,60]; cache "get" [80,80]
 * Y: fe "GET /" [0,80] → be "q" [0,40] (ERROR); cache "get" [50,55]
 */
const spans = [
  span(X, '1', '', 0, 100, 'fe', 'GET /'),
  span(X, 'a', '1', 10, 40, 'be', 'q'),
  span(X, 'b', '1', 20, 70, 'be', 'q'),
  span(X, 'b1', 'b', 30, 60, 'db', 'sel'),
  span(X, 'c', '1', 80, 80, 'cache', 'get'),
  span(Y, '1', '', 0, 80, 'fe', 'GET /'),
  span(Y, '2', '1', 0, 40, 'be', 'q', { status: { code: StatusCode.ERROR, message: 'boom' } }),
  span(Y, '3', '1', 50, 55, 'cache', 'get'),
];

let srv: TestServer;
let store: MemoryStore;
before(async () => {
  store = new MemoryStore();
  await store.writeSpans(spans);
  srv = await startServer({ store, now: () => NOW, onError: () => {} });
});
after(async () => {
  await srv.close();
  await store.close();
});

async function ok(path: string) {
  const r = await srv.get(path);
  assert.equal(r.status, 200, `${path}: ${r.text}`);
  assert.equal(r.json.errors, null);
  return r.json;
}
const pad = (s: string) => s.padStart(16, '0');

describe('GET /api/analytics/traces/{id}/critical-path', () => {
  test('segments in time order, from the known tree', async () => {
    const j = await ok(`/api/analytics/traces/${X}/critical-path`);
    assert.equal(j.data.traceID, X);
    assert.equal(j.data.rootSpanID, pad('1'));
    assert.equal(j.data.startTime, T0us);
    assert.equal(j.data.duration, ms(100));
    assert.deepEqual(
      j.data.segments.map((s: any) => [s.spanID, s.service, s.operation, s.startTime - T0us, s.duration]),
      [
        [pad('1'), 'fe', 'GET /', 0, ms(20)],
        [pad('b'), 'be', 'q', ms(20), ms(10)],
        [pad('b1'), 'db', 'sel', ms(30), ms(30)],
        [pad('b'), 'be', 'q', ms(60), ms(10)],
        [pad('1'), 'fe', 'GET /', ms(70), ms(30)],
      ],
    );
    assert.equal(j.total, 5);
  });
  test('unknown trace → 404, malformed id → 400', async () => {
    const r = await srv.get('/api/analytics/traces/1234/critical-path');
    assert.equal(r.status, 404);
    assert.equal(r.json.errors[0].msg, 'trace not found');
    assert.equal((await srv.get('/api/analytics/traces/xyz/critical-path')).status, 400);
  });
});

describe('GET /api/analytics/traces/{id}/self-time and /stats', () => {
  test('self time per span in tree order', async () => {
    const j = await ok(`/api/analytics/traces/${X}/self-time`);
    assert.deepEqual(
      j.data.map((s: any) => [s.spanID, s.depth, s.duration, s.selfTime]),
      [
        [pad('1'), 0, ms(100), ms(40)],
        [pad('a'), 1, ms(30), ms(30)],
        [pad('b'), 1, ms(50), ms(20)],
        [pad('b1'), 2, ms(30), ms(30)],
        [pad('c'), 1, 0, 0],
      ],
    );
  });
  test('stats per service + operation', async () => {
    const j = await ok(`/api/analytics/traces/${X}/stats`);
    assert.deepEqual(j.data, [
      { service: 'be', operation: 'q', count: 2, errorCount: 0, total: ms(80), selfTotal: ms(50), min: ms(30), avg: ms(40), max: ms(50), selfAvg: ms(25) },
      { service: 'cache', operation: 'get', count: 1, errorCount: 0, total: 0, selfTotal: 0, min: 0, avg: 0, max: 0, selfAvg: 0 },
      { service: 'db', operation: 'sel', count: 1, errorCount: 0, total: ms(30), selfTotal: ms(30), min: ms(30), avg: ms(30), max: ms(30), selfAvg: ms(30) },
      { service: 'fe', operation: 'GET /', count: 1, errorCount: 0, total: ms(100), selfTotal: ms(40), min: ms(100), avg: ms(100), max: ms(100), selfAvg: ms(40) },
    ]);
  });
});

describe('GET /api/analytics/compare', () => {
  test('two traces by id', async () => {
    const j = await ok(`/api/analytics/compare?a=${X}&b=${Y}`);
    assert.deepEqual(j.data.a.traceIDs, [X]);
    assert.deepEqual([j.data.onlyA, j.data.onlyB, j.data.both], [1, 0, 3]);
    const rows = j.data.nodes.map((n: any) => [n.path.map((x: any) => `${x.service}:${x.operation}`).join('>'), n.presence, n.a.count, n.b.count, n.countDelta, n.durationDelta]);
    assert.deepEqual(rows, [
      ['fe:GET /', 'both', 1, 1, 0, -ms(20)],
      ['fe:GET />be:q', 'both', 2, 1, -1, -ms(40)],
      ['fe:GET />be:q>db:sel', 'a', 1, 0, -1, -ms(30)],
      ['fe:GET />cache:get', 'both', 1, 1, 0, ms(5)],
    ]);
  });
  test('group form: a search per side', async () => {
    const j = await ok(`/api/analytics/compare?aService=fe&aOperation=GET%20%2F&bService=db&lookback=2h`);
    assert.deepEqual(j.data.a.traceIDs.sort(), [X, Y].sort());
    assert.deepEqual(j.data.b.traceIDs, [X]);
    const be = j.data.nodes.find((n: any) => n.path.length === 2 && n.path[1].service === 'be');
    assert.equal(be.a.count, 3);
    assert.equal(be.a.countPerTrace, 1.5);
    assert.equal(be.b.countPerTrace, 2);
    assert.equal(be.countDelta, 0.5);
  });
  test('missing side → 400; unknown id → 404', async () => {
    assert.equal((await srv.get(`/api/analytics/compare?a=${X}`)).status, 400);
    assert.equal((await srv.get(`/api/analytics/compare?a=${X}&b=dead`)).status, 404);
  });
});

describe('GET /api/analytics/deep-dependencies', () => {
  test('paths through the focal service with upstream and downstream', async () => {
    const j = await ok('/api/analytics/deep-dependencies?service=be&lookback=2h');
    assert.equal(j.data.traceCount, 2);
    assert.deepEqual(j.data.focal, { service: 'be' });
    assert.deepEqual(
      j.data.paths.map((p: any) => [p.path.map((x: any) => x.service).join('>'), p.focalIndex, p.count]),
      [
        ['fe>be', 1, 2],
        ['fe>be>db', 1, 1],
      ],
    );
    assert.deepEqual(
      j.data.nodes.map((n: any) => [n.distance, n.service, n.count]),
      [
        [-1, 'fe', 3],
        [0, 'be', 3],
        [1, 'db', 1],
      ],
    );
    assert.deepEqual(j.data.edges.map((e: any) => [e.from.service, e.to.service, e.distance, e.count]), [
      ['fe', 'be', 0, 3],
      ['be', 'db', 1, 1],
    ]);
  });
  test('operation filter; window excludes; service required', async () => {
    const j = await ok('/api/analytics/deep-dependencies?service=db&operation=sel&lookback=2h');
    assert.deepEqual(j.data.paths.map((p: any) => p.focalIndex), [2]);
    const none = await ok(`/api/analytics/deep-dependencies?service=be&end=${T0us - 1000}&lookback=1h`);
    assert.equal(none.data.traceCount, 0);
    assert.equal((await srv.get('/api/analytics/deep-dependencies')).status, 400);
  });
});

describe('GET /api/analytics/stats (several traces)', () => {
  test('by trace ids and by search', async () => {
    const j = await ok(`/api/analytics/stats?traceID=${X},${Y}`);
    assert.equal(j.total, 2);
    assert.deepEqual(j.data.traceIDs, [X, Y]);
    const be = j.data.operations.find((o: any) => o.service === 'be');
    assert.deepEqual([be.count, be.errorCount, be.total, be.min, be.max, be.avg], [3, 1, ms(120), ms(30), ms(50), ms(40)]);
    const s = await ok('/api/analytics/stats?service=db&lookback=2h');
    assert.deepEqual(s.data.traceIDs, [X]);
    assert.equal(s.data.operations.length, 4);
    assert.equal((await srv.get('/api/analytics/stats')).status, 400);
    const bad = await srv.get('/api/analytics/stats?traceID=zz');
    assert.equal(bad.status, 400);
    assert.match(bad.json.errors[0].msg, /traceID/);
  });
});
