/**
 * Ingest rate through the NATS JetStream stream: a load generator (own process) posts OTLP/HTTP
 * protobuf (100 spans per request, 10 attributes each) to a real `ariadne collector --queue`, a
 * real `nats-server -js` holds the stream, real `ariadne ingester` processes write to storage.
 *
 * First the stream machinery alone, in this process: a `NatsSpanPublisher` publishes 1000-span
 * batches one at a time (as the collector's pipeline hands them over) and a `NatsIngester` drains
 * them into a store that does nothing; spans/s each way.
 *
 * Then, with processes, each run has three phases, so each part is measured on its own and then together:
 *   1. into the stream: load for --seconds with no ingester running: spans/s the collector
 *      acknowledged (each acknowledgement = JetStream publish acks for the spans);
 *   2. drain: start --ingesters ingesters on that backlog: spans/s written to storage;
 *   3. end to end: load for --seconds with the ingesters running: spans/s acknowledged, and
 *      spans/s stored from the first request until the last acknowledged span was stored.
 * Every phase checks that each acknowledged span was stored (the ingesters' /metrics). It also
 * reports CPU time per span of each process (collector, nats-server, ingesters, ClickHouse), which
 * depends much less than spans/s on what else the machine is doing.
 *
 *   node --conditions=source --import tsx bench/nats-ingest.bench.ts [--seconds 10] [--concurrency 8] [--runs 3] \
 *     [--storage clickhouse|duckdb|memory] [--ingesters 1]
 *
 * clickhouse (default) starts a real clickhouse-server (test/helpers/clickhouse.ts); duckdb can
 * have one ingester only (one writer per file); memory is bounded by the MemoryStore itself.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { encodeOtlpProtobuf } from '@ariadne/codec';
import { attr, makeResource, makeSpan, randomSpanId, randomTraceId, SpanKind, type Span } from '@ariadne/model';
import { startAriadne, tempDir, type Running } from '../test/e2e/helpers.js';
import { startNats } from '../test/helpers/nats.js';
import { startClickHouse, type ClickHouseCluster } from '../test/helpers/clickhouse.js';
import { NatsIngester, NatsSpanPublisher } from '@ariadne/collector';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '8' },
    runs: { type: 'string', default: '3' },
    storage: { type: 'string', default: 'clickhouse' },
    ingesters: { type: 'string', default: '1' },
    worker: { type: 'string' },
  },
});

const SPANS_PER_REQUEST = 100;
const services = Array.from({ length: 20 }, (_, i) => makeResource(`service-${i}`, [attr('service.name', `service-${i}`), attr('host.name', `host-${i % 5}`)]));

/** One request's worth of spans: 10 traces of 10 spans, 10 attributes each (as bench/ingest.bench.ts). */
function makeRequestSpans(n = SPANS_PER_REQUEST): Span[] {
  const spans: Span[] = [];
  const now = BigInt(Date.now()) * 1_000_000n;
  let traceId = '';
  let rootId = '';
  for (let i = 0; i < n; i++) {
    if (i % 10 === 0) {
      traceId = randomTraceId();
      rootId = '';
    }
    const spanId = randomSpanId();
    spans.push(
      makeSpan({
        traceId,
        spanId,
        parentSpanId: rootId,
        name: `op-${(i * 13) % 200}`,
        kind: rootId ? SpanKind.CLIENT : SpanKind.SERVER,
        startTimeUnixNano: now + BigInt(i) * 1000n,
        endTimeUnixNano: now + BigInt(i) * 1000n + BigInt(1000 + (i % 50) * 1000) * 1000n,
        resource: services[(i * 7) % 20],
        attributes: [
          attr('http.request.method', 'GET'),
          attr('http.route', `/api/v1/items/${i % 30}`),
          attr('http.response.status_code', 200),
          attr('server.address', 'backend.internal'),
          attr('server.port', 8080),
          attr('user.id', `user-${i % 1000}`),
          attr('request.size', 1024 + i),
          attr('cache.hit', i % 3 === 0),
          attr('load', 0.25 + (i % 4) / 10),
          attr('region', 'eu-west-1'),
        ],
      }),
    );
    if (!rootId) rootId = spanId;
  }
  return spans;
}

