import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Context, TextMapPropagator } from '@opentelemetry/api';
import { defaultTextMapGetter, defaultTextMapSetter, propagation, ROOT_CONTEXT, trace, createTraceState } from '@opentelemetry/api';
import { W3CTraceContextPropagator as OtelW3C, W3CBaggagePropagator as OtelBaggage } from '@opentelemetry/core';
import { B3Propagator as OtelB3, B3InjectEncoding } from '@opentelemetry/propagator-b3';
import { JaegerPropagator as OtelJaeger } from '@opentelemetry/propagator-jaeger';
import {
  B3Propagator,
  buildPropagator,
  CompositePropagator,
  JaegerPropagator,
  JAEGER_DEBUG_ID_KEY,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
  type AriadneSpanContext,
} from '../src/index.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

function extract(p: TextMapPropagator, carrier: Record<string, unknown>): Context {
  return p.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
}
function sc(ctx: Context): AriadneSpanContext | undefined {
  return trace.getSpanContext(ctx) as AriadneSpanContext | undefined;
}
function ctxWith(s: AriadneSpanContext, bag?: Record<string, string>): Context {
  let c = trace.setSpanContext(ROOT_CONTEXT, s);
  if (bag) c = propagation.setBaggage(c, propagation.createBaggage(Object.fromEntries(Object.entries(bag).map(([k, v]) => [k, { value: v }]))));
  return c;
}
function inject(p: TextMapPropagator, ctx: Context): Record<string, string> {
  const carrier: Record<string, string> = {};
  p.inject(ctx, carrier, defaultTextMapSetter);
  return carrier;
}

