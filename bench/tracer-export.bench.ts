/**
 * Per-span cost of tracing WITH export: our tracer + RemoteReporter (OTLP/HTTP protobuf) vs
 * @opentelemetry/sdk-trace-base + BatchSpanProcessor + @opentelemetry/exporter-trace-otlp-proto,
 * both exporting to the same running Ariadne all-in-one (memory storage, a child process).
 *
 *   node --conditions=source --import tsx bench/tracer-export.bench.ts [runs=7] [spansPerRun=20000] [compression=none,gzip]
 *
 * Each implementation × compression runs in its own child process (so no one's garbage collection
 * is charged to another); the parent starts the collector, tells the children to run in turn and
 * collects their numbers. What one run does: start and end N spans with 5 attributes (chunks of
 * 500, yielding to the event loop between chunks so the exporters work while spans are made, as in
 * an app), then flush. The cost is the child's CPU time (user+system, all threads: zlib's thread
 * pool and GC threads included) from the first span to the end of the flush, divided by N: span
 * creation, queueing, encoding, compression and HTTP. The collector's work is in another process
 * and not counted.
 *
 * Kept comparable: same attributes and span name, same OTLP/HTTP protobuf endpoint, same batch
 * size (512), flush interval (200 ms) and queue limit (2^20 spans, so neither side drops), and the
 * same compression per mode (`none` is both SDKs' default; `gzip`: ours at level 1, the OTel
 * exporter at zlib's default level 6 — each SDK's own choice). Our spans carry two more attributes
 * (`sampler.type`/`sampler.param`, Jaeger's root-span tags), so ours send ~20 % more bytes.
 * Differences that remain: the OTel exporter sends batches concurrently, ours one at a time.
 *
 * Every span must arrive: each implementation × mode exports under its own service name, and at
 * the end the bench reads the collector's own counter of stored spans per service
 * (`ariadne_collector_spans_stored_total` on the admin /metrics) and compares it with the number
 * of spans made. Medians over runs; the ratio is the median of per-run ratios (runs alternate).
 *
 * BENCH_SINK=1: instead of the all-in-one, a minimal OTLP/HTTP endpoint in the bench's parent
 * process that decodes every request (counting spans per service) and answers 200 at once. It
 * separates what the SDKs themselves cost from what a busy collector adds to every client
 * (longer waits, more wake-ups: on a loaded machine each wake-up costs hundreds of µs of CPU).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { Tracer } from '@opentelemetry/api';
import { initTracer } from '@ariadne/tracer';
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { decodeOtlpProtobuf } from '@ariadne/codec';
import { startAriadne, type Running } from '../test/e2e/helpers.js';

const RUNS = Number(process.argv[2] ?? 7);
const N = Number(process.argv[3] ?? 20_000);
const MODES = (process.argv[4] ?? 'none,gzip').split(',') as ('none' | 'gzip')[];
const CHUNK = 500;

const CHILD = process.argv[5]; // internal: 'ours' | 'otel' when started as a child

interface Impl {
  name: string;
  service: string;
  mode: string;
  run(): Promise<void>;
  close(): Promise<void>;
}

async function burst(t: Tracer): Promise<void> {
  for (let i = 0; i < N; i += CHUNK) {
    for (let j = 0; j < CHUNK; j++) {
      const s = t.startSpan('GET /items');
      s.setAttribute('http.method', 'GET');
      s.setAttribute('http.url', '/items?page=2');
      s.setAttribute('http.status_code', 200);
      s.setAttribute('retry', false);
      s.setAttribute('peer.service', 'inventory');
      s.end();
    }
    await new Promise((r) => setImmediate(r));
  }
}

function ours(mode: 'none' | 'gzip', url: string): Impl {
  const service = `bench-ariadne-${mode}`;
  const tracer = initTracer(
    {
      serviceName: service,
      sampler: { type: 'const', param: 1 },
      reporter: { type: 'remote', protocol: 'http/protobuf', endpoint: url, compression: mode, maxQueueSize: 1 << 20, batchSize: 512, flushIntervalMs: 200, handleProcessExit: false },
    },
    { env: {} },
  );
  const t = tracer.getTracer('bench');
  return {
    name: `ariadne RemoteReporter, OTLP protobuf, ${mode}`,
    service,
    mode,
    async run() {
      await burst(t);
      await tracer.flush();
    },
    close: () => tracer.close(),
  };
}

function otel(mode: 'none' | 'gzip', url: string): Impl {
  const service = `bench-otel-${mode}`;
  const exporter = new OTLPTraceExporter({ url, compression: mode === 'gzip' ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE, concurrencyLimit: 10_000 });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 1 << 20, maxExportBatchSize: 512, scheduledDelayMillis: 200 })],
  });
  const t = provider.getTracer('bench');
  return {
    name: `OTel sdk-trace-base + BatchSpanProcessor + exporter-trace-otlp-proto, ${mode}`,
    service,
    mode,
    async run() {
      await burst(t);
      await provider.forceFlush();
    },
    close: () => provider.shutdown(),
  };
}

/** Spans the collector has stored, by service (its own counter). */
async function stored(app: Running): Promise<Map<string, number>> {
  const text = await fetch(app.url('admin', '/metrics')).then((r) => r.text());
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('ariadne_collector_spans_stored_total{')) continue;
    const m = /service="([^"]*)"[^}]*\}\s+(\d+)/.exec(line);
    if (m) out.set(m[1], (out.get(m[1]) ?? 0) + Number(m[2]));
  }
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

