/**
 * Tracer SDK per-span cost: ours vs @opentelemetry/sdk-trace-base (BatchSpanProcessor + an exporter
 * that receives every span and does nothing else) vs jaeger-client (const sampler, a reporter that
 * receives every span), in one process, interleaved runs, median of several.
 *
 *   node --conditions=source --import tsx bench/tracer.bench.ts [runs=7] [spansPerRun=100000] [scenario|all]
 *   (BENCH_CLOCK=wall to time wall-clock instead of the process's CPU time)
 *
 * Scenarios
 *   attrs5      start a span, set 5 attributes/tags (string, int, bool), end it
 *   rootchild   a root made active (startActiveSpan / context) and a child of it, both ended
 *   inject+extract   one inject into a header object and one extract from it
 *   unsampled   attrs5 with sampling off, vs the OpenTelemetry API's no-op tracer
 * Our cost is measured up to the hand-off of finished (model) spans to the reporter; the
 * OpenTelemetry SDK's includes its batch processor's queueing and batch hand-off to the exporter.
 * At the end every implementation's received-span count is checked against what it started.
 */
import { createRequire } from 'node:module';
import { context, trace, ROOT_CONTEXT, defaultTextMapGetter, defaultTextMapSetter, ProxyTracerProvider } from '@opentelemetry/api';
import type { Tracer as ApiTracer } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor, AlwaysOffSampler, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { W3CTraceContextPropagator as OtelW3C } from '@opentelemetry/core';
import * as ot from 'opentracing';
import type { Span as ModelSpan } from '@ariadne/model';
import { initTracer, W3CTraceContextPropagator, type Reporter } from '@ariadne/tracer';

const RUNS = Number(process.argv[2] ?? 7);
const N = Number(process.argv[3] ?? 100_000);
const CHUNK = 200;
const ONLY = process.argv[4] && process.argv[4] !== 'all' ? process.argv[4] : undefined; // optional: one scenario
// On a shared machine wall time counts the time other processes hold the CPU; by default the
// process's own CPU time (user + system, getrusage) is measured instead. BENCH_CLOCK=wall for wall time.
const CPU = process.env.BENCH_CLOCK !== 'wall';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const jaeger = require('jaeger-client') as any;

