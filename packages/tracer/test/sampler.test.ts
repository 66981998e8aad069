import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import { ROOT_CONTEXT, SpanKind as ApiKind, trace } from '@opentelemetry/api';
import { findAttribute, randomTraceId } from '@ariadne/model';
import {
  ConstSampler,
  GuaranteedThroughputSampler,
  initTracer,
  InMemoryReporter,
  ParentBasedSampler,
  PerOperationSampler,
  ProbabilisticSampler,
  RateLimitingSampler,
  RemoteSampler,
  SamplingDecision,
  TraceIdRatioSampler,
  TracerMetrics,
  samplerFromStrategy,
  type Sampler,
} from '../src/index.js';

const YES = SamplingDecision.RECORD_AND_SAMPLED;
const NO = SamplingDecision.NOT_RECORD;

function rate(s: Sampler, n = 20000, name = 'op'): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (s.shouldSample(randomTraceId(), name, undefined, 1).decision === YES) k++;
  return k / n;
}

describe('samplers', () => {
  it('const: all or nothing, with Jaeger tags', () => {
    const on = new ConstSampler(true).shouldSample();
    assert.equal(on.decision, YES);
    assert.deepEqual(on.attributes, [
      { key: 'sampler.type', value: { type: 'string', value: 'const' } },
      { key: 'sampler.param', value: { type: 'bool', value: true } },
    ]);
    assert.equal(new ConstSampler(false).shouldSample().decision, NO);
  });

  it('probabilistic: deterministic on the trace id, at the configured rate, Jaeger boundary', () => {
    const s = new ProbabilisticSampler(0.25);
    const id = randomTraceId();
    const d = s.shouldSample(id).decision;
    for (let i = 0; i < 5; i++) assert.equal(s.shouldSample(id).decision, d);
    const r = rate(s);
    assert.ok(r > 0.22 && r < 0.28, `rate ${r}`);
    // Jaeger compares the low 63 bits with rate * 2^63
    assert.equal(s.shouldSample('ffffffffffffffff' + '1ffffffffffff000').decision, YES);
    assert.equal(s.shouldSample('0000000000000000' + '2000000000000001').decision, NO);
    assert.equal(s.shouldSample('0000000000000000' + '9000000000000000').decision, YES, 'the top bit of the low half is ignored');
    assert.equal(rate(new ProbabilisticSampler(0), 2000), 0);
    assert.equal(rate(new ProbabilisticSampler(1), 2000), 1);
    assert.deepEqual(findAttribute(s.shouldSample(id).attributes!, 'sampler.param'), { type: 'double', value: 0.25 });
    assert.throws(() => new ProbabilisticSampler(1.5), /rate/);
  });

  it('traceidratio decides exactly like the OpenTelemetry SDK', () => {
    for (const ratio of [0, 0.1, 0.5, 0.9, 1]) {
      const ours = new TraceIdRatioSampler(ratio);
      const theirs = new TraceIdRatioBasedSampler(ratio);
      for (let i = 0; i < 2000; i++) {
        const id = randomTraceId();
        const expected = theirs.shouldSample(ROOT_CONTEXT, id).decision === YES;
        assert.equal(ours.shouldSample(id).decision === YES, expected, `${ratio} ${id}`);
      }
    }
  });

  it('rate limiting: a token bucket of N traces per second', () => {
    let now = 0;
    const s = new RateLimitingSampler(2, () => now);
    const take = () => s.shouldSample().decision === YES;
    assert.deepEqual([take(), take(), take()], [true, true, false]);
    now += 250;
    assert.equal(take(), false, 'half a credit after 250 ms');
    now += 250;
    assert.equal(take(), true);
    now += 10_000;
    assert.deepEqual([take(), take(), take()], [true, true, false], 'balance capped at max(rate, 1)');
    const slow = new RateLimitingSampler(0.5, () => now);
    assert.equal(slow.shouldSample().decision, YES);
    assert.equal(slow.shouldSample().decision, NO);
    now += 2000;
    assert.equal(slow.shouldSample().decision, YES);
    assert.deepEqual(findAttribute(s.shouldSample().attributes!, 'sampler.type'), { type: 'string', value: 'ratelimiting' });
  });

  it('guaranteed throughput and per-operation strategies', () => {
    let now = 0;
    const g = new GuaranteedThroughputSampler(0, 1, () => now);
    const r1 = g.shouldSample(randomTraceId(), 'op', undefined, 1);
    assert.equal(r1.decision, YES);
    assert.deepEqual(findAttribute(r1.attributes!, 'sampler.type'), { type: 'string', value: 'lowerbound' });
    assert.equal(g.shouldSample(randomTraceId(), 'op', undefined, 1).decision, NO);
    const per = new PerOperationSampler({ defaultSamplingProbability: 0, defaultLowerBoundTracesPerSecond: 0, perOperationStrategies: [{ operation: 'GET /hot', probabilisticSampling: { samplingRate: 1 } }] }, 2, () => now);
    assert.equal(rate(per, 200, 'GET /hot'), 1);
    assert.equal(rate(per, 200, 'GET /cold'), 0);
    assert.equal(rate(per, 200, 'third'), 0, 'beyond maxOperations the default sampler decides');
  });

  it('parent-based: follows local and remote parents, root sampler for new traces', () => {
    const s = new ParentBasedSampler({ root: new ConstSampler(false) });
    const parent = (sampled: boolean, isRemote: boolean) => ({ traceId: randomTraceId(), spanId: 'aaaaaaaaaaaaaaaa', traceFlags: sampled ? 1 : 0, isRemote });
    assert.equal(s.shouldSample(randomTraceId(), 'x', undefined, 1).decision, NO);
    assert.equal(s.shouldSample(randomTraceId(), 'x', parent(true, true), 1).decision, YES);
    assert.equal(s.shouldSample(randomTraceId(), 'x', parent(true, false), 1).decision, YES);
    assert.equal(s.shouldSample(randomTraceId(), 'x', parent(false, true), 1).decision, NO);
    const custom = new ParentBasedSampler({ root: new ConstSampler(true), remoteParentNotSampled: new ConstSampler(true) });
    assert.equal(custom.shouldSample(randomTraceId(), 'x', parent(false, true), 1).decision, YES);
    assert.equal(custom.shouldSample(randomTraceId(), 'x', parent(false, false), 1).decision, NO);
  });

  it('through the tracer: unsampled spans are non-recording, children follow the root, tags only on the root', () => {
    const reporter = new InMemoryReporter();
    const t = initTracer({ serviceName: 's', sampler: { type: 'probabilistic', param: 0.5 } }, { reporter, env: {}, register: false });
    const otel = t.getTracer('x');
    let sampled = 0;
    for (let i = 0; i < 400; i++) {
      const root = otel.startSpan('root');
      if (root.isRecording()) sampled++;
      root.end();
    }
    assert.ok(sampled > 140 && sampled < 260, `sampled ${sampled}`);
    assert.equal(t.metrics.tracesStartedSampled, sampled);
    assert.equal(t.metrics.tracesStartedNotSampled + t.metrics.tracesStartedSampled, 400);
    reporter.clear();
    const roots = Array.from({ length: 50 }, () => t.startSpan('r'));
    for (const r of roots) {
      const c = t.startSpan('c', { childOf: r });
      assert.equal((c.context() as never as { isSampled(): boolean }).isSampled(), (r.context() as never as { isSampled(): boolean }).isSampled());
      c.finish();
      r.finish();
    }
    for (const m of reporter.spans) {
      if (m.name === 'r') assert.deepEqual(findAttribute(m.attributes, 'sampler.type'), { type: 'string', value: 'probabilistic' });
      else assert.equal(findAttribute(m.attributes, 'sampler.type'), undefined);
    }
  });

  it('unsampled span API calls are harmless no-ops', () => {
    const reporter = new InMemoryReporter();
    const t = initTracer({ serviceName: 's', sampler: { type: 'const', param: 0 } }, { reporter, env: {}, register: false });
    const s = t.getTracer('x').startSpan('no', { kind: ApiKind.CLIENT, attributes: { a: 1 } });
    assert.equal(s.isRecording(), false);
    assert.equal(s.spanContext().traceFlags, 0);
    // ids are drawn lazily for unsampled roots, but valid and stable once drawn
    assert.match(s.spanContext().traceId, /^[0-9a-f]{32}$/);
    assert.match(s.spanContext().spanId, /^[0-9a-f]{16}$/);
    assert.equal(s.spanContext(), s.spanContext());
    const child = t.getTracer('x').startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, s));
    assert.equal(child.spanContext().traceId, s.spanContext().traceId, 'unsampled children stay in the trace');
    assert.notEqual(child.spanContext().spanId, s.spanContext().spanId);
    s.setAttribute('a', 1).addEvent('e').setStatus({ code: 2 }).updateName('n');
    s.recordException(new Error('x'));
    s.end();
    const ot = t.startSpan('no-ot');
    ot.setTag('k', 'v').log({ a: 1 }).setBaggageItem('b', 'c');
    assert.equal(ot.getBaggageItem('b'), 'c');
    ot.finish();
    assert.equal(reporter.spans.length, 0);
    assert.equal(t.metrics.spansStartedNotSampled, 3);
  });
});

