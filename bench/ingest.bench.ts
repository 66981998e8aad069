/**
 * Sustained ingest: OTLP/HTTP protobuf (100 spans per request, 10 attributes each) from a separate
 * load-generator process into a real `ariadne all-in-one` on the embedded DuckDB store.
 * Reports spans/s acknowledged, p50/p99 ack latency, the server's peak memory and CPU per span, that every
 * acknowledged span was stored (from /metrics), and the ratio to raw decode speed of the same
 * payloads measured in this process.
 *
 *   node --conditions=source --import tsx bench/ingest.bench.ts [--seconds 20] [--concurrency 32] [--runs 3] [--storage duckdb]
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { decodeOtlpProtobuf, encodeOtlpProtobuf } from '@ariadne/codec';
import { attr, makeResource, makeSpan, randomSpanId, randomTraceId, SpanKind, type Span } from '@ariadne/model';
import { startAriadne, tempDir } from '../test/e2e/helpers.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '32' },
    runs: { type: 'string', default: '3' },
    storage: { type: 'string', default: 'duckdb' },
    worker: { type: 'string' },
    'spans-per-request': { type: 'string', default: '100' },
  },
});

const SPANS_PER_REQUEST = Number(args['spans-per-request']);
const services = Array.from({ length: 20 }, (_, i) => makeResource(`service-${i}`, [attr('service.name', `service-${i}`), attr('host.name', `host-${i % 5}`)]));

/** One request's worth of spans: 10 traces of 10 spans, 10 attributes each. */
export function makeRequestSpans(n = SPANS_PER_REQUEST): Span[] {
  const spans: Span[] = [];
  const now = BigInt(Date.now()) * 1_000_000n;
  let traceId = '';
  let rootId = '';
  for (let i = 0; i < n; i++) {
    if (i % 10 === 0) {
      traceId = randomTraceId();
      rootId = '';
    }
    const spanId = randomSpanId();
    const svc = services[(i * 7) % 20];
    spans.push(
      makeSpan({
        traceId,
        spanId,
        parentSpanId: rootId,
        name: `op-${(i * 13) % 200}`,
        kind: rootId ? SpanKind.CLIENT : SpanKind.SERVER,
        startTimeUnixNano: now + BigInt(i) * 1000n,
        endTimeUnixNano: now + BigInt(i) * 1000n + BigInt(1000 + (i % 50) * 1000) * 1000n,
        resource: svc,
        attributes: [
          attr('http.request.method', 'GET'),
          attr('http.route', `/api/v1/items/${i % 30}`),
          attr('http.response.status_code', 200),
          attr('server.address', 'backend.internal'),
          attr('server.port', 8080),
          attr('user.id', `user-${i % 1000}`),
          attr('request.size', 1024 + i),
          attr('cache.hit', i % 3 === 0),
          attr('load', 0.25 + (i % 4) / 10),
          attr('region', 'eu-west-1'),
        ],
      }),
    );
    if (!rootId) rootId = spanId;
  }
  return spans;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The load generator (runs in its own process). */
async function worker(url: string, seconds: number, concurrency: number) {
  // A pool of distinct payloads, so the store sees distinct traces.
  const payloads = Array.from({ length: 64 }, () => Buffer.from(encodeOtlpProtobuf(makeRequestSpans())));
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let ok = 0;
  let refused = 0;
  let failed = 0;
  let i = 0;
  const end = Date.now() + seconds * 1000;
  const post = (body: Buffer) =>
    new Promise<number>((resolve) => {
      const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(0));
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        const t0 = performance.now();
        const status = await post(payloads[i++ % payloads.length]);
        const dt = performance.now() - t0;
        if (status === 200) {
          ok++;
          latencies.push(dt);
        } else if (status === 503 || status === 429) {
          refused++;
          await new Promise((r) => setTimeout(r, 50));
        } else failed++;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  process.send!({ ok, refused, failed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) });
}

function rawDecodeRate(): number {
  const payloads = Array.from({ length: 16 }, () => encodeOtlpProtobuf(makeRequestSpans()));
  for (let i = 0; i < 200; i++) decodeOtlpProtobuf(payloads[i % 16]);
  const rates: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < 500) n += decodeOtlpProtobuf(payloads[n % 16]).length;
    rates.push(n / ((performance.now() - t0) / 1000));
  }
  return median(rates);
}

