import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeResource, makeSpan, type Attribute, type Span } from '@ariadne/model';
import { MemorySamplingStore, type ThroughputCount } from '@ariadne/storage';
import { PerOperationSampler, SamplingDecision } from '@ariadne/tracer';
import { AdaptiveSampler, calculateProbabilities, CollectorMetrics, countRootSpan, SamplingStrategies } from '@ariadne/collector';

const OPTS = { targetTps: 2, minProbability: 1e-5, intervalMs: 1000, initialProbability: 0.001, buckets: 3 };
const cnt = (operation: string, count: number, probCount: number, weight: number, maxProbability: number): ThroughputCount => ({ service: 'api', operation, count, probCount, weight, maxProbability });

describe('adaptive sampling arithmetic', () => {
  it('probability = target / estimated rate, the rate from 1/p weights over the buckets since the operation appeared', () => {
    const got = calculateProbabilities(
      [
        { bucket: 1000, counts: [cnt('hot', 20, 20, 2000, 0.01)] },
        { bucket: 2000, counts: [cnt('hot', 20, 20, 2000, 0.01), cnt('new', 40, 40, 40, 1)] },
      ],
      2000,
      OPTS,
    );
    // hot: 4000 traces over 2 s = 2000/s → 2/2000; new: 40/s over its 1 s → 0.05
    assert.deepEqual(got, [
      { service: 'api', operation: 'hot', probability: 0.001, rate: 2000, lastSeen: 2000 },
      { service: 'api', operation: 'new', probability: 0.05, rate: 40, lastSeen: 2000 },
    ]);
  });

  it('rare operations get probability 1; never below the minimum probability', () => {
    const got = calculateProbabilities([{ bucket: 0, counts: [cnt('rare', 1, 1, 1, 1), cnt('flood', 1e9, 1e9, 1e9, 1)] }], 0, OPTS);
    assert.equal(got.find((o) => o.operation === 'rare')!.probability, 1);
    assert.equal(got.find((o) => o.operation === 'flood')!.probability, 1e-5);
  });

  it('a rise resting on few probabilistic samples goes only as far as the rate\'s upper bound allows; decreases are taken at once', () => {
    // one probabilistic sample at p=0.001 in 1 s says 1000/s (→ 0.002), but up to ~4000/s is plausible: hold
    const few = calculateProbabilities([{ bucket: 0, counts: [cnt('op', 4, 1, 1000, 0.001)] }], 0, OPTS);
    assert.equal(few[0].probability, 0.001);
    // no probabilistic sample in 1 s at p=0.001: the rate is below ~3000/s, so 2/3000 is safe
    const none = calculateProbabilities([{ bucket: 0, counts: [cnt('op', 1, 0, 0, 0.001)] }], 0, OPTS, [{ service: 'api', operation: 'op', probability: 0.001, rate: 0 }]);
    assert.equal(none[0].probability, 0.001, 'not lowered on account of the bound either');
    // … but over 3 s at 0.01 the bound is 3·0.99/(0.01·3) = 99/s: 2/99
    const widerWindow = calculateProbabilities(
      [{ bucket: 0, counts: [cnt('op', 1, 0, 0, 0.01)] }, { bucket: 2000, counts: [cnt('op', 1, 0, 0, 0.01)] }],
      2000,
      OPTS,
      [{ service: 'api', operation: 'op', probability: 0.01, rate: 0 }],
    );
    assert.equal(widerWindow[0].probability, 0.020202);
    const down = calculateProbabilities([{ bucket: 0, counts: [cnt('op', 5, 5, 5000, 0.001)] }], 0, OPTS);
    assert.equal(down[0].probability, 0.0004);
    // an operation that vanished keeps its place and keeps rising by the bound, until forgotten
    const kept = calculateProbabilities([], 10_000, OPTS, [{ service: 'api', operation: 'gone', probability: 0.01, rate: 5, lastSeen: 9000 }]);
    assert.deepEqual(kept, [{ service: 'api', operation: 'gone', probability: 0.020202, rate: 0, lastSeen: 9000 }]);
    assert.deepEqual(calculateProbabilities([], 10_000_000, OPTS, [{ service: 'api', operation: 'gone', probability: 0.01, rate: 5, lastSeen: 9000 }]), []);
  });

  it('counts root spans by their sampler tags', () => {
    const c: ThroughputCount = { service: 's', operation: 'o', count: 0, probCount: 0, weight: 0, maxProbability: 0 };
    const tags = (type?: string, param?: Attribute['value']): Attribute[] =>
      type ? [{ key: 'sampler.type', value: { type: 'string', value: type } }, { key: 'sampler.param', value: param! }] : [];
    const sp = (attributes: Attribute[]) => makeSpan({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), name: 'o', attributes });
    countRootSpan(c, sp(tags('probabilistic', { type: 'double', value: 0.25 })));
    countRootSpan(c, sp(tags('probabilistic', { type: 'string', value: '0.5' })));
    countRootSpan(c, sp(tags('lowerbound', { type: 'double', value: 0.25 })));
    countRootSpan(c, sp(tags()));
    countRootSpan(c, sp(tags('const', { type: 'bool', value: true })));
    assert.deepEqual(c, { service: 's', operation: 'o', count: 5, probCount: 4, weight: 4 + 2 + 1 + 1, maxProbability: 1 });
  });
});

