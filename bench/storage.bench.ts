/**
 * Storage benchmark (DuckDB or ClickHouse): load N realistic spans, then time trace-by-id and searches.
 *
 *   node --conditions=source --import tsx bench/storage.bench.ts [--spans 1000000] [--dir /tmp/x] [--batch 1000] [--inflight 4] [--keep]
 *   node --conditions=source --import tsx bench/storage.bench.ts --backend clickhouse [--clickhouse-url http://…:8123] [--spans 1000000]
 *
 * ClickHouse: without --clickhouse-url a clickhouse-server is started in a temp dir (test/helpers/clickhouse.ts)
 * and stopped at the end; otherwise the spans go into a new database (--clickhouse-database, default
 * ariadne_bench_<time>), which is kept. Disk bytes are the active parts' bytes of that database.
 *
 * Spans: ~10 per trace, 20 services, 200 operations (10 per service), 10 span attributes and 3
 * resource attributes each, spread over one hour (--hours N: N hours). Writes go through writeSpans in batches with
 * several calls in flight (so group commit is exercised), as the collector would issue them.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeSpan, randomSpanId, randomTraceId, SpanKind, StatusCode } from '@ariadne/model';
import type { Attribute, Span } from '@ariadne/model';
import { ClickHouseStore, DuckDBStore } from '@ariadne/storage';
import type { SpanStore, TraceQuery } from '@ariadne/storage';
import { startClickHouse, type ClickHouseCluster } from '../test/helpers/clickhouse.js';

const { values: args } = parseArgs({
  options: {
    spans: { type: 'string', default: '1000000' },
    dir: { type: 'string' },
    batch: { type: 'string', default: '1000' },
    inflight: { type: 'string', default: '4' },
    queries: { type: 'string', default: '200' },
    hours: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'duckdb' },
    'clickhouse-url': { type: 'string' },
    'clickhouse-database': { type: 'string', default: `ariadne_bench_${Date.now()}` },
    'clickhouse-pid': { type: 'string' },
  },
});
const BACKEND = args.backend as 'duckdb' | 'clickhouse';
if (BACKEND !== 'duckdb' && BACKEND !== 'clickhouse') throw new Error('--backend must be duckdb or clickhouse');
let clickhouse: ClickHouseCluster | undefined;
let chUrl = args['clickhouse-url'];

async function openBenchStore(): Promise<SpanStore> {
  if (BACKEND === 'duckdb') return DuckDBStore.open({ dataDir: dir });
  return ClickHouseStore.open({ url: chUrl!, database: args['clickhouse-database'] });
}

async function chSql(query: string): Promise<string> {
  const res = await fetch(chUrl!, { method: 'POST', body: query });
  const text = await res.text();
  if (!res.ok) throw new Error(text);
  return text;
}

/** CPU time (ms, user + system, all threads) of the ClickHouse server, when its pid is known; the machine is shared, so CPU is steadier than wall time. */
function serverCpuMs(): number | undefined {
  const pid = clickhouse?.servers[0].proc.pid ?? (args['clickhouse-pid'] ? Number(args['clickhouse-pid']) : undefined);
  if (!pid) return undefined;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** Bytes the bench data takes on disk. */
async function diskBytes(): Promise<number> {
  if (BACKEND === 'duckdb') return statSync(join(dir, 'ariadne.duckdb')).size;
  const db = args['clickhouse-database']!;
  return Number((await chSql(`SELECT sum(bytes) FROM system.parts WHERE active AND database = '${db}' FORMAT TSV`)).trim());
}
const N = Number(args.spans);
const BATCH = Number(args.batch);
const INFLIGHT = Number(args.inflight);
const QUERIES = Number(args.queries);
const dir = args.dir ?? mkdtempSync(join(tmpdir(), 'ariadne-storage-bench-'));

const SERVICES = Array.from({ length: 20 }, (_, i) => `service-${String(i).padStart(2, '0')}`);
const OPS = SERVICES.map((_, s) => Array.from({ length: 10 }, (_, o) => `${o % 2 ? 'GET' : 'POST'} /api/v1/resource-${s}-${o}`));
const HOUR = 3_600_000_000_000n;
/** Time the spans are spread over (--hours, default 1). */
const SPREAD = HOUR * BigInt(Math.max(1, Number(args.hours)));
const T_START = BigInt(Date.now()) * 1_000_000n - SPREAD;

let rng = 12345;
function rand(n: number): number {
  rng = (rng * 1103515245 + 12345) & 0x7fffffff;
  return rng % n;
}

const resources = SERVICES.map((name, i) => ({
  serviceName: name,
  attributes: [
    { key: 'service.name', value: { type: 'string', value: name } },
    { key: 'host.name', value: { type: 'string', value: `host-${i % 5}` } },
    { key: 'process.pid', value: { type: 'int', value: 1000 + i } },
  ] as Attribute[],
  droppedAttributesCount: 0,
  schemaUrl: '',
}));

/** One trace of ~10 spans starting at `start`. */
function makeTrace(start: bigint): Span[] {
  const traceId = randomTraceId();
  const count = 5 + rand(11); // 5..15, mean 10
  const spans: Span[] = [];
  for (let i = 0; i < count; i++) {
    const svc = i === 0 ? rand(20) : rand(20);
    const op = rand(10);
    const parent = i === 0 ? '' : spans[rand(i)].spanId;
    const s0 = start + BigInt(i) * 1_000_000n + BigInt(rand(1000));
    const dur = BigInt(50_000 + rand(200_000_000));
    const status = rand(50) === 0 ? 500 : 200;
    spans.push(
      makeSpan({
        traceId,
        spanId: randomSpanId(),
        parentSpanId: parent,
        name: OPS[svc][op],
        kind: i === 0 ? SpanKind.SERVER : rand(2) ? SpanKind.CLIENT : SpanKind.SERVER,
        startTimeUnixNano: s0,
        endTimeUnixNano: s0 + dur,
        attributes: [
          { key: 'http.method', value: { type: 'string', value: op % 2 ? 'GET' : 'POST' } },
          { key: 'http.url', value: { type: 'string', value: `https://example.com/api/v1/resource-${svc}-${op}?id=${rand(100000)}` } },
          { key: 'http.status_code', value: { type: 'int', value: status } },
          { key: 'user.id', value: { type: 'string', value: `user-${rand(10000)}` } },
          { key: 'net.peer.ip', value: { type: 'string', value: `10.0.${rand(256)}.${rand(256)}` } },
          { key: 'net.peer.port', value: { type: 'int', value: 1024 + rand(60000) } },
          { key: 'component', value: { type: 'string', value: 'http' } },
          { key: 'db.rows', value: { type: 'int', value: rand(1000) } },
          { key: 'cache.hit', value: { type: 'bool', value: rand(2) === 0 } },
          { key: 'request.size', value: { type: 'double', value: rand(100000) / 10 } },
        ],
        status: status === 500 ? { code: StatusCode.ERROR, message: 'internal error' } : { code: StatusCode.UNSET, message: '' },
        resource: resources[svc],
      }),
    );
  }
  return spans;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}
function fmt(ms: number): string {
  return ms.toFixed(2) + ' ms';
}

async function main(): Promise<void> {
  if (BACKEND === 'clickhouse' && !chUrl) {
    clickhouse = await startClickHouse({ shards: 1 });
    chUrl = clickhouse.url;
  }
  if (BACKEND === 'clickhouse') {
    console.log(`storage bench: ${N.toLocaleString()} spans into ClickHouse ${(await chSql('SELECT version()')).trim()} at ${chUrl} (batch ${BATCH}, ${INFLIGHT} in flight)`);
  } else {
    console.log(`storage bench: ${N.toLocaleString()} spans into DuckDB at ${dir} (batch ${BATCH}, ${INFLIGHT} in flight)`);
  }
  const store = await openBenchStore();
  const duck = store instanceof DuckDBStore ? store : undefined;
  const commits = () => (duck ? duck.commitCount : (store as ClickHouseStore).insertCount);
  const sampleIds: string[] = [];
  const stepPerTrace = SPREAD / BigInt(Math.max(1, Math.ceil(N / 10)));
  let written = 0;
  let traceNo = 0;
  let genMs = 0;
  const cpu0 = process.cpuUsage();
  const serverCpu0 = serverCpuMs();
  const t0 = performance.now();
  const inflight = new Set<Promise<void>>();
  let lastReport = t0;
  while (written < N) {
    const g0 = performance.now();
    const batch: Span[] = [];
    while (batch.length < BATCH && written + batch.length < N) {
      const tr = makeTrace(T_START + BigInt(traceNo++) * stepPerTrace);
      if (rand(1000) < 5 && sampleIds.length < 5000) sampleIds.push(tr[0].traceId);
      for (const s of tr) if (batch.length < BATCH && written + batch.length < N) batch.push(s);
    }
    genMs += performance.now() - g0;
    written += batch.length;
    const p: Promise<void> = store.writeSpans(batch).then(() => {
      inflight.delete(p);
    });
    inflight.add(p);
    if (inflight.size >= INFLIGHT) await Promise.race(inflight);
    if (performance.now() - lastReport > 5000) {
      lastReport = performance.now();
      const rate = `  ${written.toLocaleString()} spans, ${Math.round(written / ((lastReport - t0) / 1000)).toLocaleString()} spans/s`;
      const ws = duck?.writeStats;
      console.log(ws ? `${rate} (prepare ${(ws.prepareMs / 1000).toFixed(1)} s, append ${(ws.appendMs / 1000).toFixed(1)} s, commit ${(ws.commitMs / 1000).toFixed(1)} s, ${commits()} commits)` : `${rate} (${commits()} inserts)`);
    }
  }
  await Promise.all(inflight);
  const loadMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuUs = cpu.user + cpu.system;
  const storeMs = loadMs - genMs;
  console.log(`load: ${Math.round(N / (loadMs / 1000)).toLocaleString()} spans/s wall (${(loadMs / 1000).toFixed(1)} s, of which generating spans ${(genMs / 1000).toFixed(1)} s; ${Math.round(N / (storeMs / 1000)).toLocaleString()} spans/s excluding generation), ${commits()} ${duck ? 'commits' : 'inserts'}`);

  console.log(`  CPU of this process (all threads, incl. ${duck ? "DuckDB's" : 'the HTTP client'} and span generation): ${(cpuUs / N).toFixed(1)} µs/span; without generation ≈ ${((cpuUs - genMs * 1000) / N).toFixed(1)} µs/span`);
  const serverCpu1 = serverCpuMs();
  if (serverCpu0 !== undefined && serverCpu1 !== undefined) {
    console.log(`  CPU of clickhouse-server during the load: ${(((serverCpu1 - serverCpu0) * 1000) / N).toFixed(1)} µs/span (≈ ${Math.round(N / ((serverCpu1 - serverCpu0) / 1000)).toLocaleString()} spans per server CPU-second)`);
  }
  if (duck) {
    const ws = duck.writeStats;
    console.log(`  store time: prepare rows ${(ws.prepareMs / 1000).toFixed(1)} s, append ${(ws.appendMs / 1000).toFixed(1)} s, commit ${(ws.commitMs / 1000).toFixed(1)} s`);
  }
  await store.close();
  const bytes = await diskBytes();
  console.log(`disk: ${(bytes / 1e6).toFixed(1)} MB, ${(bytes / N).toFixed(0)} bytes/span${duck ? '' : ' (active parts, right after the load: merges may still shrink it)'}`);

  const s2 = await openBenchStore();
  // trace by id (warm-up first)
  for (let i = 0; i < 20; i++) await s2.getTrace(sampleIds[i % sampleIds.length]);
  const byId: number[] = [];
  let spansSeen = 0;
  for (let i = 0; i < QUERIES; i++) {
    const id = sampleIds[rand(sampleIds.length)];
    const q0 = performance.now();
    const spans = await s2.getTrace(id);
    byId.push(performance.now() - q0);
    spansSeen += spans.length;
    if (spans.length === 0) throw new Error(`trace ${id} not found`);
  }
  byId.sort((a, b) => a - b);
  console.log(`trace by id (first touch of each trace${duck ? '' : '; the OS page cache may hold its parts'}): p50 ${fmt(pct(byId, 50))}, p99 ${fmt(pct(byId, 99))} (${(spansSeen / QUERIES).toFixed(1)} spans/trace)`);
  // the same traces again: the buffer cache now holds their blocks
  const warm: number[] = [];
  rng = 4242;
  const again = Array.from({ length: QUERIES }, () => sampleIds[rand(sampleIds.length)]);
  for (const id of again) await s2.getTrace(id);
  for (const id of again) {
    const q0 = performance.now();
    await s2.getTrace(id);
    warm.push(performance.now() - q0);
  }
  warm.sort((a, b) => a - b);
  console.log(`trace by id (warm cache): p50 ${fmt(pct(warm, 50))}, p99 ${fmt(pct(warm, 99))}`);

  const end = T_START + SPREAD + HOUR;
  const kinds: [string, () => TraceQuery][] = [
    ['service', () => ({ service: SERVICES[rand(20)], startTimeMin: T_START, startTimeMax: end, limit: 20 })],
    ['service+operation', () => {
      const s = rand(20);
      return { service: SERVICES[s], operation: OPS[s][rand(10)], startTimeMin: T_START, startTimeMax: end, limit: 20 };
    }],
    ['service+tag', () => ({ service: SERVICES[rand(20)], tags: [{ key: 'http.status_code', op: '=', value: '500' }], startTimeMin: T_START, startTimeMax: end, limit: 20 })],
    ['service+minDuration', () => ({ service: SERVICES[rand(20)], minDurationNano: 150_000_000n, startTimeMin: T_START, startTimeMax: end, limit: 20 })],
    ['last 5 min, op+tag', () => {
      const s = rand(20);
      return { service: SERVICES[s], operation: OPS[s][rand(10)], tags: [{ key: 'cache.hit', op: '=', value: 'true' }], startTimeMin: T_START + SPREAD - 300_000_000_000n, startTimeMax: end, limit: 20 };
    }],
    ['regex tag (JS-evaluated)', () => ({ service: SERVICES[rand(20)], tags: [{ key: 'user.id', op: '~', value: '^user-99' }], startTimeMin: T_START, startTimeMax: end, limit: 20 })],
    ['service+op+tag+minDuration, last hour', () => {
      const s = rand(20);
      return { service: SERVICES[s], operation: OPS[s][rand(10)], tags: [{ key: 'http.method', op: '=', value: rand(2) ? 'GET' : 'POST' }], minDurationNano: 100_000_000n, startTimeMin: end - 2n * HOUR, startTimeMax: end, limit: 20 };
    }],
    ['service+op+tag+minDuration, whole range', () => {
      const s = rand(20);
      return { service: SERVICES[s], operation: OPS[s][rand(10)], tags: [{ key: 'http.method', op: '=', value: rand(2) ? 'GET' : 'POST' }], minDurationNano: 100_000_000n, startTimeMin: T_START, startTimeMax: end, limit: 20 };
    }],
    ['attribute alone (no service), whole range', () => ({ tags: [{ key: 'user.id', op: '=', value: `user-${rand(10000)}` }], startTimeMin: T_START, startTimeMax: end, limit: 20 })],
  ];
  const all: number[] = [];
  for (const [name, make] of kinds) {
    await s2.findTraceIds(make());
    const times: number[] = [];
    let found = 0;
    const per = Math.max(10, Math.floor(QUERIES / kinds.length));
    for (let i = 0; i < per; i++) {
      const q0 = performance.now();
      found += (await s2.findTraceIds(make())).length;
      times.push(performance.now() - q0);
    }
    times.sort((a, b) => a - b);
    all.push(...times);
    console.log(`search ${name}: p50 ${fmt(pct(times, 50))}, p99 ${fmt(pct(times, 99))} (${(found / per).toFixed(1)} traces/query)`);
  }
  all.sort((a, b) => a - b);
  console.log(`search overall: p50 ${fmt(pct(all, 50))}, p99 ${fmt(pct(all, 99))}`);

  const d0 = performance.now();
  const deps = await s2.getDependencies({ endTime: end, lookback: SPREAD + HOUR });
  console.log(`dependencies over the whole range (${Number(SPREAD / HOUR)} h): ${fmt(performance.now() - d0)} (${deps.length} links)`);
  const o0 = performance.now();
  await s2.getServices();
  await s2.getOperations({ service: SERVICES[0] });
  console.log(`services + operations: ${fmt(performance.now() - o0)}`);
  await s2.close();
  if (!args.keep && !args.dir) rmSync(dir, { recursive: true, force: true });
  // (a server given by --clickhouse-url keeps the bench database; DROP DATABASE on 18.16 can take minutes)
  await clickhouse?.stop();
}

main().catch(async (e) => {
  console.error(e);
  await clickhouse?.stop();
  process.exit(1);
});
