/**
 * The ClickHouse backend on a two-shard cluster: two real clickhouse-server processes with a
 * `remote_servers` config naming both, the store writing and reading through Distributed tables.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClickHouseStore } from '../src/clickhouse.js';
import { startClickHouse, type ClickHouseCluster } from '../../../test/helpers/clickhouse.js';
import { runConformance, span, T0, tid } from './conformance.js';

let ch: ClickHouseCluster;
let n = 0;
before(async () => {
  ch = await startClickHouse({ shards: 2 });
});
after(async () => {
  await ch?.stop();
});

const open = (database: string, extra: Partial<Parameters<typeof ClickHouseStore.open>[0]> = {}) =>
  ClickHouseStore.open({ url: ch.urls, cluster: ch.cluster, database, ...extra });

runConformance('clickhouse (two-shard cluster)', async () => open(`cconf_${++n}`), {
  makeFaultyStore: async () => {
    let failing = false;
    const store = await open(`cfaulty_${++n}`, { mangleInsert: (b) => (failing ? b + '{"trace_id": oops}\n' : b) });
    return { store, setFailing: (on) => (failing = on) };
  },
});

describe('ClickHouseStore on a two-shard cluster', () => {
  it('spreads traces over both shards, keeps each trace on one shard, and reads every trace back whole', async () => {
    const db = `spread_${++n}`;
    const s = await open(db);
    try {
      const traces = Array.from({ length: 100 }, () => tid());
      const spans = traces.flatMap((t, i) => {
        const root = span({ trace: t, service: 'web', start: T0 + BigInt(i) });
        return [root, ...Array.from({ length: 4 }, (_, j) => span({ trace: t, service: `svc-${j}`, parent: root.spanId, start: T0 + BigInt(i) + BigInt(j + 1) }))];
      });
      await s.writeSpans(spans);
      const perShard = await Promise.all(
        ch.urls.map(async (_, i) => Number((await ch.sql(`SELECT count() FROM ${db}.traces FORMAT TSV`, i)).trim())),
      );
      assert.equal(perShard[0] + perShard[1], spans.length);
      assert.ok(perShard[0] > 0 && perShard[1] > 0, `spans on both shards: ${perShard.join(' / ')}`);
      // a trace's spans are all on one shard (sharded by trace id)
      const split = await Promise.all(
        ch.urls.map(async (_, i) => (await ch.sql(`SELECT trace_id FROM ${db}.traces GROUP BY trace_id FORMAT TSV`, i)).trim().split('\n')),
      );
      assert.equal(split[0].filter((t) => split[1].includes(t)).length, 0);
      const got = await s.getTraces(traces);
      assert.equal(got.size, traces.length);
      for (const t of traces) assert.equal(got.get(t)!.length, 5, t);
      assert.equal((await s.findTraceIds({ startTimeMin: T0 - 1n, startTimeMax: T0 + 1000n, limit: 1000 })).length, 100);
      assert.deepEqual(
        (await s.getDependencies({ endTime: T0 + 1000n, lookback: 2000n })).map((d) => `${d.parent}>${d.child}:${d.callCount}`),
        ['web>svc-0:100', 'web>svc-1:100', 'web>svc-2:100', 'web>svc-3:100'],
      );
    } finally {
      await s.close();
    }
  });

  it('purge drops old day partitions on every shard', async () => {
    const db = `cpurge_${++n}`;
    const s = await open(db);
    const DAY = 86_400_000_000_000n;
    try {
      const traces = Array.from({ length: 40 }, () => tid());
      await s.writeSpans(traces.flatMap((t, i) => [span({ trace: t, start: T0 - 3n * DAY + BigInt(i) }), span({ trace: t, start: T0 + BigInt(i) })]));
      const days = async (i: number) => (await ch.sql(`SELECT DISTINCT partition FROM system.parts WHERE database = '${db}' AND table = 'spans' AND active FORMAT TSV`, i)).trim().split('\n').length;
      assert.deepEqual([await days(0), await days(1)], [2, 2]);
      assert.equal(await s.purgeBefore(T0 - DAY), 40);
      assert.deepEqual([await days(0), await days(1)], [1, 1]);
      const got = await s.getTraces(traces);
      assert.equal(got.size, 40);
      for (const t of traces) assert.equal(got.get(t)!.length, 1);
    } finally {
      await s.close();
    }
  });

  it('needs the url of every node', async () => {
    await assert.rejects(ClickHouseStore.open({ url: ch.urls[0], cluster: ch.cluster, database: `x_${++n}` }), /has 2 nodes but 1 url/);
  });
});
