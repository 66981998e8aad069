/**
 * Samplers decide, once per trace (at its root in this process), whether spans are recorded and
 * exported. Jaeger's (const, probabilistic, rate limiting, per-operation, remote) and OpenTelemetry's
 * (always_on/off, traceidratio, parentbased_*) share this one interface. The decision is recorded on
 * the root span as `sampler.type` / `sampler.param` tags, as Jaeger does. Results are preallocated:
 * sampling allocates nothing.
 */
import type { SpanContext } from '@opentelemetry/api';
import { SamplingDecision, TraceFlags } from '@opentelemetry/api';
import type { Attribute } from '@ariadne/model';

export { SamplingDecision };

export interface SamplingResult {
  readonly decision: SamplingDecision;
  /** Tags the tracer puts on the root span (e.g. sampler.type / sampler.param). */
  readonly attributes?: readonly Attribute[];
}

export interface Sampler {
  /**
   * @param parent the parent span context when it is valid (local or remote), else undefined
   * @param kind model SpanKind (OTLP numbering)
   */
  shouldSample(traceId: string, name: string, parent: SpanContext | undefined, kind: number): SamplingResult;
  toString(): string;
  /** Stops timers (remote sampler). */
  close?(): void;
  /** False when decisions for new traces never look at the trace id (lets the tracer skip drawing one). */
  readonly usesTraceId?: boolean;
}

export const SAMPLER_TYPE_TAG = 'sampler.type';
export const SAMPLER_PARAM_TAG = 'sampler.param';

function result(decision: SamplingDecision, type?: string, param?: string | number | boolean): SamplingResult {
  if (type === undefined) return Object.freeze({ decision });
  const attrs: Attribute[] = [
    { key: SAMPLER_TYPE_TAG, value: { type: 'string', value: type } },
    {
      key: SAMPLER_PARAM_TAG,
      value:
        typeof param === 'boolean'
          ? { type: 'bool', value: param }
          : typeof param === 'number'
            ? Number.isInteger(param)
              ? { type: 'int', value: param }
              : { type: 'double', value: param }
            : { type: 'string', value: String(param) },
    },
  ];
  return Object.freeze({ decision, attributes: Object.freeze(attrs) });
}

export const NOT_SAMPLED: SamplingResult = result(SamplingDecision.NOT_RECORD);
export const SAMPLED: SamplingResult = result(SamplingDecision.RECORD_AND_SAMPLED);

/** Jaeger `const`: all or nothing (OTel `always_on` / `always_off`). */
export class ConstSampler implements Sampler {
  readonly usesTraceId = false;
  private readonly res: SamplingResult;
  constructor(readonly decision: boolean) {
    this.res = result(decision ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD, 'const', decision);
  }
  shouldSample(): SamplingResult {
    return this.res;
  }
  toString(): string {
    return `ConstSampler{${this.decision ? 'always' : 'never'}}`;
  }
}

function checkRate(rate: number, what: string): number {
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new RangeError(`${what}: sampling rate must be a number in [0, 1], got ${String(rate)}`);
  }
  return rate;
}

const TWO_POW_32 = 4294967296;
const TWO_POW_63 = 9223372036854775808;

/**
 * The low 63 bits of the trace id as a double (Jaeger compares `traceId.low & MaxInt64` with
 * `rate * 2^63`; rounding to a double changes decisions only within 2^-53 of the boundary).
 */
function low63(traceId: string): number {
  const n = traceId.length;
  const hi = parseInt(traceId.substring(n - 16, n - 8), 16) & 0x7fffffff;
  const lo = parseInt(traceId.substring(n - 8), 16);
  return hi * TWO_POW_32 + lo;
}

/** Jaeger `probabilistic`: deterministic on the trace id, so every service decides alike. */
export class ProbabilisticSampler implements Sampler {
  readonly samplingRate: number;
  private readonly boundary: number;
  private readonly yes: SamplingResult;
  private readonly no: SamplingResult;
  constructor(samplingRate: number) {
    this.samplingRate = checkRate(samplingRate, 'probabilistic sampler');
    this.boundary = this.samplingRate * TWO_POW_63;
    this.yes = result(SamplingDecision.RECORD_AND_SAMPLED, 'probabilistic', this.samplingRate);
    this.no = result(SamplingDecision.NOT_RECORD, 'probabilistic', this.samplingRate);
  }
  /** The decision alone. */
  isSampled(traceId: string): boolean {
    return this.samplingRate >= 1 || low63(traceId) < this.boundary;
  }
  shouldSample(traceId: string): SamplingResult {
    return this.isSampled(traceId) ? this.yes : this.no;
  }
  toString(): string {
    return `ProbabilisticSampler{${this.samplingRate}}`;
  }
}

/**
 * OTel `traceidratio`, with the OpenTelemetry JS SDK's algorithm (xor of the id's 32-bit words
 * compared with `ratio * 0xffffffff`), so it decides exactly as that SDK does for the same trace.
 */
