import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { makeResource, makeSpan, StatusCode, type Span } from '@ariadne/model';
import { MemoryStore } from '@ariadne/storage';
import {
  CollectorMetrics,
  parseTailPolicies,
  QueueFullError,
  SamplingPipeline,
  TailPolicyError,
  TailSampler,
  traceHash,
  type TailPolicy,
} from '@ariadne/collector';

const MS = 1_000_000n;
const api = makeResource('api');
const db = makeResource('db');

interface Synthetic {
  traceId: string;
  kind: 'error' | 'slow' | 'slow-db' | 'normal';
  spans: Span[];
}

/** A trace of 4 spans (root, two children, a db call); errors and slowness sit on a late child. */
function trace(kind: Synthetic['kind'], offset: bigint): Synthetic {
  const t0 = 1_700_000_000_000n * MS + offset;
  const traceId = randomBytes(16).toString('hex');
  const id = () => randomBytes(8).toString('hex');
  const root = id();
  const dur = kind === 'slow' ? 900n : 40n;
  const mk = (spanId: string, parentSpanId: string, name: string, start: bigint, ms: bigint, resource = api, error = false) =>
    makeSpan({ traceId, spanId, parentSpanId, name, resource, startTimeUnixNano: start, endTimeUnixNano: start + ms * MS, status: { code: error ? StatusCode.ERROR : StatusCode.UNSET, message: '' } });
  const spans = [
    mk(root, '', 'GET /items', t0, dur),
    mk(id(), root, 'auth', t0 + MS, 2n),
    mk(id(), root, 'render', t0 + 5n * MS, 3n, api, kind === 'error'),
    mk(id(), root, 'SELECT items', t0 + 2n * MS, kind === 'slow-db' ? 300n : 10n, db),
  ];
  return { traceId, kind, spans };
}

const POLICIES: TailPolicy[] = parseTailPolicies({
  policies: [
    { type: 'error' },
    { name: 'slow', type: 'latency', thresholdMs: 500 },
    { name: 'slow-db', type: 'latency', thresholdMs: 200, service: 'db' },
    { type: 'probabilistic', rate: 0.25 },
  ],
});

describe('tail sampling policies', () => {
  it('are validated with the bad key named', () => {
    assert.throws(() => parseTailPolicies({ policies: [{ type: 'nope' }] }), /policies\[0\].type/);
    assert.throws(() => parseTailPolicies({ policies: [{ type: 'probabilistic', rate: 2 }] }), /policies\[0\].rate/);
    assert.throws(() => parseTailPolicies({ policies: [{ type: 'latency' }] }), /policies\[0\].thresholdMs/);
    assert.throws(() => parseTailPolicies({ policies: [{ type: 'attribute', key: 'a', regex: '(' }] }), /policies\[0\].regex/);
    assert.throws(() => parseTailPolicies({ policies: [{ type: 'error', thresholdMs: 3 }] }), /policies\[0\].thresholdMs: unknown field/);
    assert.throws(() => parseTailPolicies({ policies: [{ type: 'error' }, { type: 'error' }] }), /appears twice/);
    assert.throws(() => parseTailPolicies({}), TailPolicyError);
  });

  it('the probabilistic coin does not follow the head sampler\'s trace-id bits', () => {
    // head sampling keeps ids whose low 63 bits are small; among those the tail share must still be ~25%
    let kept = 0;
    const n = 4000;
    for (let i = 0; i < n; i++) {
      const id = randomBytes(8).toString('hex') + '00' + randomBytes(7).toString('hex'); // low bits < 2^56: "head-sampled at 1/128"
      if (traceHash(id) < 0.25 * 2 ** 32) kept++;
    }
    assert.ok(Math.abs(kept / n - 0.25) < 0.03, `share ${kept / n}`);
  });
});

