/**
 * Tail-based sampling end to end: a real all-in-one on DuckDB with --tail-sampling, a synthetic
 * traffic mix whose spans arrive over two receivers (OTLP/HTTP and Zipkin) in parts, the error or
 * slowness showing only in a later part, and late spans after the decision. Every error and slow
 * trace must be stored whole, the configured share of the rest (the trace-id hash decides which),
 * nothing partial, and a clean shutdown must store the traces still in their window.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { traceHash } from '@ariadne/collector';
import { startAriadne, tempDir, type Running } from './helpers.js';

const SHARE = 0.2;
const ARGS = ['--tail-sampling', '--tail-sampling-decision-wait', '1500ms', '--tail-sampling-latency-threshold', '500ms', '--tail-sampling-probability', String(SHARE)];

type Kind = 'error' | 'slow' | 'normal';
interface Trace {
  traceId: string;
  kind: Kind;
  root: string;
  children: string[];
  t0: number; // ms
}

const hex = (n: number) => randomBytes(n).toString('hex');

function makeTraces(n: number): Trace[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => ({
    traceId: hex(16),
    kind: (i % 10 === 0 ? 'error' : i % 10 === 1 ? 'slow' : 'normal') as Kind,
    root: hex(8),
    children: [hex(8), hex(8), hex(8)],
    t0: now - 5000 + i,
  }));
}

const ns = (ms: number) => String(BigInt(Math.round(ms * 1000)) * 1000n);

/** Part 1 over OTLP/HTTP JSON: the root and the first child of every trace. */
function otlpPart1(traces: Trace[]): unknown {
  const spans = traces.flatMap((t) => [
    { traceId: t.traceId, spanId: t.root, name: 'GET /checkout', kind: 2, startTimeUnixNano: ns(t.t0), endTimeUnixNano: ns(t.t0 + (t.kind === 'slow' ? 900 : 40)) },
    { traceId: t.traceId, spanId: t.children[0], parentSpanId: t.root, name: 'auth', kind: 1, startTimeUnixNano: ns(t.t0 + 1), endTimeUnixNano: ns(t.t0 + 3) },
  ]);
  return { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop' } }] }, scopeSpans: [{ spans }] }] };
}

/** Part 2 over Zipkin v2 JSON: the second child, failing in error traces. */
function zipkinPart2(traces: Trace[]): unknown {
  return traces.map((t) => ({
    traceId: t.traceId,
    id: t.children[1],
    parentId: t.root,
    name: 'charge card',
    timestamp: (t.t0 + 5) * 1000,
    duration: 20_000,
    localEndpoint: { serviceName: 'payments' },
    ...(t.kind === 'error' ? { tags: { error: 'card declined' } } : {}),
  }));
}

/** A late span (after the decision) over OTLP. */
function otlpLate(traces: Trace[]): unknown {
  const spans = traces.map((t) => ({ traceId: t.traceId, spanId: t.children[2], parentSpanId: t.root, name: 'audit', kind: 1, startTimeUnixNano: ns(t.t0 + 30), endTimeUnixNano: ns(t.t0 + 31) }));
  return { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'audit' } }] }, scopeSpans: [{ spans }] }] };
}

async function post(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.ok(res.status === 200 || res.status === 202, `${url}: ${res.status} ${await res.text()}`);
}

async function spanCount(app: Running, traceId: string): Promise<number> {
  const res = await fetch(app.url('query', `/api/traces/${traceId}`));
  if (res.status === 404) return 0;
  assert.equal(res.status, 200);
  const body = (await res.json()) as { data: { spans: unknown[] }[] };
  return body.data[0]?.spans.length ?? 0;
}

async function metric(app: Running, re: RegExp): Promise<number> {
  const text = await (await fetch(app.url('admin', '/metrics'))).text();
  const m = re.exec(text);
  return m ? Number(m[1]) : 0;
}

