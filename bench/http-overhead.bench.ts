/**
 * Overhead of zero-code instrumentation on a real HTTP service: the same tiny node:http server
 * (it answers each request after one outgoing keep-alive http call to a local backend, so both
 * server and client instrumentation run) started three ways as a child process:
 *   plain           node app.mjs
 *   traced, none    --import @ariadne/tracer/register, OTEL_TRACES_EXPORTER=none (spans made, not sent)
 *   traced, otlp    --import @ariadne/tracer/register, OTLP/HTTP protobuf to a running all-in-one
 * The bench process drives it with keep-alive requests at fixed concurrency and reads the service's
 * CPU time (utime+stime from /proc/<pid>/stat) around each run: cost = service CPU µs per request.
 * Configurations alternate run by run; medians of the runs.
 *
 *   node --conditions=source --import tsx bench/http-overhead.bench.ts [runs=5] [requests=4000] [concurrency=16]
 *   (BENCH_DIST=1 to run the services on the compiled dist/ instead of TS source through tsx)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ROOT, startAriadne, tempDir } from '../test/e2e/helpers.js';

const RUNS = Number(process.argv[2] ?? 5);
const REQUESTS = Number(process.argv[3] ?? 4000);
const CONC = Number(process.argv[4] ?? 16);
const TICK = 100; // USER_HZ on Linux

const APP = `
import http from 'node:http';
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
http.createServer((req, res) => {
  http.get(process.env.BACKEND + '/item', { agent }, (r) => {
    let d = '';
    r.on('data', (c) => (d += c));
    r.on('end', () => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify({ ok: true, d })); });
  });
}).listen(0, '127.0.0.1', function () { console.log('PORT ' + this.address().port); });
`;

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / TICK; // utime, stime (fields 14, 15)
}

const dir = tempDir('ariadne-httpbench-');
writeFileSync(join(dir.path, 'app.mjs'), APP);
const backend = http.createServer((_req, res) => res.end('{"id":1}'));
await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
const BACKEND = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
const aio = await startAriadne({ args: ['--storage', 'memory'] });

interface Svc {
  name: string;
  proc: ChildProcess;
  url: string;
}
async function start(name: string, flags: string[], env: Record<string, string>): Promise<Svc> {
  const proc = spawn(process.execPath, [...flags, join(dir.path, 'app.mjs')], {
    cwd: ROOT,
    env: { ...process.env, BACKEND, OTEL_SERVICE_NAME: 'bench-http', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(`http://127.0.0.1:${m[1]}`);
    });
    proc.on('exit', (c) => reject(new Error(`${name} exited ${c}`)));
  });
  return { name, proc, url };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONC });
function one(url: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    http
      .get(url + '/x', { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(Number(process.hrtime.bigint() - t0) / 1e3));
      })
      .on('error', reject);
  });
}
async function drive(url: string, n: number): Promise<number[]> {
  const lat: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      while (next < n) {
        next++;
        lat.push(await one(url));
      }
    }),
  );
  return lat.sort((a, b) => a - b);
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// BENCH_DIST=1: run the services on the compiled packages (npm run build first), without tsx
const base = process.env.BENCH_DIST === '1' ? [] : ['--conditions=source', '--import', 'tsx'];
const reg = [...base, '--import', '@ariadne/tracer/register'];
const svcs = [
  await start('plain', base, {}),
  await start('traced, exporter none', reg, { OTEL_TRACES_EXPORTER: 'none' }),
  await start('traced, OTLP export', reg, { OTEL_EXPORTER_OTLP_ENDPOINT: aio.url('otlp-http'), OTEL_BSP_MAX_QUEUE_SIZE: '65536' }),
];
const cpu: number[][] = svcs.map(() => []);
const p50: number[][] = svcs.map(() => []);
const p99: number[][] = svcs.map(() => []);
try {
  for (const s of svcs) await drive(s.url, 500); // warm-up
  for (let r = 0; r < RUNS; r++) {
    for (let k = 0; k < svcs.length; k++) {
      const i = (k + r) % svcs.length;
      const s = svcs[i];
      const c0 = cpuMs(s.proc.pid!);
      const lat = await drive(s.url, REQUESTS);
      await new Promise((res) => setTimeout(res, 300)); // let the exporter's batch go out
      cpu[i].push(((cpuMs(s.proc.pid!) - c0) * 1000) / REQUESTS);
      p50[i].push(lat[Math.floor(lat.length * 0.5)]);
      p99[i].push(lat[Math.floor(lat.length * 0.99)]);
    }
  }
  console.log(`http overhead bench (${process.env.BENCH_DIST === '1' ? 'compiled dist' : 'TS source via tsx'}): ${RUNS} runs × ${REQUESTS} requests, concurrency ${CONC}, each request = 1 server span + 1 client span; node ${process.version}`);
  const plain = median(cpu[0]);
  for (let i = 0; i < svcs.length; i++) {
    const c = median(cpu[i]);
    console.log(
      `${svcs[i].name.padEnd(24)} service CPU/request median ${c.toFixed(0)} µs (+${(c - plain).toFixed(0)} µs vs plain; runs ${cpu[i].map((v) => v.toFixed(0)).join(', ')}); latency p50 ${median(p50[i]).toFixed(0)} µs, p99 ${median(p99[i]).toFixed(0)} µs`,
    );
  }
  const got = await fetch(aio.url('query', '/api/services')).then((r) => r.json() as Promise<{ data: string[] }>);
  console.log(`services stored by the all-in-one: ${JSON.stringify(got.data)}`);
} finally {
  for (const s of svcs) s.proc.kill('SIGTERM');
  agent.destroy();
  backend.close();
  await aio.stop();
  dir.remove();
}