describe('W3C trace context', () => {
  const p = new W3CTraceContextPropagator();
  it('extracts a valid traceparent and tracestate; injects them back', () => {
    const c = extract(p, { traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' });
    assert.deepEqual({ ...sc(c), traceState: undefined }, { traceId: TRACE, spanId: SPAN, traceFlags: 1, isRemote: true, traceState: undefined });
    assert.equal(sc(c)!.traceState!.get('congo'), 't61rcWkgMzE');
    const out = inject(p, c);
    assert.equal(out.traceparent, `00-${TRACE}-${SPAN}-01`);
    assert.equal(out.tracestate, 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');
  });
  it('mixed-case header names and repeated headers', () => {
    const c = extract(p, { TraceParent: `00-${TRACE}-${SPAN}-00`, TRACESTATE: ['a=1', 'b=2'] });
    assert.equal(sc(c)!.traceId, TRACE);
    assert.equal(sc(c)!.traceFlags, 0);
    assert.equal(sc(c)!.traceState!.serialize(), 'a=1,b=2');
    assert.equal(sc(extract(p, { traceparent: [`00-${TRACE}-${SPAN}-01`, 'junk'] }))!.spanId, SPAN);
  });
  it('future versions may carry extra fields; version 00 may not; ff is invalid', () => {
    assert.equal(sc(extract(p, { traceparent: `01-${TRACE}-${SPAN}-01-extra` }))!.traceId, TRACE);
    for (const bad of [
      `00-${TRACE}-${SPAN}-01-extra`,
      `ff-${TRACE}-${SPAN}-01`,
      `00-${TRACE.toUpperCase()}-${SPAN}-01`,
      `00-${'0'.repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`,
      `00-${TRACE.slice(1)}-${SPAN}-01`,
      `00-${TRACE}-${SPAN}-1`,
      `00_${TRACE}_${SPAN}_01`,
      '',
      `00-${TRACE}-${SPAN}-01` + '-x'.repeat(5000),
    ]) {
      assert.equal(sc(extract(p, { traceparent: bad })), undefined, bad.slice(0, 80));
    }
  });
  it('an invalid tracestate is dropped but the traceparent kept; oversized tracestate ignored', () => {
    const c = extract(p, { traceparent: `00-${TRACE}-${SPAN}-01`, tracestate: 'x'.repeat(10000) });
    assert.equal(sc(c)!.traceId, TRACE);
    assert.equal(sc(c)!.traceState, undefined);
  });
  it('does not inject invalid contexts', () => {
    assert.deepEqual(inject(p, ctxWith({ traceId: '0'.repeat(32), spanId: SPAN, traceFlags: 1 })), {});
    assert.deepEqual(inject(p, ROOT_CONTEXT), {});
  });
});

describe('W3C baggage', () => {
  const p = new W3CBaggagePropagator();
  it('round-trips URL-encoded values and keeps properties', () => {
    const out = inject(p, ctxWith({ traceId: TRACE, spanId: SPAN, traceFlags: 1 }, { user: 'a b,c=d', 'tenant.id': '42' }));
    assert.equal(out.baggage, 'user=a%20b%2Cc%3Dd,tenant.id=42');
    const bag = propagation.getBaggage(extract(p, { Baggage: 'user=a%20b%2Cc%3Dd, tenant.id = 42;prop=1, bad entry, =novalue, k=%E0%A4%A' }))!;
    assert.equal(bag.getEntry('user')!.value, 'a b,c=d');
    assert.equal(bag.getEntry('tenant.id')!.value, '42');
    assert.equal(bag.getEntry('tenant.id')!.metadata!.toString(), 'prop=1');
    assert.equal(bag.getAllEntries().length, 2, 'invalid entries skipped');
  });
  it('oversized baggage: over-long headers ignored, entry count capped', () => {
    assert.equal(propagation.getBaggage(extract(p, { baggage: 'k=' + 'v'.repeat(10000) })), undefined);
    const many = Array.from({ length: 500 }, (_, i) => `k${i}=1`).join(',');
    assert.equal(propagation.getBaggage(extract(p, { baggage: many }))!.getAllEntries().length, 180);
  });
});

describe('Jaeger', () => {
  const p = new JaegerPropagator();
  it('128-bit, 64-bit and short ids; sampled and debug flags; URL-encoded value', () => {
    assert.deepEqual(sc(extract(p, { 'uber-trace-id': `${TRACE}:${SPAN}:0:1` })), { traceId: TRACE, spanId: SPAN, traceFlags: 1, isRemote: true });
    const short = sc(extract(p, { 'Uber-Trace-Id': 'a3ce929d0e0e4736:f067aa0ba902b7:0:0' }))!;
    assert.equal(short.traceId, '0000000000000000a3ce929d0e0e4736');
    assert.equal(short.spanId, SPAN);
    assert.equal(short.traceFlags, 0);
    const dbg = sc(extract(p, { 'uber-trace-id': `${TRACE}%3A${SPAN}%3A0%3A3` }))!;
    assert.equal(dbg.traceFlags, 1);
    assert.equal(dbg.debug, true);
    assert.equal(sc(extract(p, { 'uber-trace-id': `${TRACE}:${SPAN}:0:2` }))!.traceFlags, 1, 'debug implies sampled');
    assert.equal(sc(extract(p, { 'uber-trace-id': `${TRACE.toUpperCase()}:${SPAN}:0:1` }))!.traceId, TRACE);
  });
  it('invalid headers start a new trace (no context)', () => {
    for (const bad of [`${TRACE}:${SPAN}:0`, `${TRACE}:${SPAN}:0:1:9`, `x${TRACE}:${SPAN}:0:1`, `${TRACE}0:${SPAN}:0:1`, `${TRACE}:${SPAN}0:0:1`, `0:${SPAN}:0:1`, `${TRACE}:0:0:1`, `${TRACE}:${SPAN}::1`, `${TRACE}:${SPAN}:0:zz`, '%E0%A4%A', ':::'])
      assert.equal(sc(extract(p, { 'uber-trace-id': bad })), undefined, bad);
  });
  it('injects 64-bit ids short, 128-bit full, debug as flag 3; baggage as uberctx-', () => {
    const out = inject(p, ctxWith({ traceId: '0000000000000000a3ce929d0e0e4736', spanId: SPAN, traceFlags: 1, debug: true } as AriadneSpanContext, { 'user-id': 'x y' }));
    assert.equal(out['uber-trace-id'], `a3ce929d0e0e4736:${SPAN}:0:3`);
    assert.equal(out['uberctx-user-id'], 'x%20y');
    assert.equal(inject(p, ctxWith({ traceId: TRACE, spanId: SPAN, traceFlags: 0 }))['uber-trace-id'], `${TRACE}:${SPAN}:0:0`);
  });
  it('uberctx- baggage (case-insensitive prefix, bad encoding skipped) and jaeger-debug-id', () => {
    const c = extract(p, { 'UberCtx-Tenant': 'acme%20co', 'uberctx-bad': '%E0%A4%A', 'jaeger-debug-id': 'abc' });
    const bag = propagation.getBaggage(c)!;
    assert.equal(bag.getEntry('tenant')!.value, 'acme co');
    assert.equal(bag.getEntry('bad'), undefined);
    assert.equal(c.getValue(JAEGER_DEBUG_ID_KEY), 'abc');
    assert.equal(sc(c), undefined);
  });
});

describe('B3', () => {
  it('single header: full, with parent, debug, deny, 64-bit', () => {
    const p = new B3Propagator();
    assert.deepEqual(sc(extract(p, { b3: `${TRACE}-${SPAN}-1-${SPAN}` })), { traceId: TRACE, spanId: SPAN, traceFlags: 1, isRemote: true });
    assert.equal(sc(extract(p, { B3: `${TRACE}-${SPAN}` }))!.traceFlags, 0);
    assert.equal(sc(extract(p, { b3: `${TRACE}-${SPAN}-d` }))!.debug, true);
    assert.equal(sc(extract(p, { b3: `a3ce929d0e0e4736-${SPAN}-1` }))!.traceId, '0000000000000000a3ce929d0e0e4736');
    for (const bad of ['0', '1', `${TRACE}-${SPAN}-x`, `${TRACE}-${SPAN}-1-zz`, `${TRACE}`, `${TRACE.slice(2)}-${SPAN}-1`, `${TRACE}-${SPAN}-1-${SPAN}-9`])
      assert.equal(sc(extract(p, { b3: bad })), undefined, bad);
  });
  it('multi headers: sampled values, flags=1 debug, mixed case', () => {
    const p = new B3Propagator('multi');
    const c = sc(extract(p, { 'X-B3-TraceId': TRACE, 'X-B3-SpanId': SPAN, 'X-B3-Sampled': 'true' }))!;
    assert.equal(c.traceFlags, 1);
    assert.equal(sc(extract(p, { 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN, 'x-b3-sampled': '0' }))!.traceFlags, 0);
    assert.equal(sc(extract(p, { 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN, 'x-b3-flags': '1' }))!.debug, true);
    assert.equal(sc(extract(p, { 'x-b3-traceid': TRACE })), undefined);
    assert.equal(sc(extract(p, { 'x-b3-traceid': 'nothex', 'x-b3-spanid': SPAN })), undefined);
    const out = inject(p, ctxWith({ traceId: TRACE, spanId: SPAN, traceFlags: 1 }));
    assert.deepEqual(out, { 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN, 'x-b3-sampled': '1' });
  });
});

describe('composite propagation and hostile input', () => {
  it('extracts in order (a later format wins) and injects every format', () => {
    const p = buildPropagator(['tracecontext', 'baggage', 'jaeger', 'b3multi']);
    const out = inject(p, ctxWith({ traceId: TRACE, spanId: SPAN, traceFlags: 1 }, { k: 'v' }));
    assert.deepEqual(Object.keys(out).sort(), ['baggage', 'traceparent', 'uber-trace-id', 'uberctx-k', 'x-b3-sampled', 'x-b3-spanid', 'x-b3-traceid']);
    const other = 'aaaaaaaaaaaaaaaa';
    const c = extract(p, { traceparent: `00-${TRACE}-${SPAN}-01`, 'uber-trace-id': `${TRACE}:${other}:0:1` });
    assert.equal(sc(c)!.spanId, other);
    const c2 = extract(p, { traceparent: `00-${TRACE}-${SPAN}-01`, 'uber-trace-id': 'junk' });
    assert.equal(sc(c2)!.spanId, SPAN, 'an invalid later header does not erase a valid earlier one');
  });
  it('a propagator that throws is skipped and counted', () => {
    let errors = 0;
    const boom: TextMapPropagator = {
      inject() {
        throw new Error('x');
      },
      extract() {
        throw new Error('x');
      },
      fields: () => [],
    };
    const p = new CompositePropagator([boom, new W3CTraceContextPropagator()], () => errors++);
    assert.equal(sc(extract(p, { traceparent: `00-${TRACE}-${SPAN}-01` }))!.traceId, TRACE);
    inject(p, ROOT_CONTEXT);
    assert.equal(errors, 2);
  });
  it('random and hostile header values never throw and never yield an invalid context', () => {
    const p = buildPropagator(['tracecontext', 'baggage', 'jaeger', 'b3']);
    const names = ['traceparent', 'tracestate', 'baggage', 'uber-trace-id', 'uberctx-x', 'jaeger-debug-id', 'b3', 'x-b3-traceid', 'x-b3-spanid', 'x-b3-sampled', '__proto__', 'constructor'];
    const value = fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom('0', 'a', 'f', '-', ':', '%', '=', ',', ';', ' ') , maxLength: 80 }), fc.array(fc.string(), { maxLength: 3 }), fc.constant(undefined), fc.integer(), fc.constant(null));
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...names), value as fc.Arbitrary<unknown>), (carrier) => {
        const c = p.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
        const s = sc(c);
        if (s) {
          assert.match(s.traceId, /^[0-9a-f]{32}$/);
          assert.match(s.spanId, /^[0-9a-f]{16}$/);
          assert.notEqual(s.traceId, '0'.repeat(32));
        }
      }),
      { numRuns: 500 },
    );
    // hostile carriers
    for (const carrier of [null, undefined, 42, 'str', Object.create(null), { get traceparent() { throw new Error('getter'); } }]) {
      assert.doesNotThrow(() => p.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter));
    }
    const huge = 'f'.repeat(1_000_000);
    assert.equal(sc(extract(p, { traceparent: huge, 'uber-trace-id': huge, b3: huge, 'x-b3-traceid': huge, 'x-b3-spanid': huge })), undefined);
    assert.equal(propagation.getBaggage(extract(p, { baggage: `k=${huge}`, 'uberctx-k': huge })), undefined);
  });
});