/**
 * A closed loop with the tracer's own per-operation sampler: a simulated clock, synthetic traffic
 * (one hot operation, rare ones, errors and slow requests, which adaptive sampling must not care
 * about), the tracer's decisions turned into root spans with its sampler tags, counted by the
 * collector, probabilities recomputed each interval and taken by the tracer in place.
 */
/** A seeded PRNG (mulberry32), so a simulation is reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function simulate(opts: { collectors: number; seconds: number; rates: Record<string, number>; targetTps: number; seed: number }) {
  const random = prng(opts.seed);
  const hex = (chars: number) => {
    let s = '';
    while (s.length < chars) s += Math.floor(random() * 4294967296).toString(16).padStart(8, '0');
    return s.slice(0, chars);
  };
  const store = new MemorySamplingStore();
  let now = 0;
  const collectors = Array.from({ length: opts.collectors }, (_, i) =>
    new AdaptiveSampler({ store, targetTps: opts.targetTps, intervalMs: 1000, buckets: 3, settleMs: 1, initialProbability: 0.001, lowerBoundTps: 1 / 60, collectorId: `c${i}`, now: () => now }),
  );
  // one tracer per collector (two instances of the service, each polling its own collector)
  const tracers = collectors.map((c) => new PerOperationSampler(c.strategyFor('api').operationSampling!, 2000, () => now));
  const sampled: Record<string, number[]> = {};
  for (const op of Object.keys(opts.rates)) sampled[op] = [];
  const resource = makeResource('api');
  return (async () => {
    for (let sec = 0; sec < opts.seconds; sec++) {
      const perSecond: Record<string, number> = {};
      // this second's arrivals of every operation, in time order, alternating between the tracers
      const arrivals: { t: number; op: string; i: number }[] = [];
      for (const [op, rate] of Object.entries(opts.rates)) {
        perSecond[op] = 0;
        const n = Math.floor(rate) + (random() < rate - Math.floor(rate) ? 1 : 0);
        for (let i = 0; i < n; i++) arrivals.push({ t: sec * 1000 + random() * 1000, op, i });
      }
      arrivals.sort((x, y) => x.t - y.t);
      for (const [k, { t, op, i }] of arrivals.entries()) {
        now = t;
        const which = k % tracers.length;
        const traceId = hex(32);
        const r = tracers[which].shouldSample(traceId, op, undefined, 2);
        if (r.decision !== SamplingDecision.RECORD_AND_SAMPLED) continue;
        perSecond[op]++;
        const error = i % 17 === 0;
        const slow = i % 23 === 0;
        const span: Span = makeSpan({
          traceId,
          spanId: hex(16),
          name: op,
          resource,
          attributes: [...(r.attributes ?? [])],
          startTimeUnixNano: BigInt(Math.round(now * 1e6)),
          endTimeUnixNano: BigInt(Math.round((now + (slow ? 3000 : 5)) * 1e6)),
          status: { code: error ? 2 : 0, message: '' },
        });
        collectors[which].observe([span]);
      }
      for (const [op, n] of Object.entries(perSecond)) sampled[op].push(n);
      now = (sec + 1) * 1000 + 5;
      // every collector writes its counts, waits settleMs, then calculates (as their timers do)
      await Promise.all(collectors.map((c) => c.tick()));
      for (let i = 0; i < tracers.length; i++) tracers[i].update(collectors[i].strategyFor('api').operationSampling!);
    }
    return { collectors, sampled, store };
  })();
}

describe('adaptive sampling converges (simulated clock, the tracer\'s per-operation sampler in the loop)', () => {
  // Tolerances are at least 3.5 standard deviations of the sampling noise (600+ traces measured).
  it('the hot and medium operations yield the target rate within 15% (mean of the last 30 s); rare operations are all kept', async (t) => {
    const target = 20;
    const rates = { 'GET /hot': 2000, 'GET /medium': 80, 'GET /rare-1': 0.5, 'POST /rare-2': 1 };
    const { collectors, sampled } = await simulate({ collectors: 1, seconds: 80, rates, targetTps: target, seed: 11 });
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const last = (op: string) => mean(sampled[op].slice(-30));
    t.diagnostic(`sampled traces/s, last 30 s: hot ${last('GET /hot')}, medium ${last('GET /medium')} (target ${target})`);
    for (const op of ['GET /hot', 'GET /medium']) {
      const got = last(op);
      assert.ok(Math.abs(got - target) / target <= 0.15, `${op}: ${got} traces/s sampled, target ${target}`);
    }
    const probs = new Map(collectors[0].probabilities!.operations.map((o) => [o.operation, o.probability]));
    assert.ok(Math.abs(probs.get('GET /hot')! - target / 2000) / (target / 2000) <= 0.35, `hot probability ${probs.get('GET /hot')}`);
    assert.equal(probs.get('GET /rare-1'), 1);
    assert.equal(probs.get('POST /rare-2'), 1);
    // rare operations: every request of the last 30 s sampled
    assert.equal(sampled['POST /rare-2'].slice(-30).reduce((a, b) => a + b, 0), 30);
  });

  it('two collectors sharing one store serve the same probabilities, computed from both halves of the traffic', async (t) => {
    const target = 20;
    const { collectors, sampled } = await simulate({ collectors: 2, seconds: 60, rates: { 'GET /hot': 1200, 'GET /rare': 0.5 }, targetTps: target, seed: 7 });
    const [a, b] = collectors;
    assert.deepEqual(a.strategyFor('api'), b.strategyFor('api'));
    assert.deepEqual(a.probabilities, b.probabilities);
    const hot = sampled['GET /hot'].slice(-30).reduce((x, y) => x + y, 0) / 30;
    t.diagnostic(`hot over both tracers, last 30 s: ${hot} traces/s (target ${target})`);
    assert.ok(Math.abs(hot - target) / target <= 0.15, `hot over both tracers: ${hot} traces/s, target ${target} (not 2x: the counts of both collectors are summed)`);
  });
});

describe('AdaptiveSampler', () => {
  it('serves Jaeger operationSampling JSON; the strategies file still wins for the services it names', async () => {
    const store = new MemorySamplingStore();
    await store.writeProbabilities({ interval: 5000, collector: 'x', operations: [{ service: 'api', operation: 'GET /', probability: 0.25, rate: 8 }] });
    const metrics = new CollectorMetrics();
    const a = new AdaptiveSampler({ store, initialProbability: 0.01, lowerBoundTps: 0.5, metrics });
    await a.refresh();
    const s = new SamplingStrategies({ adaptive: a, defaultStrategy: { type: 'probabilistic', param: 1 } });
    assert.deepEqual(s.strategyFor('api'), {
      strategyType: 'PROBABILISTIC',
      probabilisticSampling: { samplingRate: 0.01 },
      operationSampling: {
        defaultSamplingProbability: 0.01,
        defaultLowerBoundTracesPerSecond: 0.5,
        defaultUpperBoundTracesPerSecond: 0,
        perOperationStrategies: [{ operation: 'GET /', probabilisticSampling: { samplingRate: 0.25 } }],
      },
    });
    assert.deepEqual(s.strategyFor('other').operationSampling!.perOperationStrategies, []);
    assert.match(metrics.toPrometheus(), /ariadne_collector_adaptive_operations 1/);
    await a.close();
  });

  it('tracks at most maxOperations operations (span names embedding ids must not grow it without bound)', async () => {
    const store = new MemorySamplingStore();
    const metrics = new CollectorMetrics();
    const a = new AdaptiveSampler({ store, maxOperations: 3, metrics, now: () => 5000, intervalMs: 1000 });
    const spans = Array.from({ length: 10 }, (_, i) => makeSpan({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), name: `GET /items/${i}`, resource: makeResource('svc') }));
    a.observe(spans);
    await a.close();
    assert.equal((await store.readThroughput(0, 1e9))[0].counts.length, 3);
    assert.match(metrics.toPrometheus(), /ariadne_collector_adaptive_operations_dropped_total 7\n/);
    const many = Array.from({ length: 5 }, (_, i) => ({ bucket: i * 1000, counts: [cnt(`op${i}`, 1, 1, 1, 1)] }));
    const kept = calculateProbabilities(many, 4000, { ...OPTS, maxOperations: 2 });
    assert.deepEqual(kept.map((o) => o.operation), ['op3', 'op4'], 'the most recently seen');
  });

  it('a store that fails: errors reported, counts kept and written at the next tick, probabilities still computed', async () => {
    const store = new MemorySamplingStore();
    let failures = 1;
    const write = store.writeThroughput.bind(store);
    store.writeThroughput = async (...args) => {
      if (failures-- > 0) throw new Error('connection refused');
      return write(...args);
    };
    const errors: string[] = [];
    let now = 10_000;
    const a = new AdaptiveSampler({ store, intervalMs: 1000, settleMs: 0, now: () => now, onError: (what, err) => errors.push(`${what}: ${err.message}`) });
    const root = makeSpan({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), name: 'op', resource: makeResource('svc') });
    a.observe([root]);
    now = 11_005;
    await a.tick();
    assert.deepEqual(errors, ['write throughput: connection refused']);
    a.observe([root]);
    now = 12_005;
    await a.tick();
    assert.deepEqual((await store.readThroughput(0, 1e9)).map((b) => [b.bucket, b.counts[0].count]), [[10_000, 1], [11_000, 1]]);
    assert.equal(a.probabilities?.operations[0].operation, 'op');
    await a.close();
  });

  it('counts only root spans, and writes the counts of the bucket in progress on close', async () => {
    const store = new MemorySamplingStore();
    let now = 42_000;
    const a = new AdaptiveSampler({ store, intervalMs: 1000, now: () => now });
    const root = makeSpan({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), name: 'op', resource: makeResource('svc') });
    const child = makeSpan({ traceId: 'a'.repeat(32), spanId: 'c'.repeat(16), parentSpanId: 'b'.repeat(16), name: 'child', resource: makeResource('svc') });
    a.observe([root, child, root]);
    now = 42_500;
    await a.close();
    assert.deepEqual(await store.readThroughput(0, 1e9), [{ bucket: 42_000, counts: [{ service: 'svc', operation: 'op', count: 2, probCount: 2, weight: 2, maxProbability: 1 }] }]);
  });
});
