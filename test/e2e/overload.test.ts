/**
 * Overload, end to end: a real all-in-one on DuckDB with a small ingest queue
 * (`--queue-max-spans 1000`), driven well above capacity over OTLP/HTTP, OTLP/gRPC and Zipkin by
 * a separate load-generator process whose clients retry without backing off, while our own
 * tracer's exporter sends its spans and the query API is polled. Checks: the receivers refuse
 * with 503 + Retry-After / gRPC UNAVAILABLE with a RetryInfo detail (never another error), the
 * queue stays within its bound, queries keep answering, every acknowledged span is stored, and
 * the tracer's exporter — refused at first — ends with every span delivered.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { initTracer, RemoteReporter } from '@ariadne/tracer';
import { getJson, startAriadne, tempDir, type Running } from './helpers.js';
import { SPANS_PER_TRACE, startLoad, type LoadSummary, type RunningLoad } from './ingest-load.js';

const QUEUE_MAX_SPANS = 1000;
const BLAST_SECONDS = 5;
const TRACER_SPANS = 2000;

/** What the overload phase saw. */
const seen = {
  acked: [] as string[], // trace ids of acknowledged load requests (complete traces of SPANS_PER_TRACE spans)
  load: undefined as undefined | LoadSummary,
  maxQueueSpans: 0,
  queries: { ok: 0, failed: 0, maxMs: 0 },
  tracerTraceIds: [] as string[],
  tracerStats: undefined as undefined | { sent: number; failed: number; dropped: number; retries: number },
  tracerMetrics: undefined as undefined | { sent: number; failed: number; dropped: number },
  serverPeakMiB: 0,
};

let app: Running;
let dir: ReturnType<typeof tempDir>;
let load: RunningLoad | undefined;

before(async () => {
  dir = tempDir('ariadne-overload-');
  app = await startAriadne({ args: ['--data-dir', dir.path, '--queue-max-spans', String(QUEUE_MAX_SPANS)] });
  const otlpUrl = app.url('otlp-http', '/v1/traces');
  const grpcAddr = app.addresses.get('otlp-grpc')!;
  load = startLoad({
    otlpUrl,
    zipkinUrl: app.url('zipkin', '/api/v2/spans'),
    grpcAddress: `${grpcAddr.host}:${grpcAddr.port}`,
    seconds: BLAST_SECONDS,
    otlpWorkers: 24,
    zipkinWorkers: 4,
    grpcWorkers: 4,
  });
  const acked = load.acked;
  let loading = true;
  const loadDone = load.done.finally(() => (loading = false));
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const monitor = async () => {
    while (loading) {
      const text = await (await fetch(app.url('admin', '/metrics'))).text();
      const m = /^ariadne_collector_queue_spans (\d+)/m.exec(text);
      if (m) seen.maxQueueSpans = Math.max(seen.maxQueueSpans, Number(m[1]));
      await pause(20);
    }
  };
  const queries = async () => {
    while (loading) {
      const t0 = performance.now();
      const id = acked[Math.floor(Math.random() * acked.length)];
      const urls = [app.url('query', '/api/services'), ...(id ? [app.url('query', `/api/traces/${id}`)] : [])];
      for (const u of urls) {
        const r = await getJson(u).catch(() => ({ status: 0, body: null }));
        if (r.status === 200) seen.queries.ok++;
        else seen.queries.failed++;
      }
      seen.queries.maxMs = Math.max(seen.queries.maxMs, performance.now() - t0);
      await pause(100);
    }
  };
  // Our tracer's exporter, sending into the overloaded collector and retrying as it is told.
  const tracerRun = async () => {
    const tracer = initTracer(
      {
        serviceName: 'overload-tracer',
        reporter: { type: 'remote', protocol: 'http/protobuf', endpoint: otlpUrl, maxQueueSize: TRACER_SPANS * 2, batchSize: 1000, flushIntervalMs: 50, initialBackoffMs: 50, maxRetryTimeMs: 120_000, closeTimeoutMs: 120_000, handleProcessExit: false },
      },
      { env: {} },
    );
    // Start once the blast fills the queue. A batch as large as the queue (1000 spans) is admitted
    // only when the queue is empty, which it is not while the blast lasts: refused, retried.
    while (loading && seen.maxQueueSpans < QUEUE_MAX_SPANS / 2) await pause(20);
    const t = tracer.getTracer('overload');
    for (let i = 0; i < TRACER_SPANS / 10; i++) {
      t.startActiveSpan(`root-${i}`, (root) => {
        seen.tracerTraceIds.push(root.spanContext().traceId);
        for (let k = 0; k < 9; k++) t.startSpan(`child-${k}`).end();
        root.end();
      });
    }
    await tracer.flush();
    const reporter = tracer.reporter as RemoteReporter;
    seen.tracerStats = { ...reporter.stats };
    seen.tracerMetrics = { sent: tracer.metrics.reporterSpansSent, failed: tracer.metrics.reporterSpansFailed, dropped: tracer.metrics.reporterSpansDropped };
    await tracer.close();
  };

  const tracerDone = tracerRun();
  await Promise.all([monitor(), queries(), loadDone]);
  seen.load = await loadDone;
  seen.acked = acked;
  await tracerDone;
  const status = readFileSync(`/proc/${app.proc.pid}/status`, 'utf8');
  seen.serverPeakMiB = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
});

