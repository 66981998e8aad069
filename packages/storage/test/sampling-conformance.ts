/** One behaviour suite for every SamplingStore backend (memory, DuckDB, ClickHouse). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StoreArgumentError, type SamplingStore, type ThroughputCount } from '../src/index.js';

const c = (service: string, operation: string, count: number, probCount = count, weight = count, maxProbability = 1): ThroughputCount => ({
  service,
  operation,
  count,
  probCount,
  weight,
  maxProbability,
});

export function runSamplingConformance(name: string, open: () => Promise<SamplingStore>): void {
  describe(`SamplingStore conformance: ${name}`, () => {
    it('sums every collector\'s counts per bucket, service and operation; buckets oldest first, range inclusive', async () => {
      const s = await open();
      try {
        await s.writeThroughput(60_000, 'b', [c('api', 'GET /', 10, 8, 80, 0.1), c('api', 'POST /', 1, 1, 1, 1)]);
        await s.writeThroughput(60_000, 'a', [c('api', 'GET /', 5, 5, 50, 0.2)]);
        await s.writeThroughput(120_000, 'a', [c('db', 'query', 3)]);
        await s.writeThroughput(180_000, 'a', [c('db', 'query', 7)]);
        await s.writeThroughput(0, 'a', []);
        const got = await s.readThroughput(60_000, 120_000);
        assert.deepEqual(got, [
          { bucket: 60_000, counts: [c('api', 'GET /', 15, 13, 130, 0.2), c('api', 'POST /', 1, 1, 1, 1)] },
          { bucket: 120_000, counts: [c('db', 'query', 3)] },
        ]);
        assert.deepEqual(await s.readThroughput(200_000, 300_000), []);
        // odd names survive
        await s.writeThroughput(240_000, 'a', [c("svc'\"\\ ✓", "op\n'\t", 2)]);
        assert.deepEqual((await s.readThroughput(240_000, 240_000))[0].counts, [c("svc'\"\\ ✓", "op\n'\t", 2)]);
      } finally {
        await s.close();
      }
    });

    it('latest probabilities: the newest interval, and within it the smallest collector id', async () => {
      const s = await open();
      try {
        assert.equal(await s.latestProbabilities(), undefined);
        const ops = (p: number) => [{ service: 'api', operation: 'GET /', probability: p, rate: 100 }];
        await s.writeProbabilities({ interval: 60_000, collector: 'a', operations: ops(0.5) });
        await s.writeProbabilities({ interval: 120_000, collector: 'zz', operations: ops(0.25) });
        await s.writeProbabilities({ interval: 120_000, collector: 'mm', operations: ops(0.125) });
        assert.deepEqual(await s.latestProbabilities(), { interval: 120_000, collector: 'mm', operations: ops(0.125) });
        await s.writeProbabilities({ interval: 180_000, collector: 'zz', operations: [] });
        assert.deepEqual(await s.latestProbabilities(), { interval: 180_000, collector: 'zz', operations: [] });
      } finally {
        await s.close();
      }
    });

    it('purges buckets and intervals older than the cutoff', async () => {
      const s = await open();
      try {
        await s.writeThroughput(60_000, 'a', [c('x', 'y', 1)]);
        await s.writeThroughput(120_000, 'a', [c('x', 'y', 2)]);
        await s.writeProbabilities({ interval: 60_000, collector: 'a', operations: [] });
        await s.writeProbabilities({ interval: 120_000, collector: 'a', operations: [] });
        await s.purgeBefore(120_000);
        // ClickHouse deletes asynchronously (a mutation): wait for it
        const end = Date.now() + 10_000;
        while ((await s.readThroughput(0, 1e9)).length !== 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(await s.readThroughput(0, 1e9), [{ bucket: 120_000, counts: [c('x', 'y', 2)] }]);
        assert.equal((await s.latestProbabilities())?.interval, 120_000);
      } finally {
        await s.close();
      }
    });

    it('refuses bad arguments with StoreArgumentError and rejects after close', async () => {
      const s = await open();
      await assert.rejects(s.writeThroughput(-1, 'a', []), StoreArgumentError);
      await assert.rejects(s.writeThroughput(1.5, 'a', []), StoreArgumentError);
      await assert.rejects(s.writeThroughput(0, '', []), StoreArgumentError);
      await assert.rejects(s.writeThroughput(0, 'a', [c('x', 'y', Number.NaN)]), StoreArgumentError);
      await assert.rejects(s.writeProbabilities({ interval: 0, collector: 'a', operations: [{ service: 'x', operation: 'y', probability: 2, rate: 0 }] }), StoreArgumentError);
      await assert.rejects(s.readThroughput(-5, 0), StoreArgumentError);
      await s.close();
      await assert.rejects(s.latestProbabilities());
    });
  });
}
