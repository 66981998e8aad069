/**
 * The `remote` reporter type: `reporter: {type: 'remote', protocol, endpoint, …}` and its selection
 * from the standard environment (`OTEL_TRACES_EXPORTER`, `OTEL_EXPORTER_OTLP_*`, `OTEL_BSP_*`,
 * `OTEL_EXPORTER_JAEGER_*` / `JAEGER_*`, `OTEL_EXPORTER_ZIPKIN_ENDPOINT`). Headers (`headers`) and TLS files
 * (`caFile`, `clientCertFile`, `clientKeyFile`) apply to every HTTP and gRPC sender; from the
 * environment they come from `OTEL_EXPORTER_OTLP_(TRACES_)HEADERS` / `…_CERTIFICATE` /
 * `…_CLIENT_CERTIFICATE` / `…_CLIENT_KEY`.
 */
import { readFileSync } from 'node:fs';
import type { ReporterConfig } from './config.js';
import { ConfigError } from './config.js';
import type { RemoteReporterOptions } from './remote-reporter.js';
import { RemoteReporter } from './remote-reporter.js';
import { OtlpGrpcSender } from './grpc-sender.js';
import type { Sender, TlsOptions } from './senders.js';
import { JaegerHttpSender, JaegerUdpSender, OtlpHttpSender, ZipkinSender } from './senders.js';

export const REMOTE_PROTOCOLS = ['http/protobuf', 'http/json', 'grpc', 'jaeger-udp', 'jaeger-http', 'zipkin'] as const;
export type RemoteProtocol = (typeof REMOTE_PROTOCOLS)[number];

export const REMOTE_KEYS = [
  'protocol',
  'endpoint',
  'collectorEndpoint',
  'headers',
  'caFile',
  'clientCertFile',
  'clientKeyFile',
  'compression',
  'timeoutMs',
  'agentHost',
  'agentPort',
  'maxPacketSize',
  'maxQueueSize',
  'batchSize',
  'flushIntervalMs',
  'maxRetryTimeMs',
  'initialBackoffMs',
  'maxBackoffMs',
  'closeTimeoutMs',
  'maxInflightBatches',
  'handleProcessExit',
] as const;

const DEFAULT_ENDPOINTS: Record<string, string> = {
  'http/protobuf': 'http://localhost:4318/v1/traces',
  'http/json': 'http://localhost:4318/v1/traces',
  grpc: 'http://localhost:4317',
  'jaeger-http': 'http://localhost:14268/api/traces',
  zipkin: 'http://localhost:9411/api/v2/spans',
};

function kvList(raw: string, key: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of raw.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq <= 0) throw new ConfigError(key, `expected key=value pairs, got ${JSON.stringify(p)}`);
    try {
      out[decodeURIComponent(p.slice(0, eq).trim()).toLowerCase()] = decodeURIComponent(p.slice(eq + 1).trim());
    } catch {
      throw new ConfigError(key, `bad percent-encoding in ${JSON.stringify(p)}`);
    }
  }
  return out;
}

