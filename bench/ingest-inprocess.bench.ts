/**
 * The ingest write path in one process, measured in CPU time (which a shared, noisy machine
 * distorts far less than wall time): the same spans as bench/ingest.bench.ts (100 per request,
 * 10 attributes each, 20 services).
 *
 * 1. row texts: the `span` JSON + `tags` text of a span, as first written (serializeSpan + a
 *    separate tags pass) and as the store builds them now (spanRowTexts, one pass, cached
 *    resource/scope parts) — CPU µs per span.
 * 2. store: DuckDBStore.writeSpans of pre-decoded spans in batches of N, one at a time — CPU µs
 *    per span of the main thread and of the whole process (DuckDB's threads included).
 * 3. pipeline: OTLP protobuf decode → SpanPipeline → DuckDBStore with 32 concurrent producers, as
 *    the receivers drive it (no HTTP) — the same CPU figures, and spans/s.
 * 4. appender vs one bound parameter: the store's appender path against an alternative that was
 *    tried and rejected — the batch as one VARCHAR parameter split into rows by DuckDB itself
 *    (`INSERT … SELECT` over `string_split`, parsed on DuckDB's threads), on a bare table.
 *
 *   node --conditions=source --import tsx bench/ingest-inprocess.bench.ts [--spans 200000] [--batches 1000,5000,10000] [--runs 3]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeOtlpProtobuf, encodeOtlpProtobuf } from '@ariadne/codec';
import { DuckDBInstance } from '@duckdb/node-api';
import { SpanPipeline } from '@ariadne/collector';
import { attr, attributeValueToString, makeResource, makeSpan, randomSpanId, randomTraceId, SpanKind, type Attribute, type Span } from '@ariadne/model';
import { derivedTags, DuckDBStore, serializeSpan } from '@ariadne/storage';
import { esc, flatten, spanRowTexts } from '../packages/storage/src/duckdb-rows.js';

const { values: args } = parseArgs({
  options: {
    spans: { type: 'string', default: '200000' },
    batches: { type: 'string', default: '1000,5000,10000' },
    runs: { type: 'string', default: '3' },
  },
});
const N = Number(args.spans);
const RUNS = Number(args.runs);

const services = Array.from({ length: 20 }, (_, i) => makeResource(`service-${i}`, [attr('service.name', `service-${i}`), attr('host.name', `host-${i % 5}`)]));
function requestSpans(): Span[] {
  const spans: Span[] = [];
  const now = BigInt(Date.now()) * 1_000_000n;
  let traceId = '';
  let rootId = '';
  for (let i = 0; i < 100; i++) {
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

/** CPU ms (user + system) of this process, or of its main thread. */
function cpuMs(mainThreadOnly = false): number {
  const stat = readFileSync(mainThreadOnly ? `/proc/self/task/${process.pid}/stat` : '/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const payloads = Array.from({ length: 64 }, () => encodeOtlpProtobuf(requestSpans()));
const decoded = (n: number) => {
  const out: Span[] = [];
  for (let k = 0; out.length < n; k++) out.push(...decodeOtlpProtobuf(payloads[k % 64]));
  return out;
};

// 1. row texts
function referenceTags(span: Span): string {
  let out = '\x1f';
  const add = (attrs: readonly Attribute[]) => {
    for (const a of attrs) out += esc(a.key) + '\x1e' + esc(attributeValueToString(a.value)) + '\x1f';
  };
  add(span.attributes);
  add(span.resource.attributes);
  for (const e of span.events) add(e.attributes);
  add(derivedTags(span));
  return out;
}
{
  const spans = decoded(20_000);
  const measure = (fn: (s: Span) => void) => {
    const rs: number[] = [];
    for (let r = 0; r < RUNS + 1; r++) {
      const c0 = process.cpuUsage();
      for (let k = 0; k < 5; k++) for (const s of spans) fn(s);
      const c = process.cpuUsage(c0);
      if (r > 0) rs.push((c.user + c.system) / (5 * spans.length));
    }
    return median(rs);
  };
  const before = measure((s) => {
    flatten(serializeSpan(s));
    flatten(referenceTags(s));
  });
  const now = measure((s) => spanRowTexts(s));
  console.log(`row texts: serializeSpan + tags pass ${before.toFixed(2)} µs/span CPU; spanRowTexts ${now.toFixed(2)} µs/span (${(before / now).toFixed(1)}×)`);
}

// 2. store writes
for (const b of args.batches!.split(',').map(Number)) {
  const main: number[] = [];
  const all: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const batches: Span[][] = [];
    for (let n = 0; n < N; n += b) batches.push(decoded(b));
    const dir = mkdtempSync(join(tmpdir(), 'ariadne-ingest-inproc-'));
    const store = await DuckDBStore.open({ dataDir: dir });
    const c0 = cpuMs();
    const m0 = cpuMs(true);
    for (const batch of batches) await store.writeSpans(batch);
    all.push(((cpuMs() - c0) * 1000) / N);
    main.push(((cpuMs(true) - m0) * 1000) / N);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`store writeSpans, batches of ${b}: CPU ${median(all).toFixed(1)} µs/span (main thread ${median(main).toFixed(1)}), median of ${RUNS}`);
}

// 3. decode → pipeline → store
{
  const main: number[] = [];
  const all: number[] = [];
  const rate: number[] = [];
  let commits = 0;
  for (let r = 0; r < RUNS; r++) {
    const dir = mkdtempSync(join(tmpdir(), 'ariadne-ingest-inproc-'));
    const store = await DuckDBStore.open({ dataDir: dir });
    const p = new SpanPipeline(store);
    const c0 = cpuMs();
    const m0 = cpuMs(true);
    const t0 = performance.now();
    let sent = 0;
    let k = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (sent < N) {
          sent += 100;
          await p.ingest(decodeOtlpProtobuf(payloads[k++ % 64]), 'bench');
        }
      }),
    );
    rate.push(sent / ((performance.now() - t0) / 1000));
    all.push(((cpuMs() - c0) * 1000) / sent);
    main.push(((cpuMs(true) - m0) * 1000) / sent);
    commits = store.commitCount;
    await p.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `decode → pipeline → DuckDB, 32 producers: ${Math.round(median(rate)).toLocaleString('en')} spans/s, CPU ${median(all).toFixed(1)} µs/span ` +
      `(main thread ${median(main).toFixed(1)}), ${commits} commits for ${N.toLocaleString('en')} spans; median of ${RUNS}`,
  );
}