async function storedSpans(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  let total = 0;
  for (const line of text.split('\n')) if (line.startsWith('ariadne_collector_spans_stored_total')) total += Number(line.split(' ').pop());
  return total;
}

/** CPU seconds (user + system) used so far by process `pid`, or by its thread `tid`. */
function cpuSeconds(pid: number, tid?: number): number {
  const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks of 10 ms
}

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

async function oneRun(seconds: number, concurrency: number) {
  const dir = tempDir('ariadne-bench-');
  const app = await startAriadne({ args: ['--data-dir', dir.path, '--storage', args.storage!], waitFor: ['otlp-http', 'admin'] });
  try {
    const pid = app.proc.pid!;
    const cpu0 = cpuSeconds(pid);
    const main0 = cpuSeconds(pid, pid);
    const child = fork(new URL(import.meta.url).pathname, ['--worker', app.url('otlp-http', '/v1/traces'), '--seconds', String(seconds), '--concurrency', String(concurrency)], {
      execArgv: ['--conditions=source', '--import', 'tsx'],
    });
    const result = await new Promise<{ ok: number; refused: number; failed: number; p50: number; p99: number }>((resolve, reject) => {
      child.on('message', (m) => resolve(m as never));
      child.on('exit', (code) => code && reject(new Error(`load generator exited ${code}`)));
    });
    const cpu = cpuSeconds(pid) - cpu0;
    const mainCpu = cpuSeconds(pid, pid) - main0;
    const stored = await storedSpans(app.url('admin', '/metrics'));
    const acked = result.ok * SPANS_PER_REQUEST;
    return {
      ...result,
      spansPerSec: acked / seconds,
      acked,
      stored,
      peakMiB: peakRssMiB(pid),
      // Server CPU per acknowledged span: all threads, and the main (event loop) thread alone.
      // Unlike spans/s these barely depend on what else runs on the machine.
      cpuUsPerSpan: (cpu * 1e6) / acked,
      mainUsPerSpan: (mainCpu * 1e6) / acked,
    };
  } finally {
    await app.stop();
    dir.remove();
  }
}

if (args.worker) {
  await worker(args.worker, Number(args.seconds), Number(args.concurrency));
  process.exit(0);
} else {
  const seconds = Number(args.seconds);
  const concurrency = Number(args.concurrency);
  const decodeRate = rawDecodeRate();
  console.log(`raw decode (this process, ${SPANS_PER_REQUEST} spans/request, 10 attributes): ${Math.round(decodeRate).toLocaleString('en')} spans/s`);
  const runs = [];
  for (let r = 0; r < Number(args.runs); r++) {
    const res = await oneRun(seconds, concurrency);
    runs.push(res);
    console.log(
      `run ${r + 1}: ${Math.round(res.spansPerSec).toLocaleString('en')} spans/s acked (${args.storage}), ack p50 ${res.p50.toFixed(1)} ms p99 ${res.p99.toFixed(1)} ms, ` +
        `refused ${res.refused}, failed ${res.failed}, stored ${res.stored} of ${res.acked} acked, server peak RSS ${res.peakMiB.toFixed(0)} MiB, ` +
        `server CPU ${res.cpuUsPerSpan.toFixed(1)} µs/span (main thread ${res.mainUsPerSpan.toFixed(1)} µs/span)`,
    );
    if (res.stored < res.acked) console.log(`  !! ${res.acked - res.stored} acknowledged spans not stored`);
  }
  const rate = median(runs.map((r) => r.spansPerSec));
  console.log(
    `median over ${runs.length} runs of ${seconds}s, concurrency ${concurrency}: ${Math.round(rate).toLocaleString('en')} spans/s acked and stored; ` +
      `p99 ack ${median(runs.map((r) => r.p99)).toFixed(1)} ms; peak RSS ${median(runs.map((r) => r.peakMiB)).toFixed(0)} MiB; ` +
      `ratio to raw decode ${(rate / decodeRate).toFixed(2)}`,
  );
  const cpuUs = median(runs.map((r) => r.cpuUsPerSpan));
  const mainUs = median(runs.map((r) => r.mainUsPerSpan));
  console.log(
    `server CPU per acked span: ${cpuUs.toFixed(1)} µs (all threads), ${mainUs.toFixed(1)} µs (main thread); ` +
      `ceiling on 2 idle cores ≈ ${Math.round(Math.min(2e6 / cpuUs, 1e6 / mainUs)).toLocaleString('en')} spans/s; load average ${loadavg()[0].toFixed(1)}`,
  );
}
