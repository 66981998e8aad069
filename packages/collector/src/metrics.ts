/**
 * Collector metrics with Prometheus text exposition (format 0.0.4).
 *
 * Hand-written rather than `prom-client`: we need three counters, two gauges and two histograms,
 * the exposition format is a few dozen lines, and `prom-client` brings a process-global default
 * registry and default collectors (GC, event loop, …) that would clash when several pipelines (or
 * tests) live in one process. Here every `CollectorMetrics` is its own registry.
 */

type Labels = Record<string, string>;

/** Escape a label value: backslash, double quote and line feed. */
function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function labelString(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const parts: string[] = [];
  for (let i = 0; i < names.length; i++) parts.push(`${names[i]}="${escapeLabelValue(values[i])}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

interface Metric {
  readonly name: string;
  expose(): string;
}

abstract class Labelled<T> implements Metric {
  protected readonly series = new Map<string, { values: string[]; data: T }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    /** Distinct label sets kept; further ones are folded into one series whose labels are all "_other". */
    protected readonly maxSeries = 2000,
  ) {}

  protected abstract init(): T;

  protected get(labels: Labels): T {
    const values = this.labelNames.map((n) => labels[n] ?? '');
    const key = values.join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      if (this.series.size >= this.maxSeries) {
        const other = this.labelNames.map(() => '_other');
        const okey = other.join('\u0000');
        s = this.series.get(okey);
        if (!s) {
          s = { values: other, data: this.init() };
          this.series.set(okey, s);
        }
        return s.data;
      }
      s = { values, data: this.init() };
      this.series.set(key, s);
    }
    return s.data;
  }

  abstract expose(): string;
}

export class Counter extends Labelled<{ v: number }> {
  protected init() {
    return { v: 0 };
  }
  inc(labels: Labels = {}, by = 1): void {
    if (by < 0) throw new RangeError(`counter ${this.name} cannot decrease`);
    this.get(labels).v += by;
  }
  /** The current value for one label set (0 when never incremented). */
  value(labels: Labels = {}): number {
    const key = this.labelNames.map((n) => labels[n] ?? '').join('\u0000');
    return this.series.get(key)?.data.v ?? 0;
  }
  /** Sum over every label set. */
  total(): number {
    let t = 0;
    for (const s of this.series.values()) t += s.data.v;
    return t;
  }
  expose(): string {
    let out = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} counter\n`;
    for (const s of this.series.values()) out += `${this.name}${labelString(this.labelNames, s.values)} ${formatValue(s.data.v)}\n`;
    return out;
  }
}

/** A gauge whose value is read when exposed. */
export class Gauge implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => number,
  ) {}
  value(): number {
    return this.read();
  }
  expose(): string {
    return `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} gauge\n${this.name} ${formatValue(this.read())}\n`;
  }
}

export class Histogram extends Labelled<{ counts: number[]; sum: number; count: number }> {
  readonly buckets: readonly number[];
  constructor(name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []) {
    super(name, help, labelNames);
    this.buckets = [...buckets].sort((a, b) => a - b);
  }
  protected init() {
    return { counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 };
  }
  observe(v: number, labels: Labels = {}): void {
    const d = this.get(labels);
    // Buckets are cumulative in the exposition; store per-bucket counts and sum them on output.
    for (let i = 0; i < this.buckets.length; i++) {
      if (v <= this.buckets[i]) {
        d.counts[i]++;
        break;
      }
    }
    d.sum += v;
    d.count++;
  }
  /** Observations so far (over every label set). */
  count(): number {
    let c = 0;
    for (const s of this.series.values()) c += s.data.count;
    return c;
  }
  expose(): string {
    let out = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} histogram\n`;
    for (const s of this.series.values()) {
      let cum = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        cum += s.data.counts[i];
        out += `${this.name}_bucket${labelString(this.labelNames, s.values, ['le', formatValue(this.buckets[i])])} ${cum}\n`;
      }
      out += `${this.name}_bucket${labelString(this.labelNames, s.values, ['le', '+Inf'])} ${s.data.count}\n`;
      out += `${this.name}_sum${labelString(this.labelNames, s.values)} ${formatValue(s.data.sum)}\n`;
      out += `${this.name}_count${labelString(this.labelNames, s.values)} ${s.data.count}\n`;
    }
    return out;
  }
}

/** A small registry: metrics in registration order. */
export class Registry {
  private readonly metrics: Metric[] = [];
  register<M extends Metric>(m: M): M {
    if (this.metrics.some((x) => x.name === m.name)) throw new Error(`metric ${m.name} registered twice`);
    this.metrics.push(m);
    return m;
  }
  /** Prometheus text exposition format 0.0.4. */
  toPrometheus(): string {
    return this.metrics.map((m) => m.expose()).join('');
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Seconds: 0.5 ms … 10 s. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_SIZE_BUCKETS = [1, 5, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/** The metrics of one ingest pipeline and the receivers feeding it. */
export class CollectorMetrics {
  readonly registry = new Registry();
  readonly spansReceived: Counter;
  readonly spansRejected: Counter;
  readonly spansStored: Counter;
  readonly spansFailed: Counter;
  readonly refused: Counter;
  readonly requests: Counter;
  readonly batchCommitSeconds: Histogram;
  readonly batchSpans: Histogram;
  private queueSpans: () => number = () => 0;
  private queueBytes: () => number = () => 0;

  constructor(prefix = 'ariadne_collector') {
    const r = this.registry;
    this.spansReceived = r.register(new Counter(`${prefix}_spans_received_total`, 'Spans decoded from requests, before validation.', ['protocol', 'service']));
    this.spansRejected = r.register(new Counter(`${prefix}_spans_rejected_total`, 'Spans rejected by validation (reported back as partial success).', ['protocol', 'service']));
    this.spansStored = r.register(new Counter(`${prefix}_spans_stored_total`, 'Spans committed by the store and acknowledged.', ['protocol', 'service']));
    this.spansFailed = r.register(new Counter(`${prefix}_spans_failed_total`, 'Accepted spans whose store write failed (not acknowledged).', ['protocol', 'service']));
    this.refused = r.register(new Counter(`${prefix}_ingest_refused_total`, 'Ingest calls refused before queueing (queue full, pipeline closed).', ['protocol', 'reason']));
    this.requests = r.register(new Counter(`${prefix}_requests_total`, 'Requests answered by receivers, by status code.', ['receiver', 'code']));
    r.register(new Gauge(`${prefix}_queue_spans`, 'Spans queued or being written (not yet acknowledged).', () => this.queueSpans()));
    r.register(new Gauge(`${prefix}_queue_bytes`, 'Estimated memory of spans queued or being written.', () => this.queueBytes()));
    this.batchCommitSeconds = r.register(new Histogram(`${prefix}_batch_commit_seconds`, 'Latency of one store write (batch commit).', LATENCY_BUCKETS));
    this.batchSpans = r.register(new Histogram(`${prefix}_batch_spans`, 'Spans per store write.', BATCH_SIZE_BUCKETS));
  }

  /** Wire the queue gauges to their source (the pipeline does this). */
  bindQueue(spans: () => number, bytes: () => number): void {
    this.queueSpans = spans;
    this.queueBytes = bytes;
  }

  toPrometheus(): string {
    return this.registry.toPrometheus();
  }
}
