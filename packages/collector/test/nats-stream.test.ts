/**
 * The NATS JetStream publisher and ingester against a real `nats-server -js` (started here on a
 * free port, its store in a temp dir, stopped whatever the outcome) and the real MemoryStore.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, headers } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Span } from '@ariadne/model';
import { MemoryStore } from '@ariadne/storage';
import { natsSkipReason, startNats, type NatsServer } from '../../../test/helpers/nats.js';
import { NatsIngester, NatsSpanPublisher } from '../src/nats.js';
import { QueueFullError, SpanPipeline } from '../src/pipeline.js';
import { createOtlpHttpHandler } from '../src/otlp-http.js';
import { startHttpServer } from '../src/http.js';
import { OTLP_TRACE_EXPORT_PATH, startOtlpGrpcReceiver } from '../src/grpc.js';
import * as grpc from '@grpc/grpc-js';
import { encodeOtlpProtobuf } from '@ariadne/codec';
import { encodeSpanMessages, STREAM_FORMAT_HEADER } from '../src/queue-format.js';
import { spans } from './helpers.js';

const skip = natsSkipReason();

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A MemoryStore whose writes fail while `down`, counting writes. */
class FlakyStore {
  down = false;
  writes = 0;
  failures = 0;
  constructor(readonly inner: MemoryStore) {}
  async writeSpans(batch: readonly Span[]): Promise<void> {
    if (this.down) {
      this.failures++;
      throw new Error('connection refused (storage down)');
    }
    this.writes++;
    await this.inner.writeSpans(batch);
  }
}

async function countStored(store: MemoryStore, sent: Span[]): Promise<{ found: number; duplicates: number }> {
  const byTrace = await store.getTraces([...new Set(sent.map((s) => s.traceId))]);
  let found = 0;
  let duplicates = 0;
  for (const s of sent) {
    const got = (byTrace.get(s.traceId) ?? []).filter((x) => x.spanId === s.spanId).length;
    if (got >= 1) found++;
    if (got > 1) duplicates += got - 1;
  }
  return { found, duplicates };
}

let nats: NatsServer;
let streamNo = 0;
/** A fresh stream and subject per test. */
const names = () => {
  streamNo++;
  return { stream: `T${streamNo}`, subject: `t${streamNo}.spans`, maxBytes: 32 * 1024 * 1024 };
};

