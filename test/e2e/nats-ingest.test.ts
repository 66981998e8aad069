/**
 * Buffered ingestion end to end, every part a real process: `nats-server -js`, two
 * `ariadne collector --queue`, two `ariadne ingester --storage clickhouse` on a real
 * `clickhouse-server`, and `ariadne query` reading ClickHouse.
 *
 * - spans posted to both collectors are read back through the query API, each exactly once;
 * - `kill -9` of an ingester mid-stream and a restart lose and duplicate nothing;
 * - ClickHouse stopped for a while and restarted: every acknowledged span arrives.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeOtlpProtobuf } from '@ariadne/codec';
import { makeResource, makeSpan, SpanKind, type Span } from '@ariadne/model';
import { natsSkipReason, startNats, type NatsServer } from '../helpers/nats.js';
import { CLICKHOUSE_SERVER_BIN, startClickHouse, type ClickHouseCluster } from '../helpers/clickhouse.js';
import { getJson, startAriadne, type Running } from './helpers.js';

const skip = natsSkipReason();

/** One trace of `n` spans (a root and its children) of service `svc`. */
function trace(n: number, svc: string): Span[] {
  const traceId = randomBytes(16).toString('hex');
  const resource = makeResource(svc, [{ key: 'host.name', value: { type: 'string', value: 'e2e' } }]);
  const t0 = BigInt(Date.now() - 60_000) * 1_000_000n;
  const root = randomBytes(8).toString('hex');
  return Array.from({ length: n }, (_, i) =>
    makeSpan({
      traceId,
      spanId: i === 0 ? root : randomBytes(8).toString('hex'),
      parentSpanId: i === 0 ? '' : root,
      name: i === 0 ? 'GET /checkout' : `step ${i}`,
      kind: i === 0 ? SpanKind.SERVER : SpanKind.INTERNAL,
      startTimeUnixNano: t0 + BigInt(i) * 1000n,
      endTimeUnixNano: t0 + BigInt(i) * 1000n + 500_000n,
      attributes: [{ key: 'i', value: { type: 'int', value: i } }],
      resource,
    }),
  );
}

async function post(collector: Running, spans: Span[]): Promise<number> {
  const res = await fetch(collector.url('otlp-http', '/v1/traces'), { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: encodeOtlpProtobuf(spans) });
  await res.arrayBuffer();
  return res.status;
}

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Span ids the query API returns per trace (duplicates kept). */
async function readBack(query: Running, traceIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const id of traceIds) {
    const r = await getJson(query.url('query', `/api/traces/${id}`));
    out.set(id, r.status === 200 ? (r.body.data?.[0]?.spans ?? []).map((s: { spanID: string }) => s.spanID) : []);
  }
  return out;
}

/** Wait until every acknowledged trace reads back whole, then check nothing is duplicated. */
async function expectExactlyOnce(query: Running, acked: Span[][], timeoutMs = 90_000): Promise<void> {
  const ids = acked.map((t) => t[0].traceId);
  let got = new Map<string, string[]>();
  await waitFor(
    `${acked.length} traces through the query API`,
    async () => {
      got = await readBack(query, ids);
      return acked.every((t) => (got.get(t[0].traceId) ?? []).length >= t.length);
    },
    timeoutMs,
  );
  for (const t of acked) {
    const spanIds = got.get(t[0].traceId)!;
    assert.equal(spanIds.length, t.length, `trace ${t[0].traceId}: ${spanIds.length} spans read, ${t.length} sent`);
    assert.deepEqual(new Set(spanIds), new Set(t.map((s) => s.spanId)));
  }
}

async function metric(p: Running, name: string): Promise<number> {
  const text = await (await fetch(p.url('admin', '/metrics'))).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  // A counter never incremented has no line yet.
  return m ? Number(m[1]) : name.endsWith('_total') ? 0 : NaN;
}

