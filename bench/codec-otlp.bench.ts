/**
 * OTLP codec throughput: our hand-written decoder/encoder vs the peers.
 *
 *   node --conditions=source --import tsx bench/codec-otlp.bench.ts [runs=7] [msPerRun=300]
 *
 * Input: a realistic ExportTraceServiceRequest of 100 spans (10 attributes each, one event on every
 * fifth span, 2 resources), produced by the OpenTelemetry JS SDK and its own protobuf serializer
 * (@opentelemetry/otlp-transformer — the bytes a real Node client sends).
 *
 * Compared:
 * - decode: ours (→ model spans) vs protobufjs (reflection-generated decoder over the OTLP schema,
 *   → protobufjs message objects only, i.e. without the conversion to a span model that a collector
 *   would still need). otlp-transformer 0.223 cannot decode requests, so protobufjs stands in.
 * - encode: ours (model → bytes) vs otlp-transformer's ProtobufTraceSerializer (ReadableSpan → bytes)
 *   vs protobufjs (message object → bytes).
 * - JSON decode: ours (text → model) vs JSON.parse alone.
 * Prints the median spans per CPU-second (user+system time of this process) of several runs of each.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { ProtobufTraceSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { decodeOtlpJson, decodeOtlpProtobuf, encodeOtlpJson, encodeOtlpProtobuf } from '@ariadne/codec';

const RUNS = Number(process.argv[2] ?? 7);
const MS = Number(process.argv[3] ?? 300);
const SPANS = 100;

function makeSpans(): ReadableSpan[] {
  const out: ReadableSpan[] = [];
  for (const service of ['frontend', 'backend']) {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        'service.name': service,
        'service.version': '1.4.2',
        'host.name': 'ip-10-0-3-17',
        'process.pid': 31337,
        'telemetry.sdk.language': 'nodejs',
      }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const tracer = provider.getTracer(`@acme/${service}-instrumentation`, '0.52.0');
    const base = 1_700_000_000_000;
    let parent = context.active();
    for (let i = 0; i < SPANS / 2; i++) {
      const span = tracer.startSpan(
        i % 10 === 0 ? 'GET /api/customers/:id' : `SELECT customers.${i}`,
        {
          kind: i % 10 === 0 ? SpanKind.SERVER : SpanKind.CLIENT,
          startTime: base + i,
          attributes: {
            'http.request.method': 'GET',
            'url.path': `/api/customers/${1000 + i}`,
            'http.response.status_code': 200,
            'server.address': 'backend.internal',
            'server.port': 8080,
            'db.system': 'postgresql',
            'db.statement': 'SELECT id, name, email FROM customers WHERE id = $1',
            'db.rows': i * 3,
            'cache.hit': i % 3 === 0,
            'load.factor': 0.37 + i / 100,
          },
        },
        parent,
      );
      if (i % 5 === 0) span.addEvent('retry', { attempt: 1, reason: 'timeout' }, base + i + 1);
      span.end(base + i + 5);
      if (i % 10 === 0) parent = trace.setSpan(context.active(), span);
    }
    out.push(...exporter.getFinishedSpans());
  }
  return out;
}

/** One sample: spans per CPU-second of `fn` over about MS milliseconds. */
function sample(fn: () => unknown): number {
  // CPU time of this process (user + system), not wall time: the machine is shared, and the
  // number we want is spans per second of one core.
  let n = 0;
  const c0 = process.cpuUsage();
  const until = process.hrtime.bigint() + BigInt(MS) * 1_000_000n;
  while (process.hrtime.bigint() < until) {
    for (let k = 0; k < 10; k++) fn();
    n += 10;
  }
  const c = process.cpuUsage(c0);
  return (n * SPANS) / ((c.user + c.system) / 1e6);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const fmt = (n: number): string => `${Math.round(n).toLocaleString('en-US').padStart(11)} spans/cpu-s`;

const readable = makeSpans();
const bytes = ProtobufTraceSerializer.serializeRequest(readable)!;
const jsonText = new TextDecoder().decode(JsonTraceSerializer.serializeRequest(readable)!);
const model = decodeOtlpProtobuf(bytes);
if (model.length !== SPANS) throw new Error(`expected ${SPANS} spans, decoded ${model.length}`);

const protoPath = fileURLToPath(new URL('../packages/codec/test/helpers/otlp-trace.proto', import.meta.url));
const Request = protobuf.parse(readFileSync(protoPath, 'utf8')).root.lookupType('otlp.ExportTraceServiceRequest');
const pbjsMessage = Request.decode(bytes);

console.log(`OTLP request: ${SPANS} spans, ${bytes.length} bytes protobuf, ${jsonText.length} bytes JSON; ${RUNS} interleaved runs × ${MS} ms each, median`);
console.log(`node ${process.version}, ${process.arch}`);
const cases: Array<[string, () => unknown]> = [
  ['decode protobuf: ariadne (→ model)', () => decodeOtlpProtobuf(bytes)],
  ['decode protobuf: protobufjs 7 (→ messages only)', () => Request.decode(bytes)],
  ['encode protobuf: ariadne (model →)', () => encodeOtlpProtobuf(model)],
  ['encode protobuf: otlp-transformer (ReadableSpan →)', () => ProtobufTraceSerializer.serializeRequest(readable)],
  ['encode protobuf: protobufjs 7 (message →)', () => Request.encode(pbjsMessage).finish()],
  ['decode JSON: ariadne (text → model)', () => decodeOtlpJson(jsonText)],
  ['decode JSON: JSON.parse alone', () => JSON.parse(jsonText)],
  ['encode JSON: ariadne (model → text)', () => JSON.stringify(encodeOtlpJson(model))],
];
for (const [, fn] of cases) for (let w = 0; w < 50; w++) fn(); // warm-up (JIT)
const samples = cases.map((): number[] => []);
// Interleaved (every case once per round), so load changes on the shared machine hit all alike.
for (let r = 0; r < RUNS; r++) cases.forEach(([, fn], i) => samples[i].push(sample(fn)));
const result = cases.map(([name], i) => {
  const v = median(samples[i]);
  console.log(`${name.padEnd(52)} ${fmt(v)}`);
  return v;
});
const [dOurs, dPbjs, eOurs, eOtel, ePbjs, jOurs, jParse] = result;

console.log('');
console.log(`decode ratio ariadne / protobufjs:          ${(dOurs / dPbjs).toFixed(2)}x`);
console.log(`encode ratio ariadne / otlp-transformer:    ${(eOurs / eOtel).toFixed(2)}x`);
console.log(`encode ratio ariadne / protobufjs:          ${(eOurs / ePbjs).toFixed(2)}x`);
console.log(`JSON decode ratio ariadne / JSON.parse:     ${(jOurs / jParse).toFixed(2)}x`);
