import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore, openStore, DUCKDB_FILE_NAME } from '@ariadne/storage';
import type { SpanStore } from '@ariadne/storage';
import { lazyArchive, storeArchive } from '@ariadne/query';
import type { TraceArchive } from '@ariadne/query';
import { NOW, sampleSpans, startServer, T0, TRACE_A, TRACE_B } from './helpers.js';
import type { TestServer } from './helpers.js';
import { getJson, startAriadne, tempDir } from '../../../test/e2e/helpers.js';

// Jaeger's archive: POST /api/archive/{traceID} copies a trace into a second store that retention
// never purges; reads by id find it there once the primary store no longer has it.

const post = (srv: TestServer, path: string) => srv.get(path, { method: 'POST' });

describe('POST /api/archive/{traceID} on DuckDB (primary and archive are real DuckDB files)', () => {
  let dir: string;
  let primary: SpanStore;
  let archive: TraceArchive;
  let opened = 0;
  let srv: TestServer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ariadne-archive-'));
    primary = await openStore({ backend: 'duckdb', dataDir: dir });
    await primary.writeSpans(sampleSpans());
    const archDir = join(dir, 'archive');
    archive = lazyArchive(async (create) => {
      if (!create && !existsSync(join(archDir, DUCKDB_FILE_NAME))) return undefined;
      opened++;
      return openStore({ backend: 'duckdb', dataDir: archDir });
    });
    srv = await startServer({ store: primary, archive, now: () => NOW });
  });
  after(async () => {
    await srv?.close();
    await archive?.close();
    await primary?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('reads do not create the archive; unknown trace → 404, bad id → 400, GET → 405', async () => {
    assert.equal((await srv.get('/api/traces/0123456789abcdef')).status, 404);
    assert.equal(opened, 0, 'a miss with no archive on disk opens nothing');
    assert.equal(existsSync(join(dir, 'archive')), false);
    const miss = await post(srv, '/api/archive/0123456789abcdef');
    assert.equal(miss.status, 404);
    assert.equal(miss.json.errors[0].msg, 'trace not found');
    assert.equal((await post(srv, '/api/archive/not-hex')).status, 400);
    const get = await srv.get(`/api/archive/${TRACE_A}`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'POST');
  });

  test('archived trace outlives retention on the primary store and reads back whole, everywhere by id', async () => {
    const before = await srv.get(`/api/traces/${TRACE_A}?raw=true`);
    assert.equal(before.status, 200);
    const r = await post(srv, `/api/archive/${TRACE_A}`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { data: [], total: 0, limit: 0, offset: 0, errors: [] });
    assert.ok(existsSync(join(dir, 'archive', DUCKDB_FILE_NAME)));
    // archiving again is harmless (same spans, replaced)
    assert.equal((await post(srv, `/api/archive/${TRACE_A}`)).status, 200);

    // retention purges everything from the primary store
    await primary.purgeBefore(NOW + 1n);
    assert.deepEqual(await primary.getTrace(TRACE_A), []);
    assert.deepEqual(await primary.getTrace(TRACE_B), []);

    const after1 = await srv.get(`/api/traces/${TRACE_A}?raw=true`);
    assert.equal(after1.status, 200, after1.text);
    assert.deepEqual(after1.json, before.json, 'the archived copy is the trace as it was');
    assert.equal((await srv.get(`/api/traces/${TRACE_B}`)).status, 404, 'only archived traces survive');

    const many = await srv.get(`/api/traces?traceID=${TRACE_A}&traceID=${TRACE_B}`);
    assert.equal(many.json.data.length, 1);
    assert.equal(many.json.data[0].traceID, TRACE_A);
    assert.deepEqual(many.json.errors, [{ msg: 'trace not found', traceID: TRACE_B.replace(/^0+/, '') }]);
    const v3 = await srv.get(`/api/v3/traces/${TRACE_A}`);
    assert.equal(v3.status, 200);
    assert.equal(v3.json.result.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((s: any) => s.spans)).length, 4);
    assert.equal((await srv.get(`/api/analytics/traces/${TRACE_A}/critical-path`)).status, 200);
    // a search reads the primary store only, as Jaeger's
    const search = await srv.get(`/api/traces?service=frontend&start=${(T0 - 1_000_000_000n) / 1000n}`);
    assert.equal(search.json.data.length, 0);
  });

  test('the archive survives reopening (durable)', async () => {
    await archive.close();
    const again = await openStore({ backend: 'duckdb', dataDir: join(dir, 'archive') });
    try {
      assert.equal((await again.getTrace(TRACE_A)).length, 4);
    } finally {
      await again.close();
    }
  });
});

