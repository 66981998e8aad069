import { readFileSync } from 'node:fs';
import { attributeValueToString, StatusCode } from '@ariadne/model';
import type { Attribute, Span } from '@ariadne/model';
import { Counter, Gauge, type CollectorMetrics } from './metrics.js';

/**
 * Tail-based sampling: spans are held per trace for a decision window that starts when the trace's
 * first span arrives; then the policies are evaluated in order on the spans held, and the first
 * one that matches keeps the whole trace (it is handed on to be stored); a trace no policy matches
 * is dropped. Decisions are remembered (a bounded cache, `decisionCacheSize` traces for at most
 * `decisionCacheTtlMs`), so spans arriving after the decision follow it: kept traces stay whole,
 * dropped ones leave nothing behind.
 *
 * Memory is bounded by `maxSpans` spans held: when a new batch would exceed it, the oldest traces
 * are decided at once (early) on the spans they have, and held spans being handed on count too: when
 * those alone reach `maxSpans` (the store cannot keep up), `offer` refuses with `TailBufferFullError`
 * (receivers answer 503 + Retry-After, nothing of the batch taken).
 */

export type TailPolicy =
  | { name?: string; type: 'error' }
  | { name?: string; type: 'latency'; thresholdMs: number; service?: string; operation?: string }
  | { name?: string; type: 'attribute'; key: string; values?: string[]; regex?: string; service?: string }
  | { name?: string; type: 'probabilistic'; rate: number }
  | { name?: string; type: 'rate_limiting'; tracesPerSecond: number };

export interface TailSamplingOptions {
  /** Evaluated in order; the first match keeps the trace. */
  policies: TailPolicy[];
  /** How long after its first span a trace is decided. Default 5000 ms. */
  decisionWaitMs?: number;
  /** Spans held (waiting for a decision or being handed on) at most. Default 100 000. */
  maxSpans?: number;
  /** Decisions remembered for late spans. Default 100 000 traces. */
  decisionCacheSize?: number;
  /** …each for at most this long. Default 5 minutes. */
  decisionCacheTtlMs?: number;
  metrics?: CollectorMetrics;
  now?: () => number;
  /** Called when kept spans could not be handed on (after retries): they are lost. */
  onReleaseError?: (err: Error, spans: number) => void;
}

export class TailPolicyError extends Error {
  override name = 'TailPolicyError';
}

/** The tail-sampling buffer cannot take more now (kept traces are not being stored fast enough). */
export class TailBufferFullError extends Error {
  override name = 'TailBufferFullError';
  constructor(readonly retryAfterSeconds: number) {
    super(`tail sampling buffer full: retry after ${retryAfterSeconds}s`);
  }
}

const POLICY_FIELDS: Record<TailPolicy['type'], string[]> = {
  error: [],
  latency: ['thresholdMs', 'service', 'operation'],
  attribute: ['key', 'values', 'regex', 'service'],
  probabilistic: ['rate'],
  rate_limiting: ['tracesPerSecond'],
};

