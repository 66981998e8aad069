import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDBStore, DUCKDB_FILE_NAME } from '../src/duckdb.js';
import { openStore } from '../src/open.js';
import { runConformance, richSpan, span, T0, tid } from './conformance.js';

const root = mkdtempSync(join(tmpdir(), 'ariadne-duckdb-test-'));
let n = 0;
const freshDir = () => join(root, `store-${++n}`);
after(() => rmSync(root, { recursive: true, force: true }));

runConformance('duckdb', async () => DuckDBStore.open({ dataDir: freshDir() }));

describe('DuckDBStore', () => {
  it('keeps one file in the data dir (created if absent) and reopens it with all data', async () => {
    const dir = join(freshDir(), 'nested', 'deeper');
    const t = tid();
    const rich = richSpan(t);
    const expected = structuredClone(rich);
    let s = (await openStore({ backend: 'duckdb', dataDir: dir })) as DuckDBStore;
    assert.equal(s.capabilities.name, 'duckdb');
    assert.equal(s.capabilities.durable, true);
    await s.writeSpans([rich, span({ trace: t, service: 'svc-b', name: 'op-b', start: T0 + 9n })]);
    await s.close();
    assert.ok(existsSync(join(dir, DUCKDB_FILE_NAME)));

    s = await DuckDBStore.open({ dataDir: dir });
    try {
      const got = await s.getTrace(t);
      assert.equal(got.length, 2);
      assert.deepStrictEqual(got[0], expected);
      assert.deepEqual(await s.getServices(), ['rich-svc ✓', 'svc-b']);
      assert.deepEqual(await s.getOperations({ service: 'svc-b' }), [{ name: 'op-b', spanKind: 2 }]);
      // writes after reopening continue the sequence: nothing collides with the old rows
      const t2 = tid();
      await s.writeSpans([span({ trace: t, start: T0 + 20n }), span({ trace: t2 })]);
      assert.equal((await s.getTrace(t)).length, 3);
      assert.equal((await s.getTrace(t2)).length, 1);
    } finally {
      await s.close();
    }
  });

  it('group commit: concurrent writeSpans calls share commits, and each resolves once committed', async () => {
    const s = await DuckDBStore.open({ dataDir: freshDir() });
    try {
      const calls = 40;
      const traces = Array.from({ length: calls }, () => tid());
      const before = s.commitCount;
      await Promise.all(traces.map((t, i) => s.writeSpans([span({ trace: t, start: T0 + BigInt(i) }), span({ trace: t, start: T0 + BigInt(i) + 1n })])));
      const commits = s.commitCount - before;
      assert.ok(commits >= 1 && commits < calls / 2, `expected batching, got ${commits} commits for ${calls} calls`);
      const got = await s.getTraces(traces);
      assert.equal(got.size, calls);
      // sequential writes each get their own commit
      const b2 = s.commitCount;
      await s.writeSpans([span({ trace: tid() })]);
      await s.writeSpans([span({ trace: tid() })]);
      assert.equal(s.commitCount - b2, 2);
    } finally {
      await s.close();
    }
  });

  it('a failing commit rejects its writes and leaves nothing of them stored', async () => {
    let fail = false;
    const s = await DuckDBStore.open({
      dataDir: freshDir(),
      beforeCommit: () => {
        if (fail) throw new Error('injected commit failure');
      },
    });
    try {
      const ok = tid();
      await s.writeSpans([span({ trace: ok, service: 'good' })]);
      fail = true;
      const bad1 = tid();
      const bad2 = tid();
      const results = await Promise.allSettled([
        s.writeSpans([span({ trace: bad1, service: 'bad-svc', name: 'bad-op' })]),
        s.writeSpans([span({ trace: bad2, service: 'bad-svc' }), span({ trace: ok, service: 'good', start: T0 + 1n })]),
      ]);
      for (const r of results) {
        assert.equal(r.status, 'rejected');
        assert.match(String((r as PromiseRejectedResult).reason), /injected commit failure/);
      }
      fail = false;
      assert.deepEqual(await s.getTrace(bad1), []);
      assert.deepEqual(await s.getTrace(bad2), []);
      assert.equal((await s.getTrace(ok)).length, 1);
      assert.deepEqual(await s.getServices(), ['good']);
      assert.deepEqual(await s.getOperations({ service: 'bad-svc' }), []);
      assert.deepEqual(await s.findTraceIds({ startTimeMin: 0n, startTimeMax: T0 * 2n, limit: 10 }), [ok]);
      // the store is usable afterwards, and the failed service can be written for real
      await s.writeSpans([span({ trace: bad1, service: 'bad-svc', name: 'bad-op' })]);
      assert.equal((await s.getTrace(bad1)).length, 1);
      assert.deepEqual(await s.getServices(), ['bad-svc', 'good']);
      assert.deepEqual(await s.getOperations({ service: 'bad-svc' }), [{ name: 'bad-op', spanKind: 2 }]);
    } finally {
      await s.close();
    }
  });

  it('merges the recent trace index into sorted runs; lookups find traces in every run and after reopen', async () => {
    const dir = freshDir();
    let s = await DuckDBStore.open({ dataDir: dir, indexRunRows: 4 });
    const traces: string[] = [];
    try {
      for (let b = 0; b < 6; b++) {
        const batch = [];
        for (let i = 0; i < 3; i++) {
          const t = tid();
          traces.push(t);
          batch.push(span({ trace: t, start: T0 + BigInt(b) }), span({ trace: t, start: T0 + BigInt(b) + 1n }));
        }
        // a trace continued across commits (and so across runs)
        batch.push(span({ trace: traces[0], start: T0 + 100n + BigInt(b) }));
        await s.writeSpans(batch);
      }
      assert.ok(s.indexMerges >= 3, `expected merges, got ${s.indexMerges}`);
      for (const t of traces.slice(1)) assert.equal((await s.getTrace(t)).length, 2, t);
      assert.equal((await s.getTrace(traces[0])).length, 8);
      assert.equal((await s.getTraces(traces)).size, traces.length);
    } finally {
      await s.close();
    }
    s = await DuckDBStore.open({ dataDir: dir, indexRunRows: 4 });
    try {
      assert.equal((await s.getTraces(traces)).size, traces.length);
      assert.equal((await s.getTrace(traces[0])).length, 8);
      assert.equal(await s.purgeBefore(T0 + 3n), 3 * 2 * 3 - 3);
      assert.equal((await s.getTraces(traces)).size, 1 + 4 * 3); // traces[0] and those of batches 2-5
    } finally {
      await s.close();
    }
  });

  it('a malformed batch fails alone: concurrent good batches in the same group commit are stored', async () => {
    const s = await DuckDBStore.open({ dataDir: freshDir() });
    try {
      const [g1, g2] = [tid(), tid()];
      const bad = { ...span({ trace: tid() }), kind: 300 } as unknown as ReturnType<typeof span>;
      const results = await Promise.allSettled([
        s.writeSpans([span({ trace: g1 })]),
        s.writeSpans([bad]),
        s.writeSpans([span({ trace: g2 })]),
      ]);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
      assert.equal((results[1] as PromiseRejectedResult).reason.name, 'StoreArgumentError');
      assert.equal((await s.getTraces([g1, g2])).size, 2);
    } finally {
      await s.close();
    }
  });

  it('refuses a file of an unknown on-disk format version, saying so', async () => {
    const dir = freshDir();
    const s = await DuckDBStore.open({ dataDir: dir });
    await s.close();
    const inst = await DuckDBInstance.create(join(dir, DUCKDB_FILE_NAME));
    const c = await inst.connect();
    await c.run('UPDATE schema_version SET version = 99');
    c.closeSync();
    inst.closeSync();
    await assert.rejects(DuckDBStore.open({ dataDir: dir }), /format version 99 is not supported/);
  });

  it('purge frees the rows on disk (CHECKPOINT) and the file stays consistent after reopen', async () => {
    const dir = freshDir();
    let s = await DuckDBStore.open({ dataDir: dir });
    const old = tid();
    const keep = tid();
    await s.writeSpans(Array.from({ length: 200 }, (_, i) => span({ trace: old, start: T0 - 1000n + BigInt(i), attrs: { pad: 'x'.repeat(200) } })));
    await s.writeSpans([span({ trace: keep, start: T0 })]);
    assert.equal(await s.purgeBefore(T0), 200);
    await s.close();
    s = await DuckDBStore.open({ dataDir: dir });
    try {
      assert.deepEqual(await s.getTrace(old), []);
      assert.equal((await s.getTrace(keep)).length, 1);
    } finally {
      await s.close();
    }
  });
});

describe('DuckDBStore durability', () => {
  it('kill -9 during sustained writes loses no acknowledged span', async () => {
    const { spawn } = await import('node:child_process');
    const dir = freshDir();
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', join(import.meta.dirname, 'fixtures', 'ack-writer.ts'), dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const acked: string[] = [];
    let buf = '';
    try {
      await new Promise<void>((resolve, reject) => {
        child.on('error', reject);
        child.on('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
        child.stdout!.on('data', (d: Buffer) => {
          buf += d.toString();
          const lines = buf.split('\n');
          buf = lines.pop()!;
          acked.push(...lines);
          if (acked.length >= 60) resolve();
        });
      });
    } finally {
      child.removeAllListeners('exit');
      child.kill('SIGKILL');
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
    }
    const s = await DuckDBStore.open({ dataDir: dir });
    try {
      const got = await s.getTraces(acked);
      const missing = acked.filter((t) => got.get(t)?.length !== 50);
      assert.deepEqual(missing, [], `${missing.length} of ${acked.length} acknowledged traces lost or partial`);
    } finally {
      await s.close();
    }
  });
});