function num(raw: string, key: string): number {
  const n = Number(raw.trim());
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(key, `expected a number >= 0, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * The reporter config the environment asks for, or undefined when it names no exporter.
 * `OTEL_TRACES_EXPORTER` (otlp | jaeger | zipkin | console | none) wins; otherwise an
 * `OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT` selects OTLP.
 */
export function reporterConfigFromEnv(env: Record<string, string | undefined>): ReporterConfig | undefined {
  const e = (k: string) => {
    const v = env[k];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  let exporter = e('OTEL_TRACES_EXPORTER')
    ?.split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)[0];
  if (!exporter && (e('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') || e('OTEL_EXPORTER_OTLP_ENDPOINT'))) exporter = 'otlp';
  if (!exporter) return undefined;
  if (exporter === 'none') return { type: 'null' };
  if (exporter === 'console' || exporter === 'logging') return { type: 'logging' };
  const c: ReporterConfig = { type: 'remote' };
  const bsp = (k: string, field: string) => {
    const v = e(k);
    if (v !== undefined) c[field] = num(v, k);
  };
  bsp('OTEL_BSP_MAX_QUEUE_SIZE', 'maxQueueSize');
  bsp('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 'batchSize');
  bsp('OTEL_BSP_SCHEDULE_DELAY', 'flushIntervalMs');
  if (exporter === 'otlp') {
    const pk = e('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
    const protocol = (e(pk) ?? 'http/protobuf').toLowerCase();
    if (protocol !== 'http/protobuf' && protocol !== 'http/json' && protocol !== 'grpc') {
      throw new ConfigError(pk, `expected http/protobuf, http/json or grpc, got ${JSON.stringify(protocol)}`);
    }
    c.protocol = protocol;
    const te = e('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
    const be = e('OTEL_EXPORTER_OTLP_ENDPOINT');
    if (te) c.endpoint = te;
    else if (be) c.endpoint = protocol === 'grpc' ? be : be.replace(/\/+$/, '') + '/v1/traces';
    const hk = e('OTEL_EXPORTER_OTLP_TRACES_HEADERS') ? 'OTEL_EXPORTER_OTLP_TRACES_HEADERS' : 'OTEL_EXPORTER_OTLP_HEADERS';
    const h = e(hk);
    if (h) c.headers = kvList(h, hk);
    const file = (name: string, field: string) => {
      const k = e(`OTEL_EXPORTER_OTLP_TRACES_${name}`) ? `OTEL_EXPORTER_OTLP_TRACES_${name}` : `OTEL_EXPORTER_OTLP_${name}`;
      const v = e(k);
      if (v !== undefined) c[field] = v;
    };
    file('CERTIFICATE', 'caFile');
    file('CLIENT_CERTIFICATE', 'clientCertFile');
    file('CLIENT_KEY', 'clientKeyFile');
    const ck = e('OTEL_EXPORTER_OTLP_TRACES_COMPRESSION') ? 'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION' : 'OTEL_EXPORTER_OTLP_COMPRESSION';
    const comp = e(ck)?.toLowerCase();
    if (comp !== undefined) {
      if (comp !== 'gzip' && comp !== 'none') throw new ConfigError(ck, `expected gzip or none, got ${JSON.stringify(comp)}`);
      c.compression = comp;
    }
    const tk = e('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT') ? 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT' : 'OTEL_EXPORTER_OTLP_TIMEOUT';
    const t = e(tk);
    if (t !== undefined) c.timeoutMs = num(t, tk);
  } else if (exporter === 'jaeger') {
    const ep = e('OTEL_EXPORTER_JAEGER_ENDPOINT') ?? e('JAEGER_ENDPOINT');
    if (ep) {
      c.protocol = 'jaeger-http';
      c.endpoint = ep;
    } else {
      c.protocol = 'jaeger-udp';
      const host = e('OTEL_EXPORTER_JAEGER_AGENT_HOST') ?? e('JAEGER_AGENT_HOST');
      const port = e('OTEL_EXPORTER_JAEGER_AGENT_PORT') ?? e('JAEGER_AGENT_PORT');
      if (host) c.agentHost = host;
      if (port) c.agentPort = num(port, 'OTEL_EXPORTER_JAEGER_AGENT_PORT');
    }
  } else if (exporter === 'zipkin') {
    c.protocol = 'zipkin';
    const ep = e('OTEL_EXPORTER_ZIPKIN_ENDPOINT');
    if (ep) c.endpoint = ep;
  } else {
    throw new ConfigError('OTEL_TRACES_EXPORTER', `unknown exporter ${JSON.stringify(exporter)} (expected otlp, jaeger, zipkin, console, none)`);
  }
  return c;
}

function optNum(c: ReporterConfig, k: string, min = 0): number | undefined {
  const v = c[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new ConfigError(`reporter.${k}`, `expected a number >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

/** Reads the PEM files a config names (`caFile`, `clientCertFile` + `clientKeyFile`). */
function tlsOptions(c: ReporterConfig): TlsOptions | undefined {
  const read = (k: string): Buffer | undefined => {
    const v = c[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') throw new ConfigError(`reporter.${k}`, 'expected a file path');
    try {
      return readFileSync(v);
    } catch (e) {
      throw new ConfigError(`reporter.${k}`, `cannot read ${JSON.stringify(v)}: ${(e as Error).message}`);
    }
  };
  const ca = read('caFile');
  const cert = read('clientCertFile');
  const key = read('clientKeyFile');
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError(cert === undefined ? 'reporter.clientCertFile' : 'reporter.clientKeyFile', 'a client certificate needs its key and the other way round (clientCertFile + clientKeyFile)');
  }
  return ca || cert ? { ca, cert, key } : undefined;
}

/** Builds the sender a validated `remote` reporter config names. */
export function buildSender(c: ReporterConfig): Sender {
  const protocol = (c.protocol ?? (c.collectorEndpoint ? 'jaeger-http' : c.agentHost || c.agentPort ? 'jaeger-udp' : 'http/protobuf')) as RemoteProtocol;
  if (!REMOTE_PROTOCOLS.includes(protocol)) throw new ConfigError('reporter.protocol', `expected one of ${REMOTE_PROTOCOLS.join(', ')}, got ${JSON.stringify(protocol)}`);
  const endpoint = (c.endpoint ?? c.collectorEndpoint ?? DEFAULT_ENDPOINTS[protocol]) as string | undefined;
  if (protocol !== 'jaeger-udp') {
    try {
      const u = new URL(String(endpoint));
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    } catch {
      throw new ConfigError('reporter.endpoint', `not an http(s) URL: ${JSON.stringify(endpoint)}`);
    }
  }
  if (c.headers !== undefined && (typeof c.headers !== 'object' || c.headers === null || Object.values(c.headers).some((v) => typeof v !== 'string'))) {
    throw new ConfigError('reporter.headers', 'expected an object of header name → string');
  }
  if (c.compression !== undefined && c.compression !== 'gzip' && c.compression !== 'none') throw new ConfigError('reporter.compression', 'expected gzip or none');
  const http = {
    url: endpoint as string,
    headers: c.headers as Record<string, string> | undefined,
    tls: tlsOptions(c),
    compression: c.compression as 'gzip' | 'none' | undefined,
    timeoutMs: optNum(c, 'timeoutMs', 1),
  };
  switch (protocol) {
    case 'http/protobuf':
      return new OtlpHttpSender(http, 'protobuf');
    case 'http/json':
      return new OtlpHttpSender(http, 'json');
    case 'grpc':
      return new OtlpGrpcSender(http);
    case 'zipkin':
      return new ZipkinSender(http);
    case 'jaeger-http':
      return new JaegerHttpSender(http);
    case 'jaeger-udp': {
      if (c.agentHost !== undefined && (typeof c.agentHost !== 'string' || !c.agentHost)) throw new ConfigError('reporter.agentHost', 'expected a host name');
      const port = optNum(c, 'agentPort', 1);
      if (port !== undefined && (!Number.isInteger(port) || port > 65535)) throw new ConfigError('reporter.agentPort', 'expected a port number');
      return new JaegerUdpSender({ host: c.agentHost as string | undefined, port, maxPacketSize: optNum(c, 'maxPacketSize', 100) });
    }
  }
}

export function buildRemoteReporter(c: ReporterConfig, logger?: (l: string) => void): RemoteReporter {
  const opts: RemoteReporterOptions = {
    sender: buildSender(c),
    maxQueueSize: optNum(c, 'maxQueueSize', 1),
    batchSize: optNum(c, 'batchSize', 1),
    flushIntervalMs: optNum(c, 'flushIntervalMs'),
    maxRetryTimeMs: optNum(c, 'maxRetryTimeMs'),
    initialBackoffMs: optNum(c, 'initialBackoffMs'),
    maxBackoffMs: optNum(c, 'maxBackoffMs'),
    closeTimeoutMs: optNum(c, 'closeTimeoutMs'),
    maxInflightBatches: optNum(c, 'maxInflightBatches', 1),
    logger,
  };
  if (c.handleProcessExit !== undefined) {
    if (typeof c.handleProcessExit !== 'boolean') throw new ConfigError('reporter.handleProcessExit', 'expected a boolean');
    opts.handleProcessExit = c.handleProcessExit;
  }
  return new RemoteReporter(opts);
}
