import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attr, makeResource, makeSpan } from '@ariadne/model';
import type { Span } from '@ariadne/model';
import { DuckDBStore, DUCKDB_FILE_NAME } from '@ariadne/storage';

// Retention on DuckDB really frees disk: purged blocks are reused by later writes (under a rolling
// window the file stays within about twice the live data), and purging everything shrinks the file.
// Real files, real sizes.

const T0 = 1_700_000_000_000_000_000n;
const MS = 1_000_000n;
const PER_DAY = 60_000;
const res = makeResource('svc', [attr('host.name', 'h1')]);

function day(d: number): Span[][] {
  const batches: Span[][] = [];
  for (let b = 0; b < PER_DAY / 2000; b++) {
    const spans: Span[] = [];
    for (let i = 0; i < 2000; i++) {
      const n = d * PER_DAY + b * 2000 + i;
      const start = T0 + BigInt(n) * MS;
      spans.push(
        makeSpan({
          traceId: (n + 1).toString(16).padStart(32, '0'),
          spanId: (n + 1).toString(16).padStart(16, '0'),
          name: `op-${i % 10}`,
          startTimeUnixNano: start,
          endTimeUnixNano: start + 5n * MS,
          attributes: [attr('user.id', `user-${(n * 7919) % 100_003}`), attr('http.url', `https://example.com/items/${(n * 104_729) % 1_000_003}`)],
          resource: res,
        }),
      );
    }
    batches.push(spans);
  }
  return batches;
}
const dayStart = (d: number) => T0 + BigInt(d * PER_DAY) * MS;

test('DuckDB retention frees disk: a rolling window keeps the file bounded; purging all shrinks it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ariadne-retention-'));
  const file = join(dir, DUCKDB_FILE_NAME);
  const size = () => statSync(file).size + (() => {
    try {
      return statSync(`${file}.wal`).size;
    } catch {
      return 0;
    }
  })();
  let store = await DuckDBStore.open({ dataDir: dir });
  const reopen = async () => {
    await store.close();
    store = await DuckDBStore.open({ dataDir: dir });
  };
  try {
    for (const d of [0, 1]) for (const b of day(d)) await store.writeSpans(b);
    await reopen();
    const twoDays = size();
    assert.ok(twoDays > 2_000_000, `two days take ${twoDays} bytes`);

    // keep two days: each day, purge the oldest and write a new one (4 more days written)
    const sizes: number[] = [];
    for (let d = 2; d < 6; d++) {
      const deleted = await store.purgeBefore(dayStart(d - 1));
      assert.equal(deleted, PER_DAY, `day ${d - 2} purged`);
      for (const b of day(d)) await store.writeSpans(b);
      await reopen();
      sizes.push(size());
    }
    // Six days were written: without reuse the file would grow by a day's data (≈ half the
    // two-day size) at every step. Purged blocks are reused, so it stays flat; copy-on-write of
    // partly purged row groups (DuckDB rewrites a row group at checkpoint) keeps up to about twice
    // the live data (measured 0.9–2.05×).
    const msg = `rolling window sizes ${sizes.join(', ')} vs two days ${twoDays}`;
    assert.ok(Math.max(...sizes) <= twoDays * 2.3, msg);
    assert.ok(sizes[sizes.length - 1] - sizes[0] < twoDays * 0.25, msg);
    assert.deepEqual(await store.findTraceIds({ startTimeMin: dayStart(0), startTimeMax: dayStart(4) - 1n, limit: 10 }), []);
    assert.equal((await store.findTraceIds({ startTimeMin: dayStart(4), startTimeMax: dayStart(6), limit: 1_000_000 })).length, 2 * PER_DAY);
    const kept = (PER_DAY * 5 + 7).toString(16).padStart(32, '0');
    assert.equal((await store.getTrace(kept)).length, 1);
    assert.deepEqual(await store.getTrace((PER_DAY + 7).toString(16).padStart(32, '0')), []);

    // everything past retention: the file gives the space back to the file system
    const purged = await store.purgeBefore(dayStart(7));
    const left = await store.findTraceIds({ startTimeMin: dayStart(0), startTimeMax: dayStart(7), limit: 1_000_000 });
    assert.deepEqual([purged, left.length], [2 * PER_DAY, 0]);
    await reopen();
    const empty = size();
    assert.ok(empty < twoDays * 0.25, `after purging everything: ${empty} bytes (two days: ${twoDays})`);
    assert.deepEqual(await store.getServices(), []);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
