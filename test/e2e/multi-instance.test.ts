/**
 * Several Ariadne processes on one ClickHouse: two `ariadne collector` processes and one
 * `ariadne query`, each a real process started from source, on a real clickhouse-server.
 * Spans sent to either collector read back, whole, through the query process; a collector
 * started with --retention purges what is older for everyone.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startClickHouse, type ClickHouseCluster } from '../helpers/clickhouse.js';
import { getJson, startAriadne, type Running } from './helpers.js';

let ch: ClickHouseCluster;
const procs: Running[] = [];
let collectorA: Running;
let collectorB: Running;
let query: Running;

const chArgs = () => ['--storage', 'clickhouse', '--clickhouse-url', ch.url, '--clickhouse-database', 'multi', '--log-level', 'info'];

before(async () => {
  ch = await startClickHouse({ shards: 1 });
  // the two collectors start at once: both create the schema (idempotent, races are fine)
  [collectorA, collectorB] = await Promise.all([startAriadne({ command: 'collector', args: chArgs() }), startAriadne({ command: 'collector', args: chArgs() })]);
  procs.push(collectorA, collectorB);
  query = await startAriadne({ command: 'query', args: chArgs() });
  procs.push(query);
});

after(async () => {
  await Promise.allSettled(procs.map((p) => p.stop()));
  await ch?.stop();
});

const hex = (n: number, len: number) => n.toString(16).padStart(len, '0');
let nextId = 1;

/** An OTLP/JSON request: one trace of a root span in `frontend` and one child in `backend`. */
function otlpTrace(traceId: string, startMs: number, via: string) {
  const root = hex(nextId++, 16);
  const child = hex(nextId++, 16);
  const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);
  const resource = (service: string) => ({ attributes: [{ key: 'service.name', value: { stringValue: service } }] });
  return {
    resourceSpans: [
      {
        resource: resource('frontend'),
        scopeSpans: [{ spans: [{ traceId, spanId: root, name: 'GET /checkout', kind: 2, startTimeUnixNano: ns(startMs), endTimeUnixNano: ns(startMs + 20), attributes: [{ key: 'via', value: { stringValue: via } }] }] }],
      },
      {
        resource: resource('backend'),
        scopeSpans: [{ spans: [{ traceId, spanId: child, parentSpanId: root, name: 'SELECT orders', kind: 3, startTimeUnixNano: ns(startMs + 2), endTimeUnixNano: ns(startMs + 12), status: { code: 2, message: 'deadlock' } }] }],
      },
    ],
  };
}

async function send(to: Running, body: unknown): Promise<void> {
  const res = await fetch(to.url('otlp-http', '/v1/traces'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 200, await res.text());
}

test('spans sent to two collectors read back through one query process', async () => {
  const now = Date.now();
  const fromA = Array.from({ length: 10 }, (_, i) => '1234567890abcdef' + hex(0xa000 + i, 16));
  const fromB = Array.from({ length: 10 }, (_, i) => '1234567890abcdef' + hex(0xb000 + i, 16));
  await Promise.all([
    ...fromA.map((t, i) => send(collectorA, otlpTrace(t, now - 1000 + i, 'A'))),
    ...fromB.map((t, i) => send(collectorB, otlpTrace(t, now - 1000 + i, 'B'))),
  ]);
  // acknowledged means stored: readable at once through the other process
  for (const t of [...fromA, ...fromB]) {
    const { status, body } = await getJson(query.url('query', `/api/traces/${t}`));
    assert.equal(status, 200, t);
    const spans = body.data[0].spans;
    assert.equal(spans.length, 2, t);
    const procs = body.data[0].processes;
    assert.deepEqual(new Set(Object.values(procs).map((p: any) => p.serviceName)), new Set(['frontend', 'backend']));
  }
  const services = await getJson(query.url('query', '/api/services'));
  assert.deepEqual(services.body.data.sort(), ['backend', 'frontend']);
  const ops = await getJson(query.url('query', '/api/operations?service=backend'));
  assert.deepEqual(ops.body.data.map((o: any) => `${o.name}:${o.spanKind}`), ['SELECT orders:client']);
  const search = async (tags: string) =>
    (await getJson(query.url('query', `/api/traces?service=frontend&tags=${encodeURIComponent(tags)}&limit=50&lookback=1h`))).body.data.map((t: any) => t.traceID).sort();
  assert.deepEqual(await search('{"via":"A"}'), fromA.slice().sort());
  assert.deepEqual(await search('{"via":"B"}'), fromB.slice().sort());
  const deps = await getJson(query.url('query', `/api/dependencies?endTs=${now + 60_000}&lookback=3600000`));
  const edge = deps.body.data.find((d: any) => d.parent === 'frontend' && d.child === 'backend');
  assert.equal(edge?.callCount, 20);
});

test('a collector started with --retention purges older spans for every process', async () => {
  const now = Date.now();
  const old = hex(0xc001, 32);
  const fresh = hex(0xc002, 32);
  await send(collectorA, otlpTrace(old, now - 3 * 3_600_000, 'old'));
  await send(collectorA, otlpTrace(fresh, now - 60_000, 'fresh'));
  assert.equal((await getJson(query.url('query', `/api/traces/${old}`))).status, 200);
  const c = await startAriadne({ command: 'collector', args: [...chArgs(), '--retention', '2h'] });
  procs.push(c);
  let status = 200;
  for (let i = 0; i < 100 && status === 200; i++) {
    status = (await getJson(query.url('query', `/api/traces/${old}`))).status;
    if (status === 200) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(status, 404, 'the old trace is gone');
  assert.equal((await getJson(query.url('query', `/api/traces/${fresh}`))).status, 200);
  assert.ok(c.logs.some((l) => l.msg === 'retention purge' && l.backend === 'clickhouse'));
  await c.stop();
});
