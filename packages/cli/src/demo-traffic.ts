/**
 * `all-in-one --demo`: the image-gallery demo (`@ariadne/demo`) as real child processes — a load
 * generator, the gallery API, the image catalog (DuckDB) and the image store — exporting OTLP/HTTP
 * to this process's own receiver and sampling by its remote sampling strategies.
 */
import { startDemo, type RunningDemo } from '@ariadne/demo';
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

/** Starts the demo services; resolves once all are listening. */
export function startDemoTraffic(otlp: { host: string; port: number }, sampling: { host: string; port: number } | undefined, log: Logger): Promise<RunningDemo> {
  return startDemo({
    otlpEndpoint: `http://${hostPort(otlp)}`,
    samplingEndpoint: sampling ? `http://${hostPort(sampling)}/sampling` : undefined,
    log,
  });
}