export class TraceIdRatioSampler implements Sampler {
  readonly ratio: number;
  private readonly upper: number;
  private readonly yes: SamplingResult;
  private readonly no: SamplingResult;
  constructor(ratio: number) {
    this.ratio = checkRate(ratio, 'traceidratio sampler');
    this.upper = Math.floor(this.ratio * 0xffffffff);
    this.yes = result(SamplingDecision.RECORD_AND_SAMPLED, 'traceidratio', this.ratio);
    this.no = result(SamplingDecision.NOT_RECORD, 'traceidratio', this.ratio);
  }
  shouldSample(traceId: string): SamplingResult {
    let acc = 0;
    for (let i = 0; i < traceId.length / 8; i++) {
      acc = (acc ^ parseInt(traceId.slice(i * 8, i * 8 + 8), 16)) >>> 0;
    }
    return acc <= this.upper ? this.yes : this.no;
  }
  toString(): string {
    return `TraceIdRatioBased{${this.ratio}}`;
  }
}

/** Token bucket: `creditsPerSecond` refill, at most `maxBalance` banked. */
export class RateLimiter {
  private balance: number;
  private last: number;
  constructor(
    private creditsPerSecond: number,
    private maxBalance: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.balance = maxBalance;
    this.last = now();
  }
  update(creditsPerSecond: number, maxBalance: number): void {
    this.refill();
    this.creditsPerSecond = creditsPerSecond;
    this.balance = maxBalance > 0 ? (this.balance * maxBalance) / (this.maxBalance || 1) : 0;
    this.maxBalance = maxBalance;
  }
  private refill(): void {
    const t = this.now();
    const elapsed = (t - this.last) / 1000;
    this.last = t;
    if (elapsed > 0) this.balance = Math.min(this.maxBalance, this.balance + elapsed * this.creditsPerSecond);
  }
  checkCredit(cost = 1): boolean {
    this.refill();
    if (this.balance >= cost) {
      this.balance -= cost;
      return true;
    }
    return false;
  }
}

/** Jaeger `ratelimiting`: at most `maxTracesPerSecond` new traces per second (token bucket). */
export class RateLimitingSampler implements Sampler {
  readonly usesTraceId = false;
  readonly maxTracesPerSecond: number;
  private readonly limiter: RateLimiter;
  private readonly yes: SamplingResult;
  private readonly no: SamplingResult;
  constructor(maxTracesPerSecond: number, now?: () => number) {
    if (typeof maxTracesPerSecond !== 'number' || !Number.isFinite(maxTracesPerSecond) || maxTracesPerSecond < 0) {
      throw new RangeError(`ratelimiting sampler: traces per second must be a number >= 0, got ${String(maxTracesPerSecond)}`);
    }
    this.maxTracesPerSecond = maxTracesPerSecond;
    this.limiter = new RateLimiter(maxTracesPerSecond, Math.max(maxTracesPerSecond, 1), now);
    this.yes = result(SamplingDecision.RECORD_AND_SAMPLED, 'ratelimiting', maxTracesPerSecond);
    this.no = result(SamplingDecision.NOT_RECORD, 'ratelimiting', maxTracesPerSecond);
  }
  shouldSample(): SamplingResult {
    return this.maxTracesPerSecond > 0 && this.limiter.checkCredit(1) ? this.yes : this.no;
  }
  toString(): string {
    return `RateLimitingSampler{${this.maxTracesPerSecond}}`;
  }
}

/**
 * Jaeger's guaranteed-throughput sampler: probabilistic, but at least `lowerBound` traces per second
 * are sampled (tagged `sampler.type=lowerbound`).
 */
export class GuaranteedThroughputSampler implements Sampler {
  probabilistic: ProbabilisticSampler;
  private readonly limiter: RateLimiter;
  private lowerBoundYes: SamplingResult;
  constructor(
    samplingRate: number,
    public lowerBound: number,
    now?: () => number,
  ) {
    this.probabilistic = new ProbabilisticSampler(samplingRate);
    this.limiter = new RateLimiter(lowerBound, Math.max(lowerBound, 1), now);
    this.lowerBoundYes = result(SamplingDecision.RECORD_AND_SAMPLED, 'lowerbound', samplingRate);
  }
  /**
   * New rate and lower bound in place: the rate limiter keeps its balance (as jaeger-client does),
   * so a strategy refresh does not hand every operation a fresh lower-bound credit.
   */
  update(samplingRate: number, lowerBound: number): void {
    if (samplingRate !== this.probabilistic.samplingRate) {
      this.probabilistic = new ProbabilisticSampler(samplingRate);
      this.lowerBoundYes = result(SamplingDecision.RECORD_AND_SAMPLED, 'lowerbound', samplingRate);
    }
    if (lowerBound !== this.lowerBound) {
      this.limiter.update(lowerBound, Math.max(lowerBound, 1));
      this.lowerBound = lowerBound;
    }
  }
  shouldSample(traceId: string, name: string, parent: SpanContext | undefined, kind: number): SamplingResult {
    const r = this.probabilistic.shouldSample(traceId);
    if (r.decision === SamplingDecision.RECORD_AND_SAMPLED) {
      this.limiter.checkCredit(1);
      return r;
    }
    if (this.lowerBound > 0 && this.limiter.checkCredit(1)) return this.lowerBoundYes;
    void name;
    void parent;
    void kind;
    return r;
  }
  toString(): string {
    return `GuaranteedThroughputSampler{rate=${this.probabilistic.samplingRate},lowerBound=${this.lowerBound}}`;
  }
}

