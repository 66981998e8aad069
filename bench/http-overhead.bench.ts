/**
 * Overhead of zero-code instrumentation on a real HTTP service: the same tiny node:http server
 * (it answers each request after one outgoing keep-alive http call to a local backend, so both
 * server and client instrumentation run: 2 spans per request) started as separate child processes:
 *   plain                  node app.mjs
 *   ariadne, exporter none --import @ariadne/tracer/register, OTEL_TRACES_EXPORTER=none (spans made, not sent)
 *   ariadne, OTLP export   --import @ariadne/tracer/register, OTLP/HTTP protobuf to a running all-in-one
 *   OTel SDK, OTLP export  --require otel-register.cjs: @opentelemetry/sdk-trace-node (NodeTracerProvider,
 *                          AsyncLocalStorage context, W3C propagator) + BatchSpanProcessor +
 *                          exporter-trace-otlp-proto + @opentelemetry/instrumentation-http, same all-in-one
 * Both exporters use their defaults (no compression, batches of 512) with a 65536-span queue.
 * The bench process is the load generator for all of them (keep-alive requests at fixed
 * concurrency); per run it reports requests/s (requests / wall time of the run) and the service's
 * CPU time per request (utime+stime from /proc/<pid>/stat). Configurations alternate run by run;
 * medians of the runs. At the end the collector's own stored-span counter per service says whether
 * every span of the exporting services arrived (2 per request).
 *
 *   node --conditions=source --import tsx bench/http-overhead.bench.ts [runs=5] [requests=4000] [concurrency=16]
 *   (BENCH_DIST=1 to run the services on the compiled dist/ instead of TS source through tsx)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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

// The OpenTelemetry SDK's zero-code setup, as its docs show it (packages resolved from this repo).
const req = createRequire(join(ROOT, 'packages/tracer/package.json'));
const mod = (name: string) => JSON.stringify(req.resolve(name));
const OTEL_REGISTER = `
const { NodeTracerProvider } = require(${mod('@opentelemetry/sdk-trace-node')});
const { BatchSpanProcessor } = require(${mod('@opentelemetry/sdk-trace-base')});
const { OTLPTraceExporter } = require(${mod('@opentelemetry/exporter-trace-otlp-proto')});
const { resourceFromAttributes } = require(${mod('@opentelemetry/resources')});
const { registerInstrumentations } = require(${mod('@opentelemetry/instrumentation')});
const { HttpInstrumentation } = require(${mod('@opentelemetry/instrumentation-http')});
const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': process.env.OTEL_SERVICE_NAME }),
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT }), { maxQueueSize: 65536, maxExportBatchSize: 512 })],
});
provider.register();
registerInstrumentations({ instrumentations: [new HttpInstrumentation()] });
require('node:http'); // let the instrumentation patch the module the ESM app imports
process.on('SIGTERM', () => provider.shutdown().finally(() => process.exit(0)));
`;

const dir = tempDir('ariadne-httpbench-');
writeFileSync(join(dir.path, 'app.mjs'), APP);
writeFileSync(join(dir.path, 'otel-register.cjs'), OTEL_REGISTER);
const backend = http.createServer((_req, res) => res.end('{"id":1}'));
await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
const BACKEND = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
const aio = await startAriadne({ args: ['--storage', 'memory'] });

interface Svc {
  name: string;
  proc: ChildProcess;
  url: string;
  service?: string;
}
async function start(name: string, service: string, flags: string[], env: Record<string, string>): Promise<Svc> {
  const proc = spawn(process.execPath, [...flags, join(dir.path, 'app.mjs')], {
    cwd: ROOT,
    env: { ...process.env, BACKEND, OTEL_SERVICE_NAME: service, ...env },
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
  return { name, proc, url, service };
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
  await start('plain', 'bench-http-plain', base, {}),
  await start('ariadne, exporter none', 'bench-http-ariadne-none', reg, { OTEL_TRACES_EXPORTER: 'none' }),
  await start('ariadne, OTLP export', 'bench-http-ariadne', reg, { OTEL_EXPORTER_OTLP_ENDPOINT: aio.url('otlp-http'), OTEL_BSP_MAX_QUEUE_SIZE: '65536' }),
  await start('OTel SDK, OTLP export', 'bench-http-otel', ['--require', join(dir.path, 'otel-register.cjs')], { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: aio.url('otlp-http', '/v1/traces') }),
];
const exporting = new Set([2, 3]);
const cpu: number[][] = svcs.map(() => []);
const rps: number[][] = svcs.map(() => []);
const p50: number[][] = svcs.map(() => []);
const p99: number[][] = svcs.map(() => []);
const served = svcs.map(() => 0);
async function stored(): Promise<Map<string, number>> {
  const text = await fetch(aio.url('admin', '/metrics')).then((r) => r.text());
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^ariadne_collector_spans_stored_total\{[^}]*service="([^"]*)"[^}]*\}\s+(\d+)/.exec(line);
    if (m) out.set(m[1], (out.get(m[1]) ?? 0) + Number(m[2]));
  }
  return out;
}
try {
  for (let i = 0; i < svcs.length; i++) {
    await drive(svcs[i].url, 500); // warm-up
    served[i] += 500;
  }
  for (let r = 0; r < RUNS; r++) {
    for (let k = 0; k < svcs.length; k++) {
      const i = (k + r) % svcs.length;
      const s = svcs[i];
      const c0 = cpuMs(s.proc.pid!);
      const w0 = process.hrtime.bigint();
      const lat = await drive(s.url, REQUESTS);
      rps[i].push(REQUESTS / (Number(process.hrtime.bigint() - w0) / 1e9));
      await new Promise((res) => setTimeout(res, 300)); // let the exporter's batch go out
      cpu[i].push(((cpuMs(s.proc.pid!) - c0) * 1000) / REQUESTS);
      p50[i].push(lat[Math.floor(lat.length * 0.5)]);
      p99[i].push(lat[Math.floor(lat.length * 0.99)]);
      served[i] += REQUESTS;
    }
  }
  console.log(
    `http overhead bench (${process.env.BENCH_DIST === '1' ? 'compiled dist' : 'TS source via tsx'}): ${RUNS} runs × ${REQUESTS} requests, concurrency ${CONC}, each request = 1 server span + 1 client span; node ${process.version}; load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`,
  );
  const plain = median(cpu[0]);
  const plainRps = median(rps[0]);
  for (let i = 0; i < svcs.length; i++) {
    const c = median(cpu[i]);
    const q = median(rps[i]);
    console.log(
      `${svcs[i].name.padEnd(24)} ${q.toFixed(0).padStart(6)} requests/s (${((q / plainRps) * 100).toFixed(0)} % of plain; runs ${rps[i].map((v) => v.toFixed(0)).join(', ')}); service CPU/request ${c.toFixed(0)} µs (+${(c - plain).toFixed(0)} µs; runs ${cpu[i].map((v) => v.toFixed(0)).join(', ')}); latency p50 ${median(p50[i]).toFixed(0)} µs, p99 ${median(p99[i]).toFixed(0)} µs`,
    );
  }
  // every span of the exporting services must arrive: 2 per request served
  let got = await stored();
  const deadline = Date.now() + 30_000;
  while ([...exporting].some((i) => (got.get(svcs[i].service!) ?? 0) < 2 * served[i]) && Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 250));
    got = await stored();
  }
  for (const i of exporting) {
    const g = got.get(svcs[i].service!) ?? 0;
    console.log(`${svcs[i].name}: spans stored by the collector ${g} / ${2 * served[i]}${g === 2 * served[i] ? '' : '  <-- NOT ALL SPANS ARRIVED'}`);
  }
} finally {
  for (const s of svcs) s.proc.kill('SIGTERM');
  agent.destroy();
  backend.close();
  await aio.stop();
  dir.remove();
}
