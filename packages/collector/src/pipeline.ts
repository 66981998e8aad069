import { DEFAULT_LIMITS, validateSpans } from '@ariadne/model';
import type { Attribute, AttributeValue, RejectedSpan, Span, ValidationLimits } from '@ariadne/model';
import type { SpanStore } from '@ariadne/storage';
import { CollectorMetrics } from './metrics.js';

/**
 * The ingest pipeline: decoded spans → validation → bounded queue → batched store writes.
 *
 * `ingest()` resolves only once the store has committed the spans (acknowledged = durable), so a
 * receiver answers its client only after the data is safe. The queue is bounded in spans and in
 * estimated bytes; when it is full, `ingest()` rejects at once with a `QueueFullError` (receivers
 * answer 503 + Retry-After / UNAVAILABLE) instead of accepting data it might drop.
 */

export interface PipelineOptions {
  /** Validation limits (merged over `DEFAULT_LIMITS`). */
  limits?: Partial<ValidationLimits>;
  /**
   * Most spans handed to the store in one write. Default 5000. Under load a write takes whatever
   * arrived while the previous ones ran (whole requests, up to this), so commits grow with load.
   */
  maxBatchSpans?: number;
  /** Flush a non-full batch at the latest this long after its first span arrived. Default 5 ms. */
  maxBatchDelayMs?: number;
  /**
   * Store writes running at once. Default 2: the next batch is handed over (and turned into rows)
   * while the previous one commits, so the event loop and the store's commit overlap.
   */
  maxWritesInFlight?: number;
  /** Spans held (queued + being written) before ingest is refused. Default 100 000. */
  maxQueueSpans?: number;
  /** Estimated bytes held (queued + being written) before ingest is refused. Default 256 MiB. */
  maxQueueBytes?: number;
  /** Metrics to record into (a fresh `CollectorMetrics` by default). */
  metrics?: CollectorMetrics;
}

export interface IngestResult {
  /** Spans validated and committed by the store. */
  accepted: number;
  /** Spans refused by validation, with the reason (reported to clients as partial success). */
  rejected: RejectedSpan[];
}

/** The queue cannot take the spans now; retry after `retryAfterSeconds`. Nothing was stored. */
export class QueueFullError extends Error {
  override name = 'QueueFullError';
  constructor(
    readonly retryAfterSeconds: number,
    detail: string,
  ) {
    super(`ingest queue full (${detail}): retry after ${retryAfterSeconds}s`);
  }
}

/** `ingest()` after `close()`. */
export class PipelineClosedError extends Error {
  override name = 'PipelineClosedError';
  constructor() {
    super('the ingest pipeline is closed');
  }
}

