import { createClient, type ClickHouseClient } from '@clickhouse/client';
import {
  checkBucket,
  checkCollector,
  checkCounts,
  checkProbabilities,
  type OperationProbability,
  type ProbabilitiesRecord,
  type SamplingStore,
  type ThroughputBucket,
  type ThroughputCount,
} from './sampling.js';
import { StoreArgumentError, StoreClosedError } from './types.js';

export interface ClickHouseSamplingStoreOptions {
  /** HTTP interface, e.g. http://127.0.0.1:8123 */
  url: string;
  /** Created if absent. Default 'ariadne'. */
  database?: string;
  username?: string;
  password?: string;
}

const DB_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Adaptive-sampling state in two small ClickHouse tables of their own, shared by every collector
 * writing to the same database: `sampling_throughput` (one row per collector, bucket, service and
 * operation; reads sum them) and `sampling_probabilities` (one row per computing collector and
 * interval, the operations as JSON text; readers take the newest interval's row of the smallest
 * collector id). Written for ClickHouse 18.16 (Debian's) as well as current servers: plain
 * MergeTree, UInt64 milliseconds, no query parameters (every value inlined is a checked integer
 * or goes through JSONEachRow). Old rows are removed by `purgeBefore` (`ALTER TABLE … DELETE`).
 */
export class ClickHouseSamplingStore implements SamplingStore {
  readonly name = 'clickhouse';
  private closed = false;

  private constructor(
    private readonly client: ClickHouseClient,
    readonly database: string,
  ) {}

  static async open(opts: ClickHouseSamplingStoreOptions): Promise<ClickHouseSamplingStore> {
    if (!opts || typeof opts.url !== 'string' || opts.url === '') throw new StoreArgumentError('ClickHouseSamplingStore needs a url');
    const database = opts.database ?? 'ariadne';
    if (!DB_NAME.test(database)) throw new StoreArgumentError(`invalid ClickHouse database name ${JSON.stringify(database)}`);
    const auth = { ...(opts.username !== undefined ? { username: opts.username } : {}), ...(opts.password !== undefined ? { password: opts.password } : {}) };
    const admin = createClient({ url: opts.url, ...auth });
    try {
      await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
    } finally {
      await admin.close();
    }
    const client = createClient({ url: opts.url, database, ...auth });
    try {
      await client.command({
        query: `CREATE TABLE IF NOT EXISTS sampling_throughput (
          bucket UInt64, collector String, service String, operation String,
          count Float64, prob_count Float64, weight Float64, max_probability Float64)
          ENGINE = MergeTree() PARTITION BY toYYYYMMDD(toDateTime(intDiv(bucket, 1000))) ORDER BY (bucket, service, operation)`,
      });
      await client.command({
        query: `CREATE TABLE IF NOT EXISTS sampling_probabilities (interval_ms UInt64, collector String, operations String)
          ENGINE = MergeTree() PARTITION BY toYYYYMMDD(toDateTime(intDiv(interval_ms, 1000))) ORDER BY (interval_ms, collector)`,
      });
    } catch (e) {
      await client.close();
      throw e;
    }
    return new ClickHouseSamplingStore(client, database);
  }

  private check(): void {
    if (this.closed) throw new StoreClosedError();
  }

  async writeThroughput(bucket: number, collector: string, counts: readonly ThroughputCount[]): Promise<void> {
    this.check();
    checkBucket(bucket);
    checkCollector(collector);
    checkCounts(counts);
    if (counts.length === 0) return;
    await this.client.insert({
      table: 'sampling_throughput',
      format: 'JSONEachRow',
      values: counts.map((c) => ({
        bucket,
        collector,
        service: c.service,
        operation: c.operation,
        count: c.count,
        prob_count: c.probCount,
        weight: c.weight,
        max_probability: c.maxProbability,
      })),
    });
  }

  async readThroughput(fromBucket: number, toBucket: number): Promise<ThroughputBucket[]> {
    this.check();
    checkBucket(fromBucket, 'fromBucket');
    checkBucket(toBucket, 'toBucket');
    const rs = await this.client.query({
      query: `SELECT toString(bucket) AS b, service, operation, sum(count) AS c, sum(prob_count) AS pc, sum(weight) AS w, max(max_probability) AS mp
        FROM sampling_throughput WHERE bucket >= ${fromBucket} AND bucket <= ${toBucket}
        GROUP BY bucket, service, operation ORDER BY bucket, service, operation`,
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{ b: string; service: string; operation: string; c: number; pc: number; w: number; mp: number }>();
    const out: ThroughputBucket[] = [];
    for (const r of rows) {
      const bucket = Number(r.b);
      let last = out[out.length - 1];
      if (!last || last.bucket !== bucket) out.push((last = { bucket, counts: [] }));
      last.counts.push({ service: r.service, operation: r.operation, count: Number(r.c), probCount: Number(r.pc), weight: Number(r.w), maxProbability: Number(r.mp) });
    }
    return out;
  }

  async writeProbabilities(record: ProbabilitiesRecord): Promise<void> {
    this.check();
    checkProbabilities(record);
    await this.client.insert({
      table: 'sampling_probabilities',
      format: 'JSONEachRow',
      values: [{ interval_ms: record.interval, collector: record.collector, operations: JSON.stringify(record.operations) }],
    });
  }

  async latestProbabilities(): Promise<ProbabilitiesRecord | undefined> {
    this.check();
    const rs = await this.client.query({
      query: 'SELECT toString(interval_ms) AS i, collector, operations FROM sampling_probabilities ORDER BY interval_ms DESC, collector ASC LIMIT 1',
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{ i: string; collector: string; operations: string }>();
    if (rows.length === 0) return undefined;
    return { interval: Number(rows[0].i), collector: rows[0].collector, operations: JSON.parse(rows[0].operations) as OperationProbability[] };
  }

  async purgeBefore(before: number): Promise<void> {
    this.check();
    checkBucket(before, 'before');
    await this.client.command({ query: `ALTER TABLE sampling_throughput DELETE WHERE bucket < ${before}` });
    await this.client.command({ query: `ALTER TABLE sampling_probabilities DELETE WHERE interval_ms < ${before}` });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
  }
}