after(async () => {
  load?.proc.kill('SIGKILL');
  await app?.stop();
  dir?.remove();
});

/** Spans stored per trace id, asked 50 ids at a time. */
async function storedCounts(ids: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < ids.length; i += 50) {
    const q = ids
      .slice(i, i + 50)
      .map((id) => `traceID=${id}`)
      .join('&');
    const r = await getJson(app.url('query', `/api/traces?${q}&raw=true`));
    assert.equal(r.status, 200);
    for (const t of r.body.data) out.set(t.traceID.padStart(32, '0'), t.spans.length);
  }
  return out;
}

describe('ingest above capacity (all-in-one, DuckDB, --queue-max-spans 1000)', () => {
  test('receivers refuse with 503 + Retry-After and gRPC UNAVAILABLE with RetryInfo, nothing else', (t) => {
    const statuses = seen.load!.status;
    t.diagnostic(
      `answers ${JSON.stringify(statuses)}; queue max ${seen.maxQueueSpans} spans; server peak RSS ${seen.serverPeakMiB.toFixed(0)} MiB; ` +
        `queries ${JSON.stringify(seen.queries)}; acked traces ${seen.acked.length}; tracer ${JSON.stringify(seen.tracerStats)}`,
    );
    const get = (k: string) => statuses[k] ?? 0;
    const bad = Object.keys(statuses).filter((k) => !/^(otlp-http (200|503)|zipkin (202|503)|otlp-grpc (OK|UNAVAILABLE))$/.test(k));
    assert.deepEqual(bad, [], `unexpected answers: ${JSON.stringify(statuses)}`);
    assert.ok(get('otlp-http 503') > 0, `OTLP/HTTP was never refused: ${JSON.stringify(statuses)}`);
    assert.ok(get('zipkin 503') > 0, `Zipkin was never refused: ${JSON.stringify(statuses)}`);
    assert.ok(get('otlp-grpc UNAVAILABLE') > 0, `gRPC was never refused: ${JSON.stringify(statuses)}`);
    assert.equal(seen.load!.grpcRetryInfo, get('otlp-grpc UNAVAILABLE'), 'every UNAVAILABLE carries a RetryInfo detail');
    assert.equal(seen.load!.badRetryAfter, 0, 'every 503 carries Retry-After ≥ 1 s');
    assert.ok(get('otlp-http 200') > 0 && get('zipkin 202') > 0 && get('otlp-grpc OK') > 0, `nothing was accepted: ${JSON.stringify(statuses)}`);
  });

  test('the queue stays within --queue-max-spans, and memory stays bounded', () => {
    assert.ok(seen.maxQueueSpans > 0, 'the queue gauge was never seen non-empty');
    assert.ok(seen.maxQueueSpans <= QUEUE_MAX_SPANS, `queue held ${seen.maxQueueSpans} spans, bound ${QUEUE_MAX_SPANS}`);
    assert.ok(seen.serverPeakMiB > 0 && seen.serverPeakMiB < 1024, `server peak RSS ${seen.serverPeakMiB.toFixed(0)} MiB`);
  });

  test('queries kept answering during the overload', () => {
    assert.ok(seen.queries.ok >= 4, `only ${seen.queries.ok} queries answered: ${JSON.stringify(seen.queries)}`);
    assert.equal(seen.queries.failed, 0);
    assert.ok(seen.queries.maxMs < 10_000, `a query round took ${seen.queries.maxMs.toFixed(0)} ms`);
  });

  test('every acknowledged span is stored', async () => {
    assert.ok(seen.acked.length > 0);
    const stored = await storedCounts(seen.acked);
    const missing = seen.acked.filter((id) => stored.get(id) !== SPANS_PER_TRACE);
    assert.deepEqual(missing.slice(0, 5), [], `${missing.length} of ${seen.acked.length} acknowledged traces not stored whole`);
  });

  test("our tracer's exporter, refused at first, retries until every span is delivered", async () => {
    const st = seen.tracerStats!;
    assert.ok(st.retries > 0, `the exporter was never refused (stats ${JSON.stringify(st)}, load ${JSON.stringify(seen.load)}): the test did not overload the collector`);
    assert.deepEqual(seen.tracerMetrics, { sent: TRACER_SPANS, failed: 0, dropped: 0 });
    const stored = await storedCounts(seen.tracerTraceIds);
    const missing = seen.tracerTraceIds.filter((id) => stored.get(id) !== 10);
    assert.deepEqual(missing.slice(0, 5), [], `${missing.length} of ${seen.tracerTraceIds.length} tracer traces not stored whole: ${JSON.stringify([...stored].slice(0, 3))} ${missing[0]}`);
  });
});