export interface PerOperationStrategies {
  defaultSamplingProbability: number;
  defaultLowerBoundTracesPerSecond: number;
  perOperationStrategies: { operation: string; probabilisticSampling: { samplingRate: number } }[];
  defaultUpperBoundTracesPerSecond?: number;
}

/**
 * Jaeger's per-operation sampler: one guaranteed-throughput sampler per operation name (at most
 * `maxOperations`; others use the default probabilistic sampler).
 */
export class PerOperationSampler implements Sampler {
  private readonly samplers = new Map<string, GuaranteedThroughputSampler>();
  private defaultSampler: ProbabilisticSampler;
  constructor(
    public strategies: PerOperationStrategies,
    readonly maxOperations = 2000,
    private readonly now?: () => number,
  ) {
    this.defaultSampler = new ProbabilisticSampler(strategies.defaultSamplingProbability);
    for (const s of strategies.perOperationStrategies ?? []) {
      if (this.samplers.size >= maxOperations) break;
      this.samplers.set(
        s.operation,
        new GuaranteedThroughputSampler(s.probabilisticSampling.samplingRate, strategies.defaultLowerBoundTracesPerSecond, now),
      );
    }
  }
  shouldSample(traceId: string, name: string, parent: SpanContext | undefined, kind: number): SamplingResult {
    let s = this.samplers.get(name);
    if (!s) {
      if (this.samplers.size >= this.maxOperations) return this.defaultSampler.shouldSample(traceId);
      s = new GuaranteedThroughputSampler(
        this.strategies.defaultSamplingProbability,
        this.strategies.defaultLowerBoundTracesPerSecond,
        this.now,
      );
      this.samplers.set(name, s);
    }
    return s.shouldSample(traceId, name, parent, kind);
  }
  /**
   * Take new strategies in place (what the remote sampler does on every refresh): operations keep
   * their samplers and rate-limiter balances, listed ones get their new rate, the others the new
   * default rate; the lower bound changes for all.
   */
  update(strategies: PerOperationStrategies): void {
    this.strategies = strategies;
    this.defaultSampler = new ProbabilisticSampler(strategies.defaultSamplingProbability);
    const rates = new Map<string, number>();
    for (const s of strategies.perOperationStrategies ?? []) rates.set(s.operation, s.probabilisticSampling.samplingRate);
    for (const [op, s] of this.samplers) s.update(rates.get(op) ?? strategies.defaultSamplingProbability, strategies.defaultLowerBoundTracesPerSecond);
    for (const [op, rate] of rates) {
      if (this.samplers.size >= this.maxOperations) break;
      if (!this.samplers.has(op)) this.samplers.set(op, new GuaranteedThroughputSampler(rate, strategies.defaultLowerBoundTracesPerSecond, this.now));
    }
  }
  toString(): string {
    return `PerOperationSampler{default=${this.strategies.defaultSamplingProbability},operations=${this.samplers.size}}`;
  }
}

export interface ParentBasedOptions {
  root: Sampler;
  remoteParentSampled?: Sampler;
  remoteParentNotSampled?: Sampler;
  localParentSampled?: Sampler;
  localParentNotSampled?: Sampler;
}

const ALWAYS_ON = new ConstSampler(true);
const ALWAYS_OFF = new ConstSampler(false);

/** OTel `parentbased_*`: follow the parent's sampled flag; `root` decides for new traces. */
export class ParentBasedSampler implements Sampler {
  private readonly root: Sampler;
  private readonly remoteSampled: Sampler;
  private readonly remoteNotSampled: Sampler;
  private readonly localSampled: Sampler;
  private readonly localNotSampled: Sampler;
  readonly usesTraceId: boolean;
  constructor(options: ParentBasedOptions) {
    this.root = options.root;
    // for new traces only the root sampler decides
    this.usesTraceId = options.root.usesTraceId !== false;
    this.remoteSampled = options.remoteParentSampled ?? ALWAYS_ON;
    this.remoteNotSampled = options.remoteParentNotSampled ?? ALWAYS_OFF;
    this.localSampled = options.localParentSampled ?? ALWAYS_ON;
    this.localNotSampled = options.localParentNotSampled ?? ALWAYS_OFF;
  }
  shouldSample(traceId: string, name: string, parent: SpanContext | undefined, kind: number): SamplingResult {
    if (!parent) return this.root.shouldSample(traceId, name, parent, kind);
    const sampled = (parent.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
    const s = parent.isRemote
      ? sampled
        ? this.remoteSampled
        : this.remoteNotSampled
      : sampled
        ? this.localSampled
        : this.localNotSampled;
    return s.shouldSample(traceId, name, parent, kind);
  }
  close(): void {
    this.root.close?.();
  }
  toString(): string {
    return `ParentBased{root=${this.root.toString()}}`;
  }
}
