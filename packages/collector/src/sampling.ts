import { readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from './http.js';

/**
 * Sampling strategies served to tracers (Jaeger's remote sampling): from a strategies file in
 * Jaeger's format, reloaded when it changes (the last good file stays in force when a new one is
 * invalid), adaptive per-operation probabilities (adaptive.ts) for the services the file does not
 * name, or a default. Answers `GET /sampling?service=` (the agent's path, port 5778), `GET
 * /api/sampling?service=` (the collector's) and `GET /?service=` (old clients), in the JSON that
 * jaeger-client and our tracer read:
 * `{strategyType: "PROBABILISTIC"|"RATE_LIMITING", probabilisticSampling|rateLimitingSampling,
 * operationSampling?}`.
 *
 * File format (Jaeger's):
 * ```json
 * { "default_strategy": {"type": "probabilistic", "param": 0.5, "operation_strategies": [...]},
 *   "service_strategies": [
 *     {"service": "api", "type": "probabilistic", "param": 0.8,
 *      "operation_strategies": [{"operation": "GET /health", "type": "probabilistic", "param": 0.0}]},
 *     {"service": "batch", "type": "ratelimiting", "param": 5}]}
 * ```
 */

export interface StrategySpec {
  type: 'probabilistic' | 'ratelimiting';
  param: number;
  operation_strategies?: { operation: string; type: 'probabilistic'; param: number }[];
}

export interface StrategiesFile {
  default_strategy?: StrategySpec;
  service_strategies?: (StrategySpec & { service: string })[];
}

export interface SamplingStrategyResponse {
  strategyType: 'PROBABILISTIC' | 'RATE_LIMITING';
  probabilisticSampling?: { samplingRate: number };
  rateLimitingSampling?: { maxTracesPerSecond: number };
  operationSampling?: {
    defaultSamplingProbability: number;
    defaultLowerBoundTracesPerSecond: number;
    defaultUpperBoundTracesPerSecond: number;
    perOperationStrategies: { operation: string; probabilisticSampling: { samplingRate: number } }[];
  };
}

export class StrategiesError extends Error {
  override name = 'StrategiesError';
}

function checkSpec(s: unknown, where: string, allowOps: boolean): StrategySpec {
  if (!s || typeof s !== 'object' || Array.isArray(s)) throw new StrategiesError(`${where}: must be an object`);
  const o = s as Record<string, unknown>;
  if (o.type !== 'probabilistic' && o.type !== 'ratelimiting') throw new StrategiesError(`${where}.type: must be "probabilistic" or "ratelimiting", got ${JSON.stringify(o.type)}`);
  if (typeof o.param !== 'number' || !Number.isFinite(o.param) || o.param < 0) throw new StrategiesError(`${where}.param: must be a non-negative number`);
  if (o.type === 'probabilistic' && o.param > 1) throw new StrategiesError(`${where}.param: a probability must be between 0 and 1, got ${o.param}`);
  const spec: StrategySpec = { type: o.type, param: o.param };
  if (o.operation_strategies !== undefined) {
    if (!allowOps || !Array.isArray(o.operation_strategies)) throw new StrategiesError(`${where}.operation_strategies: must be an array`);
    spec.operation_strategies = o.operation_strategies.map((op: unknown, i: number) => {
      const w = `${where}.operation_strategies[${i}]`;
      const x = op as Record<string, unknown>;
      if (!x || typeof x.operation !== 'string' || !x.operation) throw new StrategiesError(`${w}.operation: must be a non-empty string`);
      const c = checkSpec(x, w, false);
      if (c.type !== 'probabilistic') throw new StrategiesError(`${w}.type: per-operation strategies are probabilistic`);
      return { operation: x.operation, type: 'probabilistic' as const, param: c.param };
    });
  }
  return spec;
}

/** Validate a parsed strategies file; errors name the bad key. */
export function parseStrategies(json: unknown): StrategiesFile {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new StrategiesError('strategies file: must be a JSON object');
  const o = json as Record<string, unknown>;
  const out: StrategiesFile = {};
  if (o.default_strategy !== undefined) out.default_strategy = checkSpec(o.default_strategy, 'default_strategy', true);
  if (o.service_strategies !== undefined) {
    if (!Array.isArray(o.service_strategies)) throw new StrategiesError('service_strategies: must be an array');
    const seen = new Set<string>();
    out.service_strategies = o.service_strategies.map((s: unknown, i: number) => {
      const where = `service_strategies[${i}]`;
      const svc = (s as Record<string, unknown>)?.service;
      if (typeof svc !== 'string' || !svc) throw new StrategiesError(`${where}.service: must be a non-empty string`);
      if (seen.has(svc)) throw new StrategiesError(`${where}.service: ${JSON.stringify(svc)} appears twice`);
      seen.add(svc);
      return { service: svc, ...checkSpec(s, where, true) };
    });
  }
  return out;
}

function toResponse(spec: StrategySpec, defaultOps: StrategySpec['operation_strategies']): SamplingStrategyResponse {
  if (spec.type === 'ratelimiting') return { strategyType: 'RATE_LIMITING', rateLimitingSampling: { maxTracesPerSecond: spec.param } };
  const res: SamplingStrategyResponse = { strategyType: 'PROBABILISTIC', probabilisticSampling: { samplingRate: spec.param } };
  const ops = new Map<string, number>();
  for (const op of defaultOps ?? []) ops.set(op.operation, op.param);
  for (const op of spec.operation_strategies ?? []) ops.set(op.operation, op.param);
  if (ops.size) {
    res.operationSampling = {
      defaultSamplingProbability: spec.param,
      defaultLowerBoundTracesPerSecond: 0,
      defaultUpperBoundTracesPerSecond: 0,
      perOperationStrategies: [...ops].map(([operation, samplingRate]) => ({ operation, probabilisticSampling: { samplingRate } })),
    };
  }
  return res;
}

export interface SamplingOptions {
  /** A Jaeger strategies file; watched and reloaded when it changes. */
  file?: string;
  /** The strategy when there is no file, or the file has no default. */
  defaultStrategy?: StrategySpec;
  /** How often the file is checked for changes. Default 1000 ms. */
  pollMs?: number;
  onReload?: (ok: boolean, err?: Error) => void;
  /**
   * Adaptive per-operation strategies (`AdaptiveSampler`): served to every service the file does
   * not name in `service_strategies` (a named service keeps the operator's strategy).
   */
  adaptive?: { strategyFor(service: string): SamplingStrategyResponse };
}

/** Jaeger's own default: probabilistic 0.001. */
export const JAEGER_DEFAULT_STRATEGY: StrategySpec = { type: 'probabilistic', param: 0.001 };

/** What identifies one content of a file for the reload poll: mtime, size and inode ('' when absent). */
function fileVersion(file: string): string {
  try {
    const st = statSync(file, { bigint: true });
    return `${st.mtimeNs}:${st.size}:${st.ino}`;
  } catch {
    return '';
  }
}

export class SamplingStrategies {
  private current: StrategiesFile;
  private readonly fallback: StrategySpec;
  private version: string;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: SamplingOptions = {}) {
    this.fallback = opts.defaultStrategy ?? JAEGER_DEFAULT_STRATEGY;
    this.version = opts.file ? fileVersion(opts.file) : '';
    this.current = opts.file ? SamplingStrategies.load(opts.file) : {};
    if (opts.file) {
      // Our own poll against the version read at load time: fs.watchFile takes its baseline
      // asynchronously and misses a change made before that.
      const file = opts.file;
      this.timer = setInterval(() => {
        const v = fileVersion(file);
        if (v !== this.version) {
          this.version = v;
          this.reload();
        }
      }, opts.pollMs ?? 1000);
      this.timer.unref();
    }
  }

  static load(file: string): StrategiesFile {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new StrategiesError(`cannot read strategies file ${file}: ${(err as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new StrategiesError(`strategies file ${file} is not valid JSON: ${(err as Error).message}`);
    }
    return parseStrategies(json);
  }

  /** Re-read the file; on error keep the last good strategies. */
  reload(): boolean {
    if (!this.opts.file) return false;
    try {
      this.current = SamplingStrategies.load(this.opts.file);
      this.opts.onReload?.(true);
      return true;
    } catch (err) {
      this.opts.onReload?.(false, err as Error);
      return false;
    }
  }

  strategyFor(service: string): SamplingStrategyResponse {
    const def = this.current.default_strategy ?? this.fallback;
    const svc = this.current.service_strategies?.find((s) => s.service === service);
    if (!svc && this.opts.adaptive) return this.opts.adaptive.strategyFor(service);
    return toResponse(svc ?? def, def.operation_strategies);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** GET /sampling?service=, /api/sampling?service=, /?service= */
  handler(): RequestHandler {
    return (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const send = (status: number, body: unknown) => {
        const text = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
        res.end(text);
      };
      if (!['/sampling', '/api/sampling', '/'].includes(url.pathname)) return send(404, { error: `not found: ${url.pathname}` });
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { error: 'use GET' });
      const service = url.searchParams.get('service');
      if (!service) return send(400, { error: "'service' parameter must be provided" });
      send(200, this.strategyFor(service));
    };
  }
}
