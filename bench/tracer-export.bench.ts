/**
 * Per-span cost of tracing WITH export: our tracer + RemoteReporter (OTLP/HTTP protobuf, gzip) vs
 * @opentelemetry/sdk-trace-base + BatchSpanProcessor + @opentelemetry/exporter-trace-otlp-proto
 * (gzip), both exporting to the same running Ariadne all-in-one (memory storage, a child process).
 *
 *   node --conditions=source --import tsx bench/tracer-export.bench.ts [runs=5] [spansPerRun=20000]
 *
 * One run of one implementation: start and end N spans with 5 attributes (chunks of 500, yielding
 * to the event loop between chunks so the exporters work while spans are made, as in an app), then
 * flush; the cost is this process's CPU time (user+system) from the first span to the end of the
 * flush, divided by N — span creation, queueing, encoding, compression and HTTP included; the
 * collector's work is in another process and not counted. Implementations alternate run by run;
 * medians of the runs are reported, with the ratio to the OTel SDK, and every span is checked to
 * have been delivered (exporter results / reporter metrics).
 */
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import type { ExportResult } from '@opentelemetry/core';
import type { Tracer } from '@opentelemetry/api';
import { initTracer } from '@ariadne/tracer';
import { startAriadne } from '../test/e2e/helpers.js';

const RUNS = Number(process.argv[2] ?? 5);
const N = Number(process.argv[3] ?? 20_000);
const CHUNK = 500;

const app = await startAriadne({ args: ['--storage', 'memory'] });
const url = app.url('otlp-http', '/v1/traces');

// ---- ours
const ours = initTracer(
  {
    serviceName: 'bench-ours',
    sampler: { type: 'const', param: 1 },
    reporter: { type: 'remote', protocol: 'http/protobuf', endpoint: url, maxQueueSize: 1 << 20, batchSize: 512, flushIntervalMs: 200, handleProcessExit: false },
  },
  { env: {} },
);
const oursTracer = ours.getTracer('bench');

// ---- OpenTelemetry SDK, counting what its exporter reports as delivered
const otlp = new OTLPTraceExporter({ url, compression: CompressionAlgorithm.GZIP, concurrencyLimit: 10_000 });
let otelDelivered = 0;
let otelFailed = 0;
const countingExporter: SpanExporter = {
  export(spans: ReadableSpan[], cb: (r: ExportResult) => void) {
    otlp.export(spans, (r) => {
      if (r.code === 0) otelDelivered += spans.length;
      else otelFailed += spans.length;
      cb(r);
    });
  },
  shutdown: () => otlp.shutdown(),
  forceFlush: () => otlp.forceFlush(),
};
const otelProvider = new BasicTracerProvider({
  spanProcessors: [new BatchSpanProcessor(countingExporter, { maxQueueSize: 1 << 20, maxExportBatchSize: 512, scheduledDelayMillis: 200 })],
});
const otelTracer = otelProvider.getTracer('bench');

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

interface Impl {
  name: string;
  run(): Promise<void>;
  delivered(): number;
  failed(): number;
}
const impls: Impl[] = [
  {
    name: 'ariadne (RemoteReporter, OTLP protobuf+gzip)',
    async run() {
      await burst(oursTracer);
      await ours.flush();
    },
    delivered: () => ours.metrics.reporterSpansSent,
    failed: () => ours.metrics.reporterSpansFailed + ours.metrics.reporterSpansDropped,
  },
  {
    name: 'OTel sdk-trace-base + BatchSpanProcessor + exporter-trace-otlp-proto (gzip)',
    async run() {
      await burst(otelTracer);
      await otelProvider.forceFlush();
    },
    delivered: () => otelDelivered,
    failed: () => otelFailed,
  },
];

const cpu: number[][] = impls.map(() => []);
const wall: number[][] = impls.map(() => []);
try {
  // warm-up (JIT, keep-alive connections)
  for (const im of impls) await im.run();
  const base = impls.map((im) => im.delivered());
  for (let r = 0; r < RUNS; r++) {
    const order = r % 2 ? [1, 0] : [0, 1];
    for (const i of order) {
      const c0 = process.cpuUsage();
      const w0 = process.hrtime.bigint();
      await impls[i].run();
      const d = process.cpuUsage(c0);
      cpu[i].push(((d.user + d.system) * 1000) / N);
      wall[i].push(Number(process.hrtime.bigint() - w0) / N);
    }
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const ratios = cpu[0].map((v, k) => v / cpu[1][k]);
  console.log(`tracer export bench: ${RUNS} runs × ${N} spans (5 attributes), OTLP/HTTP protobuf gzip to an all-in-one, node ${process.version}`);
  for (let i = 0; i < impls.length; i++) {
    const delivered = impls[i].delivered() - base[i];
    console.log(
      `${impls[i].name}\n  CPU/span median ${median(cpu[i]).toFixed(0)} ns (runs: ${cpu[i].map((v) => v.toFixed(0)).join(', ')}); wall/span median ${median(wall[i]).toFixed(0)} ns; delivered ${delivered}/${RUNS * N}, failed+dropped ${impls[i].failed()}`,
    );
    if (delivered !== RUNS * N) console.log(`  WARNING: ${RUNS * N - delivered} spans not delivered`);
  }
  console.log(`ratio ariadne/OTel (median of per-run CPU ratios): ${median(ratios).toFixed(2)}×`);
} finally {
  await ours.close();
  await otelProvider.shutdown();
  await app.stop();
}
