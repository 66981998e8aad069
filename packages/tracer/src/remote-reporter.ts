/**
 * RemoteReporter (jaeger-client semantics): `report` appends to a bounded in-memory queue and
 * returns; batches are sent when one is full or every flush interval, at most
 * `maxInflightBatches` at a time, each retried on retryable failures with exponential backoff +
 * jitter (honouring Retry-After) for at most `maxRetryTimeMs`. A full queue drops the span and counts it. Nothing here throws
 * into the application. `close()` (and SIGTERM / beforeExit, see `handleProcessExit`) flushes.
 *
 * With a sender that can encode ahead (`Sender.newEncoder`, the OTLP protobuf senders), reported
 * spans are encoded once per event-loop turn (or at once when a batch's worth is waiting) into
 * the open batch, and the queue holds encoded batches instead of span objects: spans die young
 * (cheap for the garbage collector even when the collector is slow and the queue is long), a
 * retry resends the same bytes, and the app's `span.end()` only appends to an array.
 */
import type { Span } from '@ariadne/model';
import type { TracerMetrics } from './metrics.js';
import type { Reporter } from './reporter.js';
import type { SendOutcome, Sender, SpanEncoder } from './senders.js';

export interface RemoteReporterOptions {
  sender: Sender;
  /** Spans held at most (default 2048); beyond that new spans are dropped and counted. */
  maxQueueSize?: number;
  /** Spans per send (default 512); a full batch is sent at once. */
  batchSize?: number;
  /** Send whatever is queued this often, in ms (default 1000). */
  flushIntervalMs?: number;
  /** Give up retrying one batch after this long, in ms (default 30000). */
  maxRetryTimeMs?: number;
  /** First backoff in ms (default 100), doubled per attempt up to `maxBackoffMs` (default 5000). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** How long `close()` may wait for delivery, in ms (default 5000). */
  closeTimeoutMs?: number;
  /**
   * Batches in flight at once (default 2): while one waits for the collector's answer the next
   * full batch goes out, so a slow collector costs fewer round trips. Retry memory is bounded by
   * this many batches plus the queue.
   */
  maxInflightBatches?: number;
  /** Flush on SIGTERM / beforeExit (default true). */
  handleProcessExit?: boolean;
  /** Called with a line on delivery failures (default: silent). */
  logger?: (line: string) => void;
}

const live = new Set<RemoteReporter>();
let hooked = false;

function onBeforeExit(): void {
  for (const r of live) if (r.queueLength > 0 && !r.busy) void r.flush();
}

function onSigterm(): void {
  const others = process.listenerCount('SIGTERM') > 1;
  const reporters = [...live];
  const timeout = Math.max(0, ...reporters.map((r) => r.closeTimeoutMs));
  let t: NodeJS.Timeout | undefined;
  void Promise.race([
    Promise.allSettled(reporters.map((r) => r.close())),
    new Promise<void>((res) => (t = setTimeout(res, timeout + 100))),
  ]).then(() => {
    clearTimeout(t);
    if (!others) {
      // we were the only handler: do what the default SIGTERM disposition would have done
      unhook();
      process.kill(process.pid, 'SIGTERM');
    }
  });
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('beforeExit', onBeforeExit);
  process.on('SIGTERM', onSigterm);
}

function unhook(): void {
  if (!hooked) return;
  hooked = false;
  process.removeListener('beforeExit', onBeforeExit);
  process.removeListener('SIGTERM', onSigterm);
}

export class RemoteReporter implements Reporter {
  readonly sender: Sender;
  readonly maxQueueSize: number;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly maxRetryTimeMs: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly closeTimeoutMs: number;
  readonly maxInflightBatches: number;
  private queue: Span[] = [];
  /** Encoding mode: reported, not yet encoded spans; the open batch; batches ready to send. */
  private readonly encoder: SpanEncoder | undefined;
  readonly acceptsEndedSpans: boolean = false;
  private staged: Span[] = [];
  private stageScheduled = false;
  private sealed: { body: Uint8Array; count: number }[] = [];
  /** Spans held (queued, staged, encoded and not yet taken by a send). */
  private size = 0;
  private metrics: TracerMetrics | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Batches being sent (or waiting to be retried). */
  private active = 0;
  private pumpScheduled = false;
  /** The next pump also takes a partial batch (flush interval, flush(), close()). */
  private forceNext = false;
  /** Resolved (and replaced) whenever a batch is done. */
  private doneWaiters: (() => void)[] = [];
  private closed = false;
  private aborted = false;
  private readonly wakers = new Set<() => void>();
  private closing: Promise<void> | undefined;
  private readonly log: ((line: string) => void) | undefined;
  /** Own counters (also mirrored into the tracer's metrics). */
  readonly stats = { sent: 0, failed: 0, dropped: 0, batches: 0, retries: 0 };