describe('tail sampling through a real all-in-one', () => {
  const dir = tempDir('ariadne-tail-');
  let app: Running;
  before(async () => {
    app = await startAriadne({ args: ['--data-dir', dir.path, ...ARGS] });
  });
  after(async () => {
    await app?.stop();
    dir.remove();
  });

  it('keeps every error and slow trace whole, the configured share of the rest, nothing partial', async (t) => {
    const traces = makeTraces(400);
    await post(app.url('otlp-http', '/v1/traces'), otlpPart1(traces));
    await new Promise((r) => setTimeout(r, 300));
    await post(app.url('zipkin', '/api/v2/spans'), zipkinPart2(traces));
    // wait for every trace to be decided, then send a late span of each
    const end = Date.now() + 15_000;
    while ((await metric(app, /ariadne_collector_tail_sampling_buffer_traces (\d+)/)) > 0 || (await metric(app, /ariadne_collector_tail_sampling_buffer_spans (\d+)/)) > 0) {
      assert.ok(Date.now() < end, 'decided in time');
      await new Promise((r) => setTimeout(r, 100));
    }
    await post(app.url('otlp-http', '/v1/traces'), otlpLate(traces));

    let normal = 0;
    let normalKept = 0;
    for (const tr of traces) {
      const n = await spanCount(app, tr.traceId);
      assert.ok(n === 0 || n === 4, `${tr.kind} trace ${tr.traceId}: whole or nothing, got ${n} of 4 spans`);
      if (tr.kind !== 'normal') assert.equal(n, 4, `${tr.kind} trace ${tr.traceId} kept whole (late span included)`);
      else {
        normal++;
        if (n) normalKept++;
        assert.equal(n === 4, traceHash(tr.traceId) < SHARE * 2 ** 32, 'the share is decided by the trace-id hash');
      }
    }
    t.diagnostic(`kept ${normalKept} of ${normal} normal traces (${((100 * normalKept) / normal).toFixed(1)}%, configured ${SHARE * 100}%)`);
    // 320 normal traces at 20%: mean 64, sd 7.2; ±4 sd
    assert.ok(Math.abs(normalKept - SHARE * normal) <= 29, `kept ${normalKept} of ${normal}`);
    assert.equal(await metric(app, /ariadne_collector_tail_sampling_traces_total\{decision="kept",policy="error"\} (\d+)/), 40);
    assert.equal(await metric(app, /ariadne_collector_tail_sampling_traces_total\{decision="kept",policy="latency"\} (\d+)/), 40);
    assert.equal(await metric(app, /ariadne_collector_tail_sampling_traces_total\{decision="kept",policy="probabilistic"\} (\d+)/), normalKept);
    assert.equal(await metric(app, /ariadne_collector_tail_sampling_traces_total\{decision="dropped",policy=""\} (\d+)/), normal - normalKept);
    assert.equal(await metric(app, /ariadne_collector_tail_sampling_late_spans_total\{decision="dropped"\} (\d+)/), normal - normalKept);
  });

  it('a clean shutdown decides and stores the traces still in their window (acknowledged when held)', async () => {
    // a window far longer than the test: the traces are certainly still held at SIGTERM
    assert.equal(await app.stop('SIGTERM'), 0);
    app = await startAriadne({ args: ['--data-dir', dir.path, ...ARGS, '--tail-sampling-decision-wait', '10m'] });
    const traces = makeTraces(50).map((t) => ({ ...t, kind: 'error' as Kind }));
    await post(app.url('otlp-http', '/v1/traces'), otlpPart1(traces));
    await post(app.url('zipkin', '/api/v2/spans'), zipkinPart2(traces));
    assert.equal(await metric(app, /ariadne_collector_tail_sampling_buffer_traces (\d+)/), 50, 'held, not decided yet');
    for (const tr of traces.slice(0, 5)) assert.equal(await spanCount(app, tr.traceId), 0, 'not stored before the decision');
    assert.equal(await app.stop('SIGTERM'), 0);
    app = await startAriadne({ args: ['--data-dir', dir.path, ...ARGS] });
    for (const tr of traces) assert.equal(await spanCount(app, tr.traceId), 3, `trace ${tr.traceId} stored at shutdown`);
  });
});

describe('tail sampling policies file', () => {
  it('a policies file is used; a bad one stops the start with the bad key named', async () => {
    const dir = tempDir('ariadne-tail-policies-');
    try {
      const good = join(dir.path, 'good.json');
      writeFileSync(good, JSON.stringify({ policies: [{ name: 'vip', type: 'attribute', key: 'tier', values: ['gold'] }] }));
      const app = await startAriadne({ args: ['--storage', 'memory', '--tail-sampling', '--tail-sampling-policies-file', good, '--tail-sampling-decision-wait', '200ms'] });
      try {
        const on = app.logs.find((l) => l.msg === 'tail sampling on') as { policies: { name: string }[] } | undefined;
        assert.deepEqual(on?.policies.map((x) => x.name), ['vip']);
        const [gold, plain] = makeTraces(2);
        const body = otlpPart1([gold, plain]) as { resourceSpans: { scopeSpans: { spans: { attributes?: unknown[] }[] }[] }[] };
        body.resourceSpans[0].scopeSpans[0].spans[0].attributes = [{ key: 'tier', value: { stringValue: 'gold' } }];
        await post(app.url('otlp-http', '/v1/traces'), body);
        const end = Date.now() + 10_000;
        while ((await spanCount(app, gold.traceId)) < 2) {
          assert.ok(Date.now() < end, 'the gold trace is kept');
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(await spanCount(app, plain.traceId), 0);
      } finally {
        await app.stop();
      }
      const bad = join(dir.path, 'bad.json');
      writeFileSync(bad, JSON.stringify({ policies: [{ type: 'probabilistic', rate: 3 }] }));
      await assert.rejects(startAriadne({ args: ['--storage', 'memory', '--tail-sampling', '--tail-sampling-policies-file', bad] }), /policies\[0\]\.rate: must be a number in \[0, 1\]/);
    } finally {
      dir.remove();
    }
  });
});
