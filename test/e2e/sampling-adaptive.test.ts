/**
 * Adaptive sampling end to end: real collector processes, the tracer SDK's remote sampler polling
 * them and exporting over OTLP/HTTP, a synthetic traffic mix (one hot operation, a medium one, rare
 * ones, some errors and slow requests). Probabilities must converge so each operation yields the
 * target rate, and two collectors sharing one ClickHouse must serve the same probabilities,
 * computed from both collectors' traffic.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { initTracer, type AriadneTracer } from '@ariadne/tracer';
import { startClickHouse, type ClickHouseCluster } from '../helpers/clickhouse.js';
import { startAriadne, type Running } from './helpers.js';

const TARGET = 10;
const RATES: Record<string, number> = { 'GET /hot': 300, 'GET /medium': 40, 'GET /rare-a': 0.5, 'POST /rare-b': 0.5, 'GET /rare-c': 0.5 };
const ADAPTIVE_ARGS = ['--sampling-adaptive', '--sampling-target-tps', String(TARGET), '--sampling-calculation-interval', '1s', '--sampling-calculation-buckets', '5', '--sampling-initial-probability', '0.01'];

interface Strategy {
  operationSampling?: { defaultSamplingProbability: number; perOperationStrategies: { operation: string; probabilisticSampling: { samplingRate: number } }[] };
}

async function strategy(app: Running, service: string): Promise<Strategy> {
  const res = await fetch(app.url('sampling', `/sampling?service=${encodeURIComponent(service)}`));
  assert.equal(res.status, 200);
  return (await res.json()) as Strategy;
}

function probabilities(s: Strategy): Map<string, number> {
  return new Map((s.operationSampling?.perOperationStrategies ?? []).map((o) => [o.operation, o.probabilisticSampling.samplingRate]));
}

function tracerFor(app: Running, service: string): AriadneTracer {
  return initTracer(
    {
      serviceName: service,
      sampler: { type: 'remote', endpoint: app.url('sampling', '/sampling'), refreshIntervalMs: 200, param: 0.01 },
      reporter: { type: 'remote', protocol: 'http/protobuf', endpoint: app.url('otlp-http', '/v1/traces'), flushIntervalMs: 100 },
    },
    { env: {}, register: false },
  );
}

/**
 * Run the traffic mix for `seconds`, spread over `tracers` (request i goes to tracer i % n).
 * Returns, per operation, the start times (ms) of every root span generated.
 */
async function traffic(tracers: AriadneTracer[], seconds: number): Promise<Map<string, number[]>> {
  const generated = new Map<string, number[]>(Object.keys(RATES).map((op) => [op, []]));
  const end = Date.now() + seconds * 1000;
  const carry = new Map<string, number>();
  let n = 0;
  let last = Date.now();
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 10));
    const now = Date.now();
    const dt = (now - last) / 1000;
    last = now;
    for (const [op, rate] of Object.entries(RATES)) {
      let due = (carry.get(op) ?? 0) + rate * dt;
      while (due >= 1) {
        const tracer = tracers[n++ % tracers.length];
        const slow = n % 29 === 0;
        const start = slow ? now - 2500 : now - 3;
        const span = tracer.startSpan(op, { startTime: start });
        if (n % 13 === 0) span.setTag('error', true);
        tracer.startSpan('db.query', { childOf: span, startTime: now - 2 }).finish(now - 1);
        span.finish(now);
        generated.get(op)!.push(start);
        due -= 1;
      }
      carry.set(op, due);
    }
  }
  return generated;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Every second from `fromMs` until `done()`: the strategies each app serves for 'shop'. */
async function probe(apps: Running[], fromMs: number, done: () => boolean): Promise<Strategy[][]> {
  const out: Strategy[][] = [];
  await sleep(fromMs);
  while (!done()) {
    out.push(await Promise.all(apps.map((a) => strategy(a, 'shop'))));
    await sleep(1000);
  }
  return out;
}

