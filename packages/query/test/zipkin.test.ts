import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { attr, makeResource, makeSpan, SpanKind } from '@ariadne/model';
import { MemoryStore } from '@ariadne/storage';
import { parseAnnotationQuery } from '../src/zipkin.js';
import { HOUR, MS, NOW, sampleSpans, startServer, T0, TRACE_A, TRACE_C } from './helpers.js';
import type { TestServer } from './helpers.js';

const TRACE_M = 'eeee0000000000000000000000000005';
const ms = (ns: bigint) => Number(ns / MS);
/** "Mixed Case" CLIENT "Call DB" with peer.service=postgres, at T0 + 90 min. */
const mixed = makeSpan({
  traceId: TRACE_M,
  spanId: 'e000000000000001',
  name: 'Call DB',
  kind: SpanKind.CLIENT,
  startTimeUnixNano: T0 + 90n * 60_000n * MS,
  endTimeUnixNano: T0 + 90n * 60_000n * MS + 3n * MS,
  attributes: [attr('peer.service', 'postgres')],
  resource: makeResource('Mixed Case'),
});

let srv: TestServer;
let store: MemoryStore;
before(async () => {
  store = new MemoryStore();
  await store.writeSpans([...sampleSpans(), mixed]);
  srv = await startServer({ store, now: () => NOW, onError: () => {}, zipkin: { autocompleteKeys: ['http.method', 'db.system'] } });
});
after(async () => {
  await srv.close();
  await store.close();
});

const Z = '/zipkin/api/v2';
async function get(path: string) {
  const r = await srv.get(Z + path);
  assert.equal(r.status, 200, `${path}: ${r.text}`);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  return r.json;
}
async function fails(path: string, status: number, re: RegExp) {
  const r = await srv.get(Z + path);
  assert.equal(r.status, status, `${path}: ${r.text}`);
  assert.match(String(r.headers['content-type']), /^text\/plain/);
  assert.match(r.text, re);
}
const traceIds = (traces: any[]) => traces.map((t) => t[0].traceId);

describe('Zipkin v2 read API', () => {
  test('annotationQuery parsing', () => {
    assert.deepEqual(parseAnnotationQuery('error and http.method=GET'), [
      { key: 'error', op: 'exists', value: '' },
      { key: 'http.method', op: '=', value: 'GET' },
    ]);
  });

  test('services and span names, lowercased as Zipkin', async () => {
    assert.deepEqual(await get('/services'), ['backend', 'frontend', 'mixed case', 'worker queue']);
    assert.deepEqual(await get('/spans?serviceName=frontend'), ['get /dispatch', 'get /health', 'http get /customer']);
    assert.deepEqual(await get('/spans?serviceName=MIXED%20CASE'), ['call db']);
    assert.deepEqual(await get('/spans?serviceName=nobody'), []);
    await fails('/spans', 400, /serviceName/);
  });

  test('remote services: peer.service, or the callee of a client span', async () => {
    assert.deepEqual(await get('/remoteServices?serviceName=frontend'), ['backend']);
    assert.deepEqual(await get('/remoteServices?serviceName=mixed%20case'), ['postgres']);
    assert.deepEqual(await get('/remoteServices?serviceName=backend'), []);
  });

  test('traces: most recent first, Zipkin span JSON', async () => {
    const t = await get('/traces?serviceName=frontend');
    assert.deepEqual(traceIds(t), ['2165cd8171cef678', TRACE_A]);
    assert.deepEqual(t[0], [
      { traceId: '2165cd8171cef678', id: '2165cd8171cef678', kind: 'SERVER', name: 'get /health', timestamp: ms(T0 + HOUR) * 1000, duration: 2000, localEndpoint: { serviceName: 'frontend' }, tags: t[0][0].tags },
    ]);
    assert.equal(t[0][0].tags['http.method'], 'GET');
    assert.equal(t[1].length, 4);
  });

  test('traces: filters', async () => {
    assert.deepEqual(traceIds(await get('/traces?serviceName=FRONTEND&spanName=GET%20/DISPATCH')), [TRACE_A]);
    assert.deepEqual(traceIds(await get('/traces?annotationQuery=db.system%3Dmysql')), [TRACE_A]);
    assert.deepEqual(traceIds(await get('/traces?serviceName=frontend&annotationQuery=http.status_code%3D200%20and%20http.method')), ['2165cd8171cef678', TRACE_A]);
    assert.deepEqual(traceIds(await get('/traces?serviceName=frontend&minDuration=50000')), [TRACE_A]);
    assert.deepEqual(traceIds(await get('/traces?serviceName=frontend&maxDuration=5000')), ['2165cd8171cef678']);
    assert.deepEqual(traceIds(await get('/traces?remoteServiceName=backend')), [TRACE_A]);
    assert.deepEqual(traceIds(await get('/traces?remoteServiceName=postgres')), [TRACE_M]);
    assert.deepEqual(traceIds(await get(`/traces?endTs=${ms(T0) + 1_800_000}&lookback=3600000`)), [TRACE_A]);
    assert.deepEqual(traceIds(await get('/traces?limit=1')).length, 1);
    assert.ok(traceIds(await get('/traces?lookback=345600000')).includes(TRACE_C), '4-day lookback reaches C');
    assert.ok(!traceIds(await get('/traces')).includes(TRACE_C), 'default lookback: 1 day');
    await fails('/traces?minDuration=abc', 400, /minDuration/);
  });

  test('trace by id and traceMany', async () => {
    const t = await get(`/trace/${TRACE_A}`);
    assert.deepEqual(t.map((s: any) => s.id).sort(), ['a000000000000001', 'a000000000000002', 'a000000000000003', 'a000000000000004']);
    const sql = t.find((s: any) => s.id === 'a000000000000004');
    assert.equal(sql.parentId, 'a000000000000003');
    assert.equal(sql.localEndpoint.serviceName, 'backend');
    assert.equal(sql.duration, 30_000);
    await fails('/trace/0123456789abcdef', 404, /not found/);
    await fails('/trace/zz', 400, /traceId/);
    const many = await get(`/traceMany?traceIds=${TRACE_A},2165cd8171cef678,deadbeef`);
    assert.deepEqual(traceIds(many), [TRACE_A, '2165cd8171cef678']);
    await fails('/traceMany', 400, /traceIds/);
  });

  test('dependencies', async () => {
    assert.deepEqual(await get(`/dependencies?endTs=${ms(NOW)}`), [{ parent: 'frontend', child: 'backend', callCount: 1 }]);
    assert.deepEqual(await get(`/dependencies?endTs=${ms(T0) - 1}&lookback=1000`), []);
    await fails('/dependencies', 400, /endTs/);
  });

  test('autocomplete keys and values', async () => {
    assert.deepEqual(await get('/autocompleteKeys'), ['db.system', 'http.method']);
    assert.deepEqual(await get('/autocompleteValues?key=db.system'), ['mysql']);
    assert.deepEqual(await get('/autocompleteValues?key=http.method'), ['GET']);
    assert.deepEqual(await get('/autocompleteValues?key=nope'), []);
    await fails('/autocompleteValues', 400, /key/);
  });

  test('unknown zipkin path → 404 text; POST → 405', async () => {
    await fails('/nope', 404, /unknown/);
    const r = await srv.get(`${Z}/services`, { method: 'POST' });
    assert.equal(r.status, 405);
  });
});
