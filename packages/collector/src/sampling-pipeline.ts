import { validateSpans } from '@ariadne/model';
import type { Span } from '@ariadne/model';
import { openSamplingStore, type OpenSamplingStoreOptions, type SamplingStore } from '@ariadne/storage';
import { AdaptiveSampler, type AdaptiveOptions } from './adaptive.js';
import { CollectorMetrics } from './metrics.js';
import { PipelineClosedError, QueueFullError, SpanPipeline, StoreWriteError, type IngestResult, type PipelineOptions, type SpanWriter } from './pipeline.js';
import { loadTailPolicies, TailBufferFullError, TailSampler, type TailPolicy, type TailSamplingOptions } from './tail.js';

export interface SamplingPipelineOptions extends PipelineOptions {
  /** Tail-based sampling in front of the queue (off when absent). */
  tail?: Omit<TailSamplingOptions, 'metrics'>;
  /** Counts the root spans of every accepted batch (adaptive sampling). */
  adaptive?: Pick<AdaptiveSampler, 'observe'>;
}

/** Metrics label of kept spans re-entering the pipeline after a tail-sampling decision. */
export const TAIL_PROTOCOL = 'tail_sampling';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The ingest pipeline with the sampling stages in front of it: adaptive sampling's root-span
 * counting and, when configured, tail-based sampling. Receivers use it as they use `SpanPipeline`.
 *
 * Acknowledgement with tail sampling: `ingest()` validates the spans (rejections are reported as
 * without tail sampling) and resolves once they are **held in the tail-sampling buffer**, not once
 * stored: the client cannot wait for a decision window. A kept trace's spans are then written
 * through the normal queue (retried while the queue is full or a write fails, up to 5 times);
 * spans arriving after their trace was kept are acknowledged once stored. `close()` decides every
 * held trace at once and stores the kept ones before the queue closes, so a clean shutdown loses
 * nothing acknowledged; a crash loses the spans held in the window (at most `decisionWaitMs` of
 * traffic). Without tail sampling, acknowledged still means durable.
 */
export class SamplingPipeline extends SpanPipeline {
  readonly tail: TailSampler | undefined;
  private readonly adaptive: SamplingPipelineOptions['adaptive'];
  private tailClosed = false;
  private closingAll: Promise<void> | undefined;

  constructor(store: SpanWriter, opts: SamplingPipelineOptions = {}) {
    super(store, opts);
    this.adaptive = opts.adaptive;
    if (opts.tail) this.tail = new TailSampler({ ...opts.tail, metrics: this.metrics }, (spans) => this.storeKept(spans));
  }

  override async ingest(spans: Span[], protocol: string): Promise<IngestResult> {
    if (!this.tail) {
      const result = await super.ingest(spans, protocol);
      if (this.adaptive) this.adaptive.observe(withoutRejected(spans, result));
      return result;
    }
    if (this.tailClosed) {
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
    try {
      await this.tail.offer(accepted);
    } catch (err) {
      if (err instanceof TailBufferFullError) {
        this.metrics.refused.inc({ protocol, reason: 'tail_buffer_full' });
        throw new QueueFullError(Math.max(err.retryAfterSeconds, this.retryAfterSeconds()), 'tail sampling buffer: kept traces waiting to be stored');
      }
      throw err;
    }
    this.adaptive?.observe(accepted);
    return { accepted: accepted.length, rejected };
  }

  /** Write kept spans through the queue: wait while it is full, retry failed writes a few times. */
  private async storeKept(spans: Span[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await super.ingest(spans, TAIL_PROTOCOL);
        return;
      } catch (err) {
        if (err instanceof QueueFullError) await sleep(Math.min(1000, err.retryAfterSeconds * 1000));
        else if (err instanceof StoreWriteError && attempt < 5) await sleep(100 * 2 ** attempt);
        else throw err;
      }
    }
  }

  /** Decide and store every held trace, then close the queue (see `SpanPipeline.close`). */
  override close(): Promise<void> {
    if (!this.closingAll) {
      this.tailClosed = true;
      const tail = this.tail;
      this.closingAll = (tail ? tail.close() : Promise.resolve()).then(() => super.close());
    }
    return this.closingAll;
  }
}

