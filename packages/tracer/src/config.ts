/**
 * `initTracer`: configuration the way jaeger-client takes it (`serviceName`, `sampler: {type,
 * param}`, `reporter`, `propagation`, `tags`) plus the standard `OTEL_*` (and `JAEGER_*`)
 * environment variables. Explicit configuration wins over OTEL_* which wins over JAEGER_*.
 * Invalid configuration throws a ConfigError naming the bad key.
 */
import os from 'node:os';
import type { TextMapPropagator } from '@opentelemetry/api';
import type { Attribute } from '@ariadne/model';
import { makeResource } from '@ariadne/model';
import { buildRemoteReporter, REMOTE_KEYS, reporterConfigFromEnv } from './exporter-config.js';
import { AsyncLocalStorageContextManager } from './context-manager.js';
import { TracerCore } from './core.js';
import { TracerMetrics } from './metrics.js';
import { AriadneTracerProvider } from './otel.js';
import { B3Propagator } from './propagation/b3.js';
import { CompositePropagator } from './propagation/composite.js';
import { JaegerPropagator } from './propagation/jaeger.js';
import { W3CBaggagePropagator, W3CTraceContextPropagator } from './propagation/w3c.js';
import { RemoteSampler } from './remote-sampler.js';
import type { Reporter } from './reporter.js';
import { CompositeReporter, InMemoryReporter, LoggingReporter, NullReporter } from './reporter.js';
import type { Sampler } from './sampler.js';
import { ConstSampler, ParentBasedSampler, ProbabilisticSampler, RateLimitingSampler, TraceIdRatioSampler } from './sampler.js';
import type { SpanLimits } from './span.js';
import { lenientValue } from './span.js';
import { AriadneTracer } from './tracer.js';

export const TRACER_VERSION = '0.1.0';

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`invalid tracer configuration: ${key}: ${message}`);
    this.name = 'ConfigError';
  }
}

export type SamplerType =
  | 'const'
  | 'probabilistic'
  | 'ratelimiting'
  | 'remote'
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio'
  | 'jaeger_remote'
  | 'parentbased_jaeger_remote';

export interface SamplerConfig {
  type: SamplerType;
  /** const: 1/0 or true/false; probabilistic/traceidratio: rate in [0,1]; ratelimiting: traces/s; remote: initial rate. */
  param?: number | boolean;
  /** Remote: strategies endpoint URL (default http://{host}:{port}/sampling). */
  endpoint?: string;
  /** Remote: agent host:port (jaeger-client `hostPort`). */
  hostPort?: string;
  host?: string;
  port?: number;
  /** Remote: poll interval in ms (default 60000). */
  refreshIntervalMs?: number;
  /** Remote: max operations for per-operation strategies. */
  maxOperations?: number;
}

export type PropagationFormat = 'tracecontext' | 'w3c' | 'baggage' | 'jaeger' | 'b3' | 'b3multi' | 'none';

export interface ReporterConfig {
  /** A reporter type: built in 'null', 'memory', 'logging'; exporters register more (registerReporter). */
  type?: string;
  /** Also log every finished span (jaeger-client `logSpans`). */
  logSpans?: boolean;
  [key: string]: unknown;
}

export interface TracerConfig {
  serviceName?: string;
  /** Disable tracing: nothing is sampled or reported (also OTEL_SDK_DISABLED=true). */
  disable?: boolean;
  sampler?: SamplerConfig;
  reporter?: ReporterConfig;
  /** Propagation formats, in extraction order (a later one wins). Default tracecontext, baggage, jaeger. */
  propagation?: PropagationFormat[];
  /** Process tags (Jaeger) = resource attributes (OTel). */
  tags?: Record<string, unknown>;
  limits?: Partial<SpanLimits>;
}

