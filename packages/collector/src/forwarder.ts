import { gzipSync } from 'node:zlib';
import { encodeOtlpProtobuf } from '@ariadne/codec';
import type { Span } from '@ariadne/model';
import { CollectorMetrics } from './metrics.js';
import { QueueFullError } from './pipeline.js';

/**
 * The agent's forwarder: spans received over UDP are queued (bounded), batched and sent to a
 * collector as gzip OTLP/HTTP protobuf, with retries (exponential backoff with jitter, honouring
 * `Retry-After`) on network errors, 429 and 5xx; other 4xx answers are not retried (the batch is
 * dropped and counted). A full queue refuses new spans at once (`QueueFullError`), so the UDP
 * receiver counts the drop. Nothing here ever throws into the receive path.
 */

export interface ForwarderOptions {
  /** The collector's OTLP/HTTP traces URL, e.g. http://collector:4318/v1/traces */
  url: string;
  maxBatchSpans?: number;
  maxBatchDelayMs?: number;
  maxQueueSpans?: number;
  /** Attempts per batch (first try included). Default 6. */
  maxAttempts?: number;
  /** First back-off; doubles each retry (with jitter), capped at `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  timeoutMs?: number;
  metrics?: CollectorMetrics;
  onDrop?: (spans: number, reason: string) => void;
  /** Extra request headers, e.g. `authorization` (ingest token) and the tenant header. */
  headers?: Record<string, string>;
}

export class OtlpForwarder {
  readonly metrics: CollectorMetrics;
  private queue: Span[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private closed = false;
  private readonly o: Required<Omit<ForwarderOptions, 'metrics' | 'onDrop' | 'headers'>>;
  /** Spans delivered (collector answered 2xx), and dropped (with reason) — also in metrics. */
  delivered = 0;
  dropped = 0;

  constructor(private readonly opts: ForwarderOptions) {
    this.o = {
      url: opts.url,
      maxBatchSpans: opts.maxBatchSpans ?? 1000,
      maxBatchDelayMs: opts.maxBatchDelayMs ?? 200,
      maxQueueSpans: opts.maxQueueSpans ?? 100_000,
      maxAttempts: opts.maxAttempts ?? 6,
      initialBackoffMs: opts.initialBackoffMs ?? 200,
      maxBackoffMs: opts.maxBackoffMs ?? 10_000,
      timeoutMs: opts.timeoutMs ?? 10_000,
    };
    this.metrics = opts.metrics ?? new CollectorMetrics('ariadne_agent');
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Queue spans; resolves at once (UDP has no acknowledgement), rejects when the queue is full. */
  async ingest(spans: Span[], protocol: string): Promise<void> {
    if (this.closed || this.queue.length + spans.length > this.o.maxQueueSpans) {
      this.metrics.refused.inc({ protocol, reason: this.closed ? 'closed' : 'queue_full' }, spans.length);
      this.drop(spans.length, 'queue_full');
      throw new QueueFullError(1, `agent queue holds ${this.queue.length} spans`);
    }
    this.metrics.spansReceived.inc({ protocol, service: spans[0]?.resource.serviceName || 'unknown_service' }, spans.length);
    for (const s of spans) this.queue.push(s);
    this.schedule();
  }

  private drop(n: number, reason: string) {
    this.dropped += n;
    this.opts.onDrop?.(n, reason);
  }

  private schedule() {
    if (this.sending) return;
    if (this.queue.length >= this.o.maxBatchSpans || this.closed) {
      this.sending = this.sendLoop();
    } else if (!this.timer && this.queue.length) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.sending) this.sending = this.sendLoop();
      }, this.o.maxBatchDelayMs);
      this.timer.unref();
    }
  }

  private async sendLoop(): Promise<void> {
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.o.maxBatchSpans);
        await this.sendBatch(batch);
      }
    } finally {
      this.sending = undefined;
      if (this.queue.length) this.schedule();
    }
  }

  private async sendBatch(batch: Span[]): Promise<void> {
    const body = gzipSync(encodeOtlpProtobuf(batch));
    let backoff = this.o.initialBackoffMs;
    for (let attempt = 1; ; attempt++) {
      let retryAfterMs: number | undefined;
      let reason: string;
      try {
        const res = await fetch(this.o.url, {
          method: 'POST',
          headers: { ...this.opts.headers, 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
          body,
          signal: AbortSignal.timeout(this.o.timeoutMs),
        });
        await res.arrayBuffer();
        if (res.ok) {
          this.delivered += batch.length;
          this.metrics.spansStored.inc({ protocol: 'forwarded', service: 'all' }, batch.length);
          return;
        }
        reason = `HTTP ${res.status}`;
        if (res.status !== 429 && res.status < 500) {
          this.drop(batch.length, `rejected by collector: ${reason}`);
          return;
        }
        const ra = Number(res.headers.get('retry-after'));
        if (Number.isFinite(ra) && ra >= 0) retryAfterMs = ra * 1000;
      } catch (err) {
        reason = (err as Error).message;
      }
      if (attempt >= this.o.maxAttempts) {
        this.metrics.spansFailed.inc({ protocol: 'forwarded', service: 'all' }, batch.length);
        this.drop(batch.length, `gave up after ${attempt} attempts: ${reason}`);
        return;
      }
      const jittered = backoff / 2 + Math.random() * (backoff / 2);
      await new Promise((r) => setTimeout(r, Math.min(this.o.maxBackoffMs, retryAfterMs ?? jittered)));
      backoff = Math.min(this.o.maxBackoffMs, backoff * 2);
    }
  }

  /** Send everything queued (with retries), then stop. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.sending || this.queue.length) {
      if (!this.sending) this.sending = this.sendLoop();
      await this.sending;
    }
  }
}
