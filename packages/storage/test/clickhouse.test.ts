import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClickHouseStore } from '../src/clickhouse.js';
import { startClickHouse, type ClickHouseCluster } from '../../../test/helpers/clickhouse.js';
import { runConformance, span, T0, tid } from './conformance.js';

let ch: ClickHouseCluster;
let n = 0;
before(async () => {
  ch = await startClickHouse({ shards: 1 });
});
after(async () => {
  await ch?.stop();
});

runConformance('clickhouse (single node)', async () => ClickHouseStore.open({ url: ch.url, database: `conf_${++n}` }));

describe('ClickHouseStore (single node)', () => {
  it('works on the server version under test', async () => {
    const v = (await ch.sql('SELECT version()')).trim();
    assert.match(v, /^\d+\.\d+/);
    const s = await ClickHouseStore.open({ url: ch.url, database: `smoke_${++n}` });
    try {
      const t = tid();
      await s.writeSpans([span({ trace: t, start: T0 })]);
      assert.equal((await s.getTrace(t)).length, 1);
    } finally {
      await s.close();
    }
  });
});
