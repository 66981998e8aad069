import { randomBytes } from 'node:crypto';
import type { Span } from '@ariadne/model';
import type { OperationProbability, ProbabilitiesRecord, SamplingStore, ThroughputBucket, ThroughputCount } from '@ariadne/storage';
import { Counter, Gauge, type CollectorMetrics } from './metrics.js';
import type { SamplingStrategyResponse } from './sampling.js';

/**
 * Adaptive sampling (Jaeger's idea, our arithmetic): the collector counts the root spans it receives
 * per service and operation, and every calculation interval computes, per operation, the
 * probability at which the tracers' probabilistic samplers yield `targetTps` new traces per second;
 * tracers poll it as per-operation strategies (`operationSampling`).
 *
 * Counting: a root span (no parent) tagged by its tracer `sampler.type=probabilistic` with
 * `sampler.param=p` stands for 1/p traces the tracer looked at (Horvitz–Thompson), so the estimate
 * does not depend on which probability a tracer had at the time; `sampler.type=lowerbound` spans
 * (the per-operation sampler's guaranteed minimum) are counted but not weighted; root spans without
 * sampler tags (tracers that do not follow remote sampling) count as sampled with p=1.
 *
 * Shared state: each collector keeps only the current bucket's counts in memory and appends them to
 * the SamplingStore at the end of the bucket; every collector then computes the probabilities from
 * the stored counts of every collector (the same input, so the same result) and writes them; every
 * collector serves the newest stored record (the smallest collector id's, should two differ).
 */

export interface AdaptiveOptions {
  store: SamplingStore;
  /** New traces per second wanted from each operation. Default 1. */
  targetTps?: number;
  /** No operation's probability goes below this. Default 1e-5. */
  minProbability?: number;
  /** Traces per second each tracer samples from every operation whatever its probability (served as defaultLowerBoundTracesPerSecond). Default 1/60. */
  lowerBoundTps?: number;
  /** Probability of operations not yet computed (served as defaultSamplingProbability). Default 0.001. */
  initialProbability?: number;
  /** Length of a counting bucket and of a calculation interval. Default 60 000 ms. */
  intervalMs?: number;
  /** Buckets of counts a calculation looks at (a moving average). Default 3. */
  buckets?: number;
  /**
   * Operations (service + span name) counted and served at most; further ones are not counted
   * (`ariadne_collector_adaptive_operations_dropped_total`) and get the initial probability. Guards
   * against span names that embed ids or URLs. Default 10 000.
   */
  maxOperations?: number;
  /** This collector's id in the store (random by default). */
  collectorId?: string;
  /** Milliseconds to wait after a bucket ends before calculating, for every collector to store its counts. Default min(interval / 4, 5 s). */
  settleMs?: number;
  /** Metrics to register into. */
  metrics?: CollectorMetrics;
  now?: () => number;
  onError?: (what: string, err: Error) => void;
  onCalculated?: (record: ProbabilitiesRecord) => void;
}

export interface CalculationOptions {
  targetTps: number;
  minProbability: number;
  initialProbability: number;
  intervalMs: number;
  /** Buckets in a calculation window. */
  buckets: number;
  /** The most operations returned (the most recently seen win). Default unlimited. */
  maxOperations?: number;
}

/** Probabilistic samples an estimate needs before the point estimate alone is trusted. */
export const RELIABLE_SAMPLES = 10;
/** Operations not seen for this many windows are forgotten (they fall back to the initial probability). */
export const RETENTION_WINDOWS = 20;

/**
 * The probabilities for the interval after `lastBucket`, from the stored counts of the window (the
 * buckets up to and including `lastBucket`) and the previous probabilities. Pure: every collector
 * computes the same from the same stored state.
 *
 * An operation's rate is averaged from the first bucket it appears in (within the window) to
 * `lastBucket`; its probability is target / rate. Decreases are taken at once. An increase that
 * rests on fewer than RELIABLE_SAMPLES probabilistic samples goes only as far as an upper bound of
 * the rate allows — k samples seen at probability p over T seconds make a rate above
 * (k + 3(1-p)) / (p·T) unlikely (the "rule of three" for k = 0) — so a probability rises quickly
 * where little was seen, but never on the strength of a few lucky samples. An operation
 * absent from the window keeps its place (and keeps rising by the same bound, its traffic being
 * that low) until it has not been seen for RETENTION_WINDOWS windows.
 */
