import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { context, propagation, trace, SpanKind as ApiKind, SpanStatusCode, ROOT_CONTEXT } from '@opentelemetry/api';
import type { Span as ModelSpan } from '@ariadne/model';
import { findAttribute, SpanKind, isValidTraceId, isValidSpanId } from '@ariadne/model';
import { initTracer, InMemoryReporter, LITE_ROOT, type AriadneTracer } from '../src/index.js';

const reporter = new InMemoryReporter();
let tracer: AriadneTracer;

before(() => {
  tracer = initTracer({ serviceName: 'otel-test', sampler: { type: 'const', param: 1 }, tags: { 'deployment.environment': 'test' } }, { reporter, env: {} });
});
after(async () => {
  await tracer.close();
});

function byName(name: string): ModelSpan {
  const s = reporter.spans.find((x) => x.name === name);
  assert.ok(s, `span ${name} reported`);
  return s;
}

describe('OpenTelemetry API provider', () => {
  it('trace.getTracer() returns our tracer and startSpan produces a model span on end', () => {
    reporter.clear();
    const t = trace.getTracer('lib-a', '1.2.3');
    const span = t.startSpan('op', { kind: ApiKind.SERVER, attributes: { 'http.method': 'GET', n: 3, ratio: 0.5, ok: true, list: ['a', 'b'] } });
    assert.equal(span.isRecording(), true);
    const sc = span.spanContext();
    assert.ok(isValidTraceId(sc.traceId) && isValidSpanId(sc.spanId));
    assert.equal(sc.traceFlags, 1);
    assert.equal(reporter.spans.length, 0, 'nothing reported before end');
    span.end();
    assert.equal(span.isRecording(), false);
    const m = byName('op');
    assert.equal(m.traceId, sc.traceId);
    assert.equal(m.spanId, sc.spanId);
    assert.equal(m.parentSpanId, '');
    assert.equal(m.kind, SpanKind.SERVER);
    assert.equal(m.scope.name, 'lib-a');
    assert.equal(m.scope.version, '1.2.3');
    assert.equal(m.resource.serviceName, 'otel-test');
    assert.deepEqual(findAttribute(m.resource.attributes, 'deployment.environment'), { type: 'string', value: 'test' });
    assert.deepEqual(findAttribute(m.attributes, 'http.method'), { type: 'string', value: 'GET' });
    assert.deepEqual(findAttribute(m.attributes, 'n'), { type: 'int', value: 3 });
    assert.deepEqual(findAttribute(m.attributes, 'ratio'), { type: 'double', value: 0.5 });
    assert.deepEqual(findAttribute(m.attributes, 'ok'), { type: 'bool', value: true });
    assert.deepEqual(findAttribute(m.attributes, 'list'), { type: 'array', value: [{ type: 'string', value: 'a' }, { type: 'string', value: 'b' }] });
    // root span carries the sampling decision, as Jaeger records it
    assert.deepEqual(findAttribute(m.attributes, 'sampler.type'), { type: 'string', value: 'const' });
    assert.deepEqual(findAttribute(m.attributes, 'sampler.param'), { type: 'bool', value: true });
    assert.ok(m.endTimeUnixNano >= m.startTimeUnixNano);
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    assert.ok(nowNs - m.startTimeUnixNano < 5_000_000_000n && m.startTimeUnixNano - nowNs < 5_000_000_000n, 'start time near now');
    assert.equal(m.flags & 0xff, 1);
    // a second end is ignored and counted
    span.end();
    assert.equal(reporter.spans.length, 1);
    assert.equal(tracer.metrics.spansEndedTwice, 1);
  });

  it('setAttribute overwrites, ignores invalid values, and nothing changes after end', () => {
    reporter.clear();
    const span = trace.getTracer('x').startSpan('attrs');
    span.setAttribute('k', 1).setAttribute('k', 'two').setAttributes({ a: 'x', bad: { nested: 1 } as never, nul: null as never, mixed: [1, 'a'] as never });
    span.end();
    span.setAttribute('late', 1);
    span.updateName('renamed-late');
    const m = byName('attrs');
    assert.deepEqual(findAttribute(m.attributes, 'k'), { type: 'string', value: 'two' });
    assert.equal(m.attributes.filter((a) => a.key === 'k').length, 1);
    assert.equal(findAttribute(m.attributes, 'bad'), undefined);
    assert.equal(findAttribute(m.attributes, 'nul'), undefined);
    assert.equal(findAttribute(m.attributes, 'mixed'), undefined);
    assert.equal(findAttribute(m.attributes, 'late'), undefined);
  });

  it('events, links, status, recordException and updateName', () => {
    reporter.clear();
    const t = trace.getTracer('x');
    const other = t.startSpan('other');
    other.end();
    const span = t.startSpan('s', { links: [{ context: other.spanContext(), attributes: { why: 'batch' } }] });
    span.addEvent('cache.miss', { key: 'k1' });
    span.addEvent('at-time', Date.UTC(2024, 0, 1));
    span.addLink({ context: other.spanContext() });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    span.recordException(new TypeError('bad input'));
    span.recordException('plain message');
    span.updateName('s2');
    span.end();
    const m = byName('s2');
    assert.equal(m.events.length, 4);
    assert.equal(m.events[0].name, 'cache.miss');
    assert.deepEqual(findAttribute(m.events[0].attributes, 'key'), { type: 'string', value: 'k1' });
    assert.equal(m.events[1].timeUnixNano, BigInt(Date.UTC(2024, 0, 1)) * 1_000_000n);
    assert.equal(m.events[2].name, 'exception');
    assert.deepEqual(findAttribute(m.events[2].attributes, 'exception.type'), { type: 'string', value: 'TypeError' });
    assert.deepEqual(findAttribute(m.events[2].attributes, 'exception.message'), { type: 'string', value: 'bad input' });
    assert.ok(findAttribute(m.events[2].attributes, 'exception.stacktrace'));
    assert.deepEqual(findAttribute(m.events[3].attributes, 'exception.message'), { type: 'string', value: 'plain message' });
    assert.equal(m.links.length, 2);
    assert.equal(m.links[0].spanId, other.spanContext().spanId);
    assert.deepEqual(findAttribute(m.links[0].attributes, 'why'), { type: 'string', value: 'batch' });
    assert.deepEqual(m.status, { code: 2, message: 'boom' });
  });

  it('status OK is final; UNSET does not change anything', () => {
    reporter.clear();
    const span = trace.getTracer('x').startSpan('st');
    span.setStatus({ code: SpanStatusCode.OK, message: 'ignored for ok' });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'too late' });
    span.setStatus({ code: SpanStatusCode.UNSET });
    span.end();
    assert.deepEqual(byName('st').status, { code: 1, message: '' });
  });

  it('startActiveSpan makes the span active; children parent on it; previous context restored', () => {
    reporter.clear();
    const t = trace.getTracer('x');
    assert.equal(trace.getActiveSpan(), undefined);
    const ret = t.startActiveSpan('root', (root) => {
      assert.equal(trace.getActiveSpan(), root);
      const child = t.startSpan('child');
      t.startActiveSpan('child2', { kind: ApiKind.CLIENT }, (c2) => {
        assert.equal(trace.getActiveSpan(), c2);
        c2.end();
      });
      assert.equal(trace.getActiveSpan(), root);
      child.end();
      root.end();
      return 42;
    });
    assert.equal(ret, 42);
    assert.equal(trace.getActiveSpan(), undefined);
    const root = byName('root');
    assert.equal(byName('child').parentSpanId, root.spanId);
    assert.equal(byName('child').traceId, root.traceId);
    assert.equal(byName('child2').parentSpanId, root.spanId);
    assert.equal(byName('child2').kind, SpanKind.CLIENT);
    assert.equal(findAttribute(byName('child').attributes, 'sampler.type'), undefined, 'only the root carries sampler tags');
  });

  it('context.with, explicit parent contexts and the root option', () => {
    reporter.clear();
    const t = trace.getTracer('x');
    const parent = t.startSpan('p');
    const ctx = trace.setSpan(ROOT_CONTEXT, parent);
    context.with(ctx, () => {
      const c = t.startSpan('c');
      const r = t.startSpan('r', { root: true });
      c.end();
      r.end();
    });
    const explicit = t.startSpan('e', {}, ctx);
    explicit.end();
    parent.end();
    assert.equal(byName('c').parentSpanId, byName('p').spanId);
    assert.equal(byName('e').parentSpanId, byName('p').spanId);
    assert.equal(byName('r').parentSpanId, '');
    assert.notEqual(byName('r').traceId, byName('p').traceId);
  });

  it('propagation.inject/extract through the global propagator, with baggage', () => {
    reporter.clear();
    const t = trace.getTracer('x');
    const span = t.startSpan('client');
    let ctx = trace.setSpan(ROOT_CONTEXT, span);
    ctx = propagation.setBaggage(ctx, propagation.createBaggage({ user: { value: 'alice smith' } }));
    const carrier: Record<string, string> = {};
    propagation.inject(ctx, carrier);
    assert.equal(carrier.traceparent, `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
    assert.ok(carrier['uber-trace-id']);
    assert.equal(carrier.baggage, 'user=alice%20smith');
    const extracted = propagation.extract(ROOT_CONTEXT, carrier);
    assert.equal(trace.getSpanContext(extracted)?.traceId, span.spanContext().traceId);
    assert.equal(trace.getSpanContext(extracted)?.isRemote, true);
    assert.equal(propagation.getBaggage(extracted)?.getEntry('user')?.value, 'alice smith');
    const server = t.startSpan('server', { kind: ApiKind.SERVER }, extracted);
    server.end();
    span.end();
    const m = byName('server');
    assert.equal(m.parentSpanId, span.spanContext().spanId);
    assert.equal(m.flags & 0x300, 0x300, 'parent-is-remote flag bits');
    assert.equal(tracer.metrics.tracesJoinedSampled >= 1, true);
  });
});

describe('ids', () => {
  it('span and trace ids are valid lowercase hex, and unique across many spans (pool refills)', () => {
    const t = trace.getTracer('ids');
    const spans = new Set<string>();
    const traces = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const sc = t.startSpan('i', { root: true }).spanContext();
      assert.ok(isValidTraceId(sc.traceId) && /^[0-9a-f]{32}$/.test(sc.traceId));
      assert.ok(isValidSpanId(sc.spanId) && /^[0-9a-f]{16}$/.test(sc.spanId));
      spans.add(sc.spanId);
      traces.add(sc.traceId);
    }
    assert.equal(spans.size, 5000);
    assert.equal(traces.size, 5000);
  });
});

describe('AsyncLocalStorage scopes', () => {
  const t = () => trace.getTracer('scopes');
  it('nested and concurrent async work keep their own active span across await and timers', async () => {
    const seen: string[] = [];
    const work = (name: string, delay: number) =>
      t().startActiveSpan(name, async (span) => {
        await new Promise((r) => setTimeout(r, delay));
        seen.push(`${name}:${trace.getActiveSpan() === span}`);
        await t().startActiveSpan(`${name}.inner`, async (inner) => {
          await new Promise((r) => setImmediate(r));
          assert.equal(trace.getActiveSpan(), inner);
          inner.end();
        });
        assert.equal(trace.getActiveSpan(), span);
        span.end();
      });
    await Promise.all([work('a', 15), work('b', 1), work('c', 5)]);
    assert.deepEqual(seen.sort(), ['a:true', 'b:true', 'c:true']);
    assert.equal(trace.getActiveSpan(), undefined);
  });

  it('setTimeout and setInterval callbacks see the context they were scheduled in', async () => {
    const span = t().startSpan('timer-owner');
    const got = await context.with(trace.setSpan(context.active(), span), () => new Promise((resolve) => setTimeout(() => resolve(trace.getActiveSpan()), 2)));
    assert.equal(got, span);
    span.end();
  });

  it('context.bind binds functions and EventEmitters (listeners run in the bound context)', async () => {
    const span = t().startSpan('emitter-owner');
    const ctx = trace.setSpan(ROOT_CONTEXT, span);
    const ee = new EventEmitter();
    context.bind(ctx, ee);
    const seen: unknown[] = [];
    const listener = () => seen.push(trace.getActiveSpan());
    ee.on('x', listener);
    ee.once('y', () => seen.push(trace.getActiveSpan()));
    ee.emit('x');
    ee.emit('y');
    ee.emit('y');
    assert.deepEqual(seen, [span, span]);
    ee.removeListener('x', listener);
    ee.emit('x');
    assert.equal(seen.length, 2, 'removeListener works with the original listener');
    assert.equal(ee.listenerCount('x'), 0);
    const fn = context.bind(ctx, () => trace.getActiveSpan());
    assert.equal(fn(), span);
    assert.equal(trace.getActiveSpan(), undefined);
    span.end();
  });

  it('LiteContext behaves like the API context: immutable set/get/delete', () => {
    const a = Symbol('a');
    const b = Symbol('b');
    const c1 = LITE_ROOT.setValue(a, 1);
    const c2 = c1.setValue(b, 2).setValue(a, 3);
    const c3 = c2.deleteValue(b);
    assert.equal(LITE_ROOT.getValue(a), undefined);
    assert.equal(c1.getValue(a), 1);
    assert.equal(c1.getValue(b), undefined);
    assert.equal(c2.getValue(a), 3);
    assert.equal(c2.getValue(b), 2);
    assert.equal(c3.getValue(b), undefined);
    assert.equal(c3.getValue(a), 3);
    const span = trace.getTracer('lite').startSpan('s');
    assert.equal(trace.getSpan(trace.setSpan(LITE_ROOT, span)), span);
    span.end();
  });

  it('contexts are immutable: a child value does not leak into the parent context', () => {
    const key = Symbol('k');
    const base = ROOT_CONTEXT.setValue(key, 'outer');
    context.with(base, () => {
      context.with(context.active().setValue(key, 'inner'), () => {
        assert.equal(context.active().getValue(key), 'inner');
      });
      assert.equal(context.active().getValue(key), 'outer');
    });
  });
});

describe('with another context manager registered', () => {
  it('falls back to the API (no direct AsyncLocalStorage shortcut) and still nests correctly', async () => {
    const { AsyncLocalStorageContextManager } = await import('../src/index.js');
    const other = new AsyncLocalStorageContextManager();
    context.disable();
    assert.equal(context.setGlobalContextManager(other), true);
    try {
      reporter.clear();
      const t = trace.getTracer('fallback');
      await t.startActiveSpan('outer', async (outer) => {
        assert.equal(trace.getActiveSpan(), outer);
        assert.equal(trace.getSpan(other.active()), outer, 'the registered manager holds the context');
        await new Promise((r) => setTimeout(r, 1));
        const inner = t.startSpan('inner');
        inner.end();
        outer.end();
      });
      assert.equal(byName('inner').parentSpanId, byName('outer').spanId);
      // OpenTracing parents on the active span seen through the registered manager too
      const ot = tracer.startSpan('ot-under-fallback');
      ot.finish();
      assert.equal(byName('ot-under-fallback').parentSpanId, '');
    } finally {
      assert.equal(tracer.provider.register(), true);
    }
    assert.equal(trace.getActiveSpan(), undefined);
  });
});
