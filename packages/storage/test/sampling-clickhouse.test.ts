import { after, before } from 'node:test';
import { ClickHouseSamplingStore } from '../src/sampling-clickhouse.js';
import { startClickHouse, type ClickHouseCluster } from '../../../test/helpers/clickhouse.js';
import { runSamplingConformance } from './sampling-conformance.js';

let ch: ClickHouseCluster;
let n = 0;
before(async () => {
  ch = await startClickHouse({ shards: 1 });
});
after(async () => {
  await ch?.stop();
});

// each store gets a fresh database on the one real server
runSamplingConformance('clickhouse', async () => ClickHouseSamplingStore.open({ url: ch.url, database: `sampling_${process.pid}_${++n}` }));
