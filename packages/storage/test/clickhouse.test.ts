import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ClickHouseStore } from '../src/clickhouse.js';
import { openStore } from '../src/open.js';
import { startClickHouse, type ClickHouseCluster } from '../../../test/helpers/clickhouse.js';
import { richSpan, runConformance, span, T0, tid } from './conformance.js';

let ch: ClickHouseCluster;
let n = 0;
before(async () => {
  ch = await startClickHouse({ shards: 1 });
});
after(async () => {
  await ch?.stop();
});

/** An insert body the server rejects after parsing its good rows: a broken last line. */
const breakInsert = (body: string) => body + '{"trace_id": oops}\n';

runConformance('clickhouse (single node)', async () => ClickHouseStore.open({ url: ch.url, database: `conf_${++n}` }), {
  makeFaultyStore: async () => {
    let failing = false;
    const store = await ClickHouseStore.open({ url: ch.url, database: `faulty_${++n}`, mangleInsert: (b) => (failing ? breakInsert(b) : b) });
    return { store, setFailing: (on) => (failing = on) };
  },
});

describe('ClickHouseStore (single node)', () => {
  it('opens through openStore, creates its schema idempotently, and a second instance shares the data', async () => {
    const db = `shared_${++n}`;
    const a = await openStore({ backend: 'clickhouse', clickhouseUrl: ch.url, clickhouseDatabase: db });
    const b = await openStore({ backend: 'clickhouse', clickhouseUrl: ch.url, clickhouseDatabase: db });
    try {
      assert.equal(a.capabilities.name, 'clickhouse');
      assert.equal(a.capabilities.durable, true);
      const t = tid();
      const rich = richSpan(t);
      const expected = structuredClone(rich);
      await a.writeSpans([rich]);
      await b.writeSpans([span({ trace: t, service: 'svc-b', start: T0 + 9n })]);
      const got = await b.getTrace(t);
      assert.equal(got.length, 2);
      assert.deepStrictEqual(got[0], expected);
      assert.deepEqual(await a.getServices(), ['rich-svc ✓', 'svc-b']);
      const tables = (await ch.sql(`SELECT name FROM system.tables WHERE database = '${db}' ORDER BY name FORMAT TSV`)).trim().split('\n');
      assert.deepEqual(tables, ['meta', 'operations', 'operations_mv', 'span_input', 'spans', 'spans_mv', 'trace_index', 'trace_index_mv', 'traces', 'traces_mv']);
      assert.equal((await ch.sql(`SELECT value FROM ${db}.meta WHERE key = 'schema_version' FORMAT TSV`)).trim(), '1');
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses a database of an unknown schema version, saying so', async () => {
    const db = `version_${++n}`;
    await (await ClickHouseStore.open({ url: ch.url, database: db })).close();
    await ch.sql(`INSERT INTO ${db}.meta VALUES ('schema_version', 99, 0)`);
    await assert.rejects(ClickHouseStore.open({ url: ch.url, database: db }), /schema version 99 is not supported/);
  });

  it('rejects bad options with clear messages', async () => {
    await assert.rejects(openStore({ backend: 'clickhouse' }), /needs a url/);
    await assert.rejects(ClickHouseStore.open({ url: 'not a url' }), /is not a URL/);
    await assert.rejects(ClickHouseStore.open({ url: ch.url, database: 'x; DROP TABLE y' }), /plain identifier/);
    await assert.rejects(ClickHouseStore.open({ url: [ch.url, ch.url] }), /need a cluster name/);
    await assert.rejects(ClickHouseStore.open({ url: ch.url, cluster: 'no_such_cluster' }), /no cluster "no_such_cluster"/);
    await assert.rejects(ClickHouseStore.open({ url: 'http://127.0.0.1:1', requestTimeoutMs: 2000 }), /cannot run a query/);
    // credentials go in the URL, and never into messages
    await assert.rejects(ClickHouseStore.open({ url: 'http://app:s3cret@127.0.0.1:1', requestTimeoutMs: 2000 }), (e: Error) => /app:\*\*\*@/.test(e.message) && !e.message.includes('s3cret'));
    await assert.rejects(ClickHouseStore.open({ url: new URL(ch.url).origin.replace('//', '//default:wrong@') }), (e: Error) => !e.message.includes('wrong'));
  });

  it('concurrent writeSpans calls share inserts (batched)', async () => {
    const s = await ClickHouseStore.open({ url: ch.url, database: `batch_${++n}` });
    try {
      const calls = 40;
      const traces = Array.from({ length: calls }, () => tid());
      const before = s.insertCount;
      await Promise.all(traces.map((t, i) => s.writeSpans([span({ trace: t, start: T0 + BigInt(i) })])));
      const inserts = s.insertCount - before;
      assert.ok(inserts >= 1 && inserts <= calls / 4, `expected batching, got ${inserts} inserts for ${calls} calls`);
      assert.equal((await s.getTraces(traces)).size, calls);
    } finally {
      await s.close();
    }
  });

  it('purge drops whole day partitions from disk and hides the rest of the cutoff day at once', async () => {
    const db = `purge_${++n}`;
    const s = await ClickHouseStore.open({ url: ch.url, database: db });
    const DAY = 86_400_000_000_000n;
    const day0 = (T0 / DAY) * DAY;
    try {
      const old = tid();
      const early = tid();
      const late = tid();
      await s.writeSpans([
        span({ trace: old, start: day0 - 2n * DAY + 5n, service: 'old' }),
        span({ trace: early, start: day0 + 10n, service: 'early' }),
        span({ trace: late, start: day0 + 1000n, service: 'late' }),
      ]);
      const partitions = async () =>
        (await ch.sql(`SELECT DISTINCT partition FROM system.parts WHERE database = '${db}' AND table = 'traces' AND active ORDER BY partition FORMAT TSV`)).trim().split('\n');
      assert.equal((await partitions()).length, 2);
      assert.equal(await s.purgeBefore(day0 + 500n), 2);
      assert.deepEqual(await partitions(), [String(day0 / DAY)]);
      assert.deepEqual(await s.getTrace(early), []);
      assert.equal((await s.getTrace(late)).length, 1);
      assert.deepEqual(await s.getServices(), ['late']);
      // another instance (a query process) sees the purge too
      const other = await ClickHouseStore.open({ url: ch.url, database: db });
      assert.deepEqual(await other.getServices(), ['late']);
      await other.close();
    } finally {
      await s.close();
    }
  });
});