describe('NATS JetStream buffered ingestion', { skip }, () => {
  before(async () => {
    nats = await startNats();
  });
  after(async () => {
    await nats?.stop();
  });

  it('spans published by the collector side are written once by two ingesters sharing the consumer', async () => {
    const n = names();
    const pub = await NatsSpanPublisher.start({ servers: nats.url, ...n });
    const store = new MemoryStore();
    const a = new FlakyStore(store);
    const b = new FlakyStore(store);
    const ia = await NatsIngester.start({ servers: nats.url, ...n, store: a, maxMessages: 3 });
    const ib = await NatsIngester.start({ servers: nats.url, ...n, store: b, maxMessages: 3 });
    try {
      const sent: Span[] = [];
      for (let i = 0; i < 60; i++) {
        const batch = spans(20, `svc-${i % 3}`);
        sent.push(...batch);
        await pub.writeSpans(batch);
      }
      assert.equal(pub.metrics.spans.total(), 1200);
      await waitFor('every span stored', async () => (await countStored(store, sent)).found === sent.length);
      const { duplicates } = await countStored(store, sent);
      assert.equal(duplicates, 0);
      assert.ok(a.writes > 0 && b.writes > 0, `both ingesters wrote (${a.writes}, ${b.writes})`);
      assert.equal(ia.metrics.spansStored.total() + ib.metrics.spansStored.total(), 1200);
      // Work queue: acknowledged messages leave the stream.
      const nc = await connect({ servers: nats.url });
      const jsm = await jetstreamManager(nc);
      await waitFor('the stream to empty', async () => (await jsm.streams.info(n.stream)).state.messages === 0);
      await nc.close();
      assert.deepEqual(await store.getServices(), ['svc-0', 'svc-1', 'svc-2']);
    } finally {
      await ia.close();
      await ib.close();
      await pub.close();
    }
  });

  it('a full stream refuses with 503 + Retry-After (QueueFullError); an ingester drains it and ingest resumes, nothing acknowledged lost', async () => {
    const n = names();
    const pub = await NatsSpanPublisher.start({ servers: nats.url, ...n, maxBytes: 64 * 1024 });
    const pipeline = new SpanPipeline(pub, { maxBatchDelayMs: 0 });
    const server = await startHttpServer(createOtlpHttpHandler(pipeline), { host: '127.0.0.1', port: 0, name: 'otlp-http' });
    const post = (batch: Span[]) =>
      fetch(`http://127.0.0.1:${server.address.port}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: encodeOtlpProtobuf(batch) });
    const store = new MemoryStore();
    let ingester: NatsIngester | undefined;
    try {
      const acked: Span[] = [];
      let refused: Response | undefined;
      for (let i = 0; i < 200 && !refused; i++) {
        const batch = spans(10);
        const res = await post(batch);
        if (res.status === 200) acked.push(...batch);
        else refused = res;
        await res.arrayBuffer();
      }
      assert.ok(refused, `the stream never filled: ${acked.length} spans acked`);
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('retry-after'), '5');
      assert.ok(acked.length > 0);
      assert.ok(pub.metrics.refusedSpans.value({ reason: 'stream_full' }) >= 10);
      // Direct writes see the same error type the receivers map to 503 / UNAVAILABLE.
      await assert.rejects(pub.writeSpans(spans(10)), QueueFullError);
      const grpcListener = await startOtlpGrpcReceiver(pipeline, { port: 0, name: 'otlp-grpc' });
      try {
        const client = new grpc.Client(`127.0.0.1:${grpcListener.address.port}`, grpc.credentials.createInsecure());
        // On a server before 2.10.5 the publisher's limit is approximate (it refuses a little
        // early, then the stream's real size may leave room for one more batch): send until refused.
        let err: grpc.ServiceError | null = null;
        for (let i = 0; i < 20 && !err; i++) {
          const batch = spans(10);
          err = await new Promise<grpc.ServiceError | null>((resolve) =>
            client.makeUnaryRequest(OTLP_TRACE_EXPORT_PATH, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(encodeOtlpProtobuf(batch)), (e) => resolve(e)),
          );
          if (!err) acked.push(...batch);
        }
        client.close();
        assert.equal(err?.code, grpc.status.UNAVAILABLE, 'gRPC: UNAVAILABLE when the stream is full');
      } finally {
        await grpcListener.close();
      }
      // Nothing acknowledged was pushed out to make room (nats-server before 2.10.5 would delete
      // the oldest message with a stream max_bytes: the publisher enforces the limit there).
      const nc = await connect({ servers: nats.url });
      const st = (await (await jetstreamManager(nc)).streams.info(n.stream)).state;
      await nc.close();
      assert.equal(st.first_seq, 1, 'a message was removed from the stream');
      assert.equal(st.messages, acked.length / 10);
      assert.ok(st.bytes <= 64 * 1024 + 2048, `${st.bytes} bytes held`);

      ingester = await NatsIngester.start({ servers: nats.url, ...n, store });
      await waitFor('the backlog to drain', async () => (await countStored(store, acked)).found === acked.length);
      const more = spans(10);
      await waitFor('ingest to resume', async () => {
        const res = await post(more);
        await res.arrayBuffer();
        return res.status === 200;
      });
      await waitFor('the new spans stored', async () => (await countStored(store, more)).found === 10);
      assert.equal((await countStored(store, acked)).duplicates, 0);
    } finally {
      await server.close();
      await pipeline.close().catch(() => {});
      await ingester?.close();
      await pub.close();
    }
  });

  it('while storage is down the messages stay in the stream (kept alive, not redelivered); they are stored when it returns', async () => {
    const n = names();
    const pub = await NatsSpanPublisher.start({ servers: nats.url, ...n });
    const store = new MemoryStore();
    const flaky = new FlakyStore(store);
    flaky.down = true;
    const ing = await NatsIngester.start({ servers: nats.url, ...n, store: flaky, ackWaitMs: 1500, retryInitialMs: 50, retryMaxMs: 300, statsIntervalMs: 200 });
    try {
      const sent: Span[] = [];
      for (let i = 0; i < 10; i++) {
        const batch = spans(25);
        sent.push(...batch);
        await pub.writeSpans(batch);
      }
      // Longer than two ack waits: without keep-alive the server would redeliver.
      await new Promise((r) => setTimeout(r, 3500));
      assert.ok(flaky.failures >= 3, `${flaky.failures} failed writes`);
      assert.equal((await countStored(store, sent)).found, 0);
      assert.equal(ing.storeUp, false);
      assert.match(ing.metrics.toPrometheus(), /^ariadne_ingester_store_up 0$/m);
      assert.match(ing.metrics.toPrometheus(), /^ariadne_ingester_lag_messages 10$/m);
      flaky.down = false;
      await waitFor('every span stored', async () => (await countStored(store, sent)).found === sent.length);
      assert.equal((await countStored(store, sent)).duplicates, 0);
      assert.equal(ing.metrics.redeliveries.total(), 0, 'messages were redelivered while being worked on');
      assert.ok(ing.metrics.writeFailures.total() >= 3);
      await waitFor('lag 0 in /metrics', () => /^ariadne_ingester_lag_messages 0$/m.test(ing.metrics.toPrometheus()));
    } finally {
      await ing.close();
      await pub.close();
    }
  });

  it('an ingester closed while storage is down hands its messages back at once (no ack-wait delay for the next one)', async () => {
    const n = names();
    const pub = await NatsSpanPublisher.start({ servers: nats.url, ...n });
    const sent = spans(40);
    await pub.writeSpans(sent.slice(0, 20));
    await pub.writeSpans(sent.slice(20));
    const down = new FlakyStore(new MemoryStore());
    down.down = true;
    const first = await NatsIngester.start({ servers: nats.url, ...n, store: down, ackWaitMs: 60_000, retryInitialMs: 50, retryMaxMs: 100 });
    const store = new MemoryStore();
    let second: NatsIngester | undefined;
    try {
      await waitFor('the first ingester to be retrying', () => down.failures >= 2);
      const t0 = Date.now();
      await first.close();
      second = await NatsIngester.start({ servers: nats.url, ...n, store, ackWaitMs: 60_000 });
      await waitFor('the second ingester to store everything', async () => (await countStored(store, sent)).found === 40, 15_000);
      assert.ok(Date.now() - t0 < 30_000, 'waited for the ack wait: the messages were not handed back');
      assert.equal(second.metrics.redeliveries.total(), 2, 'both messages came back as redeliveries');
    } finally {
      await first.close();
      await second?.close();
      await pub.close();
    }
  });

  it('redelivered messages (an ingester that vanished without acking) are stored once and counted', async () => {
    const n = names();
    const pub = await NatsSpanPublisher.start({ servers: nats.url, ...n });
    const store = new MemoryStore();
    const sent = spans(30);
    await pub.writeSpans(sent);
    // A consumer client that takes the message and disappears without acknowledging it.
    const first = await NatsIngester.start({ servers: nats.url, ...n, store: { writeSpans: () => new Promise<void>(() => {}) }, ackWaitMs: 1000 });
    await waitFor('the message delivered', () => /^ariadne_ingester_ack_pending_messages 1$/m.test(first.metrics.toPrometheus()));
    // Stop it the hard way: no nak, no keep-alive (as kill -9 would).
    const f = first as unknown as { nc: { close(): Promise<void> }; workingTimer: NodeJS.Timeout; statsTimer: NodeJS.Timeout };
    clearInterval(f.workingTimer);
    clearInterval(f.statsTimer);
    await f.nc.close();
    const second = await NatsIngester.start({ servers: nats.url, ...n, store, ackWaitMs: 1000 });
    try {
      await waitFor('the redelivered spans stored', async () => (await countStored(store, sent)).found === 30);
      assert.equal((await countStored(store, sent)).duplicates, 0);
      assert.equal(second.metrics.redeliveries.total(), 1);
      // The same spans written again (another redelivery) still show once: the store contract.
      await store.writeSpans(sent);
      assert.equal((await countStored(store, sent)).duplicates, 0);
    } finally {
      await second.close();
      await pub.close();
    }
  });

  it('drops an undecodable message (counted), leaves one in an unknown format for others, stores the rest', async () => {
    const n = names();
    const pub = await NatsSpanPublisher.start({ servers: nats.url, ...n });
    const nc = await connect({ servers: nats.url });
    const js = jetstream(nc);
    const store = new MemoryStore();
    let ing: NatsIngester | undefined;
    try {
      const h1 = headers();
      h1.set(STREAM_FORMAT_HEADER, 'otlp-proto/99');
      await js.publish(n.subject, encodeSpanMessages(spans(1), 1 << 20)[0].data, { headers: h1 });
      const h2 = headers();
      h2.set(STREAM_FORMAT_HEADER, 'otlp-proto/1');
      await js.publish(n.subject, new Uint8Array([0x0a, 0xff, 0xff, 0xff]), { headers: h2 });
      const good = spans(5);
      await pub.writeSpans(good);
      ing = await NatsIngester.start({ servers: nats.url, ...n, store, statsIntervalMs: 200 });
      await waitFor('the good spans stored', async () => (await countStored(store, good)).found === 5);
      await waitFor('the bad message dropped', () => ing!.metrics.dropped.value({ reason: 'undecodable' }) === 1);
      assert.ok(ing.metrics.deferred.value({ reason: 'unknown_format' }) >= 1);
      const jsm = await jetstreamManager(nc);
      await waitFor('only the unknown-format message left', async () => (await jsm.streams.info(n.stream)).state.messages === 1);
    } finally {
      await ing?.close();
      await nc.close();
      await pub.close();
    }
  });

  it('writes fetched messages in groups of whole messages of at most maxBatchSpans spans', async () => {
    const n = names();
    const pub = await NatsSpanPublisher.start({ servers: nats.url, ...n });
    const sizes: number[] = [];
    const sent: Span[] = [];
    for (let i = 0; i < 10; i++) {
      const batch = spans(i === 7 ? 70 : 20);
      sent.push(...batch);
      await pub.writeSpans(batch);
    }
    const store = new MemoryStore();
    const ing = await NatsIngester.start({
      servers: nats.url,
      ...n,
      maxBatchSpans: 50,
      store: { writeSpans: (b: readonly Span[]) => (sizes.push(b.length), store.writeSpans(b)) },
    });
    try {
      await waitFor('every span stored', async () => (await countStored(store, sent)).found === sent.length);
      assert.equal(sizes.reduce((a, b) => a + b, 0), 250);
      // A 70-span message is written alone; every other write is at most 50 spans.
      for (const n of sizes) assert.ok(n <= 50 || n === 70, `a write of ${n} spans`);
      assert.ok(sizes.includes(70));
    } finally {
      await ing.close();
      await pub.close();
    }
  });

  it('creates stream and consumer idempotently and brings max-age and ack-wait to the latest settings', async () => {
    const n = names();
    const store = new MemoryStore();
    const a = await NatsSpanPublisher.start({ servers: nats.url, ...n });
    const b = await NatsSpanPublisher.start({ servers: nats.url, ...n, maxAgeMs: 3_600_000 });
    const i1 = await NatsIngester.start({ servers: nats.url, ...n, maxAgeMs: 3_600_000, store, ackWaitMs: 5000 });
    const i2 = await NatsIngester.start({ servers: nats.url, ...n, maxAgeMs: 3_600_000, store, ackWaitMs: 7000 });
    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const si = await jsm.streams.info(n.stream);
      assert.equal(si.config.retention, 'workqueue');
      assert.equal(si.config.discard, 'new');
      assert.equal(si.config.max_age, 3_600_000 * 1e6);
      const ci = await jsm.consumers.info(n.stream, 'ariadne-ingester');
      assert.equal(ci.config.ack_wait, 7000 * 1e6);
      assert.equal(ci.config.ack_policy, 'explicit');
      const names: string[] = [];
      for await (const c of jsm.consumers.list(n.stream)) names.push(c.name);
      assert.deepEqual(names, ['ariadne-ingester']);
      // Both publishers and both ingesters still work on the one stream.
      const sent = [...spans(5), ...spans(5)];
      await a.writeSpans(sent.slice(0, 5));
      await b.writeSpans(sent.slice(5));
      await waitFor('stored', async () => (await countStored(store, sent)).found === 10);
    } finally {
      await nc.close();
      await i1.close();
      await i2.close();
      await a.close();
      await b.close();
    }
  });

  it('refuses to use an existing stream that is not a work queue', async () => {
    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'LIMITS', subjects: ['limits.spans'], max_bytes: 1 << 20 });
      await assert.rejects(NatsSpanPublisher.start({ servers: nats.url, stream: 'LIMITS', subject: 'limits.spans' }), /workqueue/);
    } finally {
      await nc.close();
    }
  });

  it('kill -9 of nats-server while collectors publish: every acknowledged span is there after the restart', async () => {
    const own = await startNats();
    const n = names();
    const pub = await NatsSpanPublisher.start({ servers: own.url, ...n, publishTimeoutMs: 1000 });
    const store = new MemoryStore();
    let ing: NatsIngester | undefined;
    try {
      const acked: Span[] = [];
      let running = true;
      const writers = Array.from({ length: 8 }, async () => {
        while (running) {
          const batch = spans(20);
          try {
            await pub.writeSpans(batch);
            acked.push(...batch);
          } catch {
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      });
      await waitFor('some spans acknowledged', () => acked.length > 2000);
      process.kill(-own.proc.pid!, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 300));
      running = false;
      await Promise.all(writers);
      await own.restart();
      ing = await NatsIngester.start({ servers: own.url, ...n, store });
      await waitFor('every acknowledged span stored', async () => (await countStored(store, acked)).found === acked.length, 30_000);
    } finally {
      await ing?.close();
      await pub.close();
      await own.stop();
    }
  });

  it('a running ingester resumes after nats-server restarts', async () => {
    const own = await startNats();
    const n = names();
    const pub = await NatsSpanPublisher.start({ servers: own.url, ...n, publishTimeoutMs: 1000 });
    const store = new MemoryStore();
    const ing = await NatsIngester.start({ servers: own.url, ...n, store });
    try {
      const before = spans(10);
      await pub.writeSpans(before);
      await waitFor('stored before the restart', async () => (await countStored(store, before)).found === 10);
      await own.restart();
      const after = spans(10);
      await waitFor('publishing again', () => pub.writeSpans(after).then(() => true, () => false), 30_000);
      await waitFor('stored after the restart', async () => (await countStored(store, after)).found === 10, 30_000);
    } finally {
      await ing.close();
      await pub.close();
      await own.stop();
    }
  });

  it('takes user and password from the URL (nats://user:password@host) and says so when they are wrong', async () => {
    const own = await startNats({ auth: { user: 'ariadne', password: 's3cret/x' } });
    const n = names();
    const store = new MemoryStore();
    try {
      await assert.rejects(NatsSpanPublisher.start({ servers: `nats://ariadne:wrong@127.0.0.1:${own.port}`, ...n }), (err: Error) => /cannot connect/.test(err.message) && !err.message.includes('wrong'));
      const url = `nats://ariadne:${encodeURIComponent('s3cret/x')}@127.0.0.1:${own.port}`;
      const pub = await NatsSpanPublisher.start({ servers: url, ...n });
      const ing = await NatsIngester.start({ servers: url, ...n, store });
      try {
        const sent = spans(3);
        await pub.writeSpans(sent);
        await waitFor('stored', async () => (await countStored(store, sent)).found === 3);
      } finally {
        await ing.close();
        await pub.close();
      }
    } finally {
      await own.stop();
    }
  });

  it('answers 503 (not 500) when NATS is unreachable after start, and recovers when it is back', async () => {
    const own = await startNats();
    const n = names();
    const pub = await NatsSpanPublisher.start({ servers: own.url, ...n, publishTimeoutMs: 1000 });
    try {
      await pub.writeSpans(spans(3));
      await own.stop({ keepStore: true });
      await assert.rejects(pub.writeSpans(spans(3)), (err: Error) => err instanceof QueueFullError && /unavailable/.test(err.message));
      await own.restart();
      await waitFor('publishing to work again', () => pub.writeSpans(spans(3)).then(() => true, () => false), 30_000);
    } finally {
      await pub.close();
      await own.stop();
    }
  });
});
