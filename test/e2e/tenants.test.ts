/**
 * Multi-tenancy on real processes: every ingest protocol carries the tenant (HTTP header, gRPC
 * metadata), every query is answered from the tenant's own store. Memory and DuckDB all-in-one
 * (the suite is in tenants-suite.ts; ClickHouse collector + query in tenants-clickhouse.test.ts).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after } from 'node:test';
import { startAriadne, tempDir, type Running } from './helpers.js';
import { TENANTS, tenantSuite } from './tenants-suite.js';

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
