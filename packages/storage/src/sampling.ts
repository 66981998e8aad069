/**
 * The adaptive-sampling store: a small contract, separate from `SpanStore`, through which every
 * collector shares root-span throughput counts and the probabilities computed from them. Keeping
 * this state in the storage backend (not in a collector's memory) is what lets several collectors
 * behind one backend serve the same per-operation probabilities.
 *
 * General rules
 * - Buckets and intervals are unix milliseconds: the start of a fixed-length, wall-clock aligned
 *   window (`floor(now / intervalMs) * intervalMs`).
 * - Throughput rows are appended, never replaced: reads sum every collector's rows of a bucket (a
 *   collector writes each (bucket, service, operation) once, at the end of the bucket).
 * - Several collectors may write probabilities for the same interval (each computes them from the
 *   same stored counts); readers pick one deterministically: the newest interval, and within it the
 *   row of the smallest collector id.
 * - Methods reject only on backend failure or invalid arguments (`StoreArgumentError`).
 */
import { StoreArgumentError, StoreClosedError } from './types.js';

/** One collector's root-span counts of one service and operation over one bucket. */
export interface ThroughputCount {
  service: string;
  operation: string;
  /** Root spans received (every sampler). */
  count: number;
  /** Of those, root spans whose tracer sampled them probabilistically with a known probability. */
  probCount: number;
  /** Σ 1/p over those: an unbiased estimate of the traces the probabilistic sampler looked at. */
  weight: number;
  /** The highest probability seen on those (0 when none). */
  maxProbability: number;
}

/** Every collector's counts of one bucket, summed per service and operation. */
export interface ThroughputBucket {
  bucket: number;
  counts: ThroughputCount[];
}

export interface OperationProbability {
  service: string;
  operation: string;
  probability: number;
  /** The estimated incoming rate of new traces (root spans) per second the probability was computed from. */
  rate: number;
  /** The last bucket (unix ms) the operation had root spans in. */
  lastSeen?: number;
}

export interface ProbabilitiesRecord {
  /** Start of the interval the probabilities were computed for (unix ms). */
  interval: number;
  /** The collector that computed them. */
  collector: string;
  operations: OperationProbability[];
}

export interface SamplingStore {
  /** 'memory' | 'duckdb' | 'clickhouse' */
  readonly name: string;
  /** Append one collector's counts for `bucket`. */
  writeThroughput(bucket: number, collector: string, counts: readonly ThroughputCount[]): Promise<void>;
  /** Buckets in [fromBucket, toBucket], summed over collectors, oldest first; buckets without rows are absent. */
  readThroughput(fromBucket: number, toBucket: number): Promise<ThroughputBucket[]>;
  writeProbabilities(record: ProbabilitiesRecord): Promise<void>;
  /** The newest interval's probabilities (the smallest collector id's row among several), or undefined. */
  latestProbabilities(): Promise<ProbabilitiesRecord | undefined>;
  /** Delete throughput buckets and probability intervals older than `before` (unix ms). */
  purgeBefore(before: number): Promise<void>;
  close(): Promise<void>;
}

export function checkBucket(v: number, what = 'bucket'): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new StoreArgumentError(`${what} must be a non-negative integer (unix ms), got ${String(v)}`);
}

export function checkCollector(c: string): void {
  if (typeof c !== 'string' || c === '') throw new StoreArgumentError('collector must be a non-empty string');
}

export function checkCounts(counts: readonly ThroughputCount[]): void {
  if (!Array.isArray(counts)) throw new StoreArgumentError('counts must be an array');
  for (const c of counts) {
    if (!c || typeof c.service !== 'string' || typeof c.operation !== 'string') throw new StoreArgumentError('a throughput count needs a service and an operation');
    for (const k of ['count', 'probCount', 'weight', 'maxProbability'] as const) {
      if (typeof c[k] !== 'number' || !Number.isFinite(c[k]) || c[k] < 0) throw new StoreArgumentError(`throughput ${k} must be a finite non-negative number`);
    }
  }
}

export function checkProbabilities(r: ProbabilitiesRecord): void {
  if (!r || typeof r !== 'object') throw new StoreArgumentError('probabilities record must be an object');
  checkBucket(r.interval, 'interval');
  checkCollector(r.collector);
  if (!Array.isArray(r.operations)) throw new StoreArgumentError('operations must be an array');
  for (const o of r.operations) {
    if (!o || typeof o.service !== 'string' || typeof o.operation !== 'string') throw new StoreArgumentError('an operation probability needs a service and an operation');
    if (typeof o.probability !== 'number' || !(o.probability >= 0 && o.probability <= 1)) throw new StoreArgumentError(`probability must be in [0, 1], got ${String(o.probability)}`);
    if (typeof o.rate !== 'number' || !Number.isFinite(o.rate) || o.rate < 0) throw new StoreArgumentError('rate must be a finite non-negative number');
  }
}

