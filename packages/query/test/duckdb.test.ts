import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore, openStore } from '@ariadne/storage';
import type { SpanStore } from '@ariadne/storage';
import { HOUR, MS, NOW, sampleSpans, startServer, T0, TRACE_A } from './helpers.js';
import type { TestServer } from './helpers.js';

// The same API requests against the memory store and the DuckDB store give the same answers.

let dir: string;
let duck: SpanStore;
let mem: MemoryStore;
let a: TestServer;
let b: TestServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ariadne-query-duckdb-'));
  duck = await openStore({ backend: 'duckdb', dataDir: dir });
  mem = new MemoryStore();
  await duck.writeSpans(sampleSpans());
  await mem.writeSpans(sampleSpans());
  a = await startServer({ store: mem, now: () => NOW });
  b = await startServer({ store: duck, now: () => NOW });
});
after(async () => {
  await a?.close();
  await b?.close();
  await mem?.close();
  await duck?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('memory and DuckDB stores answer every endpoint alike', async () => {
  const US = 1000n;
  const paths = [
    '/api/services',
    '/api/services/frontend/operations',
    '/api/operations?service=backend',
    '/api/operations?service=frontend&spanKind=server',
    '/api/traces?service=frontend',
    '/api/traces?service=frontend&limit=1',
    '/api/traces?service=worker%20queue&lookback=7d',
    `/api/traces?service=backend&tags=${encodeURIComponent('{"db.system":"mysql"}')}`,
    '/api/traces?service=frontend&tag=http.status_code:200',
    '/api/traces?service=frontend&minDuration=50ms',
    '/api/traces?service=frontend&maxDuration=2ms',
    `/api/traces?service=frontend&start=${(T0 - HOUR) / US}&end=${(T0 + HOUR / 2n) / US}`,
    `/api/traces/${TRACE_A}`,
    '/api/traces/2165CD8171CEF678',
    '/api/traces/0123456789abcdef',
    `/api/dependencies?endTs=${(T0 + HOUR) / MS}&lookback=7200000`,
    '/api/traces?service=frontend&minDuration=oops',
  ];
  for (const p of paths) {
    const [x, y] = await Promise.all([a.get(p), b.get(p)]);
    assert.equal(y.status, x.status, p);
    assert.deepEqual(y.json, x.json, p);
  }
  const found = (await b.get('/api/traces?service=frontend')).json;
  assert.equal(found.data.length, 2, 'not vacuous: the searches find traces');
});