// 4. appender vs one bound parameter per batch
for (const mode of ['appender', 'bound parameter'] as const) {
  const main: number[] = [];
  const all: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const batches: Span[][] = [];
    for (let n = 0; n < N; n += 2000) batches.push(decoded(2000));
    const dir = mkdtempSync(join(tmpdir(), 'ariadne-ingest-inproc-'));
    const inst = await DuckDBInstance.create(join(dir, 'x.duckdb'), { checkpoint_threshold: '1GB' });
    const c = await inst.connect();
    await c.run(`CREATE TABLE spans (seq BIGINT NOT NULL, trace_id VARCHAR NOT NULL, span_id VARCHAR NOT NULL, parent_id VARCHAR NOT NULL,
      service VARCHAR NOT NULL, name VARCHAR NOT NULL, kind UTINYINT NOT NULL, start_ns BIGINT NOT NULL, duration_ns BIGINT NOT NULL,
      status UTINYINT NOT NULL, tags VARCHAR NOT NULL, span VARCHAR NOT NULL)`);
    let seq = 0;
    const c0 = cpuMs();
    const m0 = cpuMs(true);
    for (const batch of batches) {
      await c.run('BEGIN');
      if (mode === 'appender') {
        const ap = await c.createAppender('spans');
        for (const s of batch) {
          const t = spanRowTexts(s);
          ap.appendBigInt(BigInt(seq++));
          for (const v of [s.traceId, s.spanId, s.parentSpanId, s.resource.serviceName, s.name]) ap.appendVarchar(v);
          ap.appendUTinyInt(s.kind);
          ap.appendBigInt(s.startTimeUnixNano);
          ap.appendBigInt(s.endTimeUnixNano - s.startTimeUnixNano);
          ap.appendUTinyInt(s.status.code);
          ap.appendVarchar(t.tags);
          ap.appendVarchar(t.json);
          ap.endRow();
        }
        ap.flushSync();
        ap.closeSync();
      } else {
        // (a real implementation would also have to escape \x01 inside names and tags)
        const parts: string[] = [];
        for (const s of batch) {
          const t = spanRowTexts(s);
          parts.push(s.traceId, s.spanId, s.parentSpanId, s.resource.serviceName, s.name, String(s.kind), String(s.startTimeUnixNano), String(s.endTimeUnixNano - s.startTimeUnixNano), String(s.status.code), t.tags, t.json);
        }
        await c.run(
          `INSERT INTO spans SELECT ${seq} + (i - 1) // 11, f[i], f[i+1], f[i+2], f[i+3], f[i+4], f[i+5]::UTINYINT, f[i+6]::BIGINT, f[i+7]::BIGINT, f[i+8]::UTINYINT, f[i+9], f[i+10]
           FROM (SELECT string_split($1, chr(1)) AS f), range(1, ${batch.length * 11}, 11) r(i)`,
          [parts.join('\x01')],
        );
        seq += batch.length;
      }
      await c.run('COMMIT');
    }
    all.push(((cpuMs() - c0) * 1000) / N);
    main.push(((cpuMs(true) - m0) * 1000) / N);
    c.closeSync();
    inst.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`bare table, batches of 2000, ${mode}: CPU ${median(all).toFixed(1)} µs/span (main thread ${median(main).toFixed(1)}), median of ${RUNS}`);
}