/** CPU seconds (user + system) used so far by process `pid` (all its threads). */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n: number) => Math.round(n).toLocaleString('en');

/** The load generator (its own process): posts for `seconds`, reports acknowledged requests. */
async function worker(url: string, seconds: number, concurrency: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let ok = 0;
  let refused = 0;
  let failed = 0;
  const end = Date.now() + seconds * 1000;
  const post = (body: Uint8Array) =>
    new Promise<number>((resolve) => {
      const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.byteLength } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(0));
      req.end(body);
    });
  // A pool of payloads encoded ahead, so the generator's CPU goes to sending. Payloads repeat:
  // the stores keep one copy of a repeated span, but the ingesters' spans_stored counter (what
  // this bench reads) counts every span written.
  const pool = Array.from({ length: 64 }, () => encodeOtlpProtobuf(makeRequestSpans()));
  let i = 0;
  const next = () => pool[i++ % pool.length];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        const status = await post(next());
        if (status === 200) ok++;
        else if (status === 503 || status === 429) {
          refused++;
          await new Promise((r) => setTimeout(r, 50));
        } else failed++;
      }
    }),
  );
  process.send!({ ok, refused, failed });
}

function load(collector: Running, seconds: number, concurrency: number): Promise<{ ok: number; refused: number; failed: number }> {
  const child = fork(new URL(import.meta.url).pathname, ['--worker', collector.url('otlp-http', '/v1/traces'), '--seconds', String(seconds), '--concurrency', String(concurrency)], {
    execArgv: ['--conditions=source', '--import', 'tsx'],
  });
  return new Promise((resolve, reject) => {
    child.on('message', (m) => resolve(m as never));
    child.on('exit', (code) => code && reject(new Error(`load generator exited ${code}`)));
  });
}