// ---- ours
class CountingReporter implements Reporter {
  count = 0;
  last: ModelSpan | undefined;
  report(span: ModelSpan): void {
    this.count++;
    this.last = span;
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}
const oursReporter = new CountingReporter();
const ours = initTracer({ serviceName: 'bench', sampler: { type: 'const', param: 1 }, propagation: ['tracecontext'] }, { reporter: oursReporter, env: {} });
const oursOtel = ours.getTracer('bench');
const oursOffReporter = new CountingReporter();
const oursOff = initTracer({ serviceName: 'bench-off', sampler: { type: 'const', param: 0 } }, { reporter: oursOffReporter, env: {}, register: false });
const oursOffOtel = oursOff.getTracer('bench');
const oursJaegerProp = initTracer({ serviceName: 'bench-j', sampler: { type: 'const', param: 1 }, propagation: ['jaeger'] }, { reporter: new CountingReporter(), env: {}, register: false });

// ---- OpenTelemetry SDK: batch processor + exporter that receives every span
class CountingExporter implements SpanExporter {
  count = 0;
  export(spans: ReadableSpan[], done: (r: { code: number }) => void): void {
    this.count += spans.length;
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
  async forceFlush(): Promise<void> {}
}
const otelExporter = new CountingExporter();
const otelProvider = new BasicTracerProvider({
  spanProcessors: [new BatchSpanProcessor(otelExporter, { maxQueueSize: 1 << 20, maxExportBatchSize: 512, scheduledDelayMillis: 5 })],
});
const otelSdk = otelProvider.getTracer('bench');
const otelOffProvider = new BasicTracerProvider({ sampler: new AlwaysOffSampler(), spanProcessors: [new BatchSpanProcessor(new CountingExporter())] });
const otelSdkOff = otelOffProvider.getTracer('bench');
const noopApi: ApiTracer = new ProxyTracerProvider().getTracer('bench'); // the API without an SDK

// ---- jaeger-client
const jaegerReporter = {
  count: 0,
  name: () => 'counting',
  report(_span: unknown) {
    this.count++;
  },
  close(cb?: () => void) {
    cb?.();
  },
  setProcess() {},
};
const jaegerTracer = new jaeger.Tracer('bench', jaegerReporter, new jaeger.ConstSampler(true), { logger: { info() {}, error() {} } });

// ---- scenarios (each function runs `n` iterations)
const ATTRS = ['http.method', 'http.route', 'http.status_code', 'net.peer.port', 'cache.hit'] as const;
function otelAttrs5(t: ApiTracer) {
  return (n: number) => {
    for (let i = 0; i < n; i++) {
      const s = t.startSpan('GET /api/items');
      s.setAttribute(ATTRS[0], 'GET');
      s.setAttribute(ATTRS[1], '/api/items/:id');
      s.setAttribute(ATTRS[2], 200);
      s.setAttribute(ATTRS[3], 8080);
      s.setAttribute(ATTRS[4], true);
      s.end();
    }
  };
}
function otAttrs5(t: ot.Tracer) {
  return (n: number) => {
    for (let i = 0; i < n; i++) {
      const s = t.startSpan('GET /api/items');
      s.setTag(ATTRS[0], 'GET');
      s.setTag(ATTRS[1], '/api/items/:id');
      s.setTag(ATTRS[2], 200);
      s.setTag(ATTRS[3], 8080);
      s.setTag(ATTRS[4], true);
      s.finish();
    }
  };
}
function otelRootChild(t: ApiTracer) {
  const body = (root: { end(): void }) => {
    t.startSpan('child').end();
    root.end();
  };
  return (n: number) => {
    for (let i = 0; i < n; i++) t.startActiveSpan('root', body);
  };
}
function otRootChildActive(n: number) {
  const body = () => {
    ours.startSpan('child').finish();
  };
  for (let i = 0; i < n; i++) ours.startActiveSpan('root', body);
}
function jaegerRootChild(n: number) {
  for (let i = 0; i < n; i++) {
    const root = jaegerTracer.startSpan('root');
    jaegerTracer.startSpan('child', { childOf: root }).finish();
    root.finish();
  }
}
function propagate(p: { inject: Function; extract: Function }, ctx: unknown) {
  return (n: number) => {
    for (let i = 0; i < n; i++) {
      const carrier: Record<string, string> = {};
      p.inject(ctx, carrier, defaultTextMapSetter);
      p.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
    }
  };
}
function otPropagate(t: { inject: Function; extract: Function }, spanCtx: unknown) {
  return (n: number) => {
    for (let i = 0; i < n; i++) {
      const carrier: Record<string, string> = {};
      t.inject(spanCtx, ot.FORMAT_HTTP_HEADERS, carrier);
      t.extract(ot.FORMAT_HTTP_HEADERS, carrier);
    }
  };
}

const oursSpan = oursOtel.startSpan('p');
const sdkSpan = otelSdk.startSpan('p');
const oursCtx = trace.setSpan(ROOT_CONTEXT, oursSpan);
const sdkCtx = trace.setSpan(ROOT_CONTEXT, sdkSpan);
const jSpan = jaegerTracer.startSpan('p');
const oursJSpan = oursJaegerProp.startSpan('p');

interface Case {
  scenario: string;
  impl: string;
  spansPerIter: number;
  fn: (n: number) => void;
}
const cases: Case[] = [
  { scenario: 'attrs5', impl: 'ariadne (OTel API)', spansPerIter: 1, fn: otelAttrs5(oursOtel) },
  { scenario: 'attrs5', impl: 'ariadne (OpenTracing API)', spansPerIter: 1, fn: otAttrs5(ours) },
  { scenario: 'attrs5', impl: 'otel sdk-trace-base + batch', spansPerIter: 1, fn: otelAttrs5(otelSdk) },
  { scenario: 'attrs5', impl: 'jaeger-client', spansPerIter: 1, fn: otAttrs5(jaegerTracer) },
  { scenario: 'rootchild', impl: 'ariadne (OTel API)', spansPerIter: 2, fn: otelRootChild(oursOtel) },
  { scenario: 'rootchild', impl: 'ariadne (OpenTracing API)', spansPerIter: 2, fn: otRootChildActive },
  { scenario: 'rootchild', impl: 'otel sdk-trace-base + batch', spansPerIter: 2, fn: otelRootChild(otelSdk) },
  { scenario: 'rootchild', impl: 'jaeger-client (explicit childOf)', spansPerIter: 2, fn: jaegerRootChild },
  { scenario: 'inject+extract', impl: 'ariadne W3C', spansPerIter: 1, fn: propagate(new W3CTraceContextPropagator(), oursCtx) },
  { scenario: 'inject+extract', impl: 'otel core W3C', spansPerIter: 1, fn: propagate(new OtelW3C(), sdkCtx) },
  { scenario: 'inject+extract', impl: 'ariadne OpenTracing uber-trace-id', spansPerIter: 1, fn: otPropagate(oursJaegerProp, oursJSpan.context()) },
  { scenario: 'inject+extract', impl: 'jaeger-client uber-trace-id', spansPerIter: 1, fn: otPropagate(jaegerTracer, jSpan.context()) },
  { scenario: 'unsampled', impl: 'ariadne (const 0)', spansPerIter: 1, fn: otelAttrs5(oursOffOtel) },
  { scenario: 'unsampled', impl: 'otel sdk-trace-base (always_off)', spansPerIter: 1, fn: otelAttrs5(otelSdkOff) },
  { scenario: 'unsampled', impl: 'otel API no-op (no SDK)', spansPerIter: 1, fn: otelAttrs5(noopApi) },
];

const tick = () => new Promise<void>((r) => setImmediate(r));

/**
 * One run of one scenario: its implementations take turns chunk by chunk (CHUNK iterations each),
 * so a load spike from other processes hits them all alike; returns ns per span per case.
 */
async function runScenario(group: Case[], iters: number): Promise<number[]> {
  const total = group.map(() => 0n);
  for (let done = 0; done < iters; done += CHUNK) {
    const n = Math.min(CHUNK, iters - done);
    for (let i = 0; i < group.length; i++) {
      const c = group[i];
      const m = c.spansPerIter === 2 ? n / 2 : n;
      const t0 = CPU ? process.cpuUsage() : undefined;
      const w0 = process.hrtime.bigint();
      c.fn(m);
      if (t0) {
        const d = process.cpuUsage(t0);
        total[i] += BigInt(d.user + d.system) * 1000n;
      } else total[i] += process.hrtime.bigint() - w0;
      // Let timers and promise callbacks run (the OTel batch processor exports synchronously once
      // 512 spans are queued, then waits for a microtask before the next export).
      await tick();
      count(c, m);
    }
  }
  return total.map((t) => Number(t) / iters); // every case runs `iters` spans (two-span cases half as many iterations)
}

const started = { ours: 0, otel: 0, jaeger: 0 };
function count(c: Case, iters: number) {
  if (c.scenario === 'inject+extract' || c.scenario === 'unsampled') return;
  const k = c.impl.startsWith('ariadne') ? 'ours' : c.impl.startsWith('otel') ? 'otel' : 'jaeger';
  started[k] += iters * c.spansPerIter;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main() {
  const scenarios = [...new Set(cases.map((c) => c.scenario))].filter((s) => !ONLY || s === ONLY);
  const results = new Map<Case, number[]>();
  const ratios = new Map<Case, number[]>();
  for (const sc of scenarios) await runScenario(cases.filter((c) => c.scenario === sc), 20_000); // warm-up
  for (let r = 0; r < RUNS; r++) {
    for (const sc of scenarios) {
      const group = cases.filter((c) => c.scenario === sc);
      const v = await runScenario(group, N);
      const refIdx = group.findIndex((c) => c.impl.startsWith('otel'));
      group.forEach((c, i) => {
        results.set(c, [...(results.get(c) ?? []), v[i]]);
        ratios.set(c, [...(ratios.get(c) ?? []), v[i] / v[refIdx]]);
      });
    }
  }
  await otelProvider.forceFlush();
  await new Promise((r) => setTimeout(r, 50));
  console.log(`tracer bench: node ${process.version}, ${CPU ? 'process CPU time' : 'wall time'}, ${RUNS} runs × ${N} spans per case (implementations take turns in chunks of ${CHUNK}); median ns per span (inject+extract: per pair); ratio = median of per-run ratios to the OTel SDK\n`);
  let scenario = '';
  for (const c of cases) {
    if (!results.has(c)) continue;
    if (c.scenario !== scenario) {
      scenario = c.scenario;
      console.log(`## ${scenario}`);
    }
    const m = median(results.get(c)!);
    const ratio = median(ratios.get(c)!);
    const all = results.get(c)!.map((x) => x.toFixed(0)).join(' ');
    console.log(`  ${c.impl.padEnd(38)} ${m.toFixed(0).padStart(6)} ns   ${ratio.toFixed(2)}× otel-sdk   runs: ${all}`);
  }
  console.log('\nspans received (must equal spans started; nothing dropped):');
  console.log(`  ariadne: started ${started.ours}, reporter got ${oursReporter.count}`);
  console.log(`  otel:    started ${started.otel}, exporter got ${otelExporter.count}`);
  console.log(`  jaeger:  started ${started.jaeger}, reporter got ${jaegerReporter.count}`);
  console.log(`  ariadne dropped (metrics): ${ours.metrics.reporterSpansDropped}, failed: ${ours.metrics.reporterSpansFailed}`);
  oursSpan.end();
  sdkSpan.end();
  await otelProvider.shutdown();
  await ours.close();
  void context;
}

await main();
