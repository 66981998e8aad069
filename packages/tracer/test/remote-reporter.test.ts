/**
 * RemoteReporter scheduling, with a scripted sender (the senders themselves are tested against
 * real servers elsewhere): batches in flight are bounded by maxInflightBatches, spans reach an
 * encoding sender as bytes (decodable, nothing lost or duplicated), a partial batch goes out on the
 * flush interval, and an idle reporter keeps no timer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeOtlpProtobuf } from '@ariadne/codec';
import type { Span } from '@ariadne/model';
import { initTracer, OtlpTraceEncoder, RemoteReporter, type SendOutcome, type Sender } from '../src/index.js';

/** A sender that encodes like the OTLP senders and answers after `delayMs`, tracking concurrency. */
class ScriptedSender implements Sender {
  readonly name = 'scripted';
  inflight = 0;
  maxInflight = 0;
  bodies: Uint8Array[] = [];
  constructor(private readonly delayMs: number) {}
  newEncoder() {
    return new OtlpTraceEncoder();
  }
  async sendEncoded(body: Uint8Array): Promise<SendOutcome> {
    this.inflight++;
    this.maxInflight = Math.max(this.maxInflight, this.inflight);
    await new Promise((r) => setTimeout(r, this.delayMs));
    this.bodies.push(body);
    this.inflight--;
    return { ok: true };
  }
  async send(spans: Span[]): Promise<SendOutcome> {
    return this.sendEncoded(new OtlpTraceEncoder().encode(spans));
  }
  async close(): Promise<void> {}
  names(): string[] {
    return this.bodies.flatMap((b) => decodeOtlpProtobuf(b).map((s) => s.name));
  }
}

async function burst(maxInflightBatches: number | undefined): Promise<{ sender: ScriptedSender; tracer: ReturnType<typeof initTracer> }> {
  const sender = new ScriptedSender(40);
  const reporter = new RemoteReporter({ sender, batchSize: 100, maxQueueSize: 10_000, flushIntervalMs: 50, handleProcessExit: false, maxInflightBatches });
  const tracer = initTracer({ serviceName: 'sched', sampler: { type: 'const', param: 1 } }, { env: {}, reporter });
  const t = tracer.getTracer('t');
  for (let i = 0; i < 1050; i++) {
    t.startSpan(`s${i}`).end();
    if (i % 100 === 99) await new Promise((r) => setImmediate(r));
  }
  await tracer.flush();
  return { sender, tracer };
}

test('at most maxInflightBatches batches in flight (default 2, 1 when asked); every span delivered once', async () => {
  for (const [opt, want] of [
    [undefined, 2],
    [1, 1],
    [4, 4],
  ] as const) {
    const { sender, tracer } = await burst(opt);
    assert.equal(sender.maxInflight, want, `maxInflightBatches ${opt}`);
    const names = sender.names();
    assert.equal(names.length, 1050);
    assert.equal(new Set(names).size, 1050, 'no span twice');
    assert.equal(tracer.metrics.reporterSpansSent, 1050);
    assert.equal(tracer.metrics.reporterQueueLength, 0);
    await tracer.close();
  }
});

test('a partial batch goes out on the flush interval; an idle reporter keeps no timer', async () => {
  const sender = new ScriptedSender(0);
  const reporter = new RemoteReporter({ sender, batchSize: 100, flushIntervalMs: 30, handleProcessExit: false });
  const tracer = initTracer({ serviceName: 'timer', sampler: { type: 'const', param: 1 } }, { env: {}, reporter });
  const timer = () => (reporter as unknown as { timer: unknown }).timer;
  assert.equal(timer(), undefined, 'no timer before any span');
  tracer.getTracer('t').startSpan('lonely').end();
  assert.notEqual(timer(), undefined, 'armed by the first span');
  const until = Date.now() + 2000;
  while (sender.bodies.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(sender.names(), ['lonely'], 'sent without flush() or close()');
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(timer(), undefined, 'not re-armed once the queue is empty');
  await tracer.close();
});

test('queue bound counts spans whether staged, encoded or waiting: beyond maxQueueSize they are dropped and counted', async () => {
  const sender = new ScriptedSender(200);
  const reporter = new RemoteReporter({ sender, batchSize: 50, maxQueueSize: 120, flushIntervalMs: 1000, handleProcessExit: false, maxInflightBatches: 1 });
  const tracer = initTracer({ serviceName: 'bound', sampler: { type: 'const', param: 1 } }, { env: {}, reporter });
  for (let i = 0; i < 300; i++) tracer.getTracer('t').startSpan(`b${i}`).end();
  assert.equal(tracer.metrics.reporterQueueLength, 120);
  assert.equal(tracer.metrics.reporterSpansDropped, 180);
  await tracer.close();
  assert.equal(tracer.metrics.reporterSpansSent, 120);
  assert.deepEqual(sender.names(), Array.from({ length: 120 }, (_, i) => `b${i}`));
});
