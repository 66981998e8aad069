/**
 * What the four demo processes share: their fault switches, a tiny JSON-over-HTTP toolkit, a
 * JSON log line per event on stdout, and a clean shutdown (SIGINT, SIGTERM, or the parent
 * process going away, so a demo service is never left running on its own).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The faults a running demo can be switched into (all off by default). */
export interface Faults {
  /** Extra latency of every image-catalog DuckDB query, in ms (the "latency > 10 s" story). */
  slowQueryMs: number;
  /** CPU burned inside the gallery API's "render thumbnails" span per page, in ms (self time). */
  cpuMs: number;
  /** Share of image-store reads that fail with HTTP 500, 0..1. */
  storeErrorRate: number;
}

export const FAULT_ENV: Record<keyof Faults, string> = {
  slowQueryMs: 'DEMO_FAULT_SLOW_QUERY_MS',
  cpuMs: 'DEMO_FAULT_CPU_MS',
  storeErrorRate: 'DEMO_FAULT_STORE_ERROR_RATE',
};

export const NO_FAULTS: Faults = { slowQueryMs: 0, cpuMs: 0, storeErrorRate: 0 };

export class FaultError extends Error {}

/** Validates a partial fault setting (from JSON or the environment); throws FaultError naming the culprit. */
export function parseFaults(input: unknown): Partial<Faults> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new FaultError('faults must be a JSON object');
  const out: Partial<Faults> = {};
  for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
    if (!(k in FAULT_ENV)) throw new FaultError(`unknown fault ${JSON.stringify(k)} (known: ${Object.keys(FAULT_ENV).join(', ')})`);
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new FaultError(`${k} must be a number >= 0`);
    if (k === 'storeErrorRate' && n > 1) throw new FaultError('storeErrorRate must be between 0 and 1');
    if (k !== 'storeErrorRate' && n > 600_000) throw new FaultError(`${k} must be at most 600000 ms`);
    out[k as keyof Faults] = n;
  }
  return out;
}

/** Faults from DEMO_FAULT_* environment variables (invalid values are reported and ignored). */
export function faultsFromEnv(env: NodeJS.ProcessEnv = process.env): Faults {
  const f: Faults = { ...NO_FAULTS };
  for (const [k, name] of Object.entries(FAULT_ENV) as [keyof Faults, string][]) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    try {
      Object.assign(f, parseFaults({ [k]: v }));
    } catch (e) {
      log('warn', `ignoring ${name}`, { err: (e as Error).message });
    }
  }
  return f;
}

export const SERVICE = process.env.OTEL_SERVICE_NAME ?? 'demo';

export function log(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level, service: SERVICE, msg, ...fields }) + '\n');
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A failure the fault switches asked for: answered like any error, not logged. */
export class InjectedFault extends HttpError {}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Reads a JSON request body of at most `limit` bytes (400/413 on bad input). */
export async function readJson(req: IncomingMessage, limit = 16 * 1024): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > limit) throw new HttpError(413, `body larger than ${limit} bytes`);
    chunks.push(c);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
}

/** `GET /faults` shows, `POST /faults` (a partial JSON object) changes this process's faults. */
export async function handleFaults(req: IncomingMessage, res: ServerResponse, faults: Faults, keys: (keyof Faults)[]): Promise<void> {
  if (req.method === 'GET') return sendJson(res, 200, pick(faults, keys));
  if (req.method !== 'POST') {
    res.setHeader('allow', 'GET, POST');
    return sendJson(res, 405, { error: 'use GET or POST' });
  }
  let patch: Partial<Faults>;
  try {
    patch = parseFaults(await readJson(req));
  } catch (e) {
    if (e instanceof HttpError) return sendJson(res, e.status, { error: e.message });
    return sendJson(res, 400, { error: (e as Error).message });
  }
  for (const k of keys) if (patch[k] !== undefined) faults[k] = patch[k]!;
  log('info', 'faults changed', { faults: pick(faults, keys) });
  sendJson(res, 200, pick(faults, keys));
}

export function pick(f: Faults, keys: (keyof Faults)[]): Partial<Faults> {
  return Object.fromEntries(keys.map((k) => [k, f[k]]));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Keeps the CPU busy for `ms` (a real computation, so a profiler would see it too). */
export function burnCpu(ms: number, seed = 1): number {
  const end = performance.now() + ms;
  let x = seed >>> 0 || 1;
  while (performance.now() < end) {
    for (let i = 0; i < 10_000; i++) x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + i;
  }
  return x >>> 0;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export interface Served {
  server: Server;
  url: string;
}

/**
 * Runs `handler` on DEMO_HOST:DEMO_PORT (127.0.0.1:0 by default), logs
 * `{"msg":"listening","url":…}` and stops cleanly on SIGINT/SIGTERM or when the parent exits:
 * stop accepting, finish in-flight requests (at most 5 s), run `onStop` (e.g. flush the tracer).
 */
export async function serve(handler: Handler, onStop: () => Promise<void> = async () => {}): Promise<Served> {
  const server = createServer((req, res) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((e: unknown) => {
        const status = e instanceof HttpError ? e.status : 500;
        if (status >= 500 && !(e instanceof InjectedFault)) log('error', 'request failed', { url: req.url, err: (e as Error).message });
        if (!res.headersSent) sendJson(res, status, { error: (e as Error).message });
        else res.destroy();
      });
  });
  server.keepAliveTimeout = 5000;
  const host = process.env.DEMO_HOST || '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(process.env.DEMO_PORT || 0), host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  const url = `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  log('info', 'listening', { url, pid: process.pid });
  onShutdown(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    await onStop();
  });
  return { server, url };
}

const stops: Array<() => Promise<void>> = [];
let stopping = false;
let hooked = false;

/** Runs `fn` once on SIGINT, SIGTERM or when the parent process goes away (the process then ends when idle, at most 8 s later). */
export function onShutdown(fn: () => Promise<void>): void {
  stops.push(fn);
  if (hooked) return;
  hooked = true;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    log('info', 'stopping', { why });
    // then exit by running out of work, so the tracer's beforeExit flush still sends the last spans
    setTimeout(() => process.exit(0), 8000).unref();
    void Promise.allSettled([...stops].reverse().map((s) => s()));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // the launcher (ariadne all-in-one --demo) died without stopping us (e.g. kill -9): stop too
  const parent = process.ppid;
  if (process.env.DEMO_WATCH_PARENT !== '0') {
    setInterval(() => {
      if (process.ppid !== parent) stop('parent exited');
    }, 500).unref();
  }
}