describe('remote sampler against a real strategies server', () => {
  let server: http.Server;
  let url: string;
  let strategy: unknown = { strategyType: 'PROBABILISTIC', probabilisticSampling: { samplingRate: 1 } };
  let status = 200;
  const queries: string[] = [];
  before(async () => {
    server = http.createServer((req, res) => {
      queries.push(req.url ?? '');
      if (status !== 200) {
        res.writeHead(status).end('nope');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(typeof strategy === 'string' ? strategy : JSON.stringify(strategy));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sampling`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('polls, switches strategy when the server changes it, keeps the last good one on errors', async () => {
    const metrics = new TracerMetrics();
    const polls: { ok: boolean; error?: string }[] = [];
    const s = new RemoteSampler({ serviceName: 'svc a', endpoint: url, refreshIntervalMs: 0, initialSampler: new ConstSampler(false), metrics, onPoll: (p) => polls.push(p) });
    try {
      assert.equal(rate(s, 100), 0, 'initial sampler until the first answer');
      await s.poll();
      assert.match(queries.at(-1)!, /\/sampling\?service=svc(\+|%20)a$/);
      assert.equal(rate(s, 100), 1);
      assert.ok((s.sampler as Sampler) instanceof ProbabilisticSampler);

      strategy = { strategyType: 'RATE_LIMITING', rateLimitingSampling: { maxTracesPerSecond: 3 } };
      await s.poll();
      assert.ok((s.sampler as Sampler) instanceof RateLimitingSampler);
      const limited = rate(s, 50);
      assert.ok(limited >= 3 / 50 && limited <= 5 / 50, `rate limited to about the bucket size (${limited * 50} of 50)`);

      strategy = {
        strategyType: 'PROBABILISTIC',
        probabilisticSampling: { samplingRate: 0 },
        operationSampling: {
          defaultSamplingProbability: 0,
          defaultLowerBoundTracesPerSecond: 0,
          perOperationStrategies: [{ operation: 'GET /always', probabilisticSampling: { samplingRate: 1 } }],
        },
      };
      await s.poll();
      assert.ok((s.sampler as Sampler) instanceof PerOperationSampler);
      assert.equal(rate(s, 50, 'GET /always'), 1);
      assert.equal(rate(s, 50, 'GET /never'), 0);

      // failures keep the last good strategy
      status = 500;
      await s.poll();
      strategy = '{not json';
      status = 200;
      await s.poll();
      strategy = { strategyType: 'PROBABILISTIC', probabilisticSampling: { samplingRate: 7 } };
      await s.poll();
      assert.ok((s.sampler as Sampler) instanceof PerOperationSampler, 'still the per-operation strategy');
      assert.equal(rate(s, 50, 'GET /always'), 1);
      assert.equal(metrics.samplerQueries, 6);
      assert.equal(metrics.samplerQueryFailures, 2);
      assert.equal(metrics.samplerUpdates, 3);
      assert.equal(metrics.samplerUpdateFailures, 1);
      assert.deepEqual(polls.map((p) => p.ok), [true, true, true, false, false, false]);
      assert.match(polls[3].error!, /HTTP 500/);
    } finally {
      s.close();
    }
  });

  it('polls on its interval through initTracer (sampler type remote)', async () => {
    strategy = { strategyType: 'PROBABILISTIC', probabilisticSampling: { samplingRate: 1 } };
    const before = queries.length;
    const reporter = new InMemoryReporter();
    const t = initTracer({ serviceName: 'remote-svc', sampler: { type: 'remote', param: 0, endpoint: url, refreshIntervalMs: 30 } }, { reporter, env: {}, register: false });
    try {
      assert.equal(t.startSpan('early').context().toTraceId().length, 32);
      const deadline = Date.now() + 3000;
      while (t.metrics.samplerUpdates < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(t.metrics.samplerUpdates, 1);
      const s = t.startSpan('late');
      s.finish();
      assert.equal(reporter.spans.at(-1)?.name, 'late');
      const until = Date.now() + 3000;
      while (queries.length - before < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      assert.ok(queries.length - before >= 3, `polled ${queries.length - before} times`);
      assert.ok(queries.slice(before).every((q) => q.endsWith('service=remote-svc')));
    } finally {
      await t.close();
    }
    await new Promise((r) => setTimeout(r, 60)); // a request in flight at close() may still land
    const n = queries.length;
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(queries.length, n, 'close() stops polling');
  });

  it('falls back to the default sampler when the server is unreachable', async () => {
    const s = new RemoteSampler({ serviceName: 'x', endpoint: 'http://127.0.0.1:1/sampling', refreshIntervalMs: 0, initialSampler: new ProbabilisticSampler(1) });
    await s.poll();
    assert.ok((s.sampler as Sampler) instanceof ProbabilisticSampler);
    assert.equal(rate(s, 20), 1);
    s.close();
  });

  it('samplerFromStrategy rejects malformed strategies with a reason', () => {
    assert.throws(() => samplerFromStrategy({} as never), /unknown or incomplete/);
    assert.throws(() => samplerFromStrategy({ strategyType: 'RATE_LIMITING', rateLimitingSampling: { maxTracesPerSecond: -1 } }), /maxTracesPerSecond/);
    assert.throws(() => samplerFromStrategy({ operationSampling: { defaultSamplingProbability: 2 } } as never), /defaultSamplingProbability/);
    assert.ok(samplerFromStrategy({ strategyType: 1, rateLimitingSampling: { maxTracesPerSecond: 5 } }) instanceof RateLimitingSampler);
  });
});