function withoutRejected(spans: Span[], result: IngestResult): Span[] {
  if (result.rejected.length === 0) return spans;
  const bad = new Set(result.rejected.map((r) => r.spanId));
  return spans.filter((s) => !bad.has(s.spanId));
}

function countByService(spans: readonly Span[], fn: (service: string, n: number) => void): void {
  const counts = new Map<string, number>();
  for (const s of spans) {
    const svc = s.resource.serviceName || 'unknown_service';
    counts.set(svc, (counts.get(svc) ?? 0) + 1);
  }
  for (const [svc, n] of counts) fn(svc, n);
}

export interface SamplingStagesOptions {
  /** Where adaptive sampling keeps its state: the span store's backend. */
  samplingStore: OpenSamplingStoreOptions;
  /** Adaptive sampling (off when absent). */
  adaptive?: Omit<AdaptiveOptions, 'store' | 'metrics' | 'onError'>;
  /** Tail sampling (off when absent): a policies file, or the default policies built from the other fields. */
  tail?: Omit<TailSamplingOptions, 'metrics' | 'policies'> & { policiesFile?: string; latencyThresholdMs?: number; probability?: number };
  pipeline?: PipelineOptions;
  onError?: (what: string, err: Error) => void;
}

export interface SamplingStages {
  pipeline: SpanPipeline;
  adaptive: AdaptiveSampler | undefined;
  /** The tail policies in force (undefined without tail sampling). */
  tailPolicies: TailPolicy[] | undefined;
  /** After the pipeline closed: write the last counts and close the sampling store. */
  close(): Promise<void>;
}

/**
 * The default tail policies: keep traces with an error, traces longer than `latencyThresholdMs`
 * (when > 0), and a `probability` share of the rest.
 */
export function defaultTailPolicies(latencyThresholdMs = 1000, probability = 0.1): TailPolicy[] {
  const policies: TailPolicy[] = [{ name: 'error', type: 'error' }];
  if (latencyThresholdMs > 0) policies.push({ name: 'latency', type: 'latency', thresholdMs: latencyThresholdMs });
  if (probability > 0) policies.push({ name: 'probabilistic', type: 'probabilistic', rate: probability });
  return policies;
}

/**
 * Build the ingest pipeline with the configured sampling stages: a plain `SpanPipeline` when
 * neither adaptive nor tail sampling is on.
 */
export async function startSamplingStages(store: SpanWriter, o: SamplingStagesOptions): Promise<SamplingStages> {
  if (!o.adaptive && !o.tail) return { pipeline: new SpanPipeline(store, o.pipeline), adaptive: undefined, tailPolicies: undefined, close: async () => {} };
  let tailPolicies: TailPolicy[] | undefined;
  if (o.tail) {
    if (o.tail.probability !== undefined && !(o.tail.probability >= 0 && o.tail.probability <= 1)) throw new RangeError(`tail sampling probability must be in [0, 1], got ${o.tail.probability}`);
    tailPolicies = o.tail.policiesFile ? loadTailPolicies(o.tail.policiesFile) : defaultTailPolicies(o.tail.latencyThresholdMs, o.tail.probability);
  }
  const metrics = o.pipeline?.metrics ?? new CollectorMetrics();
  let samplingStore: SamplingStore | undefined;
  let adaptive: AdaptiveSampler | undefined;
  if (o.adaptive) {
    samplingStore = await openSamplingStore(o.samplingStore);
    try {
      adaptive = new AdaptiveSampler({ ...o.adaptive, store: samplingStore, metrics, onError: o.onError });
    } catch (err) {
      await samplingStore.close();
      throw err;
    }
  }
  let pipeline: SamplingPipeline;
  try {
    pipeline = new SamplingPipeline(store, {
      ...o.pipeline,
      metrics,
      adaptive,
      tail: o.tail && tailPolicies ? { ...o.tail, policies: tailPolicies, onReleaseError: (err, n) => o.onError?.(`storing ${n} tail-sampled spans`, err) } : undefined,
    });
  } catch (err) {
    await adaptive?.close();
    await samplingStore?.close();
    throw err;
  }
  adaptive?.start();
  return {
    pipeline,
    adaptive,
    tailPolicies,
    async close() {
      await adaptive?.close();
      await samplingStore?.close();
    },
  };
}