describe('TailSampler', () => {
  it('synthetic mix: every error and slow trace kept whole, the configured share of the rest, no partial traces; late spans follow the decision', async () => {
    let now = 0;
    const stored: Span[] = [];
    const metrics = new CollectorMetrics();
    const t = new TailSampler({ policies: POLICIES, decisionWaitMs: 1000, metrics, now: () => now }, async (spans) => {
      stored.push(...spans);
    });
    const traces: Synthetic[] = [];
    for (let i = 0; i < 600; i++) traces.push(trace(i % 10 === 0 ? 'error' : i % 10 === 1 ? 'slow' : i % 10 === 2 ? 'slow-db' : 'normal', BigInt(i) * 1000n * MS));
    // spans arrive in two halves 300 ms apart (the error/slow part in the second), interleaved across traces
    for (const tr of traces) await t.offer(tr.spans.slice(0, 2));
    now = 300;
    for (const tr of traces) await t.offer(tr.spans.slice(2, 3));
    now = 600;
    for (const tr of traces) await t.offer(tr.spans.slice(3));
    assert.equal(stored.length, 0, 'nothing decided before the window ends');
    assert.equal(t.bufferedTraces, 600);
    now = 1001;
    t.tick();
    await new Promise((r) => setImmediate(r));
    assert.equal(t.bufferedTraces, 0);
    // a late span of every trace, after the decision
    const late = new Map<string, Span>();
    for (const tr of traces) {
      const s = makeSpan({ traceId: tr.traceId, spanId: randomBytes(8).toString('hex'), parentSpanId: tr.spans[0].spanId, name: 'late', resource: api });
      late.set(tr.traceId, s);
      await t.offer([s]);
    }
    const byTrace = new Map<string, number>();
    for (const s of stored) byTrace.set(s.traceId, (byTrace.get(s.traceId) ?? 0) + 1);
    let normalKept = 0;
    let normal = 0;
    for (const tr of traces) {
      const got = byTrace.get(tr.traceId) ?? 0;
      assert.ok(got === 0 || got === 5, `trace ${tr.traceId} (${tr.kind}) stored whole or not at all, got ${got} of 5`);
      if (tr.kind !== 'normal') assert.equal(got, 5, `${tr.kind} trace kept`);
      else {
        normal++;
        const expected = traceHash(tr.traceId) < 0.25 * 2 ** 32;
        assert.equal(got === 5, expected, 'the probabilistic decision is the trace-id hash');
        if (got) normalKept++;
      }
    }
    // 420 normal traces at 25%: mean 105, sd 8.9; ±4 sd
    assert.ok(Math.abs(normalKept - 0.25 * normal) <= 36, `kept ${normalKept} of ${normal} normal traces`);
    const prom = metrics.toPrometheus();
    assert.match(prom, /ariadne_collector_tail_sampling_traces_total\{decision="kept",policy="error"\} 60\n/);
    assert.match(prom, /ariadne_collector_tail_sampling_traces_total\{decision="kept",policy="slow"\} 60\n/);
    assert.match(prom, /ariadne_collector_tail_sampling_traces_total\{decision="kept",policy="slow-db"\} 60\n/);
    assert.match(prom, new RegExp(`ariadne_collector_tail_sampling_traces_total\\{decision="kept",policy="probabilistic"\\} ${normalKept}\\n`));
    assert.match(prom, new RegExp(`ariadne_collector_tail_sampling_traces_total\\{decision="dropped",policy=""\\} ${normal - normalKept}\\n`));
    assert.match(prom, new RegExp(`ariadne_collector_tail_sampling_late_spans_total\\{decision="kept"\\} ${180 + normalKept}\\n`));
    assert.match(prom, /ariadne_collector_tail_sampling_buffer_spans 0\n/);
    await t.close();
  });

  it('bounded: a full buffer decides the oldest traces early; held spans never exceed the bound', async () => {
    let now = 0;
    const stored: Span[] = [];
    const metrics = new CollectorMetrics();
    const t = new TailSampler({ policies: [{ type: 'error' }], decisionWaitMs: 60_000, maxSpans: 20, metrics, now: () => now }, async (spans) => {
      stored.push(...spans);
    });
    const traces = Array.from({ length: 30 }, (_, i) => trace(i % 2 ? 'error' : 'normal', 0n));
    for (const tr of traces) {
      await t.offer(tr.spans);
      assert.ok(t.bufferedSpans <= 20);
      now += 10;
    }
    assert.equal(t.bufferedTraces, 5);
    assert.match(metrics.toPrometheus(), /ariadne_collector_tail_sampling_early_decisions_total 25\n/);
    await t.close();
    // early decisions still see the error (it is in the batch), and traces stay whole
    assert.equal(stored.length, 15 * 4);
    assert.deepEqual(new Set(stored.map((s) => s.traceId)), new Set(traces.filter((x) => x.kind === 'error').map((x) => x.traceId)));
  });

  it('rate limiting and attribute policies', async () => {
    let now = 0;
    const stored = new Set<string>();
    const t = new TailSampler(
      {
        policies: parseTailPolicies([
          { type: 'attribute', key: 'tenant', values: ['vip'] },
          { type: 'rate_limiting', tracesPerSecond: 5 },
        ]),
        decisionWaitMs: 100,
        now: () => now,
      },
      async (spans) => {
        for (const s of spans) stored.add(s.traceId);
      },
    );
    const vip = trace('normal', 0n);
    vip.spans[1].attributes.push({ key: 'tenant', value: { type: 'string', value: 'vip' } });
    await t.offer(vip.spans);
    const rest = Array.from({ length: 50 }, () => trace('normal', 0n));
    for (const tr of rest) await t.offer(tr.spans);
    now = 200;
    t.tick();
    await t.close();
    assert.ok(stored.has(vip.traceId));
    assert.equal(stored.size, 1 + 5, 'the vip trace and 5 of the rest (a 1 s burst of the 5/s budget)');
  });
});