  constructor(opts: RemoteReporterOptions) {
    this.sender = opts.sender;
    this.maxQueueSize = Math.max(1, opts.maxQueueSize ?? 2048);
    this.batchSize = Math.max(1, Math.min(opts.batchSize ?? 512, this.maxQueueSize));
    this.flushIntervalMs = opts.flushIntervalMs ?? 1000;
    this.maxRetryTimeMs = opts.maxRetryTimeMs ?? 30_000;
    this.initialBackoffMs = opts.initialBackoffMs ?? 100;
    this.maxBackoffMs = opts.maxBackoffMs ?? 5000;
    this.closeTimeoutMs = opts.closeTimeoutMs ?? 5000;
    this.maxInflightBatches = Math.max(1, Math.floor(opts.maxInflightBatches ?? 2));
    this.log = opts.logger;
    if (this.sender.newEncoder && this.sender.sendEncoded) {
      this.encoder = this.sender.newEncoder();
      // spans are only read by the encoder (within an event-loop turn), never kept
      this.acceptsEndedSpans = true;
    }
    if (opts.handleProcessExit !== false) {
      live.add(this);
      hook();
    }
  }

  get queueLength(): number {
    return this.size;
  }
  /** A batch is being sent. */
  get busy(): boolean {
    return this.active > 0;
  }

  setMetrics(metrics: TracerMetrics): void {
    this.metrics = metrics;
    metrics.queueLengthSource = () => this.size;
  }

  report(span: Span): void {
    if (this.closed || this.size >= this.maxQueueSize) {
      this.stats.dropped++;
      if (this.metrics) this.metrics.reporterSpansDropped++;
      return;
    }
    this.size++;
    if (this.timer === undefined && this.flushIntervalMs > 0) this.armTimer();
    if (this.encoder !== undefined) {
      const staged = this.staged;
      staged.push(span);
      if (staged.length >= this.batchSize) this.encodeStaged();
      else if (!this.stageScheduled) {
        this.stageScheduled = true;
        setImmediate(this.onStageTimer);
      }
    } else this.queue.push(span);
    if (this.size >= this.batchSize && this.active < this.maxInflightBatches) this.schedulePump();
  }

  private readonly onStageTimer = (): void => {
    this.stageScheduled = false;
    this.encodeStaged();
  };

  /** Encodes the staged spans into the open batch, sealing it whenever it holds `batchSize`. */
  private encodeStaged(): void {
    const enc = this.encoder;
    const staged = this.staged;
    if (enc === undefined || staged.length === 0) return;
    this.staged = [];
    for (let i = 0; i < staged.length; i++) {
      try {
        enc.append(staged[i]);
      } catch {
        // a malformed span (never from our own tracer): count it, keep the rest
        this.size--;
        this.count('failed', 1);
        if (this.metrics) this.metrics.internalErrors++;
        continue;
      }
      if (enc.count >= this.batchSize) this.seal();
    }
  }

  private seal(): void {
    const enc = this.encoder!;
    const count = enc.count;
    if (count === 0) return;
    try {
      this.sealed.push({ body: enc.take(), count });
    } catch {
      enc.reset();
      this.size -= count;
      this.count('failed', count);
      if (this.metrics) this.metrics.internalErrors++;
    }
  }

  /**
   * The flush-interval timer runs only while spans are waiting (armed by the first span into an
   * empty queue), so an idle tracer never wakes the process up.
   */
  private armTimer(): void {
    this.timer = setTimeout(this.onTimer, this.flushIntervalMs);
    this.timer.unref();
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.forceNext = true;
    this.pump();
    if (this.size > 0 && !this.closed) this.armTimer();
  };

