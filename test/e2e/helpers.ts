/**
 * Helpers for end-to-end tests: start `ariadne` as a real child process on free ports, find its
 * listeners from its JSON log lines, and stop it (SIGTERM, then SIGKILL) whatever the outcome.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const FIXTURES = process.env.ARIADNE_FIXTURES_DIR || join(ROOT, "../shared/fixtures");
export const CLI_SRC = join(ROOT, 'packages/cli/src/main.ts');

export interface Running {
  proc: ChildProcess;
  /** listener name → "host:port" */
  addresses: Map<string, { host: string; port: number }>;
  url(listener: string, path?: string): string;
  /** Every log line so far, parsed. */
  logs: Record<string, unknown>[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  /** Listeners to wait for before resolving. */
  waitFor?: string[];
  timeoutMs?: number;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

/** Start `ariadne <command>` from source, every port 0 unless `args` say otherwise. */
export function startAriadne(opts: StartOptions = {}): Promise<Running> {
  const command = opts.command ?? 'all-in-one';
  const ingest = ['--otlp-http-port', '0', '--otlp-grpc-port', '0', '--jaeger-http-port', '0', '--jaeger-grpc-port', '0', '--agent-compact-port', '0', '--agent-binary-port', '0', '--zipkin-port', '0', '--sampling-port', '0'];
  const portFlags = command === 'agent' ? ['--agent-compact-port', '0', '--agent-binary-port', '0', '--sampling-port', '0', '--admin-port', '0'] : command === 'ingester' ? ['--admin-port', '0'] : command === 'query' ? ['--query-port', '0', '--admin-port', '0'] : command === 'collector' ? [...ingest, '--admin-port', '0'] : ['--query-port', '0', ...ingest, '--admin-port', '0'];
  // ARIADNE_CHILD_NODE_ARGS: extra node flags for the started process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const extraNodeArgs = (process.env.ARIADNE_CHILD_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const args = [...extraNodeArgs, '--conditions=source', '--import', 'tsx', CLI_SRC, command, ...portFlags, ...(opts.args ?? [])];
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(proc);
  const ingestListeners = ['otlp-http', 'otlp-grpc', 'jaeger-grpc', 'jaeger-http', 'agent-compact', 'agent-binary', 'zipkin', 'sampling'];
  const waitFor = new Set(opts.waitFor ?? (command === 'agent' ? ['agent-compact', 'agent-binary', 'sampling', 'admin'] : command === 'ingester' ? ['admin'] : command === 'query' ? ['query', 'admin'] : command === 'collector' ? [...ingestListeners, 'admin'] : [...ingestListeners, 'query', 'admin']));
  const addresses = new Map<string, { host: string; port: number }>();
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => {
    running.delete(proc);
    resolve(code);
  }));

  const r: Running = {
    proc,
    addresses,
    logs,
    url(listener, path = '') {
      const a = addresses.get(listener);
      if (!a) throw new Error(`no listener ${listener}`);
      return `http://${a.host}:${a.port}${path}`;
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      proc.kill(signal);
      const t = setTimeout(() => proc.kill('SIGKILL'), 15000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`ariadne ${command} did not start in time; stderr:\n${stderr}\nlogs:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`));
    }, opts.timeoutMs ?? 30000);
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line);
      } catch {
        return;
      }
      logs.push(rec);
      if (rec.msg === 'listening') {
        addresses.set(rec.listener as string, { host: rec.host as string, port: rec.port as number });
        if ([...waitFor].every((w) => addresses.has(w))) {
          clearTimeout(timer);
          resolve(r);
        }
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`ariadne ${command} exited with ${code} before starting; stderr:\n${stderr}\nlogs:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`));
    });
  });
}

export function tempDir(prefix = 'ariadne-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function fixture(name: string): Buffer {
  return readFileSync(join(FIXTURES, name));
}

export function fixtureExpect(name: string): FixtureExpect {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));
}

export interface ExpectAttr {
  type: string;
  value: unknown;
}

export interface FixtureExpect {
  traceIds: string[];
  spanCount: number;
  spans: Array<{
    traceId: string;
    spanId: string;
    parentSpanId: string | null;
    serviceName: string;
    name: string;
    kind: string;
    startTimeUnixMicro: number;
    durationMicro: number;
    attributes: Record<string, ExpectAttr>;
    events: Array<{ timeUnixMicro: number; name: string | null; attributes: Record<string, ExpectAttr> }>;
    status: { code: string; message: string | null };
  }>;
}

export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body };
}
