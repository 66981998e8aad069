/**
 * Reporters receive finished, sampled spans (model spans, immutable from then on). `report` is
 * called on the application's hot path: it must not block, must not throw (the tracer guards it
 * anyway) and must hold bounded memory, counting what it drops in the tracer's metrics.
 */
import type { Span } from '@ariadne/model';
import { shortTraceId } from '@ariadne/model';
import type { TracerMetrics } from './metrics.js';

export interface Reporter {
  report(span: Span): void;
  /** Resolves when everything reported so far was delivered (or given up on). */
  flush(): Promise<void>;
  /** Flushes, then releases resources; later reports are dropped. */
  close(): Promise<void>;
  /** Called once by the tracer so the reporter can count sent/failed/dropped and its queue. */
  setMetrics?(metrics: TracerMetrics): void;
  /**
   * True when the reporter only reads the model fields of a reported span (and keeps nothing
   * after it is done with it): the tracer then reports the ended span object itself, which has
   * every model field, instead of copying it into a plain model object. Reporters that keep
   * spans or hand them on (memory, composite) leave this unset.
   */
  readonly acceptsEndedSpans?: boolean;
}

/** Discards every span. */
export class NullReporter implements Reporter {
  report(_span: Span): void {}
  flush(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Keeps finished spans in memory (for tests), bounded: beyond `maxSpans` new spans are dropped. */
export class InMemoryReporter implements Reporter {
  readonly spans: Span[] = [];
  readonly maxSpans: number;
  dropped = 0;
  private metrics: TracerMetrics | undefined;
  private closed = false;

  constructor(options: { maxSpans?: number } = {}) {
    this.maxSpans = options.maxSpans ?? 100_000;
  }
  setMetrics(metrics: TracerMetrics): void {
    this.metrics = metrics;
  }
  report(span: Span): void {
    if (this.closed || this.spans.length >= this.maxSpans) {
      this.dropped++;
      if (this.metrics) this.metrics.reporterSpansDropped++;
      return;
    }
    this.spans.push(span);
    if (this.metrics) this.metrics.reporterSpansSent++;
  }
  /** Removes and returns everything held so far. */
  take(): Span[] {
    return this.spans.splice(0, this.spans.length);
  }
  clear(): void {
    this.spans.length = 0;
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/** Logs one line per finished span, like jaeger-client's LoggingReporter. */
export class LoggingReporter implements Reporter {
  constructor(private readonly log: (line: string) => void = (l) => console.log(l)) {}
  report(span: Span): void {
    try {
      this.log(`Reporting span ${shortTraceId(span.traceId)}:${span.spanId}:${span.parentSpanId || '0'}:${span.flags & 0xff} ${span.name}`);
    } catch {
      // never throw into the app
    }
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Hands every span to each of its reporters in turn. */
export class CompositeReporter implements Reporter {
  constructor(readonly reporters: Reporter[]) {}
  setMetrics(metrics: TracerMetrics): void {
    for (const r of this.reporters) r.setMetrics?.(metrics);
  }
  report(span: Span): void {
    for (const r of this.reporters) {
      try {
        r.report(span);
      } catch {
        // one bad reporter does not stop the others
      }
    }
  }
  async flush(): Promise<void> {
    await Promise.allSettled(this.reporters.map((r) => r.flush()));
  }
  async close(): Promise<void> {
    await Promise.allSettled(this.reporters.map((r) => r.close()));
  }
}
