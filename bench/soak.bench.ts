/**
 * Soak: N minutes (default 30) of steady OTLP/HTTP ingest plus queries against a real
 * `ariadne all-in-one` (DuckDB by default) with retention, reporting every interval (default 60 s):
 * spans acknowledged, ingest and query latency (p50/p99), the server's RSS and the data
 * directory's size on disk. At the end, every acknowledged trace still inside the retention window
 * is looked up (spans lost must be 0) and memory/disk growth after the first retention period is
 * reported (it must stay bounded: data older than the retention is purged).
 *
 *   node --conditions=source --import tsx bench/soak.bench.ts [--minutes 30] [--rate 1000] [--retention 10m]
 *        [--report-every 60] [--storage duckdb] [--json]
 *
 * `runSoak()` is also used by test/e2e/soak.test.ts for a short bounded run.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { encodeOtlpProtobuf } from '@ariadne/codec';
import { attr, makeResource, makeSpan, randomSpanId, randomTraceId, SpanKind, type Span } from '@ariadne/model';
import { startAriadne, tempDir } from '../test/e2e/helpers.js';

export interface SoakOptions {
  durationMs: number;
  /** Spans per second offered (in requests of `spansPerRequest`). */
  rate: number;
  spansPerRequest?: number;
  /** `--retention` of the server, ms (0: none). */
  retentionMs: number;
  reportEveryMs: number;
  storage?: 'duckdb' | 'memory';
  /** Query rounds per second (services, a search, a trace by id). */
  queriesPerSecond?: number;
  onReport?: (r: SoakReport) => void;
}

export interface SoakReport {
  atS: number;
  spansAcked: number;
  spansPerSec: number;
  ingestP50Ms: number;
  ingestP99Ms: number;
  queryP50Ms: number;
  queryP99Ms: number;
  queries: number;
  rssMB: number;
  diskMB: number;
  ingestErrors: number;
  queryErrors: number;
}

export interface SoakResult {
  reports: SoakReport[];
  spansAcked: number;
  requestsRefused: number;
  ingestErrors: number;
  queryErrors: number;
  /** Acked traces inside the retention window that were looked up, and how many were missing. */
  tracesChecked: number;
  spansChecked: number;
  spansLost: number;
  /** RSS (MB): the highest after the first retention period (or the first third) and at the end. */
  rssAfterWarmupMB: number;
  rssMaxMB: number;
  rssEndMB: number;
  diskAfterWarmupMB: number;
  diskMaxMB: number;
  diskEndMB: number;
}

const services = Array.from({ length: 10 }, (_, i) => makeResource(`soak-${i}`, [attr('host.name', `host-${i % 3}`)]));

function makeBatch(n: number): Span[] {
  const spans: Span[] = [];
  const now = BigInt(Date.now()) * 1_000_000n;
  let traceId = '';
  let root = '';
  for (let i = 0; i < n; i++) {
    if (i % 10 === 0) {
      traceId = randomTraceId();
      root = '';
    }
    const spanId = randomSpanId();
    spans.push(
      makeSpan({
        traceId, spanId, parentSpanId: root, name: `op-${i % 20}`, kind: root ? SpanKind.CLIENT : SpanKind.SERVER,
        startTimeUnixNano: now + BigInt(i) * 1000n, endTimeUnixNano: now + BigInt(i) * 1000n + 2_000_000n, resource: services[(i * 7) % 10],
        attributes: [attr('http.route', `/items/${i % 30}`), attr('http.response.status_code', i % 17 ? 200 : 500), attr('payload', 'x'.repeat(64))],
      }),
    );
    if (!root) root = spanId;
  }
  return spans;
}

const pct = (xs: number[], p: number) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