export function calculateProbabilities(
  window: readonly ThroughputBucket[],
  lastBucket: number,
  o: CalculationOptions,
  previous: readonly OperationProbability[] = [],
): OperationProbability[] {
  const prev = new Map(previous.map((p) => [`${p.service}\u0000${p.operation}`, p]));
  const ops = new Map<string, { first: number; last: number; c: ThroughputCount }>();
  for (const b of [...window].sort((x, y) => x.bucket - y.bucket)) {
    if (b.bucket > lastBucket) continue;
    for (const r of b.counts) {
      const k = `${r.service}\u0000${r.operation}`;
      const e = ops.get(k);
      if (!e) ops.set(k, { first: b.bucket, last: b.bucket, c: { ...r } });
      else {
        e.last = b.bucket;
        e.c.count += r.count;
        e.c.probCount += r.probCount;
        e.c.weight += r.weight;
        e.c.maxProbability = Math.max(e.c.maxProbability, r.maxProbability);
      }
    }
  }
  const clamp = (p: number) => Math.min(1, Math.max(o.minProbability, p));
  const out: OperationProbability[] = [];
  for (const [k, { first, last, c }] of ops) {
    const seconds = ((lastBucket - first) / o.intervalMs + 1) * (o.intervalMs / 1000);
    const rate = Math.max(c.weight, c.count) / seconds;
    let p = rate > 0 ? o.targetTps / rate : 1;
    const before = prev.get(k)?.probability ?? o.initialProbability;
    if (c.probCount < RELIABLE_SAMPLES && p > before) {
      // rising on little evidence: only as far as the upper bound of the rate allows
      const exposure = Math.min(1, Math.max(before, c.maxProbability));
      const bound = (c.probCount + 3 * (1 - exposure)) / (exposure * seconds);
      p = Math.max(before, Math.min(p, bound > 0 ? o.targetTps / bound : 1));
    }
    out.push({ service: c.service, operation: c.operation, probability: round(clamp(p)), rate: round(rate), lastSeen: last });
  }
  const windowSeconds = (o.buckets * o.intervalMs) / 1000;
  for (const [k, p] of prev) {
    if (ops.has(k)) continue;
    const lastSeen = p.lastSeen ?? lastBucket;
    if (lastBucket - lastSeen > RETENTION_WINDOWS * o.buckets * o.intervalMs) continue;
    const bound = (3 * (1 - p.probability)) / (p.probability * windowSeconds);
    out.push({ service: p.service, operation: p.operation, probability: round(clamp(bound > 0 ? Math.max(p.probability, o.targetTps / bound) : 1)), rate: 0, lastSeen });
  }
  if (o.maxOperations !== undefined && out.length > o.maxOperations) {
    out.sort((a, b) => (b.lastSeen ?? 0) - (a.lastSeen ?? 0) || b.rate - a.rate);
    out.length = o.maxOperations;
  }
  return out.sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : a.operation < b.operation ? -1 : a.operation > b.operation ? 1 : 0));
}

/** 6 significant digits: stable JSON (tracers rebuild their sampler only when the strategy text changes). */
function round(v: number): number {
  return v === 0 ? 0 : Number(v.toPrecision(6));
}