export interface InitOptions {
  /** A reporter instance (wins over `config.reporter.type`). */
  reporter?: Reporter;
  /** A sampler instance (wins over `config.sampler`). */
  sampler?: Sampler;
  /** Extra or replacement propagators (win over `config.propagation`). */
  propagators?: TextMapPropagator[];
  /** Environment to read (default process.env). */
  env?: Record<string, string | undefined>;
  /** Register as the global OTel provider / context manager / propagator (default true). */
  register?: boolean;
  metrics?: TracerMetrics;
  logger?: (line: string) => void;
}

export type ReporterFactory = (config: ReporterConfig, ctx: { serviceName: string; metrics: TracerMetrics }) => Reporter;

const reporterFactories = new Map<string, { factory: ReporterFactory; keys: readonly string[] }>([
  ['null', { factory: () => new NullReporter(), keys: [] }],
  ['memory', { factory: (c) => new InMemoryReporter({ maxSpans: c.maxSpans as number | undefined }), keys: ['maxSpans'] }],
  ['logging', { factory: () => new LoggingReporter(), keys: [] }],
  ['remote', { factory: (c) => buildRemoteReporter(c), keys: REMOTE_KEYS }],
]);
let defaultReporterType = 'null';

/**
 * Adds a reporter type usable as `reporter: {type}` (the exporters' package calls this). `keys` are
 * the config keys it accepts besides `type` and `logSpans`; `makeDefault` makes it the type used
 * when the config names none.
 */
export function registerReporter(type: string, factory: ReporterFactory, keys: readonly string[] = [], makeDefault = false): void {
  reporterFactories.set(type, { factory, keys });
  if (makeDefault) defaultReporterType = type;
}

const TOP_KEYS = ['serviceName', 'disable', 'sampler', 'reporter', 'propagation', 'tags', 'limits'];
const SAMPLER_KEYS = ['type', 'param', 'endpoint', 'hostPort', 'host', 'port', 'refreshIntervalMs', 'maxOperations'];
const LIMIT_KEYS = ['attributeCount', 'attributeValueLength', 'eventCount', 'linkCount'];
const SAMPLER_TYPES: SamplerType[] = [
  'const',
  'probabilistic',
  'ratelimiting',
  'remote',
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
  'jaeger_remote',
  'parentbased_jaeger_remote',
];
const PROPAGATION_FORMATS: PropagationFormat[] = ['tracecontext', 'w3c', 'baggage', 'jaeger', 'b3', 'b3multi', 'none'];

