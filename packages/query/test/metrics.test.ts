import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeResource, makeSpan, SpanKind, StatusCode } from '@ariadne/model';
import type { Span } from '@ariadne/model';
import { MemoryStore } from '@ariadne/storage';
import { protoTimestamp, quantile } from '../src/metrics.js';
import { HOUR, MS, startServer, T0 } from './helpers.js';
import type { TestServer } from './helpers.js';

const MIN = 60_000n * MS;
const NOW = T0 + HOUR;
const T0ms = Number(T0 / MS);
let n = 0;
function root(service: string, name: string, atMin: number, durMs: number, extra: Partial<Span> = {}): Span {
  n++;
  const start = T0 + BigInt(atMin) * MIN;
  return makeSpan({
    traceId: `feed${String(n).padStart(28, '0')}`,
    spanId: `00000000000000${String(n).padStart(2, '0')}`,
    name,
    kind: SpanKind.SERVER,
    startTimeUnixNano: start,
    endTimeUnixNano: start + BigInt(durMs) * MS,
    resource: makeResource(service),
    ...extra,
  });
}
const ERR = { status: { code: StatusCode.ERROR, message: '' } };

/**
 * api SERVER: GET /a at +1m (10 ms), +2m (20 ms), +6m (30 ms, error), +7m (40 ms); GET /b at +3m (100 ms, error).
 * Not counted by default: an api CLIENT span at +4m, a "web" span at +2m.
 * Window: endTs = T0 + 10m, lookback 10m, step 5m, ratePer 10m → points T0, T0+5m, T0+10m.
 */
const spans = [
  root('api', 'GET /a', 1, 10),
  root('api', 'GET /a', 2, 20),
  root('api', 'GET /a', 6, 30, ERR),
  root('api', 'GET /a', 7, 40),
  root('api', 'GET /b', 3, 100, ERR),
  root('api', 'call db', 4, 5, { kind: SpanKind.CLIENT }),
  root('web', 'GET /', 2, 500),
];
const WINDOW = `endTs=${T0ms + 600_000}&lookback=600000&step=300000&ratePer=600000`;
const ts = (min: number) => protoTimestamp(T0 + BigInt(min) * MIN);

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

async function get(path: string) {
  const r = await srv.get(path);
  assert.equal(r.status, 200, `${path}: ${r.text}`);
  return r.json;
}
const pts = (m: any) => m.metricPoints.map((p: any) => [p.timestamp, p.gaugeValue.doubleValue]);

describe('/api/metrics (Jaeger SPM format)', () => {
  test('helpers: protobuf timestamps, interpolated quantiles', () => {
    assert.equal(protoTimestamp(T0), '2023-11-14T22:13:20Z');
    assert.equal(protoTimestamp(T0 + 5n * MS), '2023-11-14T22:13:20.005Z');
    assert.equal(protoTimestamp(T0 + 1500n), '2023-11-14T22:13:20.000001500Z');
    assert.equal(quantile([10, 20, 30, 40, 100], 0.95), 88);
    assert.equal(quantile([10, 20, 30, 40], 0.5), 25);
  });

  test('calls per second per service', async () => {
    const j = await get(`/api/metrics/calls?service=api&${WINDOW}`);
    assert.equal(j.name, 'service_call_rate');
    assert.equal(j.type, 'GAUGE');
    assert.equal(j.help, 'calls/sec, grouped by service');
    assert.equal(j.metrics.length, 1);
    assert.deepEqual(j.metrics[0].labels, [{ name: 'service_name', value: 'api' }]);
    assert.deepEqual(pts(j.metrics[0]), [
      [ts(0), 0],
      [ts(5), 3 / 600],
      [ts(10), 5 / 600],
    ]);
  });

  test('error fraction; points without calls are left out', async () => {
    const j = await get(`/api/metrics/errors?service=api&${WINDOW}`);
    assert.equal(j.name, 'service_error_rate');
    assert.deepEqual(pts(j.metrics[0]), [
      [ts(5), 1 / 3],
      [ts(10), 2 / 5],
    ]);
  });

  test('latency quantile in ms', async () => {
    const j = await get(`/api/metrics/latencies?service=api&quantile=0.95&${WINDOW}`);
    assert.equal(j.name, 'service_latencies');
    assert.equal(j.help, '0.95th quantile latency, grouped by service');
    assert.deepEqual(pts(j.metrics[0]), [
      [ts(5), 20 + 80 * 0.9], // [10,20,100] at 0.95 → pos 1.9
      [ts(10), 88],
    ]);
    const p50 = await get(`/api/metrics/latencies?service=api&quantile=0.5&${WINDOW}`);
    assert.deepEqual(pts(p50.metrics[0]), [
      [ts(5), 20],
      [ts(10), 30],
    ]);
  });

  test('groupByOperation: one series per operation with an operation label', async () => {
    const j = await get(`/api/metrics/errors?service=api&groupByOperation=true&${WINDOW}`);
    assert.equal(j.name, 'service_operation_error_rate');
    assert.equal(j.help, 'error rate, computed as a fraction of errors/sec over calls/sec, grouped by service & operation');
    assert.deepEqual(
      j.metrics.map((m: any) => [m.labels, pts(m)]),
      [
        [[{ name: 'operation', value: 'GET /a' }, { name: 'service_name', value: 'api' }], [[ts(5), 0], [ts(10), 0.25]]],
        [[{ name: 'operation', value: 'GET /b' }, { name: 'service_name', value: 'api' }], [[ts(5), 1], [ts(10), 1]]],
      ],
    );
    const lat = await get(`/api/metrics/latencies?service=api&quantile=0.5&groupByOperation=1&${WINDOW}`);
    assert.deepEqual(pts(lat.metrics[0]).at(-1), [ts(10), 25]);
  });

  test('spanKind and several services', async () => {
    const j = await get(`/api/metrics/calls?service=api&service=web&spanKind=client&spanKind=server&${WINDOW}`);
    assert.deepEqual(
      j.metrics.map((m: any) => [m.labels[0].value, pts(m).at(-1)[1]]),
      [
        ['api', 6 / 600],
        ['web', 1 / 600],
      ],
    );
    const c = await get(`/api/metrics/calls?service=api&spanKind=SPAN_KIND_CLIENT&${WINDOW}`);
    assert.deepEqual(pts(c.metrics[0]).at(-1), [ts(10), 1 / 600]);
  });

  test('defaults: endTs now, lookback 1h, step 5s → 721 points', async () => {
    const j = await get('/api/metrics/calls?service=api');
    assert.equal(j.metrics[0].metricPoints.length, 721);
    assert.equal(j.metrics[0].metricPoints.at(-1).timestamp, protoTimestamp(NOW));
  });

  test('bad parameters → 400 in the envelope', async () => {
    for (const [path, re] of [
      ['/api/metrics/calls', /service name/],
      ['/api/metrics/latencies?service=api', /quantile/],
      ['/api/metrics/latencies?service=api&quantile=x', /quantile/],
      ['/api/metrics/calls?service=api&groupByOperation=maybe', /groupByOperation/],
      ['/api/metrics/calls?service=api&spanKind=sideways', /spanKind/],
      ['/api/metrics/calls?service=api&step=1&lookback=3600000', /step/],
      ['/api/metrics/calls?service=api&endTs=abc', /endTs/],
    ] as const) {
      const r = await srv.get(path);
      assert.equal(r.status, 400, path);
      assert.match(r.json.errors[0].msg, re);
    }
  });

  test('minstep', async () => {
    const j = await get('/api/metrics/minstep');
    assert.equal(j.data, 1);
    assert.equal(j.errors, null);
  });
});