function numberAttr(v: Span['attributes'][number]['value'] | undefined): number | undefined {
  if (!v) return undefined;
  if (v.type === 'double' || v.type === 'int') return Number(v.value);
  if (v.type === 'string') {
    const n = Number(v.value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** Adds one root span to a count (see the class comment for what each field means). */
export function countRootSpan(c: ThroughputCount, span: Span): void {
  let type: string | undefined;
  let param: number | undefined;
  for (const a of span.attributes) {
    if (a.key === 'sampler.type' && a.value.type === 'string') type = a.value.value;
    else if (a.key === 'sampler.param') param = numberAttr(a.value);
  }
  c.count++;
  if (type === 'probabilistic' && param !== undefined && param > 0 && param <= 1) {
    c.probCount++;
    c.weight += 1 / param;
    if (param > c.maxProbability) c.maxProbability = param;
  } else if (type === 'lowerbound') {
    if (param !== undefined && param > 0 && param <= 1 && param > c.maxProbability) c.maxProbability = param;
  } else {
    c.probCount++;
    c.weight += 1;
    if (c.maxProbability < 1) c.maxProbability = 1;
  }
}

export class AdaptiveSampler {
  readonly targetTps: number;
  readonly minProbability: number;
  readonly lowerBoundTps: number;
  readonly initialProbability: number;
  readonly intervalMs: number;
  readonly buckets: number;
  readonly collectorId: string;
  readonly settleMs: number;
  readonly maxOperations: number;

  private readonly store: SamplingStore;
  private readonly now: () => number;
  private bucket = -1;
  private counts = new Map<string, ThroughputCount>();
  /** Buckets ended but not yet written (kept on write failure, retried at the next tick). */
  private unflushed: { bucket: number; counts: ThroughputCount[] }[] = [];
  private byService = new Map<string, OperationProbability[]>();
  private latest: ProbabilitiesRecord | undefined;
  private strategyCache = new Map<string, SamplingStrategyResponse>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private lastPurge = 0;
  private readonly rootSpans: Counter | undefined;
  private readonly calculations: Counter | undefined;
  private readonly droppedOps: Counter | undefined;

  constructor(private readonly opts: AdaptiveOptions) {
    const pos = (v: number | undefined, def: number, name: string, max = Infinity) => {
      const x = v ?? def;
      if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0 || x > max) throw new RangeError(`adaptive sampling: ${name} must be a number in (0, ${max}], got ${String(x)}`);
      return x;
    };
    this.store = opts.store;
    this.targetTps = pos(opts.targetTps, 1, 'targetTps');
    this.minProbability = pos(opts.minProbability, 1e-5, 'minProbability', 1);
    this.lowerBoundTps = opts.lowerBoundTps === 0 ? 0 : pos(opts.lowerBoundTps, 1 / 60, 'lowerBoundTps');
    this.initialProbability = pos(opts.initialProbability, 0.001, 'initialProbability', 1);
    this.intervalMs = Math.round(pos(opts.intervalMs, 60_000, 'intervalMs'));
    this.buckets = Math.round(pos(opts.buckets, 3, 'buckets'));
    this.settleMs = opts.settleMs ?? Math.min(this.intervalMs / 4, 5000);
    this.maxOperations = Math.round(pos(opts.maxOperations, 10_000, 'maxOperations'));
    this.collectorId = opts.collectorId ?? randomBytes(8).toString('hex');
    this.now = opts.now ?? Date.now;
    const m = opts.metrics;
    if (m) {
      this.rootSpans = m.registry.register(new Counter('ariadne_collector_adaptive_root_spans_total', 'Root spans counted for adaptive sampling.', ['service']));
      this.calculations = m.registry.register(new Counter('ariadne_collector_adaptive_calculations_total', 'Adaptive probability calculations, by result.', ['result']));
      this.droppedOps = m.registry.register(new Counter('ariadne_collector_adaptive_operations_dropped_total', 'Root spans of operations beyond the most adaptive sampling tracks (maxOperations), not counted.', []));
      m.registry.register(new Gauge('ariadne_collector_adaptive_operations', 'Operations with an adaptive probability being served.', () => this.latest?.operations.length ?? 0));
    }
  }

  /** Start the timers: flush and calculate after each bucket, and load what the store already has. */
  start(): this {
    this.schedule();
    void this.refresh();
    // Between its own calculations a collector also picks up what others stored (a collector whose
    // timer runs late must not serve an old record for long).
    const every = Math.min(15_000, Math.max(250, this.intervalMs / 4));
    this.poller = setInterval(() => {
      if (!this.refreshing) this.refreshing = this.refresh().finally(() => (this.refreshing = undefined));
    }, every);
    this.poller.unref();
    return this;
  }
  private poller: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  private bucketOf(t: number): number {
    return Math.floor(t / this.intervalMs) * this.intervalMs;
  }

  /** Count the root spans among `spans` (called by the ingest path with accepted spans). */
  observe(spans: readonly Span[]): void {
    if (this.closed) return;
    const b = this.bucketOf(this.now());
    if (b !== this.bucket) this.rotate(b);
    for (const s of spans) {
      if (s.parentSpanId !== '') continue;
      const service = s.resource.serviceName || 'unknown_service';
      const k = `${service}\u0000${s.name}`;
      let c = this.counts.get(k);
      if (!c) {
        if (this.counts.size >= this.maxOperations) {
          this.droppedOps?.inc();
          continue;
        }
        this.counts.set(k, (c = { service, operation: s.name, count: 0, probCount: 0, weight: 0, maxProbability: 0 }));
      }
      countRootSpan(c, s);
      this.rootSpans?.inc({ service });
    }
  }

  private rotate(b: number): void {
    if (this.bucket >= 0 && this.counts.size > 0) this.unflushed.push({ bucket: this.bucket, counts: [...this.counts.values()] });
    // while the store is unreachable keep only the buckets a calculation could still use
    if (this.unflushed.length > this.buckets) this.unflushed.splice(0, this.unflushed.length - this.buckets);
    this.counts = new Map();
    this.bucket = b;
  }

  private schedule(): void {
    if (this.closed) return;
    // Next tick: just after the current bucket ends.
    const t = this.now();
    const wait = Math.max(10, this.bucketOf(t) + this.intervalMs + 5 - t);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.tick().finally(() => {
        this.running = undefined;
        this.schedule();
      });
    }, wait);
    this.timer.unref();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
  private wake: (() => void) | undefined;

  /**
   * Once a bucket ended: write its counts, wait `settleMs` for the other collectors to write theirs,
   * compute the probabilities for the current interval from the stored counts (unless another
   * collector stored them already), and load the newest record.
   */
  async tick(): Promise<void> {
    const current = this.bucketOf(this.now());
    if (current !== this.bucket) this.rotate(current);
    await this.flush();
    if (this.settleMs > 0) await this.sleep(this.settleMs);
    if (this.closed) return;
    await this.calculate(current);
    await this.refresh();
    const keep = Math.max(3_600_000, 10 * this.buckets * this.intervalMs);
    if (current - this.lastPurge > keep) {
      this.lastPurge = current;
      await this.store.purgeBefore(Math.max(0, current - keep)).catch((err: Error) => this.opts.onError?.('purge', err));
    }
  }

  /** Compute and store the probabilities for the interval starting at `current` from the stored window before it. */
  async calculate(current: number): Promise<void> {
    const last = current - this.intervalMs;
    try {
      const window = await this.store.readThroughput(Math.max(0, last - (this.buckets - 1) * this.intervalMs), last);
      const existing = await this.store.latestProbabilities();
      const operations = calculateProbabilities(window, last, this, existing?.operations);
      // Another collector computed this interval already from the same counts: no copy needed.
      if (!existing || existing.interval < current) await this.store.writeProbabilities({ interval: current, collector: this.collectorId, operations });
      this.calculations?.inc({ result: 'ok' });
    } catch (err) {
      this.calculations?.inc({ result: 'error' });
      this.opts.onError?.('calculate', err as Error);
    }
  }

  /** Write the counts of ended buckets to the store (kept for the next try on failure). */
  async flush(): Promise<void> {
    while (this.unflushed.length > 0) {
      const u = this.unflushed[0];
      try {
        await this.store.writeThroughput(u.bucket, this.collectorId, u.counts);
      } catch (err) {
        this.opts.onError?.('write throughput', err as Error);
        return;
      }
      this.unflushed.shift();
    }
  }

  /** Load the newest stored probabilities. */
  async refresh(): Promise<void> {
    try {
      const rec = await this.store.latestProbabilities();
      if (!rec || (this.latest && rec.interval === this.latest.interval && rec.collector === this.latest.collector)) return;
      this.latest = rec;
      const by = new Map<string, OperationProbability[]>();
      for (const o of rec.operations) {
        let l = by.get(o.service);
        if (!l) by.set(o.service, (l = []));
        l.push(o);
      }
      this.byService = by;
      this.strategyCache.clear();
      this.opts.onCalculated?.(rec);
    } catch (err) {
      this.opts.onError?.('read probabilities', err as Error);
    }
  }

  /** The probabilities being served (undefined until one was calculated or loaded). */
  get probabilities(): ProbabilitiesRecord | undefined {
    return this.latest;
  }

  /** Jaeger's per-operation strategy for `service`. */
  strategyFor(service: string): SamplingStrategyResponse {
    let s = this.strategyCache.get(service);
    if (s) return s;
    s = {
      strategyType: 'PROBABILISTIC',
      probabilisticSampling: { samplingRate: this.initialProbability },
      operationSampling: {
        defaultSamplingProbability: this.initialProbability,
        defaultLowerBoundTracesPerSecond: this.lowerBoundTps,
        defaultUpperBoundTracesPerSecond: 0,
        perOperationStrategies: (this.byService.get(service) ?? []).map((o) => ({ operation: o.operation, probabilisticSampling: { samplingRate: o.probability } })),
      },
    };
    if (this.strategyCache.size > 10_000) this.strategyCache.clear();
    this.strategyCache.set(service, s);
    return s;
  }

  /** Stop the timers and write the counts gathered so far (the store is not closed). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.poller) clearInterval(this.poller);
    this.wake?.();
    await this.refreshing;
    await this.running;
    if (this.counts.size > 0) this.unflushed.push({ bucket: this.bucket, counts: [...this.counts.values()] });
    this.counts = new Map();
    await this.flush();
  }
}