function checkKeys(obj: object, allowed: readonly string[], prefix: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw new ConfigError(prefix + k, `unknown key (expected one of ${allowed.join(', ')})`);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function parseNumber(raw: string, key: string, min: number, max: number): number {
  const n = Number(raw.trim());
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new ConfigError(key, `expected a number in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  }
  return n;
}

function parseBool(raw: string, key: string): boolean {
  const s = raw.trim().toLowerCase();
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0' || s === '') return false;
  throw new ConfigError(key, `expected true or false, got ${JSON.stringify(raw)}`);
}

/** `k=v,k2=v2` (values percent-encoded) → pairs. */
function parseKeyValueList(raw: string, key: string): [string, string][] {
  const out: [string, string][] = [];
  for (const part of raw.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq <= 0) throw new ConfigError(key, `expected key=value pairs, got ${JSON.stringify(p)}`);
    let k: string;
    let v: string;
    try {
      k = decodeURIComponent(p.slice(0, eq).trim());
      v = decodeURIComponent(p.slice(eq + 1).trim());
    } catch {
      throw new ConfigError(key, `bad percent-encoding in ${JSON.stringify(p)}`);
    }
    out.push([k, v]);
  }
  return out;
}

interface Resolved {
  serviceName: string;
  disabled: boolean;
  sampler: SamplerConfig;
  samplerKey: string;
  propagation: PropagationFormat[];
  propagationKey: string;
  resourceAttrs: [string, unknown][];
  limits: Partial<SpanLimits>;
}

/** Merges config and environment and validates everything; throws ConfigError. */
export function resolveConfig(config: TracerConfig, env: Record<string, string | undefined>): Resolved {
  if (!isPlainObject(config)) throw new ConfigError('config', 'expected an object');
  checkKeys(config, TOP_KEYS, '');
  const e = (k: string) => {
    const v = env[k];
    return v === undefined || v.trim() === '' ? undefined : v;
  };

  // resource attributes: OTEL_RESOURCE_ATTRIBUTES, JAEGER_TAGS, then config.tags
  const resourceAttrs: [string, unknown][] = [];
  const ra = e('OTEL_RESOURCE_ATTRIBUTES');
  if (ra) resourceAttrs.push(...parseKeyValueList(ra, 'OTEL_RESOURCE_ATTRIBUTES'));
  const jt = e('JAEGER_TAGS');
  if (jt) resourceAttrs.push(...parseKeyValueList(jt, 'JAEGER_TAGS'));
  if (config.tags !== undefined) {
    if (!isPlainObject(config.tags)) throw new ConfigError('tags', 'expected an object of tag name → value');
    for (const [k, v] of Object.entries(config.tags)) resourceAttrs.push([k, v]);
  }

  // service name
  let serviceName: string | undefined;
  if (config.serviceName !== undefined) {
    if (typeof config.serviceName !== 'string' || config.serviceName.trim() === '') throw new ConfigError('serviceName', 'expected a non-empty string');
    serviceName = config.serviceName;
  }
  serviceName ??= e('OTEL_SERVICE_NAME') ?? (resourceAttrs.find(([k]) => k === 'service.name')?.[1] as string | undefined) ?? e('JAEGER_SERVICE_NAME');
  serviceName ??= 'unknown_service:node';

  // disabled
  let disabled = false;
  if (config.disable !== undefined) {
    if (typeof config.disable !== 'boolean') throw new ConfigError('disable', 'expected a boolean');
    disabled = config.disable;
  } else {
    const d = e('OTEL_SDK_DISABLED') ?? e('JAEGER_DISABLED');
    if (d) disabled = parseBool(d, env.OTEL_SDK_DISABLED !== undefined ? 'OTEL_SDK_DISABLED' : 'JAEGER_DISABLED');
  }

  // sampler
  let sampler: SamplerConfig;
  let samplerKey = 'sampler';
  if (config.sampler !== undefined) {
    if (!isPlainObject(config.sampler)) throw new ConfigError('sampler', 'expected an object {type, param}');
    checkKeys(config.sampler, SAMPLER_KEYS, 'sampler.');
    if (config.sampler.type === undefined) throw new ConfigError('sampler.type', 'missing (expected one of ' + SAMPLER_TYPES.join(', ') + ')');
    sampler = { ...config.sampler } as unknown as SamplerConfig;
  } else if (e('OTEL_TRACES_SAMPLER')) {
    samplerKey = 'OTEL_TRACES_SAMPLER';
    const type = e('OTEL_TRACES_SAMPLER')!.trim().toLowerCase() as SamplerType;
    sampler = { type };
    const arg = e('OTEL_TRACES_SAMPLER_ARG');
    if (arg !== undefined) {
      if (type === 'traceidratio' || type === 'parentbased_traceidratio') {
        sampler.param = parseNumber(arg, 'OTEL_TRACES_SAMPLER_ARG', 0, 1);
      } else if (type === 'jaeger_remote' || type === 'parentbased_jaeger_remote') {
        for (const [k, v] of parseKeyValueList(arg, 'OTEL_TRACES_SAMPLER_ARG')) {
          if (k === 'endpoint') sampler.endpoint = v;
          else if (k === 'pollingIntervalMs') sampler.refreshIntervalMs = parseNumber(v, 'OTEL_TRACES_SAMPLER_ARG.pollingIntervalMs', 1, 1e9);
          else if (k === 'initialSamplingRate') sampler.param = parseNumber(v, 'OTEL_TRACES_SAMPLER_ARG.initialSamplingRate', 0, 1);
          else throw new ConfigError(`OTEL_TRACES_SAMPLER_ARG.${k}`, 'unknown key (expected endpoint, pollingIntervalMs, initialSamplingRate)');
        }
      }
    }
  } else if (e('JAEGER_SAMPLER_TYPE')) {
    samplerKey = 'JAEGER_SAMPLER_TYPE';
    sampler = { type: e('JAEGER_SAMPLER_TYPE')!.trim() as SamplerType };
    const p = e('JAEGER_SAMPLER_PARAM');
    if (p !== undefined) sampler.param = parseNumber(p, 'JAEGER_SAMPLER_PARAM', 0, 1e9);
    const hp = e('JAEGER_SAMPLER_MANAGER_HOST_PORT') ?? e('JAEGER_SAMPLER_HOST_PORT');
    if (hp) sampler.hostPort = hp;
    const ri = e('JAEGER_SAMPLER_REFRESH_INTERVAL');
    if (ri) sampler.refreshIntervalMs = parseNumber(ri, 'JAEGER_SAMPLER_REFRESH_INTERVAL', 1, 1e9);
  } else {
    sampler = { type: 'parentbased_always_on' };
  }
  if (!SAMPLER_TYPES.includes(sampler.type)) {
    throw new ConfigError(samplerKey === 'sampler' ? 'sampler.type' : samplerKey, `unknown sampler type ${JSON.stringify(sampler.type)} (expected one of ${SAMPLER_TYPES.join(', ')})`);
  }
  const pkey = samplerKey === 'sampler' ? 'sampler.param' : samplerKey === 'OTEL_TRACES_SAMPLER' ? 'OTEL_TRACES_SAMPLER_ARG' : 'JAEGER_SAMPLER_PARAM';
  const p = sampler.param;
  switch (sampler.type) {
    case 'const':
      if (p === undefined) throw new ConfigError(pkey, 'const sampler needs param 1 or 0 (or true/false)');
      if (!(p === true || p === false || p === 0 || p === 1)) throw new ConfigError(pkey, `const sampler takes 1/0 or true/false, got ${JSON.stringify(p)}`);
      break;
    case 'probabilistic':
    case 'traceidratio':
    case 'parentbased_traceidratio':
      if (p === undefined && sampler.type === 'probabilistic') throw new ConfigError(pkey, 'probabilistic sampler needs a rate in [0, 1]');
      if (p !== undefined && (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > 1)) throw new ConfigError(pkey, `expected a rate in [0, 1], got ${JSON.stringify(p)}`);
      break;
    case 'ratelimiting':
      if (typeof p !== 'number' || !Number.isFinite(p) || p < 0) throw new ConfigError(pkey, `ratelimiting sampler needs traces per second >= 0, got ${JSON.stringify(p)}`);
      break;
    case 'remote':
    case 'jaeger_remote':
    case 'parentbased_jaeger_remote':
      if (p !== undefined && (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > 1)) throw new ConfigError(pkey, `expected an initial rate in [0, 1], got ${JSON.stringify(p)}`);
      if (sampler.endpoint !== undefined) {
        try {
          new URL(String(sampler.endpoint));
        } catch {
          throw new ConfigError(samplerKey === 'sampler' ? 'sampler.endpoint' : samplerKey, `not a URL: ${JSON.stringify(sampler.endpoint)}`);
        }
      }
      if (sampler.hostPort !== undefined && !/^[^:\s]+:\d{1,5}$/.test(String(sampler.hostPort))) {
        throw new ConfigError('sampler.hostPort', `expected host:port, got ${JSON.stringify(sampler.hostPort)}`);
      }
      if (sampler.refreshIntervalMs !== undefined && (typeof sampler.refreshIntervalMs !== 'number' || !(sampler.refreshIntervalMs >= 0))) {
        throw new ConfigError('sampler.refreshIntervalMs', 'expected a number of milliseconds >= 0');
      }
      break;
    default:
      if (p !== undefined && typeof p !== 'number' && typeof p !== 'boolean') throw new ConfigError(pkey, 'unexpected param');
  }

  // propagation
  let propagation: PropagationFormat[];
  let propagationKey = 'propagation';
  if (config.propagation !== undefined) {
    if (!Array.isArray(config.propagation)) throw new ConfigError('propagation', 'expected an array of formats');
    propagation = config.propagation.slice();
  } else if (e('OTEL_PROPAGATORS')) {
    propagationKey = 'OTEL_PROPAGATORS';
    propagation = e('OTEL_PROPAGATORS')!
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean) as PropagationFormat[];
  } else {
    propagation = ['tracecontext', 'baggage', 'jaeger'];
  }
  for (const f of propagation) {
    if (!PROPAGATION_FORMATS.includes(f)) {
      throw new ConfigError(propagationKey, `unknown propagation format ${JSON.stringify(f)} (expected ${PROPAGATION_FORMATS.join(', ')})`);
    }
  }

  // limits
  const limits: Partial<SpanLimits> = {};
  const envLimit = (names: string[], field: keyof SpanLimits) => {
    for (const n of names) {
      const v = e(n);
      if (v !== undefined) {
        limits[field] = parseNumber(v, n, 0, 1e9);
        return;
      }
    }
  };
  envLimit(['OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_COUNT_LIMIT'], 'attributeCount');
  envLimit(['OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'], 'attributeValueLength');
  envLimit(['OTEL_SPAN_EVENT_COUNT_LIMIT'], 'eventCount');
  envLimit(['OTEL_SPAN_LINK_COUNT_LIMIT'], 'linkCount');
  if (config.limits !== undefined) {
    if (!isPlainObject(config.limits)) throw new ConfigError('limits', 'expected an object');
    checkKeys(config.limits, LIMIT_KEYS, 'limits.');
    for (const [k, v] of Object.entries(config.limits)) {
      if (typeof v !== 'number' || !(v >= 0)) throw new ConfigError(`limits.${k}`, 'expected a number >= 0');
      limits[k as keyof SpanLimits] = v;
    }
  }

  return { serviceName, disabled, sampler, samplerKey, propagation, propagationKey, resourceAttrs, limits };
}

function buildSampler(r: Resolved, metrics: TracerMetrics): Sampler {
  const s = r.sampler;
  const remote = (initialRate: number) => {
    let endpoint = s.endpoint;
    if (!endpoint) {
      const hp = s.hostPort ?? `${s.host ?? 'localhost'}:${s.port ?? 5778}`;
      endpoint = `http://${hp}/sampling`;
    }
    return new RemoteSampler({
      serviceName: r.serviceName,
      endpoint,
      refreshIntervalMs: s.refreshIntervalMs,
      maxOperations: s.maxOperations,
      initialSampler: new ProbabilisticSampler(initialRate),
      metrics,
    });
  };
  // Jaeger samplers decide at the root only: a child follows its parent's decision.
  const jaeger = (root: Sampler) => new ParentBasedSampler({ root });
  switch (s.type) {
    case 'const':
      return jaeger(new ConstSampler(s.param === true || s.param === 1));
    case 'probabilistic':
      return jaeger(new ProbabilisticSampler(s.param as number));
    case 'ratelimiting':
      return jaeger(new RateLimitingSampler(s.param as number));
    case 'remote':
      return jaeger(remote(typeof s.param === 'number' ? s.param : 0.001));
    case 'always_on':
      return new ConstSampler(true);
    case 'always_off':
      return new ConstSampler(false);
    case 'traceidratio':
      return new TraceIdRatioSampler(typeof s.param === 'number' ? s.param : 1);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new ConstSampler(true) });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new ConstSampler(false) });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioSampler(typeof s.param === 'number' ? s.param : 1) });
    case 'jaeger_remote':
      return remote(typeof s.param === 'number' ? s.param : 0.001);
    case 'parentbased_jaeger_remote':
      return new ParentBasedSampler({ root: remote(typeof s.param === 'number' ? s.param : 0.001) });
  }
}