describe('buffered ingestion: collectors → NATS JetStream → ingesters → ClickHouse → query', { skip }, () => {
  let nats: NatsServer;
  let ch: ClickHouseCluster;
  /** A clickhouse-server this test restarted (the helper only knows the first one). */
  let restartedCh: ChildProcess | undefined;
  const collectors: Running[] = [];
  const ingesters: Running[] = [];
  let query: Running;

  const queueArgs = () => ['--queue', nats.url, '--queue-stream', 'E2E_SPANS', '--queue-subject', 'e2e.spans', '--queue-stream-max-bytes', String(256 * 1024 * 1024)];
  const startIngester = () =>
    startAriadne({
      command: 'ingester',
      args: [...queueArgs(), '--queue-ack-wait', '3s', '--queue-fetch-messages', '4', '--storage', 'clickhouse', '--clickhouse-url', ch.url, '--clickhouse-database', 'e2e'],
    });

  before(async () => {
    nats = await startNats();
    ch = await startClickHouse();
    for (let i = 0; i < 2; i++) collectors.push(await startAriadne({ command: 'collector', args: queueArgs() }));
    for (let i = 0; i < 2; i++) ingesters.push(await startIngester());
    query = await startAriadne({ command: 'query', args: ['--storage', 'clickhouse', '--clickhouse-url', ch.url, '--clickhouse-database', 'e2e'] });
  });

  after(async () => {
    await Promise.allSettled([...collectors, ...ingesters, query].filter(Boolean).map((p) => p.stop()));
    if (restartedCh?.pid && restartedCh.exitCode === null) {
      const exited = new Promise((r) => restartedCh!.once('exit', r));
      try {
        process.kill(-restartedCh.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      await exited;
    }
    await ch?.stop();
    await nats?.stop();
  });

  test('spans posted to two collectors are read back through the query API, once each, after two ingesters wrote them', async () => {
    const acked: Span[][] = [];
    for (let i = 0; i < 60; i++) {
      const t = trace(1 + (i % 9), `shop-${i % 3}`);
      assert.equal(await post(collectors[i % 2], t), 200);
      acked.push(t);
    }
    await expectExactlyOnce(query, acked);
    // Both ingesters took part (a shared durable consumer hands each message to one of them).
    const stored = await Promise.all(ingesters.map((p) => metric(p, 'ariadne_ingester_spans_stored_total')));
    assert.equal(stored[0] + stored[1], acked.flat().length, `stored per ingester: ${stored}`);
    assert.ok(stored[0] > 0 && stored[1] > 0, `both ingesters stored spans: ${stored}`);
    const services = await getJson(query.url('query', '/api/services'));
    for (const s of ['shop-0', 'shop-1', 'shop-2']) assert.ok(services.body.data.includes(s), s);
    // The collectors acknowledged on the stream's word: their metrics say so.
    const published = await Promise.all(collectors.map((c) => metric(c, 'ariadne_collector_stream_spans_published_total')));
    assert.equal(published[0] + published[1], acked.flat().length);
  });

  test('ClickHouse stopped for a while: collectors keep acknowledging, ingesters retry, and every acknowledged span arrives after the restart', async () => {
    const server = ch.servers[0];
    const exited = new Promise((r) => server.proc.once('exit', r));
    process.kill(-server.proc.pid!, 'SIGTERM');
    const force = setTimeout(() => process.kill(-server.proc.pid!, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(force);

    const acked: Span[][] = [];
    for (let i = 0; i < 40; i++) {
      const t = trace(5, 'outage');
      assert.equal(await post(collectors[i % 2], t), 200, 'the stream absorbs while storage is down');
      acked.push(t);
    }
    await waitFor('ingesters to report the store down', async () => (await Promise.all(ingesters.map((p) => metric(p, 'ariadne_ingester_store_up')))).every((v) => v === 0), 30_000);
    const health = await getJson(ingesters[0].url('admin', '/health'));
    assert.equal(health.body.status, 'degraded');
    await waitFor('the backlog to show as lag', async () => (await metric(ingesters[0], 'ariadne_ingester_lag_messages')) > 0, 10_000);
    // Longer than the ack wait (3 s): the held messages must not be handed around meanwhile.
    await new Promise((r) => setTimeout(r, 4000));

    restartedCh = spawn(CLICKHOUSE_SERVER_BIN, [`--config-file=${join(server.dir, 'config.xml')}`], { cwd: server.dir, detached: true, stdio: 'ignore' });
    await waitFor('ClickHouse to answer again', async () => {
      try {
        return (await fetch(`${server.url}/ping`)).ok;
      } catch {
        return false;
      }
    });
    await expectExactlyOnce(query, acked);
    await waitFor('ingesters to report the store up', async () => (await Promise.all(ingesters.map((p) => metric(p, 'ariadne_ingester_store_up')))).every((v) => v === 1), 30_000);
    const failures = await Promise.all(ingesters.map((p) => metric(p, 'ariadne_ingester_store_write_failures_total')));
    assert.ok(failures[0] + failures[1] > 0, 'no write failed while ClickHouse was down?');
  });

  test('kill -9 of an ingester mid-stream, then a restart: nothing lost, nothing duplicated', async (t) => {
    const acked: Span[][] = [];
    let posting = true;
    const sender = (async () => {
      for (let i = 0; posting; i++) {
        const t = trace(1 + (i % 12), 'crash');
        if ((await post(collectors[i % 2], t)) === 200) acked.push(t);
      }
    })();
    await waitFor('the ingesters to be busy', async () => (await metric(ingesters[0], 'ariadne_ingester_spans_stored_total')) > 0 && acked.length > 30);
    // Kill it while it holds messages (fetched, not yet acknowledged).
    await waitFor('the victim to hold messages', async () => (await metric(ingesters[0], 'ariadne_ingester_held_messages')) > 0, 10_000);
    const victim = ingesters[0];
    await victim.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 1000));
    ingesters[0] = await startIngester();
    await new Promise((r) => setTimeout(r, 2000));
    posting = false;
    await sender;
    assert.ok(acked.length > 50, `${acked.length} traces acknowledged`);
    await expectExactlyOnce(query, acked);
    // Messages the killed ingester held were redelivered to the others after the ack wait.
    const redelivered = await Promise.all(ingesters.map((p) => metric(p, 'ariadne_ingester_redeliveries_total')));
    t.diagnostic(`redeliveries after kill -9: ${redelivered.join(' + ')}`);
  });

  test('an ingester without --queue, or a collector --queue with multi-tenancy, refuses to start with a clear message', async () => {
    await assert.rejects(startAriadne({ command: 'ingester', args: ['--storage', 'memory'] }), /--queue is required/);
    await assert.rejects(startAriadne({ command: 'collector', args: [...queueArgs(), '--multi-tenancy-enabled'] }), /cannot be combined with --multi-tenancy-enabled/);
  });
});