/** Validate a policies document (`{"policies": [...]}` or a bare array); errors name the bad key. */
export function parseTailPolicies(json: unknown): TailPolicy[] {
  const list = Array.isArray(json) ? json : json && typeof json === 'object' ? (json as { policies?: unknown }).policies : undefined;
  if (!Array.isArray(list)) throw new TailPolicyError('tail sampling policies: expected {"policies": [...]}');
  const names = new Set<string>();
  return list.map((p: unknown, i: number) => {
    const w = `policies[${i}]`;
    if (!p || typeof p !== 'object' || Array.isArray(p)) throw new TailPolicyError(`${w}: must be an object`);
    const o = p as Record<string, unknown>;
    const type = o.type as TailPolicy['type'];
    if (!(type in POLICY_FIELDS)) throw new TailPolicyError(`${w}.type: must be one of ${Object.keys(POLICY_FIELDS).join(', ')}, got ${JSON.stringify(o.type)}`);
    for (const k of Object.keys(o)) if (k !== 'type' && k !== 'name' && !POLICY_FIELDS[type].includes(k)) throw new TailPolicyError(`${w}.${k}: unknown field for a ${type} policy`);
    const name = o.name === undefined ? (type === 'latency' || type === 'attribute' ? `${type}-${i}` : type) : o.name;
    if (typeof name !== 'string' || !name) throw new TailPolicyError(`${w}.name: must be a non-empty string`);
    if (names.has(name)) throw new TailPolicyError(`${w}.name: ${JSON.stringify(name)} appears twice`);
    names.add(name);
    const str = (k: string, required: boolean): string | undefined => {
      const v = o[k];
      if (v === undefined && !required) return undefined;
      if (typeof v !== 'string' || !v) throw new TailPolicyError(`${w}.${k}: must be a non-empty string`);
      return v;
    };
    const num = (k: string, min: number, max: number): number => {
      const v = o[k];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new TailPolicyError(`${w}.${k}: must be a number in [${min}, ${max}]`);
      return v;
    };
    switch (type) {
      case 'error':
        return { name, type };
      case 'latency': {
        const r: TailPolicy = { name, type, thresholdMs: num('thresholdMs', 0, 1e12) };
        const service = str('service', false);
        const operation = str('operation', false);
        if (service) r.service = service;
        if (operation) r.operation = operation;
        return r;
      }
      case 'attribute': {
        const r: TailPolicy = { name, type, key: str('key', true)! };
        if (o.values !== undefined) {
          if (!Array.isArray(o.values) || o.values.some((v) => typeof v !== 'string')) throw new TailPolicyError(`${w}.values: must be an array of strings`);
          r.values = o.values as string[];
        }
        const regex = str('regex', false);
        if (regex) {
          try {
            new RegExp(regex);
          } catch (e) {
            throw new TailPolicyError(`${w}.regex: ${(e as Error).message}`);
          }
          r.regex = regex;
        }
        const service = str('service', false);
        if (service) r.service = service;
        return r;
      }
      case 'probabilistic':
        return { name, type, rate: num('rate', 0, 1) };
      case 'rate_limiting':
        return { name, type, tracesPerSecond: num('tracesPerSecond', 0, 1e9) };
    }
  });
}