describe('SamplingPipeline with tail sampling', () => {
  it('acknowledges once held; the kept traces are stored after the window; close() stores what is held', async () => {
    const store = new MemoryStore();
    const p = new SamplingPipeline(store, { tail: { policies: [{ type: 'error' }, { type: 'probabilistic', rate: 0 }], decisionWaitMs: 200 } });
    const err = trace('error', 0n);
    const ok = trace('normal', 0n);
    const res = await p.ingest([...err.spans, ...ok.spans], 'test');
    assert.deepEqual(res, { accepted: 8, rejected: [] });
    assert.equal(store.size, 0, 'held, not stored yet');
    await new Promise((r) => setTimeout(r, 600));
    assert.equal((await store.getTrace(err.traceId)).length, 4);
    assert.equal((await store.getTrace(ok.traceId)).length, 0);
    // a trace still in its window when closing is decided and stored
    const err2 = trace('error', 0n);
    await p.ingest(err2.spans, 'test');
    await p.close();
    assert.equal((await store.getTrace(err2.traceId)).length, 4);
    await assert.rejects(p.ingest(trace('error', 0n).spans, 'test'), /closed/);
  });

  it('invalid spans are rejected as without tail sampling', async () => {
    const p = new SamplingPipeline(new MemoryStore(), { tail: { policies: [{ type: 'error' }], decisionWaitMs: 50 } });
    const tr = trace('error', 0n);
    tr.spans[1].spanId = '0000000000000000';
    const res = await p.ingest(tr.spans, 'test');
    assert.equal(res.accepted, 3);
    assert.equal(res.rejected.length, 1);
    await p.close();
  });

  it('a kept trace whose writes keep failing is retried, then counted as lost', async () => {
    const store = new MemoryStore();
    let calls = 0;
    store.writeSpans = async () => {
      calls++;
      throw new Error('disk full');
    };
    const metrics = new CollectorMetrics();
    const p = new SamplingPipeline(store, { metrics, tail: { policies: [{ type: 'error' }], decisionWaitMs: 10 } });
    await p.ingest(trace('error', 0n).spans, 'test');
    await p.close();
    assert.equal(calls, 6, 'the first write and 5 retries');
    assert.match(metrics.toPrometheus(), /ariadne_collector_tail_sampling_release_failed_spans_total 4\n/);
  });

  it('kept spans the store cannot take fast enough: ingest answers QueueFullError (503), nothing taken', async () => {
    let unblock!: () => void;
    const blocked = new Promise<void>((r) => (unblock = r));
    const store = new MemoryStore();
    const write = store.writeSpans.bind(store);
    store.writeSpans = async (spans) => {
      await blocked;
      return write(spans);
    };
    const p = new SamplingPipeline(store, { tail: { policies: [{ type: 'error' }], decisionWaitMs: 10, maxSpans: 8 } });
    await p.ingest([...trace('error', 0n).spans, ...trace('error', 0n).spans], 'test');
    await new Promise((r) => setTimeout(r, 300)); // decided and being stored (blocked)
    await assert.rejects(p.ingest(trace('error', 0n).spans, 'test'), QueueFullError);
    unblock();
    await p.close();
    assert.equal(store.size, 8);
  });
});
