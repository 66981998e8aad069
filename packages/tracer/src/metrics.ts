/**
 * Tracer self-metrics: plain counters, incremented on the hot path without allocation, readable in
 * code (`tracer.metrics.snapshot()`) and as Prometheus text (`tracer.metrics.toPrometheus()`).
 */
export class TracerMetrics {
  /** Root spans started here (a new trace), by sampling decision. */
  tracesStartedSampled = 0;
  tracesStartedNotSampled = 0;
  /** Spans started with a remote parent (joining a trace from another process). */
  tracesJoinedSampled = 0;
  tracesJoinedNotSampled = 0;
  spansStartedSampled = 0;
  spansStartedNotSampled = 0;
  /** Sampled spans ended and handed to the reporter. */
  spansFinished = 0;
  /** `end()` called again on an ended span (ignored). */
  spansEndedTwice = 0;
  /** Reporter: spans accepted for sending / delivered / failed to deliver / dropped (queue full…). */
  reporterSpansReported = 0;
  reporterSpansSent = 0;
  reporterSpansFailed = 0;
  reporterSpansDropped = 0;
  /** Remote sampler. */
  samplerQueries = 0;
  samplerQueryFailures = 0;
  samplerUpdates = 0;
  samplerUpdateFailures = 0;
  /** Propagation: headers that could not be decoded (a new trace was started instead). */
  decodingErrors = 0;
  /** Exceptions swallowed so they never reach application code. */
  internalErrors = 0;

  /** Current reporter queue length; set by the reporter through `queueLengthSource`. */
  queueLengthSource: (() => number) | undefined = undefined;

  get reporterQueueLength(): number {
    try {
      return this.queueLengthSource ? this.queueLengthSource() : 0;
    } catch {
      return 0;
    }
  }

  snapshot(): Record<string, number> {
    return {
      tracesStartedSampled: this.tracesStartedSampled,
      tracesStartedNotSampled: this.tracesStartedNotSampled,
      tracesJoinedSampled: this.tracesJoinedSampled,
      tracesJoinedNotSampled: this.tracesJoinedNotSampled,
      spansStartedSampled: this.spansStartedSampled,
      spansStartedNotSampled: this.spansStartedNotSampled,
      spansFinished: this.spansFinished,
      spansEndedTwice: this.spansEndedTwice,
      reporterSpansReported: this.reporterSpansReported,
      reporterSpansSent: this.reporterSpansSent,
      reporterSpansFailed: this.reporterSpansFailed,
      reporterSpansDropped: this.reporterSpansDropped,
      reporterQueueLength: this.reporterQueueLength,
      samplerQueries: this.samplerQueries,
      samplerQueryFailures: this.samplerQueryFailures,
      samplerUpdates: this.samplerUpdates,
      samplerUpdateFailures: this.samplerUpdateFailures,
      decodingErrors: this.decodingErrors,
      internalErrors: this.internalErrors,
    };
  }

  /** Prometheus text exposition format (0.0.4), names in the style of jaeger-client's metrics. */
  toPrometheus(prefix = 'ariadne_tracer'): string {
    const out: string[] = [];
    const family = (name: string, type: 'counter' | 'gauge', help: string, rows: [string, number][]) => {
      out.push(`# HELP ${prefix}_${name} ${help}`, `# TYPE ${prefix}_${name} ${type}`);
      for (const [labels, v] of rows) out.push(`${prefix}_${name}${labels} ${v}`);
    };
    family('traces_total', 'counter', 'Traces started or joined by this tracer.', [
      ['{state="started",sampled="y"}', this.tracesStartedSampled],
      ['{state="started",sampled="n"}', this.tracesStartedNotSampled],
      ['{state="joined",sampled="y"}', this.tracesJoinedSampled],
      ['{state="joined",sampled="n"}', this.tracesJoinedNotSampled],
    ]);
    family('started_spans_total', 'counter', 'Spans started.', [
      ['{sampled="y"}', this.spansStartedSampled],
      ['{sampled="n"}', this.spansStartedNotSampled],
    ]);
    family('finished_spans_total', 'counter', 'Sampled spans finished and handed to the reporter.', [
      ['', this.spansFinished],
    ]);
    family('reporter_spans_total', 'counter', 'Spans by reporter outcome.', [
      ['{result="reported"}', this.reporterSpansReported],
      ['{result="ok"}', this.reporterSpansSent],
      ['{result="err"}', this.reporterSpansFailed],
      ['{result="dropped"}', this.reporterSpansDropped],
    ]);
    family('reporter_queue_length', 'gauge', 'Spans waiting in the reporter queue.', [
      ['', this.reporterQueueLength],
    ]);
    family('sampler_queries_total', 'counter', 'Remote sampling strategy queries.', [
      ['{result="ok"}', this.samplerQueries - this.samplerQueryFailures],
      ['{result="err"}', this.samplerQueryFailures],
    ]);
    family('sampler_updates_total', 'counter', 'Sampler updates from remote strategies.', [
      ['{result="ok"}', this.samplerUpdates],
      ['{result="err"}', this.samplerUpdateFailures],
    ]);
    family('span_context_decoding_errors_total', 'counter', 'Incoming trace headers that could not be decoded.', [
      ['', this.decodingErrors],
    ]);
    family('internal_errors_total', 'counter', 'Errors caught inside the tracer.', [['', this.internalErrors]]);
    return out.join('\n') + '\n';
  }
}
