import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '@ariadne/storage';
import type { SpanStore } from '@ariadne/storage';
import { HOUR, MS, NOW, sampleSpans, startServer, T0, TRACE_A, TRACE_B, TRACE_C } from './helpers.js';
import type { TestServer } from './helpers.js';

const US = 1000n;
const ENVELOPE_KEYS = ['data', 'errors', 'limit', 'offset', 'total'];

let srv: TestServer;
let store: MemoryStore;

before(async () => {
  store = new MemoryStore();
  await store.writeSpans(sampleSpans());
  srv = await startServer({ store, now: () => NOW, onError: () => {} });
});
after(async () => {
  await srv.close();
  await store.close();
});

async function ok(path: string) {
  const r = await srv.get(path);
  assert.equal(r.status, 200, `${path}: ${r.text}`);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  assert.deepEqual(Object.keys(r.json).sort(), ENVELOPE_KEYS);
  assert.equal(r.json.errors, null);
  assert.equal(r.json.limit, 0);
  assert.equal(r.json.offset, 0);
  return r.json;
}

async function bad(path: string, status: number, msg: RegExp) {
  const r = await srv.get(path);
  assert.equal(r.status, status, `${path}: ${r.text}`);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  assert.equal(r.json.data, null);
  assert.equal(r.json.total, 0);
  assert.equal(r.json.errors.length, 1);
  assert.equal(r.json.errors[0].code, status);
  assert.match(r.json.errors[0].msg, msg, `${path}: ${r.json.errors[0].msg}`);
  return r.json;
}

const traceIds = (j: any) => j.data.map((t: any) => t.traceID);