export function buildPropagator(formats: readonly PropagationFormat[], onError?: () => void): CompositePropagator {
  const list: TextMapPropagator[] = [];
  for (const f of formats) {
    switch (f) {
      case 'tracecontext':
      case 'w3c':
        list.push(new W3CTraceContextPropagator());
        break;
      case 'baggage':
        list.push(new W3CBaggagePropagator());
        break;
      case 'jaeger':
        list.push(new JaegerPropagator());
        break;
      case 'b3':
        list.push(new B3Propagator('single'));
        break;
      case 'b3multi':
        list.push(new B3Propagator('multi'));
        break;
      case 'none':
        break;
    }
  }
  return new CompositePropagator(list, onError);
}

function buildReporter(config: ReporterConfig | undefined, serviceName: string, metrics: TracerMetrics, env: Record<string, string | undefined>, logger?: (l: string) => void): Reporter {
  if (config !== undefined && !isPlainObject(config)) throw new ConfigError('reporter', 'expected an object');
  // the environment selects an exporter when the config names no type; explicit keys win
  const fromEnv = config?.type === undefined || config.type === 'remote' ? reporterConfigFromEnv(env) : undefined;
  const c: ReporterConfig = fromEnv && (config?.type === undefined || (fromEnv.type === 'remote' && (config.protocol === undefined || config.protocol === fromEnv.protocol))) ? { ...fromEnv, ...config, type: config?.type ?? fromEnv.type } : (config ?? {});
  const type = c.type ?? defaultReporterType;
  if (typeof type !== 'string') throw new ConfigError('reporter.type', 'expected a string');
  const entry = reporterFactories.get(type);
  if (!entry) throw new ConfigError('reporter.type', `unknown reporter type ${JSON.stringify(type)} (known: ${[...reporterFactories.keys()].join(', ')})`);
  checkKeys(c, ['type', 'logSpans', ...entry.keys], 'reporter.');
  if (c.logSpans !== undefined && typeof c.logSpans !== 'boolean') throw new ConfigError('reporter.logSpans', 'expected a boolean');
  const r = entry.factory(c, { serviceName, metrics });
  return c.logSpans ? new CompositeReporter([new LoggingReporter(logger), r]) : r;
}

