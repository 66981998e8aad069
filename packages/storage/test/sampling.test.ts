import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { DuckDBSamplingStore, DUCKDB_SAMPLING_FILE_NAME, MemorySamplingStore, openSamplingStore } from '../src/index.js';
import { runSamplingConformance } from './sampling-conformance.js';

const root = mkdtempSync(join(tmpdir(), 'ariadne-sampling-store-'));
let n = 0;
after(() => rmSync(root, { recursive: true, force: true }));

runSamplingConformance('memory', async () => new MemorySamplingStore());
runSamplingConformance('duckdb', async () => DuckDBSamplingStore.open({ dataDir: join(root, `s${++n}`) }));

it('duckdb: its own file beside the span store; counts and probabilities survive a reopen', async () => {
  const dir = join(root, 'reopen');
  let s = await openSamplingStore({ backend: 'duckdb', dataDir: dir });
  assert.equal(s.name, 'duckdb');
  await s.writeThroughput(60_000, 'a', [{ service: 's', operation: 'o', count: 4, probCount: 4, weight: 40, maxProbability: 0.1 }]);
  await s.writeProbabilities({ interval: 120_000, collector: 'a', operations: [{ service: 's', operation: 'o', probability: 0.025, rate: 0.67 }] });
  await s.close();
  assert.ok(existsSync(join(dir, DUCKDB_SAMPLING_FILE_NAME)));
  s = await openSamplingStore({ backend: 'duckdb', dataDir: dir });
  try {
    assert.equal((await s.readThroughput(0, 1e9))[0].counts[0].weight, 40);
    assert.equal((await s.latestProbabilities())?.operations[0].probability, 0.025);
  } finally {
    await s.close();
  }
});
