import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '@ariadne/storage';
import { PipelineClosedError, QueueFullError, SpanPipeline, StoreWriteError } from '../src/pipeline.js';
import { ControlledStore, isSettled, span, spans } from './helpers.js';

describe('SpanPipeline', () => {
  it('stores accepted spans in the real MemoryStore and resolves with the counts', async () => {
    const store = new MemoryStore();
    const p = new SpanPipeline(store);
    const batch = spans(3, 'checkout');
    const res = await p.ingest(batch, 'test');
    assert.equal(res.accepted, 3);
    assert.deepEqual(res.rejected, []);
    const got = await store.getTrace(batch[1].traceId);
    assert.equal(got.length, 1);
    assert.equal(got[0].spanId, batch[1].spanId);
    await p.close();
    await store.close();
  });

  it('acknowledges only after the store write resolves', async () => {
    const store = new ControlledStore();
    const p = new SpanPipeline(store.asStore(), { maxBatchDelayMs: 0 });
    const ack = p.ingest(spans(2), 'test');
    await store.waitForWrites(1);
    assert.equal(await isSettled(ack), false, 'acked before the write committed');
    assert.equal(p.queuedSpans, 2);
    assert.match(p.metrics.toPrometheus(), /^ariadne_collector_queue_spans 2$/m);
    assert.equal(p.metrics.spansStored.total(), 0);
    store.writes[0].resolve();
    assert.equal((await ack).accepted, 2);
    assert.equal(p.queuedSpans, 0);
  });

  it('flushes as soon as the batch reaches maxBatchSpans, without waiting for the delay', async () => {
    const store = new ControlledStore();
    store.auto = true;
    const p = new SpanPipeline(store.asStore(), { maxBatchSpans: 10, maxBatchDelayMs: 60_000 });
    const t0 = Date.now();
    const acks = Array.from({ length: 10 }, () => p.ingest([span()], 'test'));
    await Promise.all(acks);
    assert.ok(Date.now() - t0 < 5000);
    assert.deepEqual(
      store.writes.map((w) => w.spans.length),
      [10],
    );
    await p.close();
  });

  it('flushes a partial batch after maxBatchDelayMs', async () => {
    const store = new ControlledStore();
    store.auto = true;
    const p = new SpanPipeline(store.asStore(), { maxBatchSpans: 1000, maxBatchDelayMs: 30 });
    const t0 = performance.now();
    const ack = p.ingest(spans(3), 'test');
    assert.equal(await isSettled(ack), false);
    assert.equal(store.writes.length, 0, 'wrote before the delay');
    await ack;
    const waited = performance.now() - t0;
    assert.ok(waited >= 25, `flushed after ${waited} ms`);
    assert.deepEqual(
      store.writes.map((w) => w.spans.length),
      [3],
    );
  });

  it('with maxWritesInFlight 1, keeps one write in flight and batches what arrives meanwhile, in whole requests up to maxBatchSpans', async () => {
    const store = new ControlledStore();
    const p = new SpanPipeline(store.asStore(), { maxBatchSpans: 10, maxBatchDelayMs: 0, maxWritesInFlight: 1 });
    const first = p.ingest(spans(4), 'test');
    await store.waitForWrites(1);
    // While the first write is pending: 3+3+3 spans, then 5, then a request larger than a batch.
    const more = [p.ingest(spans(3), 'test'), p.ingest(spans(3), 'test'), p.ingest(spans(3), 'test'), p.ingest(spans(5), 'test'), p.ingest(spans(12), 'test')];
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(store.writes.length, 1, 'a second write started while one was in flight');
    assert.equal(p.queuedSpans, 4 + 3 + 3 + 3 + 5 + 12);
    for (let i = 0; i < 4; i++) {
      await store.waitForWrites(i + 1);
      store.writes[i].resolve();
    }
    await Promise.all([first, ...more]);
    assert.equal(store.maxInFlight, 1);
    // Requests are never split: 4 | 3+3+3 | 5 | 12 (a single request larger than a batch goes alone).
    assert.deepEqual(
      store.writes.map((w) => w.spans.length),
      [4, 9, 5, 12],
    );
    assert.equal(p.batchCount, 4);
  });

  it('by default hands a second batch to the store while the first is written (overlap), never more, and batches the rest', async () => {
    const store = new ControlledStore();
    const p = new SpanPipeline(store.asStore(), { maxBatchSpans: 10, maxBatchDelayMs: 0 });
    assert.equal(p.maxWritesInFlight, 2);
    const first = p.ingest(spans(4), 'test');
    await store.waitForWrites(1);
    const second = p.ingest(spans(2), 'test');
    await store.waitForWrites(2);
    // Both slots busy: these wait, and go out together when a slot frees.
    const more = [p.ingest(spans(3), 'test'), p.ingest(spans(3), 'test'), p.ingest(spans(3), 'test')];
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(store.writes.length, 2, 'a third write started while two were in flight');
    assert.equal(p.queuedSpans, 4 + 2 + 9);
    assert.equal(await isSettled(first), false);
    store.writes[1].resolve();
    await second;
    assert.equal(await isSettled(first), false, 'acked before its own write committed');
    await store.waitForWrites(3);
    store.writes[0].resolve();
    store.writes[2].resolve();
    await Promise.all([first, ...more]);
    assert.equal(store.maxInFlight, 2);
    assert.deepEqual(
      store.writes.map((w) => w.spans.length),
      [4, 2, 9],
    );
    assert.equal(p.queuedSpans, 0);
    await p.close();
  });

  it('rejects every waiter of a failed batch with StoreWriteError and keeps going', async () => {
    const store = new ControlledStore();
    const p = new SpanPipeline(store.asStore(), { maxBatchSpans: 100, maxBatchDelayMs: 0, maxWritesInFlight: 1 });
    const blocker = p.ingest(spans(1), 'test');
    await store.waitForWrites(1);
    const a = p.ingest(spans(2), 'test');
    const b = p.ingest(spans(2), 'test');
    store.writes[0].resolve();
    await blocker;
    await store.waitForWrites(2);
    assert.equal(store.writes[1].spans.length, 4);
    store.writes[1].reject(new Error('disk full'));
    await assert.rejects(a, (e: unknown) => e instanceof StoreWriteError && /disk full/.test(e.message));
    await assert.rejects(b, StoreWriteError);
    const c = p.ingest(spans(1), 'test');
    await store.waitForWrites(3);
    store.writes[2].resolve();
    assert.equal((await c).accepted, 1);
    assert.equal(p.metrics.spansFailed.total(), 4);
    assert.equal(p.metrics.spansStored.total(), 2);
  });

  it('a store that throws synchronously fails the batch, not the process', async () => {
    const store = {
      writeSpans() {
        throw new Error('sync boom');
      },
    };
    const p = new SpanPipeline(store as never, { maxBatchDelayMs: 0 });
    await assert.rejects(p.ingest(spans(1), 'test'), /sync boom/);
  });

  it('refuses at once with QueueFullError (and a retry-after) when the span queue is full', async () => {
    const store = new ControlledStore();
    const p = new SpanPipeline(store.asStore(), { maxQueueSpans: 5, maxBatchDelayMs: 0 });
    const a = p.ingest(spans(3), 'test');
    await store.waitForWrites(1);
    await assert.rejects(p.ingest(spans(3), 'test'), (e: unknown) => {
      assert.ok(e instanceof QueueFullError);
      assert.ok(e.retryAfterSeconds >= 1 && e.retryAfterSeconds <= 60);
      assert.match(e.message, /queue full/);
      return true;
    });
    // Still fits: 3 + 2 = 5.
    const b = p.ingest(spans(2), 'test');
    store.writes[0].resolve();
    await a;
    await store.waitForWrites(2);
    store.writes[1].resolve();
    await b;
    assert.equal(p.metrics.refused.value({ protocol: 'test', reason: 'queue_full' }), 1);
  });

  it('refuses when the estimated bytes exceed maxQueueBytes', async () => {
    const store = new ControlledStore();
    const p = new SpanPipeline(store.asStore(), { maxQueueBytes: 4096, maxBatchDelayMs: 0 });
    const big = span('svc', { name: 'x'.repeat(3000) });
    const a = p.ingest([big], 'test');
    await store.waitForWrites(1);
    assert.ok(p.queuedBytes > 4096 / 2);
    await assert.rejects(p.ingest([span('svc', { name: 'y'.repeat(3000) })], 'test'), QueueFullError);
    store.writes[0].resolve();
    await a;
  });

  it('rejects invalid spans with reasons and stores the rest', async () => {
    const store = new ControlledStore();
    store.auto = true;
    const p = new SpanPipeline(store.asStore(), { maxBatchDelayMs: 0 });
    const bad1 = span('svc', { traceId: '0'.repeat(32) });
    const bad2 = span('svc', { spanId: '0000000000000000' });
    const good = span('svc');
    const res = await p.ingest([bad1, good, bad2], 'test');
    assert.equal(res.accepted, 1);
    assert.equal(res.rejected.length, 2);
    assert.match(res.rejected[0].reason, /trace id/);
    assert.match(res.rejected[1].reason, /span id/);
    assert.deepEqual(
      store.writes.map((w) => w.spans.map((s) => s.spanId)),
      [[good.spanId]],
    );
    // Only invalid spans: nothing to write, resolves at once.
    const none = await p.ingest([span('svc', { startTimeUnixNano: 0n })], 'test');
    assert.equal(none.accepted, 0);
    assert.equal(none.rejected.length, 1);
    assert.equal(store.writes.length, 1);
  });

  it('applies configurable validation limits', async () => {
    const store = new MemoryStore();
    const p = new SpanPipeline(store, { limits: { maxNameLength: 5 }, maxBatchDelayMs: 0 });
    const s = span('svc', { name: 'a-very-long-name' });
    await p.ingest([s], 'test');
    const [got] = await store.getTrace(s.traceId);
    assert.equal(got.name, 'a-ver');
    assert.ok(got.warnings.some((w) => /truncated/.test(w)));
    await p.close();
  });

  it('close() drains everything pending, then refuses new spans', async () => {
    const store = new ControlledStore();
    store.auto = true;
    const p = new SpanPipeline(store.asStore(), { maxBatchSpans: 4, maxBatchDelayMs: 60_000 });
    const acks = Array.from({ length: 10 }, () => p.ingest(spans(1), 'test'));
    await new Promise((r) => setImmediate(r));
    await p.close();
    const results = await Promise.all(acks);
    assert.equal(results.reduce((n, r) => n + r.accepted, 0), 10);
    assert.equal(
      store.writes.reduce((n, w) => n + w.spans.length, 0),
      10,
    );
    assert.ok(store.writes.every((w) => w.spans.length <= 4));
    assert.equal(p.queuedSpans, 0);
    await assert.rejects(p.ingest(spans(1), 'test'), PipelineClosedError);
    await p.close(); // idempotent
  });

  it('exposes Prometheus metrics per protocol and service', async () => {
    const store = new MemoryStore();
    const p = new SpanPipeline(store, { maxBatchDelayMs: 0 });
    await p.ingest([...spans(2, 'front"end'), span('backend', { spanId: '0000000000000000' })], 'otlp-http');
    const text = p.metrics.toPrometheus();
    assert.match(text, /# TYPE ariadne_collector_spans_received_total counter/);
    assert.match(text, /ariadne_collector_spans_received_total\{protocol="otlp-http",service="front\\"end"\} 2/);
    assert.match(text, /ariadne_collector_spans_rejected_total\{protocol="otlp-http",service="backend"\} 1/);
    assert.match(text, /ariadne_collector_spans_stored_total\{protocol="otlp-http",service="front\\"end"\} 2/);
    assert.match(text, /ariadne_collector_queue_spans 0/);
    assert.match(text, /ariadne_collector_batch_commit_seconds_bucket\{le="\+Inf"\} 1/);
    assert.match(text, /ariadne_collector_batch_commit_seconds_count 1/);
    assert.match(text, /ariadne_collector_batch_spans_sum 2/);
    await p.close();
  });

  it('rejects bad options with a clear error', () => {
    assert.throws(() => new SpanPipeline(new MemoryStore(), { maxBatchSpans: 0 }), /maxBatchSpans must be a positive number/);
    assert.throws(() => new SpanPipeline(new MemoryStore(), { maxBatchDelayMs: -1 }), /maxBatchDelayMs/);
  });
});