function resourceAttributes(r: Resolved): Attribute[] {
  const base: [string, unknown][] = [
    ['service.name', r.serviceName],
    ['telemetry.sdk.name', 'ariadne'],
    ['telemetry.sdk.language', 'nodejs'],
    ['telemetry.sdk.version', TRACER_VERSION],
    ['host.name', os.hostname()],
    ['process.pid', process.pid],
    ['process.runtime.name', 'nodejs'],
    ['process.runtime.version', process.versions.node],
  ];
  const byKey = new Map<string, unknown>();
  for (const [k, v] of base) byKey.set(k, v);
  for (const [k, v] of r.resourceAttrs) if (k !== 'service.name') byKey.set(k, v);
  return [...byKey].map(([key, v]) => ({ key, value: lenientValue(v, Infinity) }));
}

/**
 * Creates the tracer: one tracer behind both the OpenTracing API (the returned object) and the
 * OpenTelemetry API (registered globally unless `options.register === false`).
 */
export function initTracer(config: TracerConfig = {}, options: InitOptions = {}): AriadneTracer {
  const env = options.env ?? process.env;
  const r = resolveConfig(config, env);
  const metrics = options.metrics ?? new TracerMetrics();
  const reporter = r.disabled ? new NullReporter() : (options.reporter ?? buildReporter(config.reporter, r.serviceName, metrics, env, options.logger));
  const sampler = r.disabled ? new ConstSampler(false) : (options.sampler ?? buildSampler(r, metrics));
  const propagator = buildPropagator(r.propagation, () => metrics.decodingErrors++);
  const allPropagators = options.propagators ? new CompositePropagator(options.propagators, () => metrics.decodingErrors++) : propagator;
  const core = new TracerCore({
    resource: makeResource(r.serviceName, resourceAttributes(r)),
    sampler,
    reporter,
    limits: r.limits,
    metrics,
  });
  const provider = new AriadneTracerProvider(core, allPropagators, new AsyncLocalStorageContextManager());
  if (options.register !== false) provider.register();
  return new AriadneTracer(core, provider, r.serviceName);
}
