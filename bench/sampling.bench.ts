/**
 * What the sampling stages cost on the ingest path, in process (no HTTP, no decode, a store that
 * accepts everything at once), so the stage itself is what is measured:
 *
 *   plain     SpanPipeline (validate → queue → write)
 *   adaptive  + root-span counting for adaptive sampling (SamplingPipeline with an AdaptiveSampler)
 *   tail      + tail sampling (default policies, 1 s decision window): buffer, decide, hand kept spans on
 *
 * Batches of 100 spans (10 traces of 10 spans, 10 attributes each; 10% of traces have an error).
 * Prints spans/s (median of --runs runs of --seconds each, after a 1 s warm-up of each kind, the runs
 * interleaved) and, for tail, heap bytes per held span.
 *
 *   node --conditions=source --import tsx bench/sampling.bench.ts [--seconds 5] [--runs 3]
 */
import { parseArgs } from 'node:util';
import { attr, makeResource, makeSpan, randomSpanId, randomTraceId, SpanKind, StatusCode, type Span } from '@ariadne/model';
import { MemorySamplingStore } from '@ariadne/storage';
import { AdaptiveSampler, defaultTailPolicies, SamplingPipeline, SpanPipeline, TailSampler } from '@ariadne/collector';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, runs: { type: 'string', default: '3' } } });
const SECONDS = Number(args.seconds);
const RUNS = Number(args.runs);

const resource = makeResource('bench', [attr('service.name', 'bench'), attr('host.name', 'h1')]);
function batch(): Span[] {
  const spans: Span[] = [];
  const now = BigInt(Date.now()) * 1_000_000n;
  let traceId = '';
  let root = '';
  for (let i = 0; i < 100; i++) {
    if (i % 10 === 0) {
      traceId = randomTraceId();
      root = '';
    }
    const spanId = randomSpanId();
    const attributes = Array.from({ length: 10 }, (_, k) => attr(`attr.${k}`, `value-${k}-${i}`));
    spans.push(
      makeSpan({
        traceId,
        spanId,
        parentSpanId: root,
        name: root ? `child-${i % 10}` : `GET /route-${(i / 10) % 5}`,
        kind: root ? SpanKind.INTERNAL : SpanKind.SERVER,
        resource,
        attributes,
        startTimeUnixNano: now,
        endTimeUnixNano: now + 1_000_000n,
        status: { code: i % 100 === 5 ? StatusCode.ERROR : StatusCode.UNSET, message: '' },
      }),
    );
    if (!root) root = spanId;
  }
  return spans;
}

const sink = { writeSpans: async () => {} };

async function run(kind: 'plain' | 'adaptive' | 'tail', seconds = SECONDS): Promise<number> {
  const adaptive = kind === 'plain' ? undefined : new AdaptiveSampler({ store: new MemorySamplingStore(), intervalMs: 1000 });
  const p =
    kind === 'plain'
      ? new SpanPipeline(sink, { maxBatchDelayMs: 0 })
      : new SamplingPipeline(sink, { maxBatchDelayMs: 0, adaptive, tail: kind === 'tail' ? { policies: defaultTailPolicies(1000, 0.1), decisionWaitMs: 1000, maxSpans: 1_000_000 } : undefined });
  const batches = Array.from({ length: 50 }, batch);
  let spans = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  let i = 0;
  while (performance.now() < end) {
    // 8 requests in flight, as receivers would have
    const inflight: Promise<unknown>[] = [];
    for (let k = 0; k < 8; k++) {
      // fresh span objects and trace ids (validation modifies in place; tail holds them by trace)
      const ids = new Map<string, string>();
      const b = batches[i++ % batches.length].map((s) => {
        let id = ids.get(s.traceId);
        if (!id) ids.set(s.traceId, (id = randomTraceId()));
        return { ...s, traceId: id };
      });
      inflight.push(p.ingest(b, 'bench'));
      spans += b.length;
    }
    await Promise.all(inflight);
  }
  const secs = (performance.now() - t0) / 1000;
  await p.close();
  await adaptive?.close();
  return spans / secs;
}

async function heapPerHeldSpan(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const t = new TailSampler({ policies: defaultTailPolicies(), decisionWaitMs: 3_600_000, maxSpans: 1_000_000 }, async () => {});
  let n = 0;
  for (let i = 0; i < 2000; i++) {
    const b = batch();
    await t.offer(b);
    n += b.length;
  }
  gc?.();
  const bytes = (process.memoryUsage().heapUsed - before) / n;
  await t.close();
  return bytes;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const KINDS = ['plain', 'adaptive', 'tail'] as const;
// one short warm-up of each (JIT), then the runs interleaved so load changes hit every kind alike
const measured: Record<string, number[]> = { plain: [], adaptive: [], tail: [] };
for (const kind of KINDS) await run(kind, 1);
for (let r = 0; r < RUNS; r++) for (const kind of KINDS) measured[kind].push(await run(kind));
const results: Record<string, number> = {};
for (const kind of KINDS) {
  const xs = measured[kind];
  results[kind] = median(xs);
  console.log(`${kind.padEnd(9)} ${Math.round(results[kind]).toLocaleString('en-US').padStart(12)} spans/s  (runs: ${xs.map((x) => Math.round(x / 1000) + 'k').join(', ')})`);
}
console.log(`adaptive counting: ${(results.adaptive / results.plain).toFixed(2)}x plain; tail sampling: ${(results.tail / results.plain).toFixed(2)}x plain`);
console.log(`tail buffer: ~${Math.round(await heapPerHeldSpan())} heap bytes per held span (10 attributes; includes the span objects themselves)${(globalThis as { gc?: unknown }).gc ? '' : ' — run with --expose-gc for a steadier figure'}`);