describe('GET /api/services', () => {
  test('lists services sorted, total = count', async () => {
    const j = await ok('/api/services');
    assert.deepEqual(j.data, ['backend', 'frontend', 'worker queue']);
    assert.equal(j.total, 3);
  });
  test('prettyPrint=true indents the JSON', async () => {
    const r = await srv.get('/api/services?prettyPrint=true');
    assert.match(r.text, /^\{\n    "data": \[\n        "backend",/);
    assert.match((await srv.get('/api/services?prettyPrint=1')).text, /^\{\n    "data"/);
    assert.doesNotMatch((await srv.get('/api/services?prettyPrint=false')).text, /\n/);
    assert.doesNotMatch((await srv.get('/api/services')).text, /\n/);
  });
  test('trailing slash is tolerated; HEAD works', async () => {
    assert.deepEqual((await ok('/api/services/')).data.length, 3);
    const h = await srv.get('/api/services', { method: 'HEAD' });
    assert.equal(h.status, 200);
    assert.equal(h.text, '');
  });
});

describe('GET /api/services/{service}/operations', () => {
  test('operation names, unique and sorted', async () => {
    const j = await ok('/api/services/frontend/operations');
    assert.deepEqual(j.data, ['GET /dispatch', 'GET /health', 'HTTP GET /customer']);
    assert.equal(j.total, 3);
  });
  test('percent-encoded service names; unknown service is empty', async () => {
    assert.deepEqual((await ok('/api/services/worker%20queue/operations')).data, ['process job']);
    assert.deepEqual((await ok('/api/services/nope/operations')).data, []);
    await bad('/api/services/%E0%A4%A/operations', 400, /percent-encoding/);
  });
});

describe('GET /api/operations', () => {
  test('[{name, spanKind}] for a service', async () => {
    const j = await ok('/api/operations?service=backend');
    assert.deepEqual(j.data, [
      { name: '/customer', spanKind: 'server' },
      { name: 'SQL SELECT', spanKind: 'client' },
    ]);
    assert.equal(j.total, 2);
  });
  test('spanKind filter (any case, SPAN_KIND_ prefix)', async () => {
    assert.deepEqual((await ok('/api/operations?service=frontend&spanKind=server')).data, [
      { name: 'GET /dispatch', spanKind: 'server' },
      { name: 'GET /health', spanKind: 'server' },
    ]);
    assert.deepEqual((await ok('/api/operations?service=frontend&spanKind=SPAN_KIND_CLIENT')).data, [{ name: 'HTTP GET /customer', spanKind: 'client' }]);
    assert.deepEqual((await ok('/api/operations?service=frontend&spanKind=')).data.length, 3);
  });
  test('bad parameters', async () => {
    await bad('/api/operations', 400, /'service' is required/);
    await bad('/api/operations?service=frontend&spanKind=sideways', 400, /spanKind/);
  });
});

describe('GET /api/traces (search)', () => {
  test('service search: Jaeger trace shape, most recent first, default lookback 2 days', async () => {
    const j = await ok('/api/traces?service=frontend');
    assert.deepEqual(traceIds(j), ['2165cd8171cef678', TRACE_A]);
    assert.equal(j.total, 2);
    const a = j.data[1];
    assert.deepEqual(Object.keys(a).sort(), ['processes', 'spans', 'traceID', 'warnings']);
    assert.equal(a.spans.length, 4, 'whole trace, not only the matching spans');
    assert.deepEqual(Object.keys(a.processes).sort(), ['p1', 'p2']);
    const services = Object.values(a.processes).map((p: any) => p.serviceName).sort();
    assert.deepEqual(services, ['backend', 'frontend']);
    const root = a.spans.find((s: any) => s.spanID === 'a000000000000001');
    assert.deepEqual(Object.keys(root).sort(), ['duration', 'flags', 'logs', 'operationName', 'processID', 'references', 'spanID', 'startTime', 'tags', 'traceID', 'warnings']);
    assert.equal(root.startTime, Number(T0 / US));
    assert.equal(root.duration, 100_000);
    assert.equal(root.flags, 1);
    assert.equal(a.processes[root.processID].serviceName, 'frontend');
    assert.deepEqual(a.processes[root.processID].tags, [{ key: 'host.name', type: 'string', value: 'web-1' }]);
    assert.deepEqual(root.tags, [
      { key: 'http.method', type: 'string', value: 'GET' },
      { key: 'http.status_code', type: 'int64', value: 200 },
      { key: 'span.kind', type: 'string', value: 'server' },
    ]);
    const sql = a.spans.find((s: any) => s.operationName === 'SQL SELECT');
    assert.deepEqual(sql.references, [{ refType: 'CHILD_OF', traceID: TRACE_A, spanID: 'a000000000000003' }]);
    assert.deepEqual(
      sql.tags.filter((t: any) => t.key === 'error' || t.key.startsWith('otel.')),
      [
        { key: 'otel.status_code', type: 'string', value: 'ERROR' },
        { key: 'error', type: 'bool', value: true },
        { key: 'otel.status_description', type: 'string', value: 'deadlock detected' },
      ],
    );
    assert.deepEqual(sql.logs, [
      {
        timestamp: Number((T0 + 49n * MS) / US),
        fields: [
          { key: 'event', type: 'string', value: 'exception' },
          { key: 'exception.type', type: 'string', value: 'DeadlockError' },
        ],
      },
    ]);
  });

  test('lookback and start/end windows', async () => {
    assert.deepEqual(traceIds(await ok('/api/traces?service=worker%20queue')), []);
    assert.deepEqual(traceIds(await ok('/api/traces?service=worker+queue&lookback=7d')), [TRACE_C]);
    assert.deepEqual(traceIds(await ok('/api/traces?service=frontend&lookback=1h')), ['2165cd8171cef678']);
    assert.deepEqual(traceIds(await ok('/api/traces?service=frontend&lookback=90m')), ['2165cd8171cef678']);
    const start = (T0 - HOUR) / US;
    const end = (T0 + HOUR / 2n) / US;
    assert.deepEqual(traceIds(await ok(`/api/traces?service=frontend&start=${start}&end=${end}&lookback=custom`)), [TRACE_A]);
    // end alone: start = end - default lookback
    assert.deepEqual(traceIds(await ok(`/api/traces?service=frontend&end=${end}`)), [TRACE_A]);
    // start wins over lookback
    assert.deepEqual(traceIds(await ok(`/api/traces?service=frontend&start=${start}&end=${end}&lookback=1m`)), [TRACE_A]);
  });

  test('operation, spanKind, limit', async () => {
    assert.deepEqual(traceIds(await ok('/api/traces?service=frontend&operation=GET%20%2Fhealth')), ['2165cd8171cef678']);
    assert.deepEqual(traceIds(await ok('/api/traces?service=backend&operation=SQL+SELECT')), [TRACE_A]);
    assert.deepEqual(traceIds(await ok('/api/traces?service=frontend&operation=nope')), []);
    assert.deepEqual(traceIds(await ok('/api/traces?service=frontend&spanKind=client')), [TRACE_A]);
    assert.deepEqual(traceIds(await ok('/api/traces?service=frontend&limit=1')), ['2165cd8171cef678']);
  });

  test('tags as JSON (Jaeger UI) and as repeated tag=key:value', async () => {
    const q = (tags: object) => `/api/traces?service=backend&tags=${encodeURIComponent(JSON.stringify(tags))}`;
    assert.deepEqual(traceIds(await ok(q({ 'db.system': 'mysql' }))), [TRACE_A]);
    assert.deepEqual(traceIds(await ok(q({ 'db.system': 'postgres' }))), []);
    assert.deepEqual(traceIds(await ok(q({ error: 'true' }))), [TRACE_A], 'status ERROR is searchable as error=true, as Jaeger shows it');
    assert.deepEqual(traceIds(await ok('/api/traces?service=frontend&tag=http.status_code:200')), ['2165cd8171cef678', TRACE_A]);
    assert.deepEqual(traceIds(await ok('/api/traces?service=frontend&tag=http.status_code:200&tag=http.method:GET')), ['2165cd8171cef678', TRACE_A]);
    assert.deepEqual(traceIds(await ok('/api/traces?service=frontend&tag=http.status_code:500')), []);
    // values containing ':' keep everything after the first colon
    assert.deepEqual(traceIds(await ok(`/api/traces?service=backend&tag=${encodeURIComponent('db.statement:SELECT * FROM customer WHERE id = ?')}`)), [TRACE_A]);
    // numbers in the JSON object are matched by their text
    assert.deepEqual(traceIds(await ok(`/api/traces?service=frontend&tags=${encodeURIComponent('{"http.status_code":200}')}`)).length, 2);
  });

  test('min/max duration in every unit', async () => {
    const ids = async (qs: string) => traceIds(await ok(`/api/traces?service=frontend&${qs}`));
    assert.deepEqual(await ids('minDuration=50ms'), [TRACE_A]);
    assert.deepEqual(await ids('minDuration=0.05s'), [TRACE_A]);
    assert.deepEqual(await ids('minDuration=1.2s'), []);
    assert.deepEqual(await ids('maxDuration=2ms'), ['2165cd8171cef678']);
    assert.deepEqual(await ids('maxDuration=2000us'), ['2165cd8171cef678']);
    assert.deepEqual(await ids(`maxDuration=${encodeURIComponent('2000µs')}`), ['2165cd8171cef678']);
    assert.deepEqual(await ids('minDuration=1ms&maxDuration=3ms'), ['2165cd8171cef678']);
    assert.deepEqual(await ids('minDuration=1m'), []);
    assert.deepEqual(await ids('maxDuration=1h'), ['2165cd8171cef678', TRACE_A]);
  });

  test('traceID parameter fetches traces directly (short or long form); missing ones reported', async () => {
    const r = await srv.get(`/api/traces?traceID=2165CD8171CEF678&traceID=${TRACE_A}&traceID=dead`);
    assert.equal(r.status, 200);
    assert.deepEqual(traceIds(r.json), ['2165cd8171cef678', TRACE_A]);
    assert.deepEqual(r.json.errors, [{ msg: 'trace not found', traceID: '000000000000dead' }]);
  });

  test('bad parameters → 400 naming the parameter', async () => {
    await bad('/api/traces', 400, /parameter 'service' is required/);
    await bad('/api/traces?service=', 400, /'service' is required/);
    await bad('/api/traces?service=frontend&start=yesterday', 400, /'start'/);
    await bad('/api/traces?service=frontend&end=1.5', 400, /'end'/);
    await bad('/api/traces?service=frontend&start=-5', 400, /'start'/);
    await bad(`/api/traces?service=frontend&start=${NOW / US}&end=${T0 / US}`, 400, /'start'.*after 'end'/);
    await bad('/api/traces?service=frontend&limit=abc', 400, /'limit'/);
    await bad('/api/traces?service=frontend&limit=0', 400, /'limit'/);
    await bad('/api/traces?service=frontend&limit=1000000', 400, /'limit'/);
    await bad('/api/traces?service=frontend&minDuration=fast', 400, /'minDuration'/);
    await bad('/api/traces?service=frontend&maxDuration=10', 400, /'maxDuration'/);
    await bad('/api/traces?service=frontend&minDuration=-1s', 400, /'minDuration'.*negative/);
    await bad('/api/traces?service=frontend&minDuration=2s&maxDuration=1s', 400, /'maxDuration' should be greater than 'minDuration'/);
    await bad('/api/traces?service=frontend&lookback=forever', 400, /'lookback'/);
    await bad('/api/traces?service=frontend&tags=%7Bnot-json', 400, /'tags'.*JSON/);
    await bad('/api/traces?service=frontend&tags=%5B1%5D', 400, /'tags'/);
    await bad(`/api/traces?service=frontend&tags=${encodeURIComponent('{"a":{"b":1}}')}`, 400, /'tags'.*"a"/);
    await bad('/api/traces?service=frontend&tag=novalue', 400, /'tag'.*key:value/);
    await bad('/api/traces?service=frontend&spanKind=x', 400, /spanKind/);
    await bad('/api/traces?traceID=xyz', 400, /traceID/);
    await bad(`/api/traces?traceID=${'a'.repeat(33)}`, 400, /traceID/);
  });
});

describe('GET /api/traces/{traceID}', () => {
  test('one trace in data[], ids in any form', async () => {
    for (const id of ['2165cd8171cef678', '2165CD8171CEF678', TRACE_B]) {
      const j = await ok(`/api/traces/${id}`);
      assert.equal(j.data.length, 1);
      assert.equal(j.data[0].traceID, '2165cd8171cef678');
      assert.equal(j.data[0].spans[0].operationName, 'GET /health');
    }
    const a = await ok(`/api/traces/${TRACE_A.toUpperCase()}`);
    assert.equal(a.data[0].traceID, TRACE_A);
    assert.equal(a.data[0].spans.length, 4);
    // the time-range hint (µs) narrows nothing away
    const h = await ok(`/api/traces/${TRACE_A}?start=${T0 / US - 1n}&end=${T0 / US + 1n}`);
    assert.equal(h.data[0].spans.length, 4);
  });
  test('absent trace → Jaeger 404 envelope exactly', async () => {
    const r = await srv.get('/api/traces/0123456789abcdef');
    assert.equal(r.status, 404);
    assert.deepEqual(r.json, { data: null, total: 0, limit: 0, offset: 0, errors: [{ code: 404, msg: 'trace not found' }] });
  });
  test('malformed start/end hints → 400; a wrong hint does not hide the trace', async () => {
    await bad(`/api/traces/${TRACE_A}?start=abc&end=1`, 400, /'start'/);
    await bad(`/api/traces/${TRACE_A}?start=5&end=1`, 400, /'start'.*after 'end'/);
    const j = await ok(`/api/traces/${TRACE_A}?start=1&end=2`);
    assert.equal(j.data[0].spans.length, 4);
  });
  test('malformed ids → 400', async () => {
    await bad('/api/traces/not-a-trace-id', 400, /traceID/);
    await bad(`/api/traces/${'0'.repeat(32)}`, 400, /traceID/);
    await bad(`/api/traces/${'f'.repeat(40)}`, 400, /traceID/);
    await bad('/api/traces/abc%2F..', 400, /traceID/);
  });
});

describe('GET /api/dependencies', () => {
  test('[{parent, child, callCount, errorCount}] over endTs/lookback (ms)', async () => {
    const endTs = (T0 + HOUR) / MS;
    const j = await ok(`/api/dependencies?endTs=${endTs}&lookback=${2 * 3_600_000}`);
    assert.deepEqual(j.data, [{ parent: 'frontend', child: 'backend', callCount: 1, errorCount: 0 }]);
    assert.equal(j.total, 1);
    // defaults: end = now, lookback = 24h (trace A is 2h old)
    assert.deepEqual((await ok('/api/dependencies')).data, [{ parent: 'frontend', child: 'backend', callCount: 1, errorCount: 0 }]);
    // a window before the trace
    assert.deepEqual((await ok(`/api/dependencies?endTs=${(T0 - HOUR) / MS}&lookback=1000`)).data, []);
    assert.deepEqual((await ok(`/api/dependencies?endTs=${endTs}&lookback=7200000&service=worker`)).data, []);
  });
  test('bad parameters', async () => {
    await bad('/api/dependencies?endTs=now', 400, /'endTs'/);
    await bad('/api/dependencies?lookback=1h', 400, /'lookback'/);
    await bad('/api/dependencies?lookback=0', 400, /'lookback'/);
  });
});

describe('errors', () => {
  test('unknown API path → 404 JSON', async () => {
    await bad('/api/nothing', 404, /unknown API endpoint \/api\/nothing/);
    await bad('/api', 404, /unknown API endpoint/);
    await bad('/api/traces/a/b', 404, /unknown API endpoint/);
  });
  test('absolute-form request targets are routed by their path', async () => {
    const r = await srv.get(`http://127.0.0.1:${srv.port}/api/services`);
    assert.equal(r.status, 200);
    assert.equal(r.json.data.length, 3);
  });
  test('non-GET → 405 with Allow', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await srv.get('/api/services', { method });
      assert.equal(r.status, 405);
      assert.equal(r.headers.allow, 'GET, HEAD');
      assert.equal(r.json.errors[0].code, 405);
      assert.match(r.json.errors[0].msg, new RegExp(method));
    }
  });
  test('large responses are gzipped when accepted', async () => {
    const r = await srv.get('/api/traces?service=frontend', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.equal(r.json.data.length, 2);
  });
});

describe('store failures', () => {
  test('a failing or closed store gives 500 with a message, and the server keeps serving', async () => {
    const failing = new MemoryStore();
    await failing.writeSpans(sampleSpans());
    const broken: SpanStore = Object.create(failing);
    broken.getServices = async () => {
      throw new Error('disk on fire');
    };
    const seen: unknown[] = [];
    const s = await startServer({ store: broken, now: () => NOW, onError: (e) => seen.push(e) });
    try {
      const r = await s.get('/api/services');
      assert.equal(r.status, 500);
      assert.deepEqual(r.json, { data: null, total: 0, limit: 0, offset: 0, errors: [{ code: 500, msg: 'storage error: disk on fire' }] });
      assert.equal(seen.length, 1);
      assert.equal((await s.get('/api/operations?service=frontend')).status, 200);
      await failing.close();
      const c = await s.get(`/api/traces/${TRACE_A}`);
      assert.equal(c.status, 500);
      assert.match(c.json.errors[0].msg, /closed/);
    } finally {
      await s.close();
    }
  });
});
