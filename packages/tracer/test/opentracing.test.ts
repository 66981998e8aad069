import { describe, it, beforeEach, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { EventEmitter } from 'node:events';
import * as ot from 'opentracing';
import { trace } from '@opentelemetry/api';
import type { Span as ModelSpan } from '@ariadne/model';
import { findAttribute, SpanKind } from '@ariadne/model';
import { initTracer, InMemoryReporter, AriadneOTSpan, AriadneOTSpanContext, type AriadneTracer } from '../src/index.js';

// The opentracing package's own API compatibility checks (written for mocha): run them on node:test.
Object.assign(globalThis, { describe, it, beforeEach });
const require = createRequire(import.meta.url);
const apiCompatibilityChecks = require('opentracing/lib/test/api_compatibility.js').default as (
  f: () => ot.Tracer,
  o?: { skipBaggageChecks?: boolean; skipInjectExtractChecks?: boolean },
) => void;
apiCompatibilityChecks(() => initTracer({ serviceName: 'compat', sampler: { type: 'const', param: 1 } }, { reporter: new InMemoryReporter(), env: {}, register: false }), {
  skipBaggageChecks: false,
  skipInjectExtractChecks: false,
});

const reporter = new InMemoryReporter();
let tracer: AriadneTracer;
before(() => {
  tracer = initTracer({ serviceName: 'ot-test', sampler: { type: 'const', param: 1 }, propagation: ['jaeger', 'tracecontext', 'baggage'] }, { reporter, env: {} });
});
after(() => tracer.close());

function byName(name: string): ModelSpan {
  const s = reporter.spans.find((x) => x.name === name);
  assert.ok(s, `span ${name} reported`);
  return s;
}

describe('OpenTracing API', () => {
  it('startSpan with childOf, tags and startTime; setTag/addTags/log/logEvent/setOperationName/finish', () => {
    reporter.clear();
    const parent = tracer.startSpan('parent', { startTime: Date.UTC(2025, 0, 1, 0, 0, 0) + 0.5 });
    const child = tracer.startSpan('child', { childOf: parent, tags: { [ot.Tags.SPAN_KIND]: ot.Tags.SPAN_KIND_RPC_CLIENT, component: 'es-py' } });
    child.setTag('es.url', '/index/_search');
    child.addTags({ 'es.method': 'GET', 'db.statement': { query: { match_all: {} } }, count: 3 });
    child.setTag(ot.Tags.ERROR, true);
    child.log({ event: 'error', 'error.object': new Error('kaput'), message: 'kaput' }, Date.UTC(2025, 0, 1, 0, 0, 1));
    child.logEvent('retry', { attempt: 2 });
    child.setOperationName('child-renamed');
    child.finish(Date.UTC(2025, 0, 1, 0, 0, 2));
    parent.finish(Date.UTC(2025, 0, 1, 0, 0, 3));
    const p = byName('parent');
    const c = byName('child-renamed');
    assert.equal(p.startTimeUnixNano, BigInt(Date.UTC(2025, 0, 1)) * 1_000_000n + 500_000n);
    assert.equal(p.endTimeUnixNano, BigInt(Date.UTC(2025, 0, 1, 0, 0, 3)) * 1_000_000n);
    assert.equal(c.parentSpanId, p.spanId);
    assert.equal(c.traceId, p.traceId);
    assert.equal(c.kind, SpanKind.CLIENT);
    assert.deepEqual(findAttribute(c.attributes, 'component'), { type: 'string', value: 'es-py' });
    assert.deepEqual(findAttribute(c.attributes, 'es.method'), { type: 'string', value: 'GET' });
    assert.deepEqual(findAttribute(c.attributes, 'db.statement'), { type: 'string', value: '{"query":{"match_all":{}}}' });
    assert.deepEqual(findAttribute(c.attributes, 'count'), { type: 'int', value: 3 });
    assert.deepEqual(findAttribute(c.attributes, 'error'), { type: 'bool', value: true });
    assert.equal(c.status.code, 2);
    assert.equal(c.events.length, 2);
    assert.equal(c.events[0].name, 'error');
    assert.equal(c.events[0].timeUnixNano, BigInt(Date.UTC(2025, 0, 1, 0, 0, 1)) * 1_000_000n);
    const eo = findAttribute(c.events[0].attributes, 'error.object');
    assert.ok(eo && eo.type === 'string' && eo.value.includes('kaput'));
    assert.equal(c.events[1].name, 'retry');
    assert.deepEqual(findAttribute(c.events[1].attributes, 'payload'), { type: 'string', value: '{"attempt":2}' });
  });

  it('references: first childOf is the parent; followsFrom and extra references become typed links', () => {
    reporter.clear();
    const a = tracer.startSpan('a');
    const b = tracer.startSpan('b');
    const c = tracer.startSpan('c', { references: [ot.followsFrom(b.context()), ot.childOf(a.context()), ot.childOf(b)] });
    const d = tracer.startSpan('d', { references: [ot.followsFrom(a.context())] });
    for (const s of [d, c, b, a]) s.finish();
    const mc = byName('c');
    assert.equal(mc.parentSpanId, byName('a').spanId);
    assert.deepEqual(
      mc.links.map((l) => [l.spanId, l.refType]),
      [
        [byName('b').spanId, 'FOLLOWS_FROM'],
        [byName('b').spanId, 'CHILD_OF'],
      ],
    );
    const md = byName('d');
    assert.equal(md.parentSpanId, byName('a').spanId, 'a lone followsFrom reference is the parent (as jaeger-client does)');
    assert.deepEqual(md.links.map((l) => l.refType), ['FOLLOWS_FROM']);
  });

  it('baggage: set/get, inherited by children, propagated with uberctx- headers', () => {
    const root = tracer.startSpan('bag-root');
    root.setBaggageItem('tenant', 'acme corp');
    assert.equal(root.getBaggageItem('tenant'), 'acme corp');
    const child = tracer.startSpan('bag-child', { childOf: root });
    assert.equal(child.getBaggageItem('tenant'), 'acme corp');
    const headers: Record<string, string> = {};
    tracer.inject(child, ot.FORMAT_HTTP_HEADERS, headers);
    assert.equal(headers['uberctx-tenant'], 'acme%20corp');
    assert.match(headers['uber-trace-id'], /^[0-9a-f]{16,32}:[0-9a-f]{16}:0:1$/);
    const ctx = tracer.extract(ot.FORMAT_HTTP_HEADERS, headers) as AriadneOTSpanContext;
    assert.ok(ctx instanceof AriadneOTSpanContext);
    assert.equal(ctx.toTraceId(), child.context().toTraceId());
    assert.equal(ctx.toSpanId(), child.context().toSpanId());
    assert.equal(ctx.baggage.get('tenant'), 'acme corp');
    const server = tracer.startSpan('bag-server', { childOf: ctx });
    assert.equal(server.getBaggageItem('tenant'), 'acme corp');
    for (const s of [server, child, root]) s.finish();
  });

  it('inject/extract FORMAT_TEXT_MAP and FORMAT_BINARY round-trip; junk extracts to null', () => {
    const span = tracer.startSpan('carrier');
    span.setBaggageItem('k', 'v');
    const tm: Record<string, string> = {};
    tracer.inject(span.context(), ot.FORMAT_TEXT_MAP, tm);
    const fromTm = tracer.extract(ot.FORMAT_TEXT_MAP, tm)!;
    assert.equal(fromTm.toSpanId(), span.context().toSpanId());
    const bin = new ot.BinaryCarrier([]);
    tracer.inject(span.context(), ot.FORMAT_BINARY, bin);
    assert.ok(bin.buffer.length > 37);
    const fromBin = tracer.extract(ot.FORMAT_BINARY, bin) as AriadneOTSpanContext;
    assert.equal(fromBin.toTraceId(), span.context().toTraceId());
    assert.equal(fromBin.toSpanId(), span.context().toSpanId());
    assert.equal(fromBin.isSampled(), true);
    assert.equal(fromBin.baggage.get('k'), 'v');
    assert.equal(tracer.extract(ot.FORMAT_TEXT_MAP, {}), null);
    assert.equal(tracer.extract(ot.FORMAT_TEXT_MAP, { 'uber-trace-id': 'garbage' }), null);
    assert.equal(tracer.extract(ot.FORMAT_BINARY, new ot.BinaryCarrier([1, 2, 3])), null);
    assert.equal(tracer.extract(ot.FORMAT_BINARY, { buffer: null }), null);
    const truncated = new ot.BinaryCarrier(Array.from(bin.buffer).slice(0, bin.buffer.length - 1));
    assert.equal(tracer.extract(ot.FORMAT_BINARY, truncated), null);
    assert.equal(tracer.extract('unknown-format', tm), null);
    span.finish();
  });

  it('extracted context with jaeger-debug-id only starts a forced-sampled trace tagged with the id', () => {
    reporter.clear();
    const t2 = initTracer({ serviceName: 'dbg', sampler: { type: 'const', param: 0 }, propagation: ['jaeger'] }, { reporter, env: {}, register: false });
    const ctx = t2.extract(ot.FORMAT_HTTP_HEADERS, { 'Jaeger-Debug-Id': 'req-123' });
    assert.ok(ctx);
    const s = t2.startSpan('debugged', { childOf: ctx });
    s.finish();
    const m = byName('debugged');
    assert.equal(m.parentSpanId, '');
    assert.deepEqual(findAttribute(m.attributes, 'jaeger-debug-id'), { type: 'string', value: 'req-123' });
    const h: Record<string, string> = {};
    t2.inject(s, ot.FORMAT_HTTP_HEADERS, h);
    assert.match(h['uber-trace-id'], /:3$/, 'debug + sampled flags');
  });

  it('OpenTracing and OpenTelemetry spans share the active context', () => {
    reporter.clear();
    const otel = trace.getTracer('mixed');
    otel.startActiveSpan('otel-root', (root) => {
      const otChild = tracer.startSpan('ot-child');
      const scope = tracer.scopeManager().activate(otChild as AriadneOTSpan);
      assert.equal(trace.getActiveSpan(), (otChild as AriadneOTSpan).otelSpan);
      const grand = otel.startSpan('otel-grandchild');
      grand.end();
      scope.close();
      assert.equal(trace.getActiveSpan(), root);
      otChild.finish();
      root.end();
    });
    assert.equal(byName('ot-child').parentSpanId, byName('otel-root').spanId);
    assert.equal(byName('otel-grandchild').parentSpanId, byName('ot-child').spanId);
  });
});

describe('OpenTracing scopes', () => {
  it('activate/close restore the previous active span; finishOnClose finishes', () => {
    reporter.clear();
    const sm = tracer.scopeManager();
    assert.equal(sm.active(), null);
    const a = tracer.startSpan('sa') as AriadneOTSpan;
    const sa = sm.activate(a);
    assert.equal(sm.active()?.span(), a);
    const b = tracer.startSpan('sb') as AriadneOTSpan; // parents on the active span
    const sb = sm.activate(b, true);
    assert.equal(tracer.activeSpan(), b);
    sb.close();
    assert.equal(sm.active()?.span(), a);
    assert.ok(reporter.spans.some((s) => s.name === 'sb'), 'finishOnClose finished sb');
    sa.close();
    assert.equal(sm.active(), null);
    a.finish();
    assert.equal(byName('sb').parentSpanId, byName('sa').spanId);
  });

  it('startActiveSpan: concurrent async work keeps its own span across await, timers and emitters; finishes on settle', async () => {
    reporter.clear();
    const results: string[] = [];
    const job = (name: string, ms: number) =>
      tracer.startActiveSpan(name, async (span) => {
        await new Promise((r) => setTimeout(r, ms));
        results.push(`${name}=${tracer.activeSpan()?.context().toSpanId() === span.context().toSpanId()}`);
        const child = tracer.startSpan(`${name}.child`);
        child.finish();
      });
    await Promise.all([job('j1', 10), job('j2', 1), job('j3', 5)]);
    assert.deepEqual(results.sort(), ['j1=true', 'j2=true', 'j3=true']);
    for (const j of ['j1', 'j2', 'j3']) assert.equal(byName(`${j}.child`).parentSpanId, byName(j).spanId);
    assert.equal(tracer.activeSpan(), null);
  });

  it('startActiveSpan tags error and logs when the callback throws or rejects', async () => {
    reporter.clear();
    assert.throws(() => tracer.startActiveSpan('sync-fail', () => { throw new Error('sync'); }), /sync/);
    await assert.rejects(tracer.startActiveSpan('async-fail', async () => { throw new Error('async'); }), /async/);
    await new Promise((r) => setImmediate(r));
    for (const n of ['sync-fail', 'async-fail']) {
      const m = byName(n);
      assert.deepEqual(findAttribute(m.attributes, 'error'), { type: 'bool', value: true });
      assert.equal(m.events[0].name, 'error');
    }
  });

  it('bind: emitter listeners and functions run with the span they were bound to', async () => {
    const span = tracer.startSpan('bound') as AriadneOTSpan;
    const ee = tracer.bind(new EventEmitter(), span);
    const fn = tracer.bind(() => tracer.activeSpan(), span);
    const seen: unknown[] = [];
    ee.on('data', () => seen.push(tracer.activeSpan()));
    await new Promise<void>((r) => setTimeout(() => {
      ee.emit('data');
      seen.push(fn());
      r();
    }, 1));
    assert.deepEqual(seen, [span, span]);
    assert.equal(tracer.activeSpan(), null);
    span.finish();
  });

  it('activate() inside async functions does not leak into concurrent work', async () => {
    const sm = tracer.scopeManager();
    const run = async (name: string, ms: number) => {
      const span = tracer.startSpan(name, { ignoreActiveSpan: true } as ot.SpanOptions) as AriadneOTSpan;
      const scope = sm.activate(span, true);
      await new Promise((r) => setTimeout(r, ms));
      const same = tracer.activeSpan() === span;
      scope.close();
      return same;
    };
    const r = await Promise.all([run('x1', 8), run('x2', 2)]);
    assert.deepEqual(r, [true, true]);
  });
});