/** The store write carrying these spans failed; nothing of the batch is acknowledged. */
export class StoreWriteError extends Error {
  override name = 'StoreWriteError';
  constructor(cause: unknown) {
    super(`store write failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

interface Entry {
  spans: Span[];
  bytes: number;
  protocol: string;
  enqueuedAt: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

const now = () => performance.now();

/**
 * Where the pipeline writes: a `SpanStore`, or anything with its write side, such as the NATS
 * JetStream publisher of `ariadne collector --queue` (acknowledged = durably in the stream). A
 * writer that rejects with a `QueueFullError` (e.g. the stream is full) has it passed to the
 * waiting receivers as is, so they answer 503 + Retry-After / UNAVAILABLE, not 500.
 */
export type SpanWriter = Pick<SpanStore, 'writeSpans'>;

export class SpanPipeline {
  readonly metrics: CollectorMetrics;
  readonly limits: ValidationLimits;
  readonly maxBatchSpans: number;
  readonly maxBatchDelayMs: number;
  readonly maxWritesInFlight: number;
  readonly maxQueueSpans: number;
  readonly maxQueueBytes: number;

  private pending: Entry[] = [];
  private pendingSpans = 0;
  private pendingBytes = 0;
  private inflightSpans = 0;
  private inflightBytes = 0;
  private writesInFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private drainWaiters: Array<() => void> = [];
  /** Exponentially weighted store throughput in spans/s (for Retry-After), 0 until measured. */
  private throughput = 0;
  private batches = 0;

  constructor(
    private readonly store: SpanWriter,
    opts: PipelineOptions = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.maxBatchSpans = positive(opts.maxBatchSpans ?? 5000, 'maxBatchSpans');
    this.maxBatchDelayMs = nonNegative(opts.maxBatchDelayMs ?? 5, 'maxBatchDelayMs');
    this.maxWritesInFlight = positive(Math.floor(opts.maxWritesInFlight ?? 2), 'maxWritesInFlight');
    this.maxQueueSpans = positive(opts.maxQueueSpans ?? 100_000, 'maxQueueSpans');
    this.maxQueueBytes = positive(opts.maxQueueBytes ?? 256 * 1024 * 1024, 'maxQueueBytes');
    this.metrics = opts.metrics ?? new CollectorMetrics();
    this.metrics.bindQueue(
      () => this.queuedSpans,
      () => this.queuedBytes,
    );
  }

  /** Spans held: queued and being written. */
  get queuedSpans(): number {
    return this.pendingSpans + this.inflightSpans;
  }

  get queuedBytes(): number {
    return this.pendingBytes + this.inflightBytes;
  }

  /** Store writes completed (successfully or not). */
  get batchCount(): number {
    return this.batches;
  }

  /**
   * Validate `spans` (modified in place), queue the accepted ones and resolve once the store has
   * committed them. Rejects with `QueueFullError` at once when the queue cannot take them,
   * `PipelineClosedError` after `close()`, `StoreWriteError` when their batch's write failed.
   * `protocol` labels the metrics (e.g. 'otlp-http').
   */
  async ingest(spans: Span[], protocol: string): Promise<IngestResult> {
    if (this.closed) {
      this.metrics.refused.inc({ protocol, reason: 'closed' });
      throw new PipelineClosedError();
    }
    countByService(spans, (service, n) => this.metrics.spansReceived.inc({ protocol, service }, n));
    const { accepted, rejected } = validateSpans(spans, this.limits);
    if (rejected.length) {
      const byId = new Map<string, string>();
      for (const s of spans) byId.set(s.spanId, s.resource.serviceName || 'unknown_service');
      for (const r of rejected) this.metrics.spansRejected.inc({ protocol, service: byId.get(r.spanId) ?? 'unknown_service' });
    }
    if (accepted.length === 0) return { accepted: 0, rejected };

    let bytes = 0;
    for (const s of accepted) bytes += estimateSpanBytes(s);
    // Admit when it fits, or when nothing is queued at all (a single request larger than the
    // queue would otherwise never fit; the receivers' body limit bounds it).
    const empty = this.queuedSpans === 0;
    if (!empty && (this.queuedSpans + accepted.length > this.maxQueueSpans || this.queuedBytes + bytes > this.maxQueueBytes)) {
      this.metrics.refused.inc({ protocol, reason: 'queue_full' });
      throw new QueueFullError(
        this.retryAfterSeconds(),
        `${this.queuedSpans} spans / ${this.queuedBytes} bytes held, limits ${this.maxQueueSpans} spans / ${this.maxQueueBytes} bytes`,
      );
    }

    await new Promise<void>((resolve, reject) => {
      this.pending.push({ spans: accepted, bytes, protocol, enqueuedAt: now(), resolve, reject });
      this.pendingSpans += accepted.length;
      this.pendingBytes += bytes;
      this.schedule();
    });
    return { accepted: accepted.length, rejected };
  }

  /** A suggested client back-off: time to drain the queue at the measured store throughput (1-60 s). */
  retryAfterSeconds(): number {
    if (this.throughput <= 0) return 1;
    return Math.min(60, Math.max(1, Math.ceil(this.queuedSpans / this.throughput)));
  }

  /**
   * Refuse further ingest, write everything pending and resolve when all of it is committed (or
   * failed: the waiters of a failed batch are rejected; close itself does not reject). Does not
   * close the store.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.closing = new Promise<void>((resolve) => {
      if (this.pending.length === 0 && this.writesInFlight === 0) return resolve();
      this.drainWaiters.push(resolve);
      this.flush();
    });
    return this.closing;
  }

  /** Decide whether to flush now or arm the max-delay timer. */
  private schedule(): void {
    if (this.writesInFlight >= this.maxWritesInFlight || this.pending.length === 0) return; // a write's completion reschedules
    const age = now() - this.pending[0].enqueuedAt;
    if (this.closed || this.pendingSpans >= this.maxBatchSpans || age >= this.maxBatchDelayMs) {
      this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.flush();
        },
        Math.max(0, this.maxBatchDelayMs - age),
      );
    }
  }

  /** Start one store write with the oldest pending entries (whole entries, up to maxBatchSpans), if a write slot is free. */
  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.writesInFlight >= this.maxWritesInFlight || this.pending.length === 0) return;
    let n = 0;
    let take = 0;
    while (take < this.pending.length && (take === 0 || n + this.pending[take].spans.length <= this.maxBatchSpans)) {
      n += this.pending[take].spans.length;
      take++;
    }
    const batch = this.pending.splice(0, take);
    let bytes = 0;
    for (const e of batch) bytes += e.bytes;
    this.pendingSpans -= n;
    this.pendingBytes -= bytes;
    this.inflightSpans += n;
    this.inflightBytes += bytes;
    this.writesInFlight++;
    const spans: Span[] = batch.length === 1 ? batch[0].spans : batch.flatMap((e) => e.spans);
    const started = now();
    let write: Promise<void>;
    try {
      write = Promise.resolve(this.store.writeSpans(spans));
    } catch (err) {
      write = Promise.reject(err);
    }
    const done = write.then(
      () => {
        const secs = (now() - started) / 1000;
        this.recordBatch(n, secs);
        for (const e of batch) {
          countByService(e.spans, (service, c) => this.metrics.spansStored.inc({ protocol: e.protocol, service }, c));
          e.resolve();
        }
      },
      (err: unknown) => {
        this.recordBatch(n, (now() - started) / 1000);
        const error = err instanceof QueueFullError ? err : new StoreWriteError(err);
        for (const e of batch) {
          countByService(e.spans, (service, c) => this.metrics.spansFailed.inc({ protocol: e.protocol, service }, c));
          e.reject(error);
        }
      },
    );
    void done.then(() => {
      this.writesInFlight--;
      this.inflightSpans -= n;
      this.inflightBytes -= bytes;
      if (this.pending.length) this.schedule();
      else if (this.closed && this.writesInFlight === 0) {
        const waiters = this.drainWaiters;
        this.drainWaiters = [];
        for (const w of waiters) w();
      }
    });
  }

  private recordBatch(spans: number, secs: number): void {
    this.batches++;
    this.metrics.batchCommitSeconds.observe(secs);
    this.metrics.batchSpans.observe(spans);
    if (secs > 0) {
      const rate = spans / secs;
      this.throughput = this.throughput === 0 ? rate : 0.8 * this.throughput + 0.2 * rate;
    }
  }
}

function positive(v: number, name: string): number {
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a positive number, got ${v}`);
  return v;
}

function nonNegative(v: number, name: string): number {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be a non-negative number, got ${v}`);
  return v;
}

function countByService(spans: readonly Span[], fn: (service: string, n: number) => void): void {
  if (spans.length === 0) return;
  // Spans of one request usually share a few resources: count runs of the same service.
  const counts = new Map<string, number>();
  for (const s of spans) {
    const svc = s.resource.serviceName || 'unknown_service';
    counts.set(svc, (counts.get(svc) ?? 0) + 1);
  }
  for (const [svc, n] of counts) fn(svc, n);
}

/**
 * A rough estimate of a decoded span's heap footprint (strings counted at 2 bytes a char, object
 * overheads as constants). Resource and scope are usually shared between spans and not counted.
 */
export function estimateSpanBytes(s: Span): number {
  let n = 360 + 2 * (s.name.length + s.traceState.length + s.status.message.length);
  n += attributesBytes(s.attributes);
  for (const e of s.events) n += 96 + 2 * e.name.length + attributesBytes(e.attributes);
  for (const l of s.links) n += 200 + 2 * l.traceState.length + attributesBytes(l.attributes);
  for (const w of s.warnings) n += 32 + 2 * w.length;
  return n;
}

function attributesBytes(attrs: readonly Attribute[]): number {
  let n = 0;
  for (const a of attrs) n += 64 + 2 * a.key.length + valueBytes(a.value);
  return n;
}

function valueBytes(v: AttributeValue): number {
  switch (v.type) {
    case 'string':
      return 2 * v.value.length;
    case 'bytes':
      return 64 + v.value.length;
    case 'array': {
      let n = 32;
      for (const x of v.value) n += 32 + valueBytes(x);
      return n;
    }
    case 'kvlist':
      return 32 + attributesBytes(v.value);
    default:
      return 16;
  }
}