describe('adaptive sampling through a real all-in-one and the tracer\'s remote sampler', () => {
  let app: Running;
  before(async () => {
    app = await startAriadne({ args: ['--storage', 'memory', ...ADAPTIVE_ARGS] });
  });
  after(async () => {
    await app?.stop();
  });

  it('each operation converges to the target rate (±35% over the last 14 s); rare operations are kept whole', async (t) => {
    const tracer = tracerFor(app, 'shop');
    const started = Date.now();
    let generated: Map<string, number[]>;
    let finished = false;
    const probes = probe([app], 16_000, () => finished);
    try {
      generated = await traffic([tracer], 30);
    } finally {
      finished = true;
      await tracer.close();
    }
    // the probabilities served during the last 14 s of traffic (median: a point estimate is noisy)
    const served = (await probes).map(([s]) => probabilities(s));
    const probs = new Map([...served[0].keys()].map((op) => [op, median(served.map((m) => m.get(op) ?? NaN))]));
    await sleep(500);
    // tolerances: at least 3.5 standard deviations of the sampling noise (140 traces per operation)
    const from = started + 16_000;
    const to = started + 30_000;
    const stored = async (op: string) => {
      const q = new URLSearchParams({ service: 'shop', operation: op, start: String(from * 1000), end: String(to * 1000), limit: '1500' });
      const res = await fetch(app.url('query', `/api/traces?${q}`));
      assert.equal(res.status, 200, await res.clone().text());
      const body = (await res.json()) as { data: { spans: { operationName: string; startTime: number; references: unknown[] }[] }[] };
      // roots of this operation that started in the window
      return body.data.filter((t) => t.spans.some((s) => s.operationName === op && s.references.length === 0 && s.startTime / 1000 >= from && s.startTime / 1000 < to)).length;
    };
    const report: string[] = [];
    for (const op of ['GET /hot', 'GET /medium']) {
      const rate = (await stored(op)) / 14;
      const p = probs.get(op)!;
      report.push(`${op}: p=${p} (ideal ${TARGET / RATES[op]}), ${rate} traces/s stored`);
      assert.ok(Math.abs(rate - TARGET) / TARGET <= 0.35, report.join('; '));
      assert.ok(Math.abs(p - TARGET / RATES[op]) / (TARGET / RATES[op]) <= 0.35, report.join('; '));
    }
    t.diagnostic(report.join('; '));
    for (const op of ['GET /rare-a', 'POST /rare-b', 'GET /rare-c']) {
      assert.equal(probs.get(op), 1, `${op} probability`);
      const made = generated.get(op)!.filter((t) => t >= from && t < to).length;
      assert.equal(await stored(op), made, `every ${op} trace of the last 14 s stored`);
    }
    // the metrics show the calculations
    const metrics = await (await fetch(app.url('admin', '/metrics'))).text();
    assert.match(metrics, /ariadne_collector_adaptive_calculations_total\{result="ok"\} \d+/);
    assert.match(metrics, /ariadne_collector_adaptive_operations 5\b/);
  });
});

describe('two collectors on one ClickHouse', () => {
  let ch: ClickHouseCluster;
  const apps: Running[] = [];
  before(async () => {
    ch = await startClickHouse({ shards: 1 });
    for (let i = 0; i < 2; i++) {
      apps.push(await startAriadne({ command: 'collector', args: ['--storage', 'clickhouse', '--clickhouse-url', ch.url, '--clickhouse-database', 'adaptive_e2e', ...ADAPTIVE_ARGS] }));
    }
  });
  after(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await ch?.stop();
  });

  it('serve the same probabilities, computed from the traffic of both (not half of it)', async (t) => {
    const tracers = apps.map((a) => tracerFor(a, 'shop'));
    let finished = false;
    const probes = probe(apps, 10_000, () => finished);
    try {
      await traffic(tracers, 20);
    } finally {
      finished = true;
      await Promise.all(tracers.map((x) => x.close()));
    }
    const samples = await probes;
    // Both serve the newest stored record, so they go through the same sequence of strategies; a
    // probe can catch one collector a moment before the other takes the next one (more often on a
    // loaded machine), so compare what each served, and require the same at the end.
    const equal = samples.filter(([x, y]) => JSON.stringify(x) === JSON.stringify(y)).length;
    const servedA = new Set(samples.map(([x]) => JSON.stringify(x)));
    const servedB = new Set(samples.map(([, y]) => JSON.stringify(y)));
    const common = [...servedA].filter((x) => servedB.has(x)).length;
    assert.ok(common >= Math.min(servedA.size, servedB.size) / 2, `${common} strategies served by both of ${servedA.size} and ${servedB.size}`);
    let a: Strategy | undefined;
    let b: Strategy | undefined;
    for (let i = 0; i < 20; i++) {
      [a, b] = await Promise.all(apps.map((x) => strategy(x, 'shop')));
      if (JSON.stringify(a) === JSON.stringify(b)) break;
      await sleep(100);
    }
    assert.deepEqual(a, b);
    const hot = median(samples.map(([x]) => probabilities(x).get('GET /hot') ?? NaN));
    const ideal = TARGET / RATES['GET /hot'];
    t.diagnostic(`hot p (median of ${samples.length} probes during traffic)=${hot} (ideal ${ideal}); ${equal} of ${samples.length} probes equal on both collectors, ${common} strategies served by both`);
    assert.ok(Math.abs(hot - ideal) / ideal <= 0.35, `hot p=${hot}, ideal ${ideal} (half the traffic would give ${2 * ideal})`);
    const probs = probabilities(a!);
    assert.equal(probs.get('GET /rare-a'), 1);
    const rows = await ch.sql('SELECT count(DISTINCT collector) FROM adaptive_e2e.sampling_throughput');
    assert.equal(rows.trim(), '2', 'both collectors stored their counts');
  });
});
