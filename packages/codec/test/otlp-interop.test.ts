// Interop with the official OpenTelemetry JS serializers (the bytes real clients send) and with
// protobufjs reading our encoding against the OTLP schema (an independent decoder).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { ProtobufTraceSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SpanKind as ApiKind, SpanStatusCode, TraceFlags, trace, context } from '@opentelemetry/api';
import type { Span } from '@ariadne/model';
import { attributeValuesEqual, toAttributeValue } from '@ariadne/model';
import { decodeOtlpJson, decodeOtlpProtobuf, encodeOtlpProtobuf } from '../src/otlp/index.js';

function sdkSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'interop', 'host.name': 'h1', 'process.pid': 4242 }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('interop-lib', '9.8.7', { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' });
  const root = tracer.startSpan('root ✓', {
    kind: ApiKind.SERVER,
    startTime: [1700000000, 123456789],
    attributes: { s: 'héllo', i: 7, neg: -123456789012, d: 0.5, b: false, sa: ['x', 'y'], ia: [1, 2], da: [0.25], ba: [true] },
  });
  root.addEvent('ev', { k: 'v', n: 3 }, [1700000000, 200000001]);
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  const ctx = trace.setSpan(context.active(), root);
  const child = tracer.startSpan(
    'child',
    {
      kind: ApiKind.CONSUMER,
      startTime: [1700000001, 5],
      links: [
        {
          context: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED, isRemote: true },
          attributes: { why: 'batch' },
        },
      ],
    },
    ctx,
  );
  child.end([1700000001, 999999999]);
  root.end([1700000002, 1]);
  return exporter.getFinishedSpans();
}

const hrToNs = (t: [number, number]): bigint => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);

function assertMatchesSdk(ours: Span[], sdk: ReadableSpan[]): void {
  assert.equal(ours.length, sdk.length);
  for (const r of sdk) {
    const s = ours.find((x) => x.spanId === r.spanContext().spanId);
    assert.ok(s, `span ${r.name} decoded`);
    assert.equal(s.traceId, r.spanContext().traceId);
    assert.equal(s.parentSpanId, r.parentSpanContext?.spanId ?? '');
    assert.equal(s.name, r.name);
    assert.equal(s.kind, r.kind + 1);
    assert.equal(s.startTimeUnixNano, hrToNs(r.startTime));
    assert.equal(s.endTimeUnixNano, hrToNs(r.endTime));
    assert.equal(s.flags & 0xff, r.spanContext().traceFlags);
    const attrs = Object.entries(r.attributes);
    assert.equal(s.attributes.length, attrs.length);
    for (const [k, v] of attrs) {
      const a = s.attributes.find((x) => x.key === k);
      assert.ok(a && attributeValuesEqual(a.value, toAttributeValue(v)), `attribute ${k}: ${JSON.stringify(a?.value)}`);
    }
    assert.equal(s.events.length, r.events.length);
    r.events.forEach((e, i) => {
      assert.equal(s.events[i].name, e.name);
      assert.equal(s.events[i].timeUnixNano, hrToNs(e.time));
      assert.equal(s.events[i].attributes.length, Object.keys(e.attributes ?? {}).length);
    });
    assert.equal(s.links.length, r.links.length);
    r.links.forEach((l, i) => {
      assert.equal(s.links[i].traceId, l.context.traceId);
      assert.equal(s.links[i].spanId, l.context.spanId);
      assert.equal(s.links[i].flags & 0xff, l.context.traceFlags);
      assert.deepEqual(s.links[i].attributes, [{ key: 'why', value: { type: 'string', value: 'batch' } }]);
    });
    assert.equal(s.status.code, r.status.code);
    assert.equal(s.status.message, r.status.message ?? '');
    assert.equal(s.resource.serviceName, 'interop');
    assert.deepEqual(s.resource.attributes.map((a) => a.key).sort(), Object.keys(r.resource.attributes).sort());
    assert.equal(s.scope.name, 'interop-lib');
    assert.equal(s.scope.version, '9.8.7');
    assert.equal(s.scope.schemaUrl, 'https://opentelemetry.io/schemas/1.26.0');
  }
}

test('OTel JS protobuf serializer output decodes to the SDK spans', () => {
  const sdk = sdkSpans();
  const bytes = ProtobufTraceSerializer.serializeRequest(sdk)!;
  assertMatchesSdk(decodeOtlpProtobuf(bytes), sdk);
});

test('OTel JS JSON serializer output decodes to the SDK spans', () => {
  const sdk = sdkSpans();
  const bytes = JsonTraceSerializer.serializeRequest(sdk)!;
  assertMatchesSdk(decodeOtlpJson(new TextDecoder().decode(bytes)), sdk);
});

const protoPath = fileURLToPath(new URL('./helpers/otlp-trace.proto', import.meta.url));
const Request = protobuf.parse(readFileSync(protoPath, 'utf8')).root.lookupType('otlp.ExportTraceServiceRequest');

test('protobufjs reads our encoding as the same request', () => {
  const sdk = sdkSpans();
  const ours = decodeOtlpProtobuf(ProtobufTraceSerializer.serializeRequest(sdk)!);
  const obj = Request.toObject(Request.decode(encodeOtlpProtobuf(ours)), { longs: String, bytes: String, defaults: false }) as {
    resourceSpans: Array<{ resource: { attributes: unknown[] }; scopeSpans: Array<{ scope: { name: string }; schemaUrl: string; spans: Array<Record<string, unknown>> }> }>;
  };
  assert.equal(obj.resourceSpans.length, 1);
  const ss = obj.resourceSpans[0].scopeSpans[0];
  assert.equal(ss.scope.name, 'interop-lib');
  assert.equal(ss.schemaUrl, 'https://opentelemetry.io/schemas/1.26.0');
  const root = ss.spans.find((s) => s.name === 'root ✓')!;
  assert.equal(Buffer.from(root.traceId as string, 'base64').toString('hex'), ours[0].traceId);
  assert.equal(root.startTimeUnixNano, '1700000000123456789');
  assert.equal(root.kind, 2);
  assert.deepEqual(root.status, { code: 2, message: 'boom' });
  const neg = (root.attributes as Array<{ key: string; value: { intValue: string } }>).find((a) => a.key === 'neg')!;
  assert.equal(neg.value.intValue, '-123456789012');
  // and protobufjs's own encoding of that object decodes back to our spans
  const again = decodeOtlpProtobuf(Request.encode(Request.fromObject(Request.toObject(Request.decode(encodeOtlpProtobuf(ours))))).finish());
  assert.deepEqual(again, ours);
});
