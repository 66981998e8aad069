/**
 * Multi-tenancy on real processes: every ingest protocol carries the tenant (HTTP header, gRPC
 * metadata), every query is answered from the tenant's own store. Memory and DuckDB all-in-one
 * (the suite is in tenants-suite.ts; ClickHouse collector + query in tenants-clickhouse.test.ts).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startAriadne, tempDir, type Running } from './helpers.js';
import { TENANTS, tenantSuite } from './tenants-suite.js';
import { encodeOtlpProtobuf } from '@ariadne/codec';
import { makeResource, makeSpan, randomSpanId, randomTraceId } from '@ariadne/model';

const dir = tempDir('ariadne-tenants-');
after(() => dir.remove());

for (const backend of ['memory', 'duckdb'] as const) {
  let app: Running | undefined;
  let extraArgs: string[] = [];
  const dataDir = join(dir.path, backend);
  const start = async () => {
    app = await startAriadne({ args: ['--storage', backend, '--data-dir', dataDir, ...extraArgs] });
    return { ingest: app, query: app };
  };
  tenantSuite({
    name: `all-in-one, ${backend}`,
    start: async (extra) => {
      extraArgs = extra;
      return start();
    },
    stop: async () => {
      await app?.stop();
    },
    restart:
      backend === 'duckdb'
        ? async () => {
            assert.equal(await app!.stop(), 0, 'clean exit');
            return start();
          }
        : undefined,
    afterChecks:
      backend === 'duckdb'
        ? () => {
            assert.deepEqual(readdirSync(join(dataDir, 'tenants')).sort(), ['acme', 'globex']);
            for (const t of TENANTS) assert.ok(existsSync(join(dataDir, 'tenants', t, 'ariadne.duckdb')));
          }
        : undefined,
  });
}

test('without an allowed list, at most --multi-tenancy-max-tenants tenants; more are refused with 403', async () => {
  const tokens = join(dir.path, 'max-tenants-tokens');
  writeFileSync(tokens, 'tk\n');
  const app = await startAriadne({ args: ['--storage', 'memory', '--multi-tenancy-enabled', '--multi-tenancy-max-tenants', '2', '--ingest-auth-tokens-file', tokens] });
  try {
    const post = (tenant: string, token = 'tk') =>
      fetch(app.url('otlp-http', '/v1/traces'), { method: 'POST', headers: { 'content-type': 'application/json', 'x-tenant': tenant, authorization: `Bearer ${token}` }, body: '{"resourceSpans":[]}' });
    // requests without a valid token never take a tenant slot
    for (let i = 0; i < 5; i++) assert.equal((await post(`junk${i}`, 'wrong')).status, 401);
    assert.equal((await post('t1')).status, 200);
    assert.equal((await post('t2')).status, 200);
    const third = await post('t3');
    assert.equal(third.status, 403);
    assert.match(await third.text(), /too many tenants/);
    assert.equal((await post('t1')).status, 200, 'known tenants keep working');
    const q = await fetch(app.url('query', '/api/services'), { headers: { 'x-tenant': 't4' } });
    assert.equal(q.status, 403, 'a new tenant on the query side is refused too');
  } finally {
    await app.stop();
  }
});

test('multi-tenancy refuses to start with the NATS queue or the sampling stages, saying why', async () => {
  for (const extra of [['--tail-sampling'], ['--sampling-adaptive']]) {
    await assert.rejects(startAriadne({ args: ['--storage', 'memory', '--multi-tenancy-enabled', ...extra] }), /cannot be combined with --(tail-sampling|sampling-adaptive)/);
  }
});

test('retention purges every tenant store on disk, also tenants not seen since the restart', async () => {
  const dataDir = join(dir.path, 'retention');
  const args = ['--storage', 'duckdb', '--data-dir', dataDir, '--multi-tenancy-enabled'];
  const old = BigInt(Date.now() - 3 * 3_600_000) * 1_000_000n;
  const fresh = BigInt(Date.now()) * 1_000_000n;
  const mk = (t: bigint, svc: string) => makeSpan({ traceId: randomTraceId(), spanId: randomSpanId(), name: 'op', startTimeUnixNano: t, endTimeUnixNano: t + 1000n, resource: makeResource(svc) });
  const oldSpan = mk(old, 'old');
  const newSpan = mk(fresh, 'new');
  let app = await startAriadne({ args });
  try {
    const r = await fetch(app.url('otlp-http', '/v1/traces'), { method: 'POST', headers: { 'content-type': 'application/x-protobuf', 'x-tenant': 'initech' }, body: encodeOtlpProtobuf([oldSpan, newSpan]) });
    assert.equal(r.status, 200);
  } finally {
    assert.equal(await app.stop(), 0);
  }
  app = await startAriadne({ args: [...args, '--retention', '1h'] });
  try {
    const get = (id: string) => fetch(app.url('query', `/api/traces/${id}`), { headers: { 'x-tenant': 'initech' } }).then((x) => x.status);
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !app.logs.some((l) => l.msg === 'retention purge' && l.backend === 'duckdb' && Number(l.deleted) > 0)) await new Promise((res) => setTimeout(res, 200));
    assert.equal(await get(oldSpan.traceId), 404, 'the 3-hour-old span of the tenant is purged');
    assert.equal(await get(newSpan.traceId), 200, 'the recent one is kept');
  } finally {
    await app.stop();
  }
});
