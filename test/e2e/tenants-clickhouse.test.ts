/**
 * Tenant isolation with ClickHouse, collector and query as separate processes on one real
 * clickhouse-server: each tenant's spans go to a database of its own (ariadne_t_<tenant>), and the
 * query process answers each tenant from that database only.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startClickHouse, type ClickHouseCluster } from '../helpers/clickhouse.js';
import { startAriadne, type Running } from './helpers.js';
import { TENANTS, tenantSuite } from './tenants-suite.js';

let ch: ClickHouseCluster;
let collector: Running | undefined;
let query: Running | undefined;
before(async () => {
  ch = await startClickHouse({ shards: 1 });
});
after(async () => {
  await collector?.stop();
  await query?.stop();
  await ch?.stop();
});

tenantSuite({
  name: 'ClickHouse, collector + query processes',
  start: async (extra) => {
    const common = ['--storage', 'clickhouse', '--clickhouse-url', ch.url, '--clickhouse-database', 'ariadne', ...extra];
    collector = await startAriadne({ command: 'collector', args: common });
    query = await startAriadne({ command: 'query', args: common });
    return { ingest: collector, query };
  },
  stop: async () => {
    await collector?.stop();
    await query?.stop();
  },
});

test('one ClickHouse database per tenant, none for refused tenants', async () => {
  const dbs = (await ch.sql('SHOW DATABASES')).split('\n').filter(Boolean);
  for (const t of TENANTS) assert.ok(dbs.includes(`ariadne_t_${t}`), `database of ${t} in ${dbs}`);
  assert.ok(!dbs.some((d) => /initech|\.\./.test(d)), `no database for a refused tenant: ${dbs}`);
  const count = async (db: string) => Number((await ch.sql(`SELECT count() FROM ${db}.spans`)).trim());
  for (const t of TENANTS) assert.ok((await count(`ariadne_t_${t}`)) >= 7, `spans of ${t} in its database`);
});
