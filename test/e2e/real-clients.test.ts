/**
 * The official clients, unchanged, pointed at a running all-in-one: the OpenTelemetry JS exporters
 * (OTLP/HTTP JSON, OTLP/HTTP protobuf, OTLP/gRPC), jaeger-client (UDP agent and HTTP collector) and
 * zipkin-js (HTTP, JSON v2 and v1). Each trace must come back from the query API with its service,
 * operation, tags and parent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRequire } from 'node:module';
import { getJson, startAriadne, type Running } from './helpers.js';

const require = createRequire(import.meta.url);

let app: Running;
before(async () => {
  app = await startAriadne({ args: ['--storage', 'memory'] });
});
after(async () => {
  await app?.stop();
});

/** Poll the query API until the trace has `count` spans. */
async function waitForTrace(traceId: string, count: number, timeoutMs = 15000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await getJson(app.url('query', `/api/traces/${traceId}`));
    if (r.status === 200 && r.body.data[0].spans.length >= count) return r.body.data[0];
    if (Date.now() > deadline) assert.fail(`trace ${traceId} with ${count} spans not found in time (last: ${r.status} ${JSON.stringify(r.body).slice(0, 300)})`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

const tag = (span: any, key: string) => span.tags.find((t: any) => t.key === key)?.value;

describe('OpenTelemetry JS exporters', () => {
  async function exportWith(exporter: any, service: string): Promise<{ traceId: string }> {
    const { BasicTracerProvider, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
    const { resourceFromAttributes } = require('@opentelemetry/resources');
    const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracer = provider.getTracer('interop-test', '1.0.0');
    const api = require('@opentelemetry/api');
    const root = tracer.startSpan('parent-op', { kind: api.SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'interop.int': 7 } });
    const ctx = api.trace.setSpan(api.context.active(), root);
    const child = tracer.startSpan('child-op', { kind: api.SpanKind.CLIENT, attributes: { 'db.system': 'duckdb' } }, ctx);
    child.addEvent('row fetched', { rows: 3 });
    child.setStatus({ code: api.SpanStatusCode.ERROR, message: 'boom' });
    child.end();
    root.end();
    await provider.forceFlush();
    await provider.shutdown();
    return { traceId: root.spanContext().traceId };
  }

  for (const variant of ['http-json', 'http-proto', 'grpc'] as const) {
    test(`exporter-trace-otlp-${variant}`, async () => {
      let exporter;
      if (variant === 'http-json') {
        const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
        exporter = new OTLPTraceExporter({ url: app.url('otlp-http', '/v1/traces') });
      } else if (variant === 'http-proto') {
        const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
        exporter = new OTLPTraceExporter({ url: app.url('otlp-http', '/v1/traces'), compression: 'gzip' });
      } else {
        const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-grpc');
        const a = app.addresses.get('otlp-grpc')!;
        exporter = new OTLPTraceExporter({ url: `http://${a.host}:${a.port}`, compression: 'gzip' });
      }
      const service = `otel-${variant}`;
      const { traceId } = await exportWith(exporter, service);
      const trace = await waitForTrace(traceId, 2);
      const parent = trace.spans.find((s: any) => s.operationName === 'parent-op');
      const child = trace.spans.find((s: any) => s.operationName === 'child-op');
      assert.equal(trace.processes[parent.processID].serviceName, service);
      assert.equal(tag(parent, 'http.request.method'), 'GET');
      assert.equal(tag(parent, 'interop.int'), 7);
      assert.equal(tag(parent, 'span.kind'), 'server');
      assert.equal(child.references[0].spanID, parent.spanID);
      assert.equal(tag(child, 'error'), true);
      assert.equal(child.logs[0].fields.find((f: any) => f.key === 'rows').value, 3);
    });
  }
});

describe('jaeger-client', () => {
  for (const via of ['udp', 'http'] as const) {
    test(`jaeger-client over ${via}`, async () => {
      const { initTracer } = require('jaeger-client');
      const reporter =
        via === 'udp'
          ? { agentHost: '127.0.0.1', agentPort: app.addresses.get('agent-binary')!.port, flushIntervalMs: 20 }
          : { collectorEndpoint: app.url('jaeger-http', '/api/traces'), flushIntervalMs: 20 };
      const service = `jaeger-client-${via}`;
      const tracer = initTracer({ serviceName: service, sampler: { type: 'const', param: 1 }, reporter }, { logger: { info() {}, error() {} } });
      const root = tracer.startSpan('jc-root');
      root.setTag('span.kind', 'server');
      root.setTag('customer', 'c-42');
      const child = tracer.startSpan('jc-child', { childOf: root });
      child.log({ event: 'cache-miss', key: 'k1' });
      child.setTag('error', true);
      child.finish();
      root.finish();
      const traceId = root.context().toTraceId();
      await new Promise<void>((res) => tracer.close(() => res()));
      const trace = await waitForTrace(traceId, 2);
      const r = trace.spans.find((s: any) => s.operationName === 'jc-root');
      const c = trace.spans.find((s: any) => s.operationName === 'jc-child');
      assert.equal(trace.processes[r.processID].serviceName, service);
      assert.equal(tag(r, 'customer'), 'c-42');
      assert.equal(tag(r, 'sampler.type'), 'const');
      assert.equal(c.references.find((x: any) => x.refType === 'CHILD_OF').spanID, r.spanID);
      assert.equal(tag(c, 'error'), true);
      assert.equal(c.logs[0].fields.find((f: any) => f.key === 'event').value, 'cache-miss');
    });
  }
});

describe('zipkin-js', () => {
  for (const version of ['v2', 'v1'] as const) {
    test(`zipkin-js HttpLogger, JSON ${version}`, async () => {
      const zipkin = require('zipkin');
      const { HttpLogger } = require('zipkin-transport-http');
      const logger = new HttpLogger({
        endpoint: app.url('zipkin', `/api/${version}/spans`),
        jsonEncoder: version === 'v2' ? zipkin.jsonEncoder.JSON_V2 : zipkin.jsonEncoder.JSON_V1,
        httpInterval: 50,
      });
      const service = `zipkin-js-${version}`;
      const tracer = new zipkin.Tracer({ ctxImpl: new zipkin.ExplicitContext(), recorder: new zipkin.BatchRecorder({ logger }), localServiceName: service, traceId128Bit: true });
      let traceId = '';
      tracer.scoped(() => {
        const id = tracer.createRootId();
        tracer.setId(id);
        traceId = id.traceId;
        tracer.recordServiceName(service);
        tracer.recordRpc('GET /zk');
        tracer.recordAnnotation(new zipkin.Annotation.ServerRecv());
        tracer.recordBinary('zk.tag', 'zv');
        tracer.recordAnnotation(new zipkin.Annotation.ServerSend());
      });
      const trace = await waitForTrace(traceId, 1);
      const s = trace.spans[0];
      assert.equal(s.operationName, 'get /zk', 'zipkin lower-cases names');
      assert.equal(trace.processes[s.processID].serviceName, service);
      assert.equal(tag(s, 'zk.tag'), 'zv');
      assert.equal(tag(s, 'span.kind'), 'server');
      logger.removeAllListeners?.();
      clearInterval(logger.timer);
    });
  }
});
