/**
 * Query latency on a stored data set, through the real query API (HTTP) and through the store.
 *
 *   # make a data set once (10M spans over 24 h, kept):
 *   node --conditions=source --import tsx bench/storage.bench.ts --spans 10000000 --hours 24 --dir /tmp/d10m --keep
 *   # then, as often as needed:
 *   node --conditions=source --import tsx bench/query.bench.ts --dir /tmp/d10m [--runs 20] [--only deps,red,search,byid]
 *
 * Opens the DuckDB store in `--dir`, serves createQueryHandler on a local port and measures, each
 * `--runs` times (p50 / p99 / max; with 20 runs p99 is the slowest but one):
 * - dependencies over the last 24 h (`/api/dependencies?lookback=86400000`),
 * - RED metrics over the last 24 h as the monitor page asks for them (`/api/metrics/{calls,errors,
 *   latencies}`, step = lookback/60, ratePer = max(step, 10 min), per service and per operation)
 *   and with Jaeger's defaults over 1 h (step 5 s, ratePer 10 min),
 * - searches (service + operation + tag + minDuration over 1 h and over 24 h; an attribute alone,
 *   across services) through the store (trace ids) and through `/api/traces` (whole traces),
 * - trace by id through the store and through `/api/traces/{id}`.
 * The data's time range is found from the newest trace; `--hours` is the spread it was made with.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { DuckDBStore } from '@ariadne/storage';
import type { TraceQuery } from '@ariadne/storage';
import { createQueryHandler } from '@ariadne/query';

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string' },
    runs: { type: 'string', default: '20' },
    hours: { type: 'string', default: '24' },
    only: { type: 'string', default: 'deps,red,search,byid' },
    readers: { type: 'string', default: '2' },
  },
});
if (!args.dir) throw new Error('--dir <data dir of a DuckDB store> is required (see the header of this file)');
const RUNS = Number(args.runs);
const ONLY = new Set(args.only.split(','));
const HOUR = 3_600_000_000_000n;
const MS = 1_000_000n;

let rng = 777;
function rand(n: number): number {
  rng = (rng * 1103515245 + 12345) & 0x7fffffff;
  return rng % n;
}
function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}
const f = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

async function time(name: string, runs: number, fn: (i: number) => Promise<string | void>): Promise<void> {
  await fn(-1); // warm-up
  const t: number[] = [];
  let note: string | void = '';
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    note = await fn(i);
    t.push(performance.now() - t0);
  }
  t.sort((a, b) => a - b);
  console.log(`${name.padEnd(58)} p50 ${f(pct(t, 50)).padStart(6)} ms  p99 ${f(pct(t, 99)).padStart(6)} ms  max ${f(t[t.length - 1]).padStart(6)} ms${note ? `  (${note})` : ''}`);
}

async function main(): Promise<void> {
  const store = await DuckDBStore.open({ dataDir: args.dir!, readers: Number(args.readers) });
  const server = createServer(createQueryHandler({ store }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get = async (path: string) => {
    const r = await fetch(base + path, { headers: { 'accept-encoding': 'identity' } });
    const text = await r.text();
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${text.slice(0, 300)}`);
    return JSON.parse(text);
  };
  try {
    const services = await store.getServices();
    const ops = new Map<string, string[]>();
    for (const s of services) ops.set(s, [...new Set((await store.getOperations({ service: s })).map((o) => o.name))]);
    // the newest span's start = the data's end
    const newest = await store.findTraceIds({ startTimeMin: 0n, startTimeMax: (1n << 62n), limit: 1 });
    const endNs = (await store.getTrace(newest[0])).reduce((m, s) => (s.startTimeUnixNano > m ? s.startTimeUnixNano : m), 0n) + MS;
    const spread = BigInt(args.hours) * HOUR;
    const startNs = endNs - spread;
    const endMs = endNs / MS;
    console.log(`query bench on ${args.dir}: ${services.length} services, data until ${new Date(Number(endMs)).toISOString()}, ${RUNS} runs each`);

    if (ONLY.has('deps')) {
      await time('dependencies, 24 h (HTTP)', RUNS, async () => {
        const j = await get(`/api/dependencies?endTs=${endMs}&lookback=86400000`);
        return `${j.data.length} links, ${j.data.reduce((n: number, l: any) => n + l.callCount, 0).toLocaleString()} calls`;
      });
      await time('dependencies, 1 h (HTTP)', RUNS, async () => {
        const j = await get(`/api/dependencies?endTs=${endMs}&lookback=3600000`);
        return `${j.data.length} links`;
      });
    }

    if (ONLY.has('red')) {
      const svc = () => services[rand(services.length)];
      const ui = (lookbackMs: number) => {
        const step = Math.max(1000, Math.round(lookbackMs / 60));
        return `endTs=${endMs}&lookback=${lookbackMs}&step=${step}&ratePer=${Math.max(step, 600_000)}`;
      };
      for (const [label, w] of [
        ['24 h, monitor page params', ui(86_400_000)],
        ['1 h, monitor page params', ui(3_600_000)],
        ['1 h, Jaeger defaults (step 5 s)', `endTs=${endMs}&lookback=3600000`],
      ] as const) {
        for (const kind of ['calls', 'errors', 'latencies'] as const) {
          for (const byOp of [false, true]) {
            const extra = (kind === 'latencies' ? '&quantile=0.95' : '') + (byOp ? '&groupByOperation=true' : '');
            await time(`RED ${kind}${byOp ? ' by operation' : ''}, ${label}`, RUNS, async () => {
              const j = await get(`/api/metrics/${kind}?service=${svc()}&${w}${extra}`);
              return `${j.metrics.length} series, ${j.metrics.reduce((n: number, m: any) => n + m.metricPoints.length, 0)} points`;
            });
          }
        }
      }
    }

    if (ONLY.has('search')) {
      // the storage bench's operations are named "GET …"/"POST …" after their http.method tag:
      // `match` picks the method that matching spans have, else the other one (no trace matches,
      // so the whole range is searched: the worst case)
      const full = (hours: bigint, match = true): TraceQuery => {
        const s = services[rand(services.length)];
        const o = ops.get(s)!;
        const operation = o[rand(o.length)];
        const method = operation.startsWith('GET') === match ? 'GET' : 'POST';
        return {
          service: s,
          operation,
          tags: [{ key: 'http.method', op: '=', value: method }],
          minDurationNano: 20n * MS,
          startTimeMin: endNs - hours * HOUR,
          startTimeMax: endNs,
          limit: 20,
        };
      };
      const kinds: [string, () => TraceQuery][] = [
        ['service+operation+tag+minDuration, 1 h', () => full(1n)],
        ['service+operation+tag+minDuration, 24 h', () => full(24n)],
        ['same, no trace matches, 1 h', () => full(1n, false)],
        ['same, no trace matches, 24 h', () => full(24n, false)],
        ['attribute alone (user.id=…), 24 h', () => ({ tags: [{ key: 'user.id', op: '=', value: `user-${rand(10000)}` }], startTimeMin: startNs, startTimeMax: endNs, limit: 20 })],
        ['attribute alone (http.status_code=500), 24 h', () => ({ tags: [{ key: 'http.status_code', op: '=', value: '500' }], startTimeMin: startNs, startTimeMax: endNs, limit: 20 })],
        ['numeric tag (http.status_code >= 500) + service, 24 h', () => ({ service: services[rand(services.length)], tags: [{ key: 'http.status_code', op: '>=', value: '500' }], startTimeMin: startNs, startTimeMax: endNs, limit: 20 })],
      ];
      for (const [name, make] of kinds) {
        await time(`search ${name} (store)`, RUNS, async () => `${(await store.findTraceIds(make())).length} traces`);
      }
      for (const [name, make] of kinds.slice(0, 2)) {
        await time(`search ${name} (HTTP, whole traces)`, RUNS, async () => {
          const q = make();
          const tags = encodeURIComponent(JSON.stringify(Object.fromEntries(q.tags!.map((t) => [t.key, t.value]))));
          const j = await get(
            `/api/traces?service=${encodeURIComponent(q.service!)}&operation=${encodeURIComponent(q.operation!)}&tags=${tags}&minDuration=20ms&start=${q.startTimeMin / 1000n}&end=${q.startTimeMax / 1000n}&limit=20`,
          );
          return `${j.data.length} traces`;
        });
      }
    }

    if (ONLY.has('byid')) {
      const ids: string[] = [];
      for (let i = 0; ids.length < 200 && i < 400; i++) {
        const t = endNs - BigInt(rand(Number(spread / 60_000_000_000n))) * 60_000_000_000n;
        ids.push(...(await store.findTraceIds({ service: services[rand(services.length)], startTimeMin: t - 60_000_000_000n, startTimeMax: t, limit: 2 })));
      }
      await time('trace by id (store)', Math.max(RUNS, 200), async (i) => `${(await store.getTrace(ids[(i + ids.length) % ids.length])).length} spans`);
      rng = 99;
      await time('trace by id (HTTP /api/traces/{id})', Math.max(RUNS, 200), async () => {
        const j = await get(`/api/traces/${ids[rand(ids.length)]}`);
        return `${j.data[0].spans.length} spans`;
      });
    }
  } finally {
    server.closeAllConnections();
    server.close();
    await store.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
