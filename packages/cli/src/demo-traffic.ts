/**
 * `all-in-one --demo`: the image-gallery demo (`@ariadne/demo`) as real child processes — a load
 * generator, the gallery API, the image catalog (DuckDB) and the image store — exporting OTLP/HTTP
 * to this process's own receiver and sampling by its remote sampling strategies. When this
 * all-in-one serves TLS, needs an ingest token or has multi-tenancy on, the demo is given the
 * certificate as a trust root, the first token of the tokens file and a tenant header, so its
 * spans are still accepted.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startDemo, type RunningDemo } from '@ariadne/demo';
import type { Options } from './flags.js';
import type { Logger } from './log.js';

/** Browsers and children reach a wildcard listener on loopback. */
export function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

const hostPort = (a: { host: string; port: number }) => {
  const h = reachableHost(a.host);
  return `${h.includes(':') ? `[${h}]` : h}:${a.port}`;
};

/** The OTLP exporter environment the demo needs to get past this process's TLS, auth and tenancy. */
export function demoExportEnv(opts: Options): { scheme: 'http' | 'https'; env: Record<string, string> } {
  const env: Record<string, string> = {};
  const headers: string[] = [];
  const cert = opts['tls-cert'] as string | undefined;
  if (cert) env.NODE_EXTRA_CA_CERTS = resolve(cert);
  const tokens = opts['ingest-auth-tokens-file'] as string | undefined;
  if (tokens) {
    const token = readFileSync(resolve(tokens), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l && !l.startsWith('#'));
    if (token) headers.push(`authorization=${encodeURIComponent(`Bearer ${token}`)}`);
  }
  if (opts['multi-tenancy-enabled']) {
    const allowed = ((opts['multi-tenancy-tenants'] as string | undefined) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    headers.push(`${encodeURIComponent(opts['multi-tenancy-header'] as string)}=${encodeURIComponent(allowed[0] ?? 'demo')}`);
  }
  if (headers.length) env.OTEL_EXPORTER_OTLP_HEADERS = headers.join(',');
  return { scheme: cert ? 'https' : 'http', env };
}

/** Starts the demo services; resolves once all are listening. */
export function startDemoTraffic(otlp: { host: string; port: number }, sampling: { host: string; port: number } | undefined, log: Logger, opts: Options): Promise<RunningDemo> {
  const { scheme, env } = demoExportEnv(opts);
  return startDemo({
    otlpEndpoint: `${scheme}://${hostPort(otlp)}`,
    samplingEndpoint: sampling ? `${scheme}://${hostPort(sampling)}/sampling` : undefined,
    env,
    log,
  });
}