  /** Pumps on the next event-loop turn, so the current synchronous burst of reports can fill the batch. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Starts sends while batches are ready and fewer than `maxInflightBatches` are in flight. */
  private pump(): void {
    const force = this.forceNext;
    this.forceNext = false;
    while (!this.aborted && this.active < this.maxInflightBatches) {
      const b = this.take(force);
      if (b === undefined) break;
      this.active++;
      void this.sendWithRetry(b.count, b.send)
        .catch(() => {
          this.count('failed', b.count);
          if (this.metrics) this.metrics.internalErrors++;
        })
        .finally(() => {
          this.active--;
          const w = this.doneWaiters;
          this.doneWaiters = [];
          for (const f of w) f();
          this.pump();
        });
    }
  }

  /** The next batch to send: a full one, or (when `force`) whatever is queued. */
  private take(force: boolean): { count: number; send: () => Promise<SendOutcome> } | undefined {
    if (this.encoder !== undefined) {
      this.encodeStaged();
      if (this.sealed.length === 0 && force) this.seal();
      const b = this.sealed.shift();
      if (b === undefined) return undefined;
      this.size -= b.count;
      return { count: b.count, send: () => this.sender.sendEncoded!(b.body, b.count) };
    }
    if (this.queue.length === 0 || (this.queue.length < this.batchSize && !force)) return undefined;
    const batch = this.queue.splice(0, this.batchSize);
    this.size -= batch.length;
    return { count: batch.length, send: () => this.sender.send(batch) };
  }

  private nextDone(): Promise<void> {
    return new Promise<void>((r) => this.doneWaiters.push(r));
  }

  private count(kind: 'sent' | 'failed' | 'dropped', n: number): void {
    if (n <= 0) return;
    this.stats[kind] += n;
    const m = this.metrics;
    if (!m) return;
    if (kind === 'sent') m.reporterSpansSent += n;
    else if (kind === 'failed') m.reporterSpansFailed += n;
    else m.reporterSpansDropped += n;
  }

  private async sendWithRetry(n: number, send: () => Promise<SendOutcome>): Promise<void> {
    const deadline = Date.now() + this.maxRetryTimeMs;
    for (let attempt = 0; ; attempt++) {
      let o: SendOutcome;
      try {
        o = await send();
      } catch (e) {
        o = { ok: false, retryable: true, message: String(e) };
      }
      this.stats.batches++;
      if (o.ok) {
        this.count('dropped', o.dropped ?? 0);
        this.count('sent', n - (o.dropped ?? 0));
        return;
      }
      const backoff = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** attempt);
      // full jitter on the upper half: [backoff/2, backoff)
      let delay = backoff / 2 + Math.random() * (backoff / 2);
      if (o.retryAfterMs !== undefined) delay = Math.max(delay, o.retryAfterMs);
      if (!o.retryable || this.aborted || Date.now() + delay > deadline) {
        this.log?.(`ariadne tracer: ${this.sender.name}: dropping ${n} spans: ${o.message}`);
        this.count('failed', n);
        return;
      }
      this.stats.retries++;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(t);
          this.wakers.delete(wake);
          resolve();
        };
        const t = setTimeout(wake, delay);
        t.unref();
        this.wakers.add(wake);
      });
    }
  }

  /** Sends everything queued so far; resolves when done (delivered or given up on). */
  async flush(): Promise<void> {
    for (;;) {
      if (this.aborted) return;
      if (this.size > 0) {
        this.forceNext = true;
        this.pump();
      }
      if (this.active === 0) return; // nothing left, or nothing that can be taken
      await this.nextDone();
    }
  }

  /** Flushes (waiting at most `closeTimeoutMs`), then stops; later reports are dropped. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    let t: NodeJS.Timeout | undefined;
    await Promise.race([this.flush(), new Promise<void>((r) => (t = setTimeout(r, this.closeTimeoutMs)))]);
    clearTimeout(t);
    // whatever is left could not be delivered in time
    this.aborted = true;
    for (const w of [...this.wakers]) w();
    const left = this.size;
    this.queue = [];
    this.staged = [];
    this.sealed = [];
    this.encoder?.reset();
    this.size = 0;
    this.count('failed', left);
    try {
      await this.sender.close();
    } catch {
      // ignore
    }
    while (this.active > 0) await this.nextDone();
    live.delete(this);
    if (live.size === 0) unhook();
  }
}