if (CHILD) {
  // ---- child: one implementation; runs when told, answers with its CPU and wall time per span
  const url = process.env.BENCH_URL!;
  const mode = process.argv[4] as 'none' | 'gzip';
  const im = CHILD === 'ours' ? ours(mode, url) : otel(mode, url);
  process.on('message', async (msg: string) => {
    if (msg === 'run') {
      const c0 = process.cpuUsage();
      const w0 = process.hrtime.bigint();
      await im.run();
      const d = process.cpuUsage(c0);
      process.send!({ cpu: ((d.user + d.system) * 1000) / N, wall: Number(process.hrtime.bigint() - w0) / N });
    } else if (msg === 'close') {
      await im.close().catch(() => {});
      process.send!({ closed: true }, () => process.exit(0));
    }
  });
  process.send!({ ready: im.name, service: im.service });
} else {
  const SINK = process.env.BENCH_SINK === '1';
  const sinkCounts = new Map<string, number>();
  let sink: http.Server | undefined;
  let app: Running | undefined;
  let url: string;
  if (SINK) {
    sink = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        for (const sp of decodeOtlpProtobuf(req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body)) sinkCounts.set(sp.resource.serviceName, (sinkCounts.get(sp.resource.serviceName) ?? 0) + 1);
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((r) => sink!.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/v1/traces`;
  } else {
    app = await startAriadne({ args: ['--storage', 'memory'] });
    url = app.url('otlp-http', '/v1/traces');
  }
  const counts = async () => (SINK ? sinkCounts : stored(app!));
  interface Child {
    proc: ChildProcess;
    name: string;
    service: string;
    mode: string;
    made: number;
    cpu: number[];
    wall: number[];
  }
  const next = (c: ChildProcess) => new Promise<any>((resolve, reject) => {
    c.once('message', resolve);
    c.once('exit', (code) => reject(new Error(`child exited ${code}`)));
  });
  const spawnChild = async (kind: 'ours' | 'otel', mode: string): Promise<Child> => {
    const proc = fork(new URL(import.meta.url).pathname, [String(RUNS), String(N), mode, kind], {
      execArgv: ['--conditions=source', '--import', 'tsx'],
      env: { ...process.env, BENCH_URL: url },
    });
    const hello = await next(proc);
    return { proc, name: hello.ready, service: hello.service, mode, made: 0, cpu: [], wall: [] };
  };
  const pairs: [Child, Child][] = [];
  try {
    for (const m of MODES) pairs.push([await spawnChild('ours', m), await spawnChild('otel', m)]);
    const all = pairs.flat();
    const run = async (c: Child) => {
      c.proc.send('run');
      const r = await next(c.proc);
      c.made += N;
      return r as { cpu: number; wall: number };
    };
    for (const c of all) await run(c); // warm-up (JIT, keep-alive connections); its spans are counted as made
    for (let r = 0; r < RUNS; r++) {
      for (const pair of pairs) {
        for (const c of r % 2 ? [pair[1], pair[0]] : pair) {
          const x = await run(c);
          c.cpu.push(x.cpu);
          c.wall.push(x.wall);
        }
      }
    }
    for (const c of all) {
      c.proc.send('close');
      await next(c.proc);
    }
    // every span must have been stored by the collector
    let got = await counts();
    const deadline = Date.now() + 60_000;
    while (all.some((c) => (got.get(c.service) ?? 0) < c.made) && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 250));
      got = await counts();
    }
    console.log(
      `tracer export bench: ${RUNS} runs × ${N} spans (5 attributes), OTLP/HTTP protobuf to ${SINK ? 'a minimal sink answering at once' : 'an all-in-one'}; CPU per span of each implementation's own process; node ${process.version}; load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`,
    );
    for (const [a, o] of pairs) {
      console.log(`\ncompression ${a.mode}:`);
      for (const c of [a, o]) {
        const g = got.get(c.service) ?? 0;
        console.log(
          `  ${c.name}\n    CPU/span median ${median(c.cpu).toFixed(0)} ns (runs: ${c.cpu.map((v) => v.toFixed(0)).join(', ')}); wall/span median ${median(c.wall).toFixed(0)} ns; ${SINK ? 'received by the sink' : 'stored by the collector'} ${g}/${c.made}${g === c.made ? '' : '  <-- NOT ALL SPANS ARRIVED'}`,
        );
      }
      const ratios = a.cpu.map((v, k) => v / o.cpu[k]);
      console.log(`  ratio ariadne/OTel: ${median(ratios).toFixed(2)}× (median of per-run ratios: ${ratios.map((x) => x.toFixed(2)).join(', ')})`);
    }
  } finally {
    for (const c of pairs.flat()) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
    await app?.stop();
    sink?.close();
  }
}