/** Sum counts of one bucket per (service, operation); output sorted by service then operation. */
export function sumCounts(rows: Iterable<ThroughputCount>): ThroughputCount[] {
  const m = new Map<string, ThroughputCount>();
  for (const r of rows) {
    const k = `${r.service}\u0000${r.operation}`;
    const c = m.get(k);
    if (!c) m.set(k, { ...r });
    else {
      c.count += r.count;
      c.probCount += r.probCount;
      c.weight += r.weight;
      c.maxProbability = Math.max(c.maxProbability, r.maxProbability);
    }
  }
  return [...m.values()].sort(compareOps);
}

export function compareOps(a: { service: string; operation: string }, b: { service: string; operation: string }): number {
  return a.service < b.service ? -1 : a.service > b.service ? 1 : a.operation < b.operation ? -1 : a.operation > b.operation ? 1 : 0;
}

/** Per-process sampling state, for `--storage memory` and unit tests: one collector only. */
export class MemorySamplingStore implements SamplingStore {
  readonly name = 'memory';
  private throughput = new Map<number, ThroughputCount[]>();
  private probabilities: ProbabilitiesRecord[] = [];
  private closed = false;

  private check(): void {
    if (this.closed) throw new StoreClosedError();
  }

  async writeThroughput(bucket: number, collector: string, counts: readonly ThroughputCount[]): Promise<void> {
    this.check();
    checkBucket(bucket);
    checkCollector(collector);
    checkCounts(counts);
    let b = this.throughput.get(bucket);
    if (!b) this.throughput.set(bucket, (b = []));
    for (const c of counts) b.push({ ...c });
  }

  async readThroughput(fromBucket: number, toBucket: number): Promise<ThroughputBucket[]> {
    this.check();
    checkBucket(fromBucket, 'fromBucket');
    checkBucket(toBucket, 'toBucket');
    const out: ThroughputBucket[] = [];
    for (const [bucket, rows] of this.throughput) if (bucket >= fromBucket && bucket <= toBucket) out.push({ bucket, counts: sumCounts(rows) });
    return out.sort((a, b) => a.bucket - b.bucket);
  }

  async writeProbabilities(record: ProbabilitiesRecord): Promise<void> {
    this.check();
    checkProbabilities(record);
    this.probabilities.push(structuredClone(record));
  }

  async latestProbabilities(): Promise<ProbabilitiesRecord | undefined> {
    this.check();
    let best: ProbabilitiesRecord | undefined;
    for (const r of this.probabilities) {
      if (!best || r.interval > best.interval || (r.interval === best.interval && r.collector < best.collector)) best = r;
    }
    return best && structuredClone(best);
  }

  async purgeBefore(before: number): Promise<void> {
    this.check();
    checkBucket(before, 'before');
    for (const b of this.throughput.keys()) if (b < before) this.throughput.delete(b);
    this.probabilities = this.probabilities.filter((r) => r.interval >= before);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.throughput.clear();
    this.probabilities = [];
  }
}

export interface OpenSamplingStoreOptions {
  backend: 'memory' | 'duckdb' | 'clickhouse';
  /** DuckDB: the data directory (the sampling tables live in `<dataDir>/sampling.duckdb`). */
  dataDir?: string;
  /** ClickHouse: connection (see ClickHouseSamplingStoreOptions). */
  clickhouse?: { url: string; database?: string; username?: string; password?: string };
}

/** Open the sampling store of a backend; native/network modules load only when asked for. */
export async function openSamplingStore(opts: OpenSamplingStoreOptions): Promise<SamplingStore> {
  switch (opts?.backend) {
    case 'memory':
      return new MemorySamplingStore();
    case 'duckdb': {
      if (!opts.dataDir) throw new StoreArgumentError('the duckdb sampling store needs a dataDir');
      const { DuckDBSamplingStore } = await import('./sampling-duckdb.js');
      return DuckDBSamplingStore.open({ dataDir: opts.dataDir });
    }
    case 'clickhouse': {
      if (!opts.clickhouse?.url) throw new StoreArgumentError('the clickhouse sampling store needs a url');
      const { ClickHouseSamplingStore } = await import('./sampling-clickhouse.js');
      return ClickHouseSamplingStore.open(opts.clickhouse);
    }
    default:
      throw new StoreArgumentError(`unknown sampling store backend ${JSON.stringify(opts?.backend)}`);
  }
}
