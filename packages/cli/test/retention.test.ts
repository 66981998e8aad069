import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeResource, makeSpan, SpanKind } from '@ariadne/model';
import { DuckDBStore, MemoryStore, type SpanStore } from '@ariadne/storage';
import { parseDuration, parseFlags, UsageError } from '../src/flags.js';
import { createLogger } from '../src/log.js';
import { startRetention } from '../src/retention.js';

const MS = 1_000_000n;
function spanAt(trace: string, startMs: number, pad = '') {
  const start = BigInt(startMs) * MS;
  return makeSpan({
    traceId: trace,
    spanId: (Math.floor(Math.random() * 2 ** 48) + 1).toString(16).padStart(16, '0'),
    name: 'op',
    kind: SpanKind.SERVER,
    startTimeUnixNano: start,
    endTimeUnixNano: start + MS,
    attributes: pad ? [{ key: 'pad', value: { type: 'string', value: pad } }] : [],
    resource: makeResource('svc'),
  });
}
const trace = (n: number) => n.toString(16).padStart(32, '0');

test('--retention parses durations; 0 keeps forever; bad values are usage errors', () => {
  assert.equal(parseDuration('7d'), 7 * 86_400_000);
  assert.equal(parseDuration('12h'), 12 * 3_600_000);
  assert.equal(parseDuration('90m'), 90 * 60_000);
  assert.equal(parseDuration('45s'), 45_000);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('2w'), 14 * 86_400_000);
  assert.equal(parseDuration('0'), 0);
  for (const bad of ['', '7', '-1d', '7 days', 'd', '1y']) assert.equal(parseDuration(bad), undefined, bad);
  assert.equal(parseFlags('collector', ['--retention', '7d'], {}).retention, 7 * 86_400_000);
  assert.equal(parseFlags('collector', [], { ARIADNE_RETENTION: '12h' }).retention, 12 * 3_600_000);
  assert.equal(parseFlags('all-in-one', [], {}).retention, 0);
  assert.throws(() => parseFlags('collector', ['--retention', 'week'], {}), (e: Error) => e instanceof UsageError && /duration such as 7d/.test(e.message));
});

test('startRetention purges what is older than the retention, at start and then periodically', async () => {
  const store = new MemoryStore();
  let now = 1_700_000_000_000;
  const lines: string[] = [];
  const log = createLogger('debug', (l) => lines.push(l));
  await store.writeSpans([spanAt(trace(1), now - 10_000), spanAt(trace(2), now - 1000)]);
  const stop = startRetention(() => [store], { retentionMs: 5000, intervalMs: 50, now: () => now }, log);
  try {
    for (let i = 0; i < 50 && (await store.getTrace(trace(1))).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(await store.getTrace(trace(1)), []);
    assert.equal((await store.getTrace(trace(2))).length, 1);
    now += 10_000; // time passes: the second span ages out at a later tick
    for (let i = 0; i < 50 && (await store.getTrace(trace(2))).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(await store.getTrace(trace(2)), []);
  } finally {
    await stop();
  }
  const purges = lines.map((l) => JSON.parse(l)).filter((r) => r.msg === 'retention purge');
  assert.ok(purges.some((r) => r.deleted === 1 && r.backend === 'memory'));
});

test('a failing purge is logged and retried; it never throws', async () => {
  let calls = 0;
  const failing = {
    capabilities: { name: 'broken', durable: false, tagOperators: [] },
    purgeBefore: async () => {
      calls++;
      throw new Error('disk on fire');
    },
  } as unknown as SpanStore;
  const lines: string[] = [];
  const stop = startRetention(() => [failing], { retentionMs: 1000, intervalMs: 20 }, createLogger('info', (l) => lines.push(l)));
  await new Promise((r) => setTimeout(r, 150));
  await stop();
  assert.ok(calls >= 2, `retried: ${calls}`);
  assert.ok(lines.some((l) => /retention purge failed/.test(l) && /disk on fire/.test(l)));
});

test('retention on DuckDB deletes old spans through the store\'s purge', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ariadne-retention-'));
  try {
    const store = await DuckDBStore.open({ dataDir: dir });
    const now = Date.now();
    await store.writeSpans(Array.from({ length: 500 }, (_, i) => spanAt(trace(i + 1), now - 3_600_000 - i)));
    await store.writeSpans([spanAt(trace(999_999), now)]);
    const stop = startRetention(() => [store], { retentionMs: 60_000, intervalMs: 60_000 }, createLogger('error'));
    try {
      for (let i = 0; i < 200 && (await store.getTrace(trace(1))).length > 0; i++) await new Promise((r) => setTimeout(r, 25));
      assert.equal((await store.getTraces(Array.from({ length: 500 }, (_, i) => trace(i + 1)))).size, 0);
      assert.equal((await store.getTrace(trace(999_999))).length, 1);
    } finally {
      await stop();
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