describe('archive without archive storage, and on the memory store', () => {
  test('no archive configured → 501 as Jaeger; reads unaffected', async () => {
    const store = new MemoryStore();
    await store.writeSpans(sampleSpans());
    const srv = await startServer({ store, now: () => NOW });
    try {
      const r = await post(srv, `/api/archive/${TRACE_A}`);
      assert.equal(r.status, 501);
      assert.match(r.json.errors[0].msg, /archive span storage was not configured/);
      assert.equal((await srv.get(`/api/traces/${TRACE_A}`)).status, 200);
    } finally {
      await srv.close();
      await store.close();
    }
  });

  test('memory primary + memory archive', async () => {
    const store = new MemoryStore();
    const arch = new MemoryStore();
    await store.writeSpans(sampleSpans());
    const srv = await startServer({ store, archive: storeArchive(arch), now: () => NOW });
    try {
      assert.equal((await post(srv, `/api/archive/${TRACE_B}`)).status, 200);
      assert.equal((await arch.getTrace(TRACE_B)).length, 1);
      await store.purgeBefore(NOW + 1n);
      assert.equal((await srv.get(`/api/traces/${TRACE_B}`)).status, 200);
    } finally {
      await srv.close();
      await store.close();
      await arch.close();
    }
  });

  test('lazyArchive shares one opening between concurrent callers and retries a failed open', async () => {
    let calls = 0;
    let fail = true;
    const a = lazyArchive(async (create) => {
      calls++;
      if (!create) return undefined;
      if (fail) {
        fail = false;
        throw new Error('disk full');
      }
      await new Promise((r) => setTimeout(r, 10));
      return new MemoryStore();
    });
    assert.equal(await a.reader(), undefined);
    await assert.rejects(a.writer(), /disk full/);
    const [x, y, z] = await Promise.all([a.writer(), a.writer(), a.reader()]);
    assert.equal(x, y);
    assert.equal(z, x);
    assert.equal(calls, 3);
    await a.close();
    await assert.rejects(a.reader(), /closed/);
  });
});

test('ariadne all-in-one (real process, DuckDB): archive a trace, lose the primary file, still read it', async () => {
  const data = tempDir('ariadne-archive-e2e-');
  let app = await startAriadne({ args: ['--data-dir', data.path, '--storage', 'duckdb'] });
  try {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const now = BigInt(Date.now()) * 1_000_000n;
    const body = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
          scopeSpans: [{ spans: [{ traceId, spanId: '00f067aa0ba902b7', name: 'POST /pay', kind: 2, startTimeUnixNano: String(now), endTimeUnixNano: String(now + 5_000_000n) }] }],
        },
      ],
    };
    const ingest = await fetch(app.url('otlp-http', '/v1/traces'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(ingest.status, 200);
    const r = await fetch(app.url('query', `/api/archive/${traceId}`), { method: 'POST' });
    assert.equal(r.status, 200, await r.clone().text());
    assert.deepEqual(await r.json(), { data: [], total: 0, limit: 0, offset: 0, errors: [] });
    assert.equal(await app.stop(), 0);
    assert.ok(existsSync(join(data.path, 'archive', DUCKDB_FILE_NAME)));
    // the primary store is gone (as after retention); the archive still answers
    rmSync(join(data.path, DUCKDB_FILE_NAME), { force: true });
    rmSync(join(data.path, `${DUCKDB_FILE_NAME}.wal`), { force: true });
    app = await startAriadne({ args: ['--data-dir', data.path, '--storage', 'duckdb'] });
    const t = await getJson(app.url('query', `/api/traces/${traceId}`));
    assert.equal(t.status, 200);
    assert.equal(t.body.data[0].spans[0].operationName, 'POST /pay');
    assert.equal((await getJson(app.url('query', '/api/services'))).body.data.length, 0, 'the primary store is empty');
  } finally {
    await app.stop();
    data.remove();
  }
});
