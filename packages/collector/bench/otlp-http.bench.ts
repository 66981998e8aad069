/**
 * OTLP/HTTP receiver + pipeline throughput, in one process (client and server share the CPU, so
 * this is a lower bound): keep-alive clients post protobuf ExportTraceServiceRequests of
 * `--spans` spans each; reports acknowledged spans/s, ack latency p50/p99 and batch sizes.
 *
 *   node --conditions=source --import tsx packages/collector/bench/otlp-http.bench.ts [--seconds 5] [--concurrency 8] [--spans 100] [--storage memory|duckdb] [--gzip]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { encodeOtlpProtobuf } from '@ariadne/codec';
import { attr, makeResource, makeSpan, randomSpanId, randomTraceId, SpanKind } from '@ariadne/model';
import type { Span } from '@ariadne/model';
import { DuckDBStore, MemoryStore } from '@ariadne/storage';
import type { SpanStore } from '@ariadne/storage';
import { createOtlpHttpHandler, SpanPipeline, startHttpServer } from '../src/index.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '8' },
    spans: { type: 'string', default: '100' },
    storage: { type: 'string', default: 'memory' },
    gzip: { type: 'boolean', default: false },
  },
});
const seconds = Number(args.seconds);
const concurrency = Number(args.concurrency);
const perRequest = Number(args.spans);

const resource = makeResource('bench', [attr('service.name', 'bench')]);
function body(): Buffer {
  const now = BigInt(Date.now()) * 1_000_000n;
  const spans: Span[] = [];
  let traceId = randomTraceId();
  for (let i = 0; i < perRequest; i++) {
    if (i % 10 === 0) traceId = randomTraceId();
    spans.push(
      makeSpan({
        traceId,
        spanId: randomSpanId(),
        name: `op-${i % 50}`,
        kind: SpanKind.SERVER,
        startTimeUnixNano: now + BigInt(i),
        endTimeUnixNano: now + BigInt(i) + 1_000_000n,
        resource,
        attributes: [attr('http.request.method', 'GET'), attr('http.route', `/items/${i % 30}`), attr('http.response.status_code', 200), attr('db.rows', i)],
      }),
    );
  }
  const raw = Buffer.from(encodeOtlpProtobuf(spans));
  return args.gzip ? gzipSync(raw) : raw;
}

let dir: string | undefined;
let store: SpanStore;
if (args.storage === 'duckdb') {
  dir = mkdtempSync(join(tmpdir(), 'ariadne-bench-'));
  store = await DuckDBStore.open({ dataDir: dir });
} else store = new MemoryStore();
const pipeline = new SpanPipeline(store);
const listener = await startHttpServer(createOtlpHttpHandler(pipeline), { port: 0, name: 'otlp-http' });
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const bodies = Array.from({ length: 64 }, body);
const headers = { 'content-type': 'application/x-protobuf', ...(args.gzip ? { 'content-encoding': 'gzip' } : {}) };

function post(b: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: listener.address.port, method: 'POST', path: '/v1/traces', agent, headers: { ...headers, 'content-length': String(b.length) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(b);
  });
}

const latencies: number[] = [];
let acked = 0;
let failed = 0;
const deadline = performance.now() + seconds * 1000;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async (_, w) => {
    let i = w;
    while (performance.now() < deadline) {
      const s = performance.now();
      const status = await post(bodies[i++ % bodies.length]);
      latencies.push(performance.now() - s);
      if (status === 200) acked += perRequest;
      else failed++;
    }
  }),
);
const elapsed = (performance.now() - t0) / 1000;
latencies.sort((a, b) => a - b);
const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(2);
const batches = pipeline.batchCount;
agent.destroy();
await listener.close();
await pipeline.close();
await store.close();
if (dir) rmSync(dir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    storage: args.storage,
    gzip: args.gzip,
    concurrency,
    spansPerRequest: perRequest,
    requests: latencies.length,
    failedRequests: failed,
    spansPerSecond: Math.round(acked / elapsed),
    ackLatencyMs: { p50: q(0.5), p99: q(0.99) },
    avgSpansPerBatch: Math.round(acked / Math.max(1, batches)),
  }),
);
