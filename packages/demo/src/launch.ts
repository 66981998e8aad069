/**
 * Starts the image-gallery demo as four child processes pointed at a collector:
 *
 *   gallery-client (OpenTelemetry API) → gallery-api (OpenTracing API) → image-catalog (zero-code + DuckDB)
 *                                                                      → image-store (zero-code, files on disk)
 *
 * Every service exports OTLP/HTTP to `otlpEndpoint` and, given `samplingEndpoint`, samples by the
 * collector's remote strategy (parent-based, so only the client decides). `stop()` stops the
 * client first (its last visits finish), then the rest, each with SIGTERM (SIGKILL after 10 s),
 * and removes the demo's temporary data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { FAULT_ENV, type Faults } from './common.js';

export type { Faults } from './common.js';

export interface DemoLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface DemoOptions {
  /** OTLP/HTTP base URL, e.g. `http://127.0.0.1:4318` (`/v1/traces` is appended). */
  otlpEndpoint: string;
  /** Jaeger remote sampling endpoint, e.g. `http://127.0.0.1:5778/sampling`. */
  samplingEndpoint?: string;
  /** Client visits per second (default: DEMO_RATE or 2). */
  rate?: number;
  /** Initial faults (default: from DEMO_FAULT_* in the environment). */
  faults?: Partial<Faults>;
  log?: DemoLogger;
  /** Extra environment for every service. */
  env?: Record<string, string>;
  /** Start no load generator (drive the gallery yourself). */
  noClient?: boolean;
}

export interface DemoService {
  name: string;
  pid: number;
  url?: string;
}

export interface RunningDemo {
  galleryUrl: string;
  services: DemoService[];
  stop(): Promise<void>;
}

const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const entry = (name: string) => fileURLToPath(new URL(`./${name}${EXT}`, import.meta.url));

/** Node flags to pass on (e.g. `--conditions=source --import tsx` when running from source), not debugger/profiler ones. */
function nodeArgs(): string[] {
  const out: string[] = [];
  const a = process.execArgv;
  for (let i = 0; i < a.length; i++) {
    const f = a[i];
    if (/^--(inspect|cpu-prof|heap-prof|prof|test)/.test(f)) continue;
    if ((f === '--import' || f === '--require' || f === '-r' || f === '--loader' || f === '--conditions' || f === '-C') && i + 1 < a.length) {
      out.push(f, a[++i]);
    } else if (/^--(import|require|loader|conditions|experimental|no-warnings|enable-source-maps|max-old-space-size)/.test(f) || f === '-C') out.push(f);
  }
  return out;
}

interface Child {
  name: string;
  proc: ChildProcess;
  exited: Promise<void>;
  url?: string;
}

export async function startDemo(opts: DemoOptions): Promise<RunningDemo> {
  const log: DemoLogger = opts.log ?? { info: () => {}, warn: () => {} };
  const dataDir = mkdtempSync(join(tmpdir(), 'ariadne-demo-'));
  const register = import.meta.resolve('@ariadne/tracer/register');
  const faultEnv: Record<string, string> = {};
  for (const [k, name] of Object.entries(FAULT_ENV) as [keyof Faults, string][]) {
    const v = opts.faults?.[k];
    if (v !== undefined) faultEnv[name] = String(v);
  }
  const base = opts.otlpEndpoint.replace(/\/+$/, '');
  const tracingEnv: Record<string, string> = {
    OTEL_EXPORTER_OTLP_ENDPOINT: base,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_BSP_SCHEDULE_DELAY: '500',
    OTEL_PROPAGATORS: 'tracecontext,baggage,jaeger',
    ...(opts.samplingEndpoint
      ? { OTEL_TRACES_SAMPLER: 'parentbased_jaeger_remote', OTEL_TRACES_SAMPLER_ARG: `endpoint=${opts.samplingEndpoint},pollingIntervalMs=5000,initialSamplingRate=1` }
      : { OTEL_TRACES_SAMPLER: 'parentbased_always_on' }),
  };
  const children: Child[] = [];

  const start = (name: string, file: string, zeroCode: boolean, env: Record<string, string>): Promise<Child> => {
    const args = [...nodeArgs(), ...(zeroCode ? ['--import', register] : []), entry(file)];
    const proc = spawn(process.execPath, args, {
      env: { ...process.env, OTEL_SERVICE_NAME: name, OTEL_RESOURCE_ATTRIBUTES: `service.namespace=image-gallery`, DEMO_DATA_DIR: join(dataDir, name), ...tracingEnv, ...faultEnv, ...opts.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const child: Child = { name, proc, exited: new Promise((r) => proc.once('exit', () => r())) };
    children.push(child);
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    proc.stderr!.on('end', () => {
      if (stderr.trim()) log.warn('demo service wrote to stderr', { service: name, stderr: stderr.trim().slice(-2000) });
    });
    return new Promise((resolve, reject) => {
      let done = false;
      createInterface({ input: proc.stdout! }).on('line', (line) => {
        let rec: Record<string, unknown>;
        try {
          rec = JSON.parse(line);
        } catch {
          return;
        }
        if (rec.msg === 'listening' && !done) {
          done = true;
          child.url = rec.url as string;
          log.info('demo service started', { service: name, url: child.url, pid: proc.pid });
          resolve(child);
        } else if (rec.msg === 'generating load' && !done) {
          done = true;
          log.info('demo service started', { service: name, pid: proc.pid, perSecond: rec.perSecond });
          resolve(child);
        } else if (rec.level === 'warn' || rec.level === 'error') {
          log.warn(`demo ${name}: ${rec.msg}`, { service: name, err: rec.err });
        }
      });
      proc.once('exit', (code, signal) => {
        if (!done) reject(new Error(`demo service ${name} exited (${code ?? signal}) before starting: ${stderr.trim().slice(-2000)}`));
        else if (!stopping) log.warn('demo service exited', { service: name, code, signal });
      });
      proc.once('error', (e) => {
        if (!done) reject(e);
      });
    });
  };

  let stopping = false;
  const stopChild = async (c: Child) => {
    if (c.proc.exitCode === null && c.proc.signalCode === null) {
      c.proc.kill('SIGTERM');
      const t = setTimeout(() => c.proc.kill('SIGKILL'), 10_000);
      await c.exited;
      clearTimeout(t);
    }
  };
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const client = children.find((c) => c.name === 'gallery-client');
    if (client) await stopChild(client);
    const gallery = children.find((c) => c.name === 'gallery-api');
    if (gallery) await stopChild(gallery);
    await Promise.all(children.map(stopChild));
    rmSync(dataDir, { recursive: true, force: true });
    log.info('demo stopped');
  };

  try {
    const [catalog, store] = await Promise.all([start('image-catalog', 'catalog', true, {}), start('image-store', 'store', true, {})]);
    const gallery = await start('gallery-api', 'gallery', false, { CATALOG_URL: catalog.url!, STORE_URL: store.url! });
    if (!opts.noClient) {
      await start('gallery-client', 'client', false, { GALLERY_URL: gallery.url!, ...(opts.rate ? { DEMO_RATE: String(opts.rate) } : {}) });
    }
    return {
      galleryUrl: gallery.url!,
      services: children.map((c) => ({ name: c.name, pid: c.proc.pid!, url: c.url })),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
