/**
 * The soak benchmark (bench/soak.bench.ts) for a short bounded time: 45 s of steady ingest and
 * queries against a real all-in-one on DuckDB with a 10 s retention. It must have run (reports,
 * spans acknowledged), lost no acknowledged span still inside the retention window, answered every
 * query, and kept memory and disk bounded once the retention started purging.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSoak } from '../../bench/soak.bench.js';

test('soak, 45 s: steady ingest + queries, zero spans lost, memory and disk bounded by retention', { timeout: 180_000 }, async () => {
  const rate = 500;
  const res = await runSoak({ durationMs: 45_000, rate, retentionMs: 10_000, reportEveryMs: 5_000, storage: 'duckdb', onReport: (r) => console.log(JSON.stringify(r)) });
  const { reports, ...summary } = res;
  console.log(JSON.stringify(summary));
  assert.ok(reports.length >= 8, `reported every 5 s (${reports.length} reports)`);
  assert.ok(res.spansAcked >= rate * 45 * 0.5, `steady ingest: ${res.spansAcked} spans acknowledged of ${rate * 45} offered`);
  assert.equal(res.ingestErrors, 0, 'no ingest request failed');
  assert.equal(res.queryErrors, 0, 'every query answered 200');
  assert.ok(reports.at(-1)!.queries > 100, 'queries ran throughout');
  assert.ok(res.tracesChecked > 0, 'acknowledged traces inside the retention window were checked');
  assert.equal(res.spansLost, 0, `every acknowledged span inside the retention window is stored (${res.spansChecked} checked)`);
  assert.ok(res.rssMaxMB > 0 && res.rssMaxMB <= Math.max(res.rssAfterWarmupMB * 1.6, res.rssAfterWarmupMB + 150), `memory bounded: ${res.rssAfterWarmupMB} MB after warm-up, max ${res.rssMaxMB} MB after`);
  assert.ok(res.diskMaxMB <= res.diskAfterWarmupMB * 2 + 8, `disk bounded by retention: ${res.diskAfterWarmupMB} MB after warm-up, max ${res.diskMaxMB} MB after`);
});
