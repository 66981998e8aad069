import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { DuckDBStore, MemoryStore } from '@ariadne/storage';
import type { Span } from '@ariadne/model';
import type { SpanStore } from '@ariadne/storage';
import { createOtlpHttpHandler, SpanPipeline, startHttpServer } from '../src/index.js';
import { send } from './http-client.js';
import { readFileSync } from 'node:fs';

/** Records every export result of the real exporter it wraps. */
function recording(inner: SpanExporter, results: ExportResult[]): SpanExporter {
  return {
    export(spans: ReadableSpan[], cb: (r: ExportResult) => void) {
      inner.export(spans, (r) => {
        results.push(r);
        cb(r);
      });
    },
    shutdown: () => inner.shutdown(),
    forceFlush: () => inner.forceFlush?.() ?? Promise.resolve(),
  };
}

describe('real OpenTelemetry JS exporter → OTLP/HTTP receiver', () => {
  for (const compression of [CompressionAlgorithm.NONE, CompressionAlgorithm.GZIP]) {
    it(`@opentelemetry/exporter-trace-otlp-proto exports successfully (compression ${compression})`, async () => {
      const store = new MemoryStore();
      const pipeline = new SpanPipeline(store, { maxBatchDelayMs: 1 });
      const l = await startHttpServer(createOtlpHttpHandler(pipeline), { port: 0, name: 'otlp-http' });
      const results: ExportResult[] = [];
      const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${l.address.port}/v1/traces`, compression });
      const provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': 'exporter-test', 'service.version': '9.9.9' }),
        spanProcessors: [new SimpleSpanProcessor(recording(exporter, results))],
      });
      try {
        const tracer = provider.getTracer('collector-test', '1.0.0');
        const parent = tracer.startSpan('parent', { attributes: { 'test.int': 42, 'test.list': ['a', 'b'] } });
        const child = tracer.startSpan('child', {}, trace.setSpan(context.active(), parent));
        child.addEvent('hello', { n: 1 });
        child.end();
        parent.end();
        await provider.forceFlush();
        assert.equal(results.length, 2);
        for (const r of results) assert.equal(r.code, ExportResultCode.SUCCESS, String(r.error));

        const traceId = parent.spanContext().traceId;
        const spans = await store.getTrace(traceId);
        assert.deepEqual(spans.map((s) => s.name).sort(), ['child', 'parent']);
        const c = spans.find((s) => s.name === 'child')!;
        assert.equal(c.parentSpanId, parent.spanContext().spanId);
        assert.equal(c.resource.serviceName, 'exporter-test');
        assert.equal(c.scope.name, 'collector-test');
        assert.equal(c.events[0]?.name, 'hello');
        const p = spans.find((s) => s.name === 'parent')!;
        assert.deepEqual(
          p.attributes.find((a) => a.key === 'test.int')?.value,
          { type: 'int', value: 42 },
        );
      } finally {
        await provider.shutdown();
        await l.close();
        await pipeline.close();
        await store.close();
      }
    });
  }
});

describe('OTLP/HTTP receiver with DuckDBStore', () => {
  it('answers 200 only after the batch is committed: the spans survive reopening the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ariadne-collector-'));
    let store: SpanStore = await DuckDBStore.open({ dataDir: dir });
    // Observe the real store's commits (the write still goes to DuckDB).
    const events: string[] = [];
    const real = store.writeSpans.bind(store);
    store.writeSpans = async (spans: readonly Span[]) => {
      await real(spans);
      events.push(`committed ${spans.length}`);
    };
    const pipeline = new SpanPipeline(store, { maxBatchDelayMs: 1 });
    const l = await startHttpServer(createOtlpHttpHandler(pipeline), { port: 0, name: 'otlp-http' });
    try {
      const body = readFileSync(fileURLToPath(new URL('../../../../shared/fixtures/otlp-http-protobuf.bin', import.meta.url)));
      const r = await send(l.address.port, { headers: { 'content-type': 'application/x-protobuf' }, chunks: [body] });
      events.push(`response ${r.status}`);
      assert.deepEqual(events, ['committed 4', 'response 200']);
      assert.equal((await store.getTrace('5827fb2d5092bc246e70cccdf6fcb590')).length, 4);
    } finally {
      await l.close();
      await pipeline.close();
      await store.close();
    }
    // Durable: a fresh store on the same file sees the acknowledged spans.
    store = await DuckDBStore.open({ dataDir: dir });
    try {
      const spans = await store.getTrace('5827fb2d5092bc246e70cccdf6fcb590');
      assert.equal(spans.length, 4);
      assert.ok(spans.some((s) => s.name === 'SQL SELECT' && s.status.code === 2));
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