function rssMB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function du(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    try {
      n += e.isDirectory() ? du(p) : statSync(p).size;
    } catch {
      /* removed meanwhile */
    }
  }
  return n;
}

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const perReq = o.spansPerRequest ?? 50;
  const dir = tempDir('ariadne-soak-');
  const args = ['--storage', o.storage ?? 'duckdb', '--data-dir', dir.path];
  if (o.retentionMs) args.push('--retention', `${Math.round(o.retentionMs / 1000)}s`);
  const app = await startAriadne({ args });
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const otlp = app.addresses.get('otlp-http')!;
  const q = app.addresses.get('query')!;
  const pid = app.proc.pid!;

  const post = (body: Uint8Array) =>
    new Promise<number>((resolve, reject) => {
      const r = request({ host: otlp.host, port: otlp.port, path: '/v1/traces', method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      r.on('error', reject);
      r.end(body);
    });
  const get = (path: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const r = request({ host: q.host, port: q.port, path, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      r.on('error', reject);
      r.end();
    });

  const acked: Array<{ traceIds: string[]; at: number; spans: number }> = [];
  let spansAcked = 0;
  let refused = 0;
  let ingestErrors = 0;
  let queryErrors = 0;
  let queries = 0;
  let ingestLat: number[] = [];
  let queryLat: number[] = [];
  let windowAcked = 0;
  const reports: SoakReport[] = [];
  const t0 = Date.now();
  const end = t0 + o.durationMs;
  let inflight = 0;

  // ingest: every 100 ms, the requests due by then (steady rate; skipped when 16 are in flight)
  let due = 0;
  const ingestTimer = setInterval(() => {
    due += (o.rate / 10) / perReq;
    while (due >= 1 && inflight < 16) {
      due -= 1;
      const spans = makeBatch(perReq);
      const body = encodeOtlpProtobuf(spans);
      const started = performance.now();
      inflight++;
      post(body)
        .then((status) => {
          if (status === 200) {
            ingestLat.push(performance.now() - started);
            spansAcked += spans.length;
            windowAcked += spans.length;
            acked.push({ traceIds: [...new Set(spans.map((s) => s.traceId))], at: Date.now(), spans: spans.length });
          } else if (status === 503 || status === 429) refused++;
          else ingestErrors++;
        })
        .catch(() => ingestErrors++)
        .finally(() => inflight--);
    }
    if (due > 4) due = 4; // do not build up a backlog while the server is slow
  }, 100);

  // queries: services, a search, a recent trace by id
  const qps = o.queriesPerSecond ?? 3;
  let qi = 0;
  const queryTimer = setInterval(() => {
    const recent = acked[acked.length - 1];
    const paths = ['/api/services', `/api/traces?service=soak-${qi % 10}&lookback=5m&limit=20`, recent ? `/api/traces/${recent.traceIds[0]}` : '/api/services'];
    const path = paths[qi++ % paths.length];
    const started = performance.now();
    get(path)
      .then((r) => {
        queries++;
        if (r.status === 200) queryLat.push(performance.now() - started);
        else queryErrors++;
      })
      .catch(() => queryErrors++);
  }, 1000 / qps);

  let lastReport = t0;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const now = Date.now();
      if (now - lastReport >= o.reportEveryMs || now >= end) {
        const r: SoakReport = {
          atS: Math.round((now - t0) / 1000),
          spansAcked,
          spansPerSec: Math.round(windowAcked / ((now - lastReport) / 1000)),
          ingestP50Ms: +pct(ingestLat, 50).toFixed(1),
          ingestP99Ms: +pct(ingestLat, 99).toFixed(1),
          queryP50Ms: +pct(queryLat, 50).toFixed(1),
          queryP99Ms: +pct(queryLat, 99).toFixed(1),
          queries,
          rssMB: +rssMB(pid).toFixed(1),
          diskMB: +(du(dir.path) / 1048576).toFixed(1),
          ingestErrors,
          queryErrors,
        };
        reports.push(r);
        o.onReport?.(r);
        lastReport = now;
        windowAcked = 0;
        ingestLat = [];
        queryLat = [];
      }
      if (now >= end) {
        clearInterval(tick);
        resolve();
      }
    }, 250);
  });
  clearInterval(ingestTimer);
  clearInterval(queryTimer);
  while (inflight > 0) await new Promise((r) => setTimeout(r, 20));

  // every acked trace still well inside the retention window must be readable, whole
  const keepFrom = o.retentionMs ? Date.now() - o.retentionMs / 2 : 0;
  const check = acked.filter((a) => a.at >= keepFrom);
  const sample = check.length > 300 ? check.filter((_, i) => i % Math.ceil(check.length / 300) === 0) : check;
  let tracesChecked = 0;
  let spansChecked = 0;
  let spansLost: number;
  for (const a of sample) {
    for (let i = 0; i < a.traceIds.length; i += 20) {
      const ids = a.traceIds.slice(i, i + 20);
      const r = await get(`/api/traces?${ids.map((id) => `traceID=${id}`).join('&')}&raw=true`);
      const got = r.status === 200 ? (JSON.parse(r.body).data as Array<{ spans: unknown[] }>) : [];
      const n = got.reduce((s, t) => s + t.spans.length, 0);
      tracesChecked += ids.length;
      spansChecked += n;
    }
  }
  // each sampled request's spans are exactly its traces' spans, so lost = sent - found
  spansLost = sample.reduce((s, a) => s + a.spans, 0) - spansChecked;

  agent.destroy();
  await app.stop();
  dir.remove();

  const warmupAt = o.retentionMs ? Math.min(o.retentionMs * 1.5, o.durationMs / 2) / 1000 : o.durationMs / 3000;
  const after = reports.filter((r) => r.atS >= warmupAt);
  const before = reports.filter((r) => r.atS <= warmupAt);
  return {
    reports,
    spansAcked,
    requestsRefused: refused,
    ingestErrors,
    queryErrors,
    tracesChecked,
    spansChecked,
    spansLost,
    rssAfterWarmupMB: Math.max(0, ...before.map((r) => r.rssMB)),
    rssMaxMB: Math.max(0, ...after.map((r) => r.rssMB)),
    rssEndMB: reports.at(-1)?.rssMB ?? 0,
    diskAfterWarmupMB: Math.max(0, ...before.map((r) => r.diskMB)),
    diskMaxMB: Math.max(0, ...after.map((r) => r.diskMB)),
    diskEndMB: reports.at(-1)?.diskMB ?? 0,
  };
}