async function metric(p: Running, name: string): Promise<number> {
  const text = await (await fetch(p.url('admin', '/metrics'))).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

async function storedBy(ingesters: Running[]): Promise<number> {
  let n = 0;
  for (const i of ingesters) n += await metric(i, 'ariadne_ingester_spans_stored_total');
  return n;
}

/** Wait until the ingesters stored `target` spans; resolves with the time that took (ms). */
async function waitStored(ingesters: Running[], target: number, timeoutMs = 600_000): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const n = await storedBy(ingesters);
    if (n >= target) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`only ${n} of ${target} spans stored after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The stream machinery alone: publish `batches` × 1000 spans, then drain them into a no-op store. */
async function machinery(batches: number): Promise<{ publish: number; drain: number; bytesPerSpan: number }> {
  const nats = await startNats({ maxFileStore: 4 * 1024 * 1024 * 1024 });
  try {
    const settings = { servers: nats.url, maxBytes: 3 * 1024 * 1024 * 1024 };
    const pub = await NatsSpanPublisher.start(settings);
    const pool = Array.from({ length: 8 }, () => Array.from({ length: 10 }, () => makeRequestSpans()).flat());
    const t0 = performance.now();
    for (let i = 0; i < batches; i++) await pub.writeSpans(pool[i % pool.length]);
    const publishMs = performance.now() - t0;
    const payload = pub.metrics.bytes.total();
    await pub.close();
    const total = batches * 1000;
    const t1 = performance.now();
    const ing = await NatsIngester.start({ ...settings, store: { writeSpans: async () => {} } });
    while (ing.metrics.spansStored.total() < total) await new Promise((r) => setTimeout(r, 10));
    const drainMs = performance.now() - t1;
    await ing.close();
    return { publish: total / (publishMs / 1000), drain: total / (drainMs / 1000), bytesPerSpan: payload / total };
  } finally {
    await nats.stop();
  }
}

async function oneRun(seconds: number, concurrency: number, storage: string, ingesterCount: number, ch: ClickHouseCluster | undefined, runNo: number) {
  const nats = await startNats({ maxFileStore: 4 * 1024 * 1024 * 1024 });
  const dir = tempDir('ariadne-nats-bench-');
  const queue = ['--queue', nats.url, '--queue-stream-max-bytes', String(3 * 1024 * 1024 * 1024)];
  const storageArgs =
    storage === 'clickhouse' ? ['--storage', 'clickhouse', '--clickhouse-url', ch!.url, '--clickhouse-database', `bench${runNo}`] : storage === 'duckdb' ? ['--storage', 'duckdb', '--data-dir', dir.path] : ['--storage', 'memory'];
  const collector = await startAriadne({ command: 'collector', args: queue });
  const ingesters: Running[] = [];
  const chPid = ch?.servers[0].proc.pid;
  try {
    // 1. into the stream, nothing reading it
    const c0 = { collector: cpuSeconds(collector.proc.pid), nats: cpuSeconds(nats.proc.pid) };
    const r1 = await load(collector, seconds, concurrency);
    const acked1 = r1.ok * SPANS_PER_REQUEST;
    const cpu1 = { collector: cpuSeconds(collector.proc.pid) - c0.collector, nats: cpuSeconds(nats.proc.pid) - c0.nats };
    // 2. drain that backlog
    for (let i = 0; i < ingesterCount; i++) ingesters.push(await startAriadne({ command: 'ingester', args: [...queue, ...storageArgs] }));
    const ingCpu = () => ingesters.reduce((n, p) => n + cpuSeconds(p.proc.pid), 0);
    const c2 = { ingesters: ingCpu(), nats: cpuSeconds(nats.proc.pid), ch: cpuSeconds(chPid) };
    const drainMs = await waitStored(ingesters, acked1);
    const cpu2 = { ingesters: ingCpu() - c2.ingesters, nats: cpuSeconds(nats.proc.pid) - c2.nats, ch: cpuSeconds(chPid) - c2.ch };
    // 3. end to end, ingesters running
    const t3 = performance.now();
    const r3 = await load(collector, seconds, concurrency);
    const acked3 = r3.ok * SPANS_PER_REQUEST;
    await waitStored(ingesters, acked1 + acked3);
    const e2eMs = performance.now() - t3;
    const stored = await storedBy(ingesters);
    return {
      intoStream: acked1 / seconds,
      // The drain is timed from the ingesters' start (connect, consumer) to the last span stored.
      drain: acked1 / (drainMs / 1000),
      // µs of CPU per span: collector and nats-server while publishing; ingesters, nats-server and
      // ClickHouse while draining.
      cpuCollector: (cpu1.collector * 1e6) / acked1,
      cpuNatsIn: (cpu1.nats * 1e6) / acked1,
      cpuIngesters: (cpu2.ingesters * 1e6) / acked1,
      cpuNatsOut: (cpu2.nats * 1e6) / acked1,
      cpuClickHouse: (cpu2.ch * 1e6) / acked1,
      e2eAcked: acked3 / seconds,
      e2eStored: acked3 / (e2eMs / 1000),
      refused: r1.refused + r3.refused,
      failed: r1.failed + r3.failed,
      acked: acked1 + acked3,
      stored,
    };
  } finally {
    await Promise.allSettled([collector, ...ingesters].map((p) => p.stop()));
    await nats.stop();
    dir.remove();
  }
}

if (args.worker) {
  await worker(args.worker, Number(args.seconds), Number(args.concurrency));
  process.exit(0);
} else {
  const seconds = Number(args.seconds);
  const concurrency = Number(args.concurrency);
  const storage = args.storage!;
  const ingesterCount = Number(args.ingesters);
  if (storage === 'duckdb' && ingesterCount > 1) throw new Error('duckdb: one ingester (one writer per database file)');
  const mach = [];
  for (let r = 0; r < Number(args.runs); r++) {
    const m = await machinery(200);
    mach.push(m);
    console.log(`stream machinery run ${r + 1}: publish ${fmt(m.publish)} spans/s (1000-span batches, one at a time, encode + JetStream ack), drain ${fmt(m.drain)} spans/s (fetch, decode, ack; no-op store)`);
  }
  console.log(
    `stream machinery median over ${mach.length} runs: publish ${fmt(median(mach.map((m) => m.publish)))} spans/s, drain ${fmt(median(mach.map((m) => m.drain)))} spans/s; ` +
      `${mach[0].bytesPerSpan.toFixed(0)} payload bytes per span on the stream`,
  );
  const ch = storage === 'clickhouse' ? await startClickHouse() : undefined;
  const runs = [];
  try {
    for (let r = 0; r < Number(args.runs); r++) {
      const res = await oneRun(seconds, concurrency, storage, ingesterCount, ch, r);
      runs.push(res);
      console.log(
        `run ${r + 1}: into the stream ${fmt(res.intoStream)} spans/s acked; drain ${fmt(res.drain)} spans/s stored (${ingesterCount} ingester(s), ${storage}); ` +
          `end to end ${fmt(res.e2eAcked)} spans/s acked, ${fmt(res.e2eStored)} spans/s stored; refused ${res.refused}, failed ${res.failed}; stored ${res.stored} of ${res.acked} acked`,
      );
      console.log(
        `  CPU per span: collector ${res.cpuCollector.toFixed(1)} µs + nats-server ${res.cpuNatsIn.toFixed(1)} µs into the stream; ` +
          `ingester(s) ${res.cpuIngesters.toFixed(1)} µs + nats-server ${res.cpuNatsOut.toFixed(1)} µs${storage === 'clickhouse' ? ` + ClickHouse ${res.cpuClickHouse.toFixed(1)} µs` : ''} out of it`,
      );
      if (res.stored < res.acked) console.log(`  !! ${res.acked - res.stored} acknowledged spans not stored`);
    }
  } finally {
    await ch?.stop();
  }
  console.log(
    `median over ${runs.length} runs of ${seconds}s, concurrency ${concurrency}, ${SPANS_PER_REQUEST} spans/request, ${ingesterCount} ingester(s) on ${storage}: ` +
      `into the stream ${fmt(median(runs.map((r) => r.intoStream)))} spans/s; drain ${fmt(median(runs.map((r) => r.drain)))} spans/s; ` +
      `end to end ${fmt(median(runs.map((r) => r.e2eAcked)))} spans/s acked, ${fmt(median(runs.map((r) => r.e2eStored)))} spans/s stored; load average ${loadavg()[0].toFixed(1)}`,
  );
  const inUs = median(runs.map((r) => r.cpuCollector + r.cpuNatsIn));
  const outUs = median(runs.map((r) => r.cpuIngesters + r.cpuNatsOut + r.cpuClickHouse));
  console.log(
    `CPU per span (medians): collector ${median(runs.map((r) => r.cpuCollector)).toFixed(1)} µs, nats-server in ${median(runs.map((r) => r.cpuNatsIn)).toFixed(1)} µs, ` +
      `ingester ${median(runs.map((r) => r.cpuIngesters)).toFixed(1)} µs, nats-server out ${median(runs.map((r) => r.cpuNatsOut)).toFixed(1)} µs` +
      (storage === 'clickhouse' ? `, ClickHouse ${median(runs.map((r) => r.cpuClickHouse)).toFixed(1)} µs` : '') +
      `; ceiling on 2 idle cores ≈ ${fmt(2e6 / inUs)} spans/s into the stream, ${fmt(2e6 / outUs)} spans/s out of it`,
  );
}
