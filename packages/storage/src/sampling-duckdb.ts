import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  checkBucket,
  checkCollector,
  checkCounts,
  checkProbabilities,
  type ProbabilitiesRecord,
  type SamplingStore,
  type ThroughputBucket,
  type ThroughputCount,
} from './sampling.js';
import { StoreArgumentError, StoreClosedError } from './types.js';

export const DUCKDB_SAMPLING_FILE_NAME = 'sampling.duckdb';

/**
 * Adaptive-sampling state in its own DuckDB file beside the span store (`<dataDir>/sampling.duckdb`),
 * so the learned probabilities survive a restart. A DuckDB file is opened by one process, so this
 * serves one collector (the all-in-one); several collectors share state through ClickHouse.
 *
 * Its own file rather than tables in `ariadne.duckdb`: the span store owns that file's connection
 * and write loop, and the few rows written here per interval need neither.
 */
export class DuckDBSamplingStore implements SamplingStore {
  readonly name = 'duckdb';
  private closed = false;
  /** Calls run one at a time on the one connection. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    readonly path: string,
  ) {}

  static async open(opts: { dataDir: string }): Promise<DuckDBSamplingStore> {
    if (!opts || typeof opts.dataDir !== 'string' || opts.dataDir === '') throw new StoreArgumentError('DuckDBSamplingStore needs a dataDir');
    mkdirSync(opts.dataDir, { recursive: true });
    const path = join(opts.dataDir, DUCKDB_SAMPLING_FILE_NAME);
    const instance = await DuckDBInstance.create(path);
    let conn: DuckDBConnection | undefined;
    try {
      conn = await instance.connect();
      await conn.run(`CREATE TABLE IF NOT EXISTS sampling_throughput (
        bucket BIGINT NOT NULL, collector VARCHAR NOT NULL, service VARCHAR NOT NULL, operation VARCHAR NOT NULL,
        count DOUBLE NOT NULL, prob_count DOUBLE NOT NULL, weight DOUBLE NOT NULL, max_probability DOUBLE NOT NULL)`);
      await conn.run(`CREATE TABLE IF NOT EXISTS sampling_probabilities (
        interval_ms BIGINT NOT NULL, collector VARCHAR NOT NULL, operations VARCHAR NOT NULL)`);
      return new DuckDBSamplingStore(instance, conn, path);
    } catch (e) {
      conn?.closeSync();
      instance.closeSync();
      throw e;
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  writeThroughput(bucket: number, collector: string, counts: readonly ThroughputCount[]): Promise<void> {
    try {
      checkBucket(bucket);
      checkCollector(collector);
      checkCounts(counts);
    } catch (e) {
      return Promise.reject(e);
    }
    if (counts.length === 0) return Promise.resolve();
    return this.serial(async () => {
      const c = this.conn;
      await c.run('BEGIN TRANSACTION');
      try {
        const ap = await c.createAppender('sampling_throughput');
        try {
          for (const r of counts) {
            ap.appendBigInt(BigInt(bucket));
            ap.appendVarchar(collector);
            ap.appendVarchar(r.service);
            ap.appendVarchar(r.operation);
            ap.appendDouble(r.count);
            ap.appendDouble(r.probCount);
            ap.appendDouble(r.weight);
            ap.appendDouble(r.maxProbability);
            ap.endRow();
          }
          ap.flushSync();
        } finally {
          ap.closeSync();
        }
        await c.run('COMMIT');
      } catch (e) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  readThroughput(fromBucket: number, toBucket: number): Promise<ThroughputBucket[]> {
    try {
      checkBucket(fromBucket, 'fromBucket');
      checkBucket(toBucket, 'toBucket');
    } catch (e) {
      return Promise.reject(e);
    }
    return this.serial(async () => {
      const rows = (
        await this.conn.runAndReadAll(
          `SELECT bucket, service, operation, sum(count), sum(prob_count), sum(weight), max(max_probability)
           FROM sampling_throughput WHERE bucket BETWEEN $1 AND $2
           GROUP BY bucket, service, operation ORDER BY bucket, service, operation`,
          [BigInt(fromBucket), BigInt(toBucket)],
        )
      ).getRows();
      const out: ThroughputBucket[] = [];
      for (const [b, service, operation, count, probCount, weight, maxProbability] of rows) {
        const bucket = Number(b);
        let last = out[out.length - 1];
        if (!last || last.bucket !== bucket) out.push((last = { bucket, counts: [] }));
        last.counts.push({
          service: service as string,
          operation: operation as string,
          count: Number(count),
          probCount: Number(probCount),
          weight: Number(weight),
          maxProbability: Number(maxProbability),
        });
      }
      return out;
    });
  }

  writeProbabilities(record: ProbabilitiesRecord): Promise<void> {
    try {
      checkProbabilities(record);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.serial(async () => {
      await this.conn.run('INSERT INTO sampling_probabilities VALUES ($1, $2, $3)', [
        BigInt(record.interval),
        record.collector,
        JSON.stringify(record.operations),
      ]);
    });
  }

  latestProbabilities(): Promise<ProbabilitiesRecord | undefined> {
    return this.serial(async () => {
      const rows = (
        await this.conn.runAndReadAll(
          'SELECT interval_ms, collector, operations FROM sampling_probabilities ORDER BY interval_ms DESC, collector ASC LIMIT 1',
        )
      ).getRows();
      if (rows.length === 0) return undefined;
      const [interval, collector, operations] = rows[0];
      return { interval: Number(interval), collector: collector as string, operations: JSON.parse(operations as string) };
    });
  }

  purgeBefore(before: number): Promise<void> {
    try {
      checkBucket(before, 'before');
    } catch (e) {
      return Promise.reject(e);
    }
    return this.serial(async () => {
      await this.conn.run('DELETE FROM sampling_throughput WHERE bucket < $1', [BigInt(before)]);
      await this.conn.run('DELETE FROM sampling_probabilities WHERE interval_ms < $1', [BigInt(before)]);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue;
    this.closed = true;
    this.conn.closeSync();
    this.instance.closeSync();
  }
}