function parseDurationMs(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) throw new Error(`bad duration ${s}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '30' },
      rate: { type: 'string', default: '1000' },
      retention: { type: 'string', default: '10m' },
      'report-every': { type: 'string', default: '60' },
      storage: { type: 'string', default: 'duckdb' },
      json: { type: 'boolean', default: false },
    },
  });
  const opts: SoakOptions = {
    durationMs: Number(values.minutes) * 60_000,
    rate: Number(values.rate),
    retentionMs: parseDurationMs(values.retention!),
    reportEveryMs: Number(values['report-every']) * 1000,
    storage: values.storage as 'duckdb' | 'memory',
    onReport: (r) => {
      if (!values.json)
        console.log(
          `t=${String(r.atS).padStart(5)}s acked=${r.spansAcked} (${r.spansPerSec}/s) ingest p50/p99=${r.ingestP50Ms}/${r.ingestP99Ms} ms ` +
            `query p50/p99=${r.queryP50Ms}/${r.queryP99Ms} ms rss=${r.rssMB} MB disk=${r.diskMB} MB errors=${r.ingestErrors}/${r.queryErrors}`,
        );
    },
  };
  console.log(`soak: ${values.minutes} min, ${opts.rate} spans/s offered, retention ${values.retention}, ${opts.storage}`);
  const res = await runSoak(opts);
  if (values.json) console.log(JSON.stringify(res, null, 2));
  else {
    const { reports: _r, ...summary } = res;
    console.log(JSON.stringify(summary, null, 2));
  }
  process.exit(res.spansLost === 0 && res.ingestErrors === 0 ? 0 : 1);
}
