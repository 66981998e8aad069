/**
 * Jaeger remote sampling: polls `GET {endpoint}?service={name}` on an interval, builds a sampler from
 * the strategy (probabilistic, rate limiting, or per-operation), keeps the last good strategy when a
 * poll fails or returns junk, and uses `initialSampler` until the first good answer.
 */
import http from 'node:http';
import https from 'node:https';
import type { SpanContext } from '@opentelemetry/api';
import type { TracerMetrics } from './metrics.js';
import type { PerOperationStrategies, Sampler, SamplingResult } from './sampler.js';
import { PerOperationSampler, ProbabilisticSampler, RateLimitingSampler } from './sampler.js';
import { withoutInstrumentation } from './instrument/suppress.js';

export interface RemoteSamplerOptions {
  serviceName: string;
  /** Strategies endpoint, e.g. http://localhost:5778/sampling (the agent's), ?service= is added. */
  endpoint?: string;
  /** Poll interval; default 60 s (jaeger-client's). */
  refreshIntervalMs?: number;
  /** Used until the first strategy arrives; default probabilistic 0.001 (jaeger-client's). */
  initialSampler?: Sampler;
  /** Per-operation strategies keep at most this many operations. */
  maxOperations?: number;
  /** Request timeout; default 5 s. */
  timeoutMs?: number;
  metrics?: TracerMetrics;
  /** Called after each poll (tests, logging). */
  onPoll?: (result: { ok: boolean; error?: string; sampler: Sampler }) => void;
}

/** A strategy as Jaeger serves it (`strategyType` as a name or its enum number). */
export interface SamplingStrategyResponse {
  strategyType?: 'PROBABILISTIC' | 'RATE_LIMITING' | 0 | 1;
  probabilisticSampling?: { samplingRate: number };
  rateLimitingSampling?: { maxTracesPerSecond: number };
  operationSampling?: PerOperationStrategies;
}

function isNum(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;
}

/** Builds a sampler from a strategy; throws (with the reason) when the strategy is malformed. */
export function samplerFromStrategy(s: SamplingStrategyResponse, maxOperations = 2000): Sampler {
  if (!s || typeof s !== 'object') throw new Error('strategy is not an object');
  const op = s.operationSampling;
  if (op && typeof op === 'object') {
    if (!isNum(op.defaultSamplingProbability, 0, 1)) throw new Error('operationSampling.defaultSamplingProbability must be in [0,1]');
    const lb = op.defaultLowerBoundTracesPerSecond ?? 0;
    if (!isNum(lb, 0, 1e9)) throw new Error('operationSampling.defaultLowerBoundTracesPerSecond must be >= 0');
    const per = Array.isArray(op.perOperationStrategies) ? op.perOperationStrategies : [];
    const clean = [];
    for (const p of per) {
      if (!p || typeof p.operation !== 'string' || !isNum(p.probabilisticSampling?.samplingRate, 0, 1)) {
        throw new Error('operationSampling.perOperationStrategies has a malformed entry');
      }
      clean.push({ operation: p.operation, probabilisticSampling: { samplingRate: p.probabilisticSampling.samplingRate } });
    }
    return new PerOperationSampler({ defaultSamplingProbability: op.defaultSamplingProbability, defaultLowerBoundTracesPerSecond: lb, perOperationStrategies: clean }, maxOperations);
  }
  const type = s.strategyType;
  if ((type === 'RATE_LIMITING' || type === 1) && s.rateLimitingSampling) {
    const r = s.rateLimitingSampling.maxTracesPerSecond;
    if (!isNum(r, 0, 1e9)) throw new Error('rateLimitingSampling.maxTracesPerSecond must be >= 0');
    return new RateLimitingSampler(r);
  }
  if ((type === 'PROBABILISTIC' || type === 0 || type === undefined) && s.probabilisticSampling) {
    const r = s.probabilisticSampling.samplingRate;
    if (!isNum(r, 0, 1)) throw new Error('probabilisticSampling.samplingRate must be in [0,1]');
    return new ProbabilisticSampler(r);
  }
  throw new Error(`unknown or incomplete strategy (strategyType=${JSON.stringify(type)})`);
}

const MAX_BODY = 1 << 20;

function getJson(url: string, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = withoutInstrumentation(() => mod.get(url, { timeout: timeoutMs, headers: { accept: 'application/json' } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`HTTP ${res.statusCode}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) {
          req.destroy(new Error('response too large'));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (e) {
          reject(new Error(`invalid JSON: ${(e as Error).message}`));
        }
      });
      res.on('error', reject);
    }));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export class RemoteSampler implements Sampler {
  private current: Sampler;
  private lastStrategy = '';
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private inFlight: Promise<void> | undefined;
  readonly url: string;

  constructor(private readonly options: RemoteSamplerOptions) {
    const base = options.endpoint ?? 'http://localhost:5778/sampling';
    const u = new URL(base); // throws on a bad endpoint: config fails fast
    u.searchParams.set('service', options.serviceName);
    this.url = u.toString();
    this.current = options.initialSampler ?? new ProbabilisticSampler(0.001);
    const every = options.refreshIntervalMs ?? 60_000;
    if (every > 0) {
      this.timer = setInterval(() => void this.poll(), every);
      this.timer.unref();
      setImmediate(() => void this.poll());
    }
  }

  /** The sampler currently in use. */
  get sampler(): Sampler {
    return this.current;
  }

  shouldSample(traceId: string, name: string, parent: SpanContext | undefined, kind: number): SamplingResult {
    return this.current.shouldSample(traceId, name, parent, kind);
  }

  /** Fetches the strategy once now (also what the timer does). Never rejects. */
  poll(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.inFlight) return this.inFlight;
    const m = this.options.metrics;
    this.inFlight = (async () => {
      let ok = false;
      let error: string | undefined;
      if (m) m.samplerQueries++;
      let body: unknown;
      try {
        body = await getJson(this.url, this.options.timeoutMs ?? 5000);
      } catch (e) {
        if (m) m.samplerQueryFailures++;
        error = `query failed: ${(e as Error).message}`;
      }
      if (error === undefined && !this.closed) {
        try {
          const key = JSON.stringify(body);
          if (key !== this.lastStrategy) {
            const next = samplerFromStrategy(body as SamplingStrategyResponse, this.options.maxOperations);
            // Per-operation strategies change every interval under adaptive sampling: update the
            // operations' samplers in place so their lower-bound rate limiters keep their balance.
            if (next instanceof PerOperationSampler && this.current instanceof PerOperationSampler) this.current.update(next.strategies);
            else this.current = next;
            this.lastStrategy = key;
            if (m) m.samplerUpdates++;
          }
          ok = true;
        } catch (e) {
          if (m) m.samplerUpdateFailures++;
          error = `bad strategy: ${(e as Error).message}`;
        }
      }
      try {
        this.options.onPoll?.({ ok, error, sampler: this.current });
      } catch {
        // a listener's problem
      }
    })().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  toString(): string {
    return `RemoteSampler{${this.url},current=${this.current.toString()}}`;
  }
}
