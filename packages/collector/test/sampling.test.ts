import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseStrategies, SamplingStrategies, startHttpServer, StrategiesError } from '@ariadne/collector';

const require = createRequire(import.meta.url);

const FILE = {
  default_strategy: { type: 'probabilistic', param: 0.5, operation_strategies: [{ operation: '/health', type: 'probabilistic', param: 0 }] },
  service_strategies: [
    { service: 'api', type: 'probabilistic', param: 0.8, operation_strategies: [{ operation: 'GET /items', type: 'probabilistic', param: 0.2 }] },
    { service: 'batch', type: 'ratelimiting', param: 5 },
  ],
};

test('strategies: per service, per operation (merged over the default ones), rate limiting, default', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ariadne-sampling-'));
  const file = join(dir, 'strategies.json');
  writeFileSync(file, JSON.stringify(FILE));
  const s = new SamplingStrategies({ file });
  try {
    const api = s.strategyFor('api');
    assert.equal(api.strategyType, 'PROBABILISTIC');
    assert.equal(api.probabilisticSampling!.samplingRate, 0.8);
    assert.equal(api.operationSampling!.defaultSamplingProbability, 0.8);
    assert.deepEqual(
      api.operationSampling!.perOperationStrategies.map((o) => [o.operation, o.probabilisticSampling.samplingRate]).sort(),
      [['/health', 0], ['GET /items', 0.2]],
    );
    assert.deepEqual(s.strategyFor('batch'), { strategyType: 'RATE_LIMITING', rateLimitingSampling: { maxTracesPerSecond: 5 } });
    const other = s.strategyFor('unknown');
    assert.equal(other.probabilisticSampling!.samplingRate, 0.5);
  } finally {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('invalid files are refused with the bad key named', () => {
  assert.throws(() => parseStrategies({ default_strategy: { type: 'probabilistic', param: 2 } }), /default_strategy.param: a probability must be between 0 and 1/);
  assert.throws(() => parseStrategies({ service_strategies: [{ service: 'a', type: 'const', param: 1 }] }), /service_strategies\[0\].type/);
  assert.throws(() => parseStrategies({ service_strategies: [{ type: 'probabilistic', param: 1 }] }), /service_strategies\[0\].service/);
  assert.throws(() => parseStrategies({ service_strategies: [{ service: 'a', type: 'probabilistic', param: 1 }, { service: 'a', type: 'probabilistic', param: 1 }] }), /appears twice/);
  assert.throws(() => parseStrategies([]), StrategiesError);
});

test('without a file: the given default, else Jaeger\'s probabilistic 0.001', () => {
  assert.equal(new SamplingStrategies().strategyFor('x').probabilisticSampling!.samplingRate, 0.001);
  assert.equal(new SamplingStrategies({ defaultStrategy: { type: 'probabilistic', param: 1 } }).strategyFor('x').probabilisticSampling!.samplingRate, 1);
});

test('the file is reloaded when it changes; a broken edit keeps the last good strategies', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ariadne-sampling-'));
  const file = join(dir, 'strategies.json');
  writeFileSync(file, JSON.stringify({ default_strategy: { type: 'probabilistic', param: 0.1 } }));
  const reloads: boolean[] = [];
  const s = new SamplingStrategies({ file, pollMs: 20, onReload: (ok) => reloads.push(ok) });
  const waitFor = async (cond: () => boolean) => {
    const end = Date.now() + 5000;
    while (!cond()) {
      assert.ok(Date.now() < end, 'reload in time');
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    writeFileSync(file, JSON.stringify({ default_strategy: { type: 'probabilistic', param: 0.3 } }));
    await waitFor(() => s.strategyFor('x').probabilisticSampling?.samplingRate === 0.3);
    writeFileSync(file, '{ not json');
    await waitFor(() => reloads.includes(false));
    assert.equal(s.strategyFor('x').probabilisticSampling!.samplingRate, 0.3, 'last good kept');
  } finally {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('jaeger-client\'s RemoteSampler reads our endpoint and switches strategy', async () => {
  const s = new SamplingStrategies({ defaultStrategy: { type: 'probabilistic', param: 1 } });
  const l = await startHttpServer(s.handler(), { port: 0, name: 'sampling' });
  try {
    const bad = await fetch(`http://127.0.0.1:${l.address.port}/sampling`);
    assert.equal(bad.status, 400);
    await bad.text();
    const { RemoteSampler, RateLimitingSampler } = require('jaeger-client');
    const updated = new Promise<unknown>((resolve) => {
      const sampler = new RemoteSampler('svc', { hostPort: `127.0.0.1:${l.address.port}`, refreshInterval: 0, onSamplerUpdate: resolve });
      sampler._refreshSamplingStrategy();
    });
    const inner = await updated;
    assert.equal((inner as { _samplingRate: number })._samplingRate, 1);
    // and a rate-limiting strategy for another service
    const s2 = new SamplingStrategies({ defaultStrategy: { type: 'ratelimiting', param: 3 } });
    const l2 = await startHttpServer(s2.handler(), { port: 0, name: 'sampling' });
    try {
      const inner2 = await new Promise<unknown>((resolve) => {
        const sampler = new RemoteSampler('svc', { hostPort: `127.0.0.1:${l2.address.port}`, refreshInterval: 0, onSamplerUpdate: resolve });
        sampler._refreshSamplingStrategy();
      });
      assert.ok(inner2 instanceof RateLimitingSampler);
    } finally {
      await l2.close();
    }
  } finally {
    await l.close();
  }
});