describe('interoperability with the OpenTelemetry JS propagators', () => {
  const bag = { user: 'alice smith', 'tenant.id': '7' };
  const ours128: AriadneSpanContext = { traceId: TRACE, spanId: SPAN, traceFlags: 1, traceState: createTraceState('vendor=x'), isRemote: false };
  const pairs: [string, TextMapPropagator, TextMapPropagator][] = [
    ['W3C tracecontext', new W3CTraceContextPropagator(), new OtelW3C()],
    ['B3 single', new B3Propagator('single'), new OtelB3({ injectEncoding: B3InjectEncoding.SINGLE_HEADER })],
    ['B3 multi', new B3Propagator('multi'), new OtelB3({ injectEncoding: B3InjectEncoding.MULTI_HEADER })],
    ['Jaeger', new JaegerPropagator(), new OtelJaeger()],
  ];
  for (const [name, ours, theirs] of pairs) {
    for (const flags of [0, 1]) {
      it(`${name}: ours → theirs and theirs → ours (sampled=${flags})`, () => {
        const src = { ...ours128, traceFlags: flags };
        const c1 = sc(extract(theirs, inject(ours, ctxWith(src))))!;
        assert.equal(c1.traceId, TRACE);
        assert.equal(c1.spanId, SPAN);
        assert.equal(c1.traceFlags & 1, flags);
        const c2 = sc(extract(ours, inject(theirs, ctxWith(src))))!;
        assert.equal(c2.traceId, TRACE);
        assert.equal(c2.spanId, SPAN);
        assert.equal(c2.traceFlags & 1, flags);
        if (name === 'W3C tracecontext') {
          assert.equal(c1.traceState?.serialize(), 'vendor=x');
          assert.equal(c2.traceState?.serialize(), 'vendor=x');
        }
      });
    }
  }
  it('Jaeger 64-bit ids: ours → theirs → ours', () => {
    const src = { traceId: '0000000000000000a3ce929d0e0e4736', spanId: SPAN, traceFlags: 1 };
    const h = inject(new JaegerPropagator(), ctxWith(src));
    assert.equal(h['uber-trace-id'].split(':')[0], 'a3ce929d0e0e4736');
    assert.equal(sc(extract(new OtelJaeger(), h))!.traceId, src.traceId);
  });
  it('baggage: W3C and Jaeger uberctx- both ways', () => {
    for (const [ours, theirs] of [
      [new W3CBaggagePropagator(), new OtelBaggage()],
      [new JaegerPropagator(), new OtelJaeger()],
    ] as [TextMapPropagator, TextMapPropagator][]) {
      const c1 = propagation.getBaggage(extract(theirs, inject(ours, ctxWith(ours128, bag))))!;
      const c2 = propagation.getBaggage(extract(ours, inject(theirs, ctxWith(ours128, bag))))!;
      for (const b of [c1, c2]) {
        assert.equal(b.getEntry('user')!.value, 'alice smith');
        assert.equal(b.getEntry('tenant.id')!.value, '7');
      }
    }
  });
});