export function loadTailPolicies(file: string): TailPolicy[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new TailPolicyError(`cannot read tail sampling policies ${file}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TailPolicyError(`tail sampling policies ${file} is not valid JSON: ${(e as Error).message}`);
  }
  return parseTailPolicies(json);
}

/**
 * A 32-bit FNV-1a hash of the trace id with a seed: the probabilistic policy's coin. Deterministic
 * (every collector decides a trace alike) and independent of the head samplers' trace-id bits (a
 * head sampler keeping ids below a bound must not bias the tail share).
 */
export function traceHash(traceId: string, seed = 0x9e3779b9): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < traceId.length; i++) {
    h ^= traceId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // final avalanche (murmur3 fmix32) so nearby ids spread
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

type Matcher = (spans: readonly Span[], now: number) => boolean;

function isError(s: Span): boolean {
  if (s.status.code === StatusCode.ERROR) return true;
  for (const a of s.attributes) if (a.key === 'error' && ((a.value.type === 'bool' && a.value.value) || (a.value.type === 'string' && a.value.value === 'true'))) return true;
  return false;
}

function compile(p: TailPolicy): Matcher {
  switch (p.type) {
    case 'error':
      return (spans) => spans.some(isError);
    case 'latency': {
      const ns = BigInt(Math.round(p.thresholdMs * 1e6));
      if (p.service || p.operation) {
        return (spans) => spans.some((s) => (!p.service || s.resource.serviceName === p.service) && (!p.operation || s.name === p.operation) && s.endTimeUnixNano - s.startTimeUnixNano >= ns);
      }
      return (spans) => {
        let min = spans[0].startTimeUnixNano;
        let max = spans[0].endTimeUnixNano;
        for (const s of spans) {
          if (s.startTimeUnixNano < min) min = s.startTimeUnixNano;
          if (s.endTimeUnixNano > max) max = s.endTimeUnixNano;
        }
        return max - min >= ns;
      };
    }
    case 'attribute': {
      const re = p.regex ? new RegExp(p.regex) : undefined;
      const values = p.values ? new Set(p.values) : undefined;
      const hit = (attrs: readonly Attribute[]) =>
        attrs.some((a) => {
          if (a.key !== p.key) return false;
          if (!values && !re) return true;
          const v = attributeValueToString(a.value);
          return (values?.has(v) ?? false) || (re?.test(v) ?? false);
        });
      return (spans) => spans.some((s) => (!p.service || s.resource.serviceName === p.service) && (hit(s.attributes) || hit(s.resource.attributes)));
    }
    case 'probabilistic': {
      const bound = p.rate * 4294967296;
      return (spans) => p.rate >= 1 || traceHash(spans[0].traceId) < bound;
    }
    case 'rate_limiting': {
      let balance = Math.max(1, p.tracesPerSecond);
      let last: number | undefined;
      return (_spans, now) => {
        if (last !== undefined) balance = Math.min(Math.max(1, p.tracesPerSecond), balance + ((now - last) / 1000) * p.tracesPerSecond);
        last = now;
        if (p.tracesPerSecond > 0 && balance >= 1) {
          balance -= 1;
          return true;
        }
        return false;
      };
    }
  }
}

interface Held {
  spans: Span[];
  deadline: number;
}

export class TailSampler {
  readonly decisionWaitMs: number;
  readonly maxSpans: number;
  readonly decisionCacheSize: number;
  readonly decisionCacheTtlMs: number;
  private readonly policies: { name: string; match: Matcher }[];
  private readonly now: () => number;
  /** traceId → spans held, in first-seen order (so deadlines are in order too). */
  private held = new Map<string, Held>();
  private heldSpans = 0;
  /** Kept spans handed on and not yet stored. */
  private releasing = 0;
  private releases = new Set<Promise<void>>();
  /** traceId → kept?, in decision order. */
  private decided = new Map<string, { keep: boolean; at: number }>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  private readonly tracesDecided: Counter | undefined;
  private readonly spansDecided: Counter | undefined;
  private readonly lateSpans: Counter | undefined;
  private readonly early: Counter | undefined;
  private readonly lost: Counter | undefined;
  private readonly onReleaseError: TailSamplingOptions['onReleaseError'];

  constructor(
    opts: TailSamplingOptions,
    /** Hands kept spans on (to the ingest pipeline); resolves once they are stored. */
    private readonly release: (spans: Span[]) => Promise<void>,
  ) {
    this.onReleaseError = opts.onReleaseError;
    this.policies = opts.policies.map((p, i) => ({ name: p.name ?? `${p.type}-${i}`, match: compile(p) }));
    const pos = (v: number | undefined, def: number, name: string) => {
      const x = v ?? def;
      if (!Number.isFinite(x) || x <= 0) throw new RangeError(`tail sampling: ${name} must be a positive number, got ${x}`);
      return x;
    };
    this.decisionWaitMs = pos(opts.decisionWaitMs, 5000, 'decisionWaitMs');
    this.maxSpans = pos(opts.maxSpans, 100_000, 'maxSpans');
    this.decisionCacheSize = pos(opts.decisionCacheSize, 100_000, 'decisionCacheSize');
    this.decisionCacheTtlMs = pos(opts.decisionCacheTtlMs, 300_000, 'decisionCacheTtlMs');
    this.now = opts.now ?? (() => performance.now());
    const m = opts.metrics;
    if (m) {
      const r = m.registry;
      const p = 'ariadne_collector_tail_sampling';
      this.tracesDecided = r.register(new Counter(`${p}_traces_total`, 'Traces decided by tail sampling, by decision and the policy that kept them ("" when dropped).', ['decision', 'policy']));
      this.spansDecided = r.register(new Counter(`${p}_spans_total`, 'Spans kept (stored) or dropped by tail sampling, late ones included.', ['decision']));
      this.lateSpans = r.register(new Counter(`${p}_late_spans_total`, 'Spans that arrived after their trace was decided and followed the decision.', ['decision']));
      this.early = r.register(new Counter(`${p}_early_decisions_total`, 'Traces decided before their window ended because the buffer was full.', []));
      this.lost = r.register(new Counter(`${p}_release_failed_spans_total`, 'Kept spans that could not be stored after retries (lost).', []));
      r.register(new Gauge(`${p}_buffer_traces`, 'Traces held waiting for a decision.', () => this.held.size));
      r.register(new Gauge(`${p}_buffer_spans`, 'Spans held: waiting for a decision or kept and being stored.', () => this.heldSpans + this.releasing));
    }
    this.timer = setInterval(() => this.tick(), Math.max(10, Math.min(250, this.decisionWaitMs / 4)));
    this.timer.unref();
  }

  get bufferedTraces(): number {
    return this.held.size;
  }

  get bufferedSpans(): number {
    return this.heldSpans;
  }

  /**
   * Take validated spans. Spans of undecided traces are held (resolves at once); spans of traces
   * already kept are handed on and the promise resolves once they are stored; spans of dropped
   * traces are dropped. Rejects with `TailBufferFullError` (nothing taken) when kept spans wait to be
   * stored beyond `maxSpans`.
   */
  offer(spans: readonly Span[]): Promise<void> {
    if (spans.length === 0) return Promise.resolve();
    if (this.releasing >= this.maxSpans) return Promise.reject(new TailBufferFullError(1));
    const now = this.now();
    let late: Span[] | undefined;
    for (const s of spans) {
      const d = this.decided.get(s.traceId);
      if (d && now - d.at <= this.decisionCacheTtlMs) {
        const decision = d.keep ? 'kept' : 'dropped';
        this.lateSpans?.inc({ decision });
        this.spansDecided?.inc({ decision });
        if (d.keep) (late ??= []).push(s);
        continue;
      }
      let h = this.held.get(s.traceId);
      if (!h) this.held.set(s.traceId, (h = { spans: [], deadline: now + this.decisionWaitMs }));
      h.spans.push(s);
      this.heldSpans++;
    }
    // Bounded: decide the oldest traces now, on what they have.
    while (this.heldSpans > this.maxSpans && this.held.size > 0) {
      const [id, h] = this.held.entries().next().value as [string, Held];
      this.early?.inc();
      this.decide(id, h, now);
    }
    return late ? this.handOn(late) : Promise.resolve();
  }

  /** Decide every trace whose window ended; forget expired decisions. */
  tick(): void {
    const now = this.now();
    for (const [id, h] of this.held) {
      if (h.deadline > now) break;
      this.decide(id, h, now);
    }
    for (const [id, d] of this.decided) {
      if (now - d.at <= this.decisionCacheTtlMs && this.decided.size <= this.decisionCacheSize) break;
      this.decided.delete(id);
    }
  }

  private decide(id: string, h: Held, now: number): void {
    this.held.delete(id);
    this.heldSpans -= h.spans.length;
    let policy = '';
    for (const p of this.policies) {
      if (p.match(h.spans, now)) {
        policy = p.name;
        break;
      }
    }
    const keep = policy !== '';
    this.decided.set(id, { keep, at: now });
    if (this.decided.size > this.decisionCacheSize) this.decided.delete(this.decided.keys().next().value as string);
    const decision = keep ? 'kept' : 'dropped';
    this.tracesDecided?.inc({ decision, policy });
    this.spansDecided?.inc({ decision }, h.spans.length);
    if (keep) this.handOn(h.spans).catch(() => undefined);
  }

  private handOn(spans: Span[]): Promise<void> {
    this.releasing += spans.length;
    const p = this.release(spans).then(
      () => {
        this.releasing -= spans.length;
      },
      (err: Error) => {
        this.releasing -= spans.length;
        this.lost?.inc({}, spans.length);
        this.onReleaseError?.(err, spans.length);
        throw err;
      },
    );
    const tracked = p.catch(() => undefined);
    this.releases.add(tracked);
    void tracked.then(() => this.releases.delete(tracked));
    return p;
  }

  /** Decide every held trace now (their windows cut short) and wait until the kept ones are stored. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      if (this.timer) clearInterval(this.timer);
      const now = this.now();
      for (const [id, h] of this.held) this.decide(id, h, now);
    }
    while (this.releases.size > 0) await Promise.all([...this.releases]);
  }
}
