/**
 * The one conformance suite of the storage contract (src/types.ts). Every backend runs it:
 *
 *   runConformance('memory', async () => new MemoryStore());
 *
 * `makeStore` must return a fresh, empty store each time; the suite closes it after each test.
 * A backend that can make a write fail inside itself (after validation: a failed commit, an
 * insert the server rejects part-way) passes `makeFaultyStore` too, and the suite checks that a
 * failed write leaves nothing of itself stored.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { makeResource, makeSpan, SpanKind, StatusCode } from '@ariadne/model';
import type { Attribute, AttributeValue, Span } from '@ariadne/model';
import { StoreArgumentError, StoreClosedError } from '../src/types.js';
import type { SpanStore, TraceQuery } from '../src/types.js';

/** A base time (unix ns) with non-zero nanosecond digits, so truncation to µs would show. */
export const T0 = 1_700_000_000_123_456_789n;
const MS = 1_000_000n;
const SEC = 1_000n * MS;

let idCounter = 0;
/** A fresh 32-hex-char trace id. */
export function tid(n = ++idCounter): string {
  return (0x1000 + n).toString(16).padStart(8, '0') + 'abcdef0123456789abcdef01';
}
/** A fresh 16-hex-char span id. */
export function sid(n = ++idCounter): string {
  return (0x2000 + n).toString(16).padStart(16, '0');
}

export interface SpanOpts {
  trace: string;
  id?: string;
  parent?: string;
  service?: string;
  name?: string;
  kind?: Span['kind'];
  start?: bigint;
  durationNs?: bigint;
  attrs?: Record<string, unknown>;
  resourceAttrs?: Record<string, unknown>;
  eventAttrs?: Record<string, unknown>;
  error?: boolean;
}

function toValue(v: unknown): AttributeValue {
  if (typeof v === 'string') return { type: 'string', value: v };
  if (typeof v === 'boolean') return { type: 'bool', value: v };
  if (typeof v === 'bigint') return { type: 'int', value: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { type: 'int', value: v } : { type: 'double', value: v };
  throw new Error('unsupported test value');
}
function attrs(o: Record<string, unknown> | undefined): Attribute[] {
  return Object.entries(o ?? {}).map(([key, v]) => ({ key, value: toValue(v) }));
}

/** A span for the tests (service 'frontend', name 'GET /', kind SERVER, 10 ms, unless told). */
export function span(o: SpanOpts): Span {
  const start = o.start ?? T0;
  return makeSpan({
    traceId: o.trace,
    spanId: o.id ?? sid(),
    parentSpanId: o.parent ?? '',
    name: o.name ?? 'GET /',
    kind: o.kind ?? SpanKind.SERVER,
    startTimeUnixNano: start,
    endTimeUnixNano: start + (o.durationNs ?? 10n * MS),
    attributes: attrs(o.attrs),
    events: o.eventAttrs ? [{ timeUnixNano: start + 1n, name: 'log', attributes: attrs(o.eventAttrs), droppedAttributesCount: 0 }] : [],
    status: o.error ? { code: StatusCode.ERROR, message: 'boom' } : { code: StatusCode.UNSET, message: '' },
    resource: makeResource(o.service ?? 'frontend', attrs(o.resourceAttrs)),
  });
}

/** A span exercising every field of the model, with awkward values. */
export function richSpan(trace: string): Span {
  const nested: AttributeValue = {
    type: 'array',
    value: [
      { type: 'int', value: 1 },
      { type: 'array', value: [{ type: 'string', value: 'deep' }, { type: 'bytes', value: new Uint8Array([0, 255]) }] },
      { type: 'kvlist', value: [{ key: 'inner', value: { type: 'int', value: -(2n ** 63n) } }] },
      { type: 'empty' },
    ],
  };
  const resource = {
    serviceName: 'rich-svc ✓',
    attributes: [
      { key: 'service.name', value: { type: 'string', value: 'rich-svc ✓' } },
      { key: 'host.name', value: { type: 'string', value: 'h1' } },
    ] as Attribute[],
    droppedAttributesCount: 2,
    schemaUrl: 'https://opentelemetry.io/schemas/1.21.0',
  };
  return {
    traceId: trace,
    spanId: 'fedcba9876543210',
    parentSpanId: '0123456789abcdef',
    name: 'διαδρομή /ünïcode 🧵 "quoted" \\ back',
    kind: SpanKind.CONSUMER,
    startTimeUnixNano: T0 + 7n,
    // an end before the start is kept as written
    endTimeUnixNano: T0 + 3n,
    attributes: [
      { key: 's', value: { type: 'string', value: 'zero\u0000width\u200b emoji 🎉 CJK 漢字 sep\x1e\x1f' } },
      { key: 'b', value: { type: 'bool', value: false } },
      { key: 'i.small', value: { type: 'int', value: 42 } },
      { key: 'i.neg', value: { type: 'int', value: -7 } },
      { key: 'i.max', value: { type: 'int', value: 2n ** 63n - 1n } },
      { key: 'i.big53', value: { type: 'int', value: 2n ** 53n + 1n } },
      { key: 'd', value: { type: 'double', value: 3.25 } },
      { key: 'd.tiny', value: { type: 'double', value: 5e-324 } },
      { key: 'd.negzero', value: { type: 'double', value: -0 } },
      { key: 'd.nan', value: { type: 'double', value: NaN } },
      { key: 'd.inf', value: { type: 'double', value: -Infinity } },
      { key: 'bytes', value: { type: 'bytes', value: new Uint8Array([1, 2, 3, 0, 254]) } },
      { key: 'bytes.empty', value: { type: 'bytes', value: new Uint8Array(0) } },
      { key: 'nested', value: nested },
      { key: 'map', value: { type: 'kvlist', value: [{ key: 'a', value: { type: 'kvlist', value: [] } }, { key: 'a', value: { type: 'bool', value: true } }] } },
      { key: 'empty', value: { type: 'empty' } },
      { key: 'dup', value: { type: 'string', value: 'first' } },
      { key: 'dup', value: { type: 'string', value: 'second' } },
      { key: '', value: { type: 'string', value: 'empty key' } },
      { key: '__proto__', value: { type: 'string', value: 'not a prototype' } },
    ],
    droppedAttributesCount: 3,
    events: [
      { timeUnixNano: T0 + 5n, name: 'exception', attributes: [{ key: 'exception.message', value: { type: 'string', value: 'bad <b>html</b>' } }], droppedAttributesCount: 1 },
      { timeUnixNano: T0 + 6n, name: '', attributes: [], droppedAttributesCount: 0 },
    ],
    droppedEventsCount: 4,
    links: [
      { traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', spanId: 'bbbbbbbbbbbbbbbb', traceState: 'k=v', flags: 1, attributes: [{ key: 'l', value: { type: 'int', value: 1 } }], droppedAttributesCount: 0, refType: 'FOLLOWS_FROM' },
      { traceId: 'cccccccccccccccccccccccccccccccc', spanId: 'dddddddddddddddd', traceState: '', flags: 0, attributes: [], droppedAttributesCount: 5 },
    ],
    droppedLinksCount: 6,
    status: { code: StatusCode.ERROR, message: 'it broke: ünïcode' },
    traceState: 'vendor=abc,other=xyz',
    flags: 0x301,
    resource,
    scope: { name: '@ariadne/tracer', version: '0.1.0', attributes: [{ key: 'scope.attr', value: { type: 'bool', value: true } }], droppedAttributesCount: 1, schemaUrl: 'https://scope' },
    warnings: ['clock skew adjusted', 'attribute "x" truncated'],
  };
}

const WIDE = { startTimeMin: T0 - 3600n * SEC, startTimeMax: T0 + 3600n * SEC };

function q(extra: Partial<TraceQuery> = {}): TraceQuery {
  return { ...WIDE, limit: 100, ...extra };
}

async function rejectsWith(p: Promise<unknown>, cls: new (...a: never[]) => Error, what: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof cls || (e as Error)?.name === cls.name, `${what}: expected ${cls.name}, got ${String(e)}`);
    assert.ok((e as Error).message.length > 0, `${what}: error needs a message`);
    return true;
  });
}

export interface ConformanceOptions {
  /** A fresh, empty store and a switch that makes its writes fail inside the backend while on. */
  makeFaultyStore?: () => Promise<{ store: SpanStore; setFailing(on: boolean): void }>;
}

export function runConformance(name: string, makeStore: () => Promise<SpanStore>, options: ConformanceOptions = {}): void {
  describe(`SpanStore conformance: ${name}`, () => {
    let store: SpanStore;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('capabilities', () => {
      it('names the backend and its operators', () => {
        assert.equal(typeof store.capabilities.name, 'string');
        assert.ok(store.capabilities.name.length > 0);
        assert.equal(typeof store.capabilities.durable, 'boolean');
        assert.ok(store.capabilities.tagOperators.includes('='));
      });
    });

    describe('writeSpans and getTrace', () => {
      it('returns a written trace in start-time order', async () => {
        const t = tid();
        const a = span({ trace: t, start: T0 + 30n });
        const b = span({ trace: t, start: T0 + 10n, parent: a.spanId });
        const c = span({ trace: t, start: T0 + 20n, parent: a.spanId });
        await store.writeSpans([a, b]);
        await store.writeSpans([c]);
        const got = await store.getTrace(t);
        assert.deepEqual(
          got.map((s) => s.spanId),
          [b.spanId, c.spanId, a.spanId],
        );
      });

      it('accepts an empty batch', async () => {
        await store.writeSpans([]);
        assert.deepEqual(await store.getServices(), []);
      });

      it('returns [] for unknown ids; ids are matched exactly (no case folding or padding)', async () => {
        const t = '0000000000000000' + 'abcdef0123456789';
        await store.writeSpans([span({ trace: t })]);
        assert.equal((await store.getTrace(t)).length, 1);
        assert.deepEqual(await store.getTrace('ffffffffffffffffffffffffffffffff'), []);
        assert.deepEqual(await store.getTrace(t.toUpperCase()), []);
        assert.deepEqual(await store.getTrace('abcdef0123456789'), []);
        assert.deepEqual(await store.getTrace(''), []);
        assert.deepEqual(await store.getTrace("' OR 1=1 --"), []);
      });

      it('gives the same result with a covering hint', async () => {
        const t = tid();
        await store.writeSpans([span({ trace: t }), span({ trace: t, start: T0 + SEC })]);
        const plain = await store.getTrace(t);
        const hinted = await store.getTrace(t, { startTimeMin: T0 - SEC, startTimeMax: T0 + 2n * SEC });
        assert.deepEqual(hinted, plain);
        assert.equal(plain.length, 2);
      });

      it('round-trips every model field exactly', async () => {
        const t = tid();
        const rich = richSpan(t);
        const expected = structuredClone(rich);
        await store.writeSpans([rich]);
        const [got] = await store.getTrace(t);
        assert.deepStrictEqual(got, expected);
        // int representation is kept: numbers stay numbers, bigints stay bigints
        const find = (k: string) => got.attributes.find((a) => a.key === k)!.value as { value: unknown };
        assert.equal(typeof find('i.small').value, 'number');
        assert.equal(typeof find('i.max').value, 'bigint');
        assert.ok(Object.is(find('d.negzero').value, -0));
        assert.ok(got.attributes.find((a) => a.key === 'bytes')!.value.type === 'bytes');
        assert.ok(!('refType' in got.links[1]), 'a link without refType must come back without one');
      });

      it('hands out copies: mutating inputs or results does not change what is stored', async () => {
        const t = tid();
        const s = span({ trace: t, attrs: { k: 'v' } });
        await store.writeSpans([s]);
        s.name = 'mutated input';
        s.attributes.push({ key: 'x', value: { type: 'int', value: 1 } });
        const [got] = await store.getTrace(t);
        assert.equal(got.name, 'GET /');
        assert.equal(got.attributes.length, 1);
        got.name = 'mutated output';
        got.attributes.length = 0;
        const [again] = await store.getTrace(t);
        assert.equal(again.name, 'GET /');
        assert.equal(again.attributes.length, 1);
      });

      it('stores a duplicate (traceId, spanId) once, within a batch and across batches', async () => {
        const t = tid();
        const a = span({ trace: t, service: 'dup-svc', attrs: { k: 'v' } });
        const child = span({ trace: t, service: 'dup-child', parent: a.spanId });
        await store.writeSpans([a, a, child]);
        await store.writeSpans([structuredClone(a), child]);
        const got = await store.getTrace(t);
        assert.equal(got.length, 2);
        assert.deepEqual(new Set(got.map((s) => s.spanId)), new Set([a.spanId, child.spanId]));
        assert.deepEqual(await store.findTraceIds(q({ tags: [{ key: 'k', op: '=', value: 'v' }] })), [t]);
        const deps = await store.getDependencies({ endTime: T0 + SEC, lookback: 2n * SEC });
        assert.deepEqual(deps, [{ parent: 'dup-svc', child: 'dup-child', callCount: 1, errorCount: 0 }]);
        const many = await store.getTraces([t]);
        assert.equal(many.get(t)!.length, 2);
      });

      it('keeps traces apart whose ids share the low 64 bits (a 64-bit id and a 128-bit one)', async () => {
        const low = 'abcdef0123456789';
        const t64 = '0000000000000000' + low;
        const t128 = '1234567890abcdef' + low;
        await store.writeSpans([span({ trace: t64, name: 'short' })]);
        await store.writeSpans([span({ trace: t128, name: 'long' })]);
        assert.deepEqual((await store.getTrace(t64)).map((s) => s.name), ['short']);
        assert.deepEqual((await store.getTrace(t128)).map((s) => s.name), ['long']);
        assert.deepEqual(await store.getTrace('ffffffffffffffff' + low), []);
      });

      it('stores text with lone UTF-16 surrogates without failing the batch, and finds it', async () => {
        const odd = tid();
        const fine = tid();
        const lone = 'a\ud800b\udc00';
        const s1 = span({ trace: odd, service: `svc${lone}`, name: `op${lone}`, attrs: { [`k${lone}`]: lone } });
        await Promise.all([store.writeSpans([s1, span({ trace: fine })]), store.writeSpans([span({ trace: tid() })])]);
        const [got] = await store.getTrace(odd);
        assert.deepStrictEqual(got, s1);
        assert.equal((await store.getTrace(fine)).length, 1);
        assert.deepEqual(await store.findTraceIds(q({ tags: [{ key: `k${lone}`, op: '=', value: lone }] })), [odd]);
      });

      it('reads back whole a trace whose spans fall on different days (UTC), and finds it across midnight', async () => {
        const DAY = 86_400n * SEC;
        const midnight = (T0 / DAY + 1n) * DAY;
        const t = tid();
        const root = span({ trace: t, service: 'late-night', start: midnight - MS });
        const child = span({ trace: t, service: 'early-morning', parent: root.spanId, start: midnight + MS });
        const later = span({ trace: t, service: 'early-morning', parent: root.spanId, start: midnight + 3n * DAY });
        await store.writeSpans([root]);
        await store.writeSpans([child, later]);
        assert.deepEqual((await store.getTrace(t)).map((s) => s.spanId), [root.spanId, child.spanId, later.spanId]);
        assert.equal((await store.getTraces([t])).get(t)!.length, 3);
        assert.deepEqual(await store.findTraceIds({ startTimeMin: midnight - SEC, startTimeMax: midnight + SEC, limit: 5, service: 'early-morning' }), [t]);
        assert.deepEqual(await store.findTraceIds({ startTimeMin: midnight - SEC, startTimeMax: midnight - 1n, limit: 5, service: 'early-morning' }), []);
        assert.deepEqual(await store.getDependencies({ endTime: midnight + SEC, lookback: 2n * SEC }), [
          { parent: 'late-night', child: 'early-morning', callCount: 1, errorCount: 0 },
        ]);
      });

      it('keeps the same span id in different traces apart', async () => {
        const t1 = tid();
        const t2 = tid();
        const id = sid();
        await store.writeSpans([span({ trace: t1, id, name: 'one' }), span({ trace: t2, id, name: 'two' })]);
        assert.deepEqual((await store.getTrace(t1)).map((s) => s.name), ['one']);
        assert.deepEqual((await store.getTrace(t2)).map((s) => s.name), ['two']);
      });

      it('rejects a malformed batch with StoreArgumentError and stores nothing of it', async () => {
        const t = tid();
        const good = span({ trace: t });
        const bad = { ...span({ trace: t }), startTimeUnixNano: 5 } as unknown as Span;
        await rejectsWith(store.writeSpans([good, bad]), StoreArgumentError, 'number start time');
        await rejectsWith(store.writeSpans('nope' as unknown as Span[]), StoreArgumentError, 'not an array');
        await rejectsWith(store.writeSpans([{ spanId: 'x' } as unknown as Span]), StoreArgumentError, 'no trace id');
        await rejectsWith(store.writeSpans([null as unknown as Span]), StoreArgumentError, 'null span');
        await rejectsWith(store.writeSpans([good, { ...span({ trace: t }), kind: 300 } as unknown as Span]), StoreArgumentError, 'bad kind');
        await rejectsWith(store.writeSpans([good, { ...span({ trace: t }), status: { code: -1, message: '' } } as unknown as Span]), StoreArgumentError, 'bad status');
        assert.deepEqual(await store.getTrace(t), []);
      });

      it('rejects bad read arguments with StoreArgumentError', async () => {
        await rejectsWith(store.getTrace(42 as unknown as string), StoreArgumentError, 'numeric id');
        await rejectsWith(store.getTraces('abc' as unknown as string[]), StoreArgumentError, 'ids not an array');
        await rejectsWith(store.getTrace(tid(), { startTimeMin: 1, startTimeMax: 2 } as unknown as { startTimeMin: bigint; startTimeMax: bigint }), StoreArgumentError, 'number hint');
      });
    });

    describe('derived tags (what Jaeger shows as tags)', () => {
      it('error=true finds spans whose status is ERROR; span.kind and otel.status_code are searchable', async () => {
        const failed = tid();
        const fine = tid();
        await store.writeSpans([
          span({ trace: failed, error: true, kind: SpanKind.CLIENT }),
          span({ trace: fine, kind: SpanKind.SERVER }),
        ]);
        const find = (key: string, value: string) =>
          store.findTraceIds({ startTimeMin: T0 - SEC, startTimeMax: T0 + SEC, limit: 10, tags: [{ key, op: '=', value }] });
        assert.deepEqual(await find('error', 'true'), [failed]);
        assert.deepEqual(await find('otel.status_code', 'ERROR'), [failed]);
        assert.deepEqual(await find('otel.status_description', 'boom'), [failed]);
        assert.deepEqual(await find('span.kind', 'client'), [failed]);
        assert.deepEqual(await find('span.kind', 'server'), [fine]);
      });

      it('an attribute of the same key wins over the derived tag', async () => {
        const t = tid();
        await store.writeSpans([span({ trace: t, error: true, attrs: { error: 'custom' } })]);
        const find = (value: string) =>
          store.findTraceIds({ startTimeMin: T0 - SEC, startTimeMax: T0 + SEC, limit: 10, tags: [{ key: 'error', op: '=', value }] });
        assert.deepEqual(await find('custom'), [t]);
        assert.deepEqual(await find('true'), []);
      });
    });

    describe('getTraces', () => {
      it('returns found traces only, each in start order', async () => {
        const t1 = tid();
        const t2 = tid();
        const t3 = tid();
        await store.writeSpans([
          span({ trace: t1, start: T0 + 2n }),
          span({ trace: t1, start: T0 + 1n }),
          span({ trace: t2 }),
          span({ trace: t3 }),
        ]);
        const unknown = tid();
        const got = await store.getTraces([t1, unknown, t2, t1]);
        assert.deepEqual([...got.keys()].sort(), [t1, t2].sort());
        const s1 = got.get(t1)!;
        assert.equal(s1.length, 2);
        assert.ok(s1[0].startTimeUnixNano < s1[1].startTimeUnixNano);
        assert.equal(got.get(t2)!.length, 1);
        assert.equal((await store.getTraces([])).size, 0);
      });

      it('fetches many traces at once', async () => {
        const ids = Array.from({ length: 60 }, () => tid());
        await store.writeSpans(ids.flatMap((t, i) => [span({ trace: t, start: T0 + BigInt(i) }), span({ trace: t, start: T0 + BigInt(i) + 1n })]));
        const got = await store.getTraces(ids);
        assert.equal(got.size, 60);
        for (const t of ids) assert.equal(got.get(t)!.length, 2);
      });
    });

    describe('findTraceIds', () => {
      it('returns [] on an empty store', async () => {
        assert.deepEqual(await store.findTraceIds(q()), []);
      });

      it('filters by service, operation and span kind', async () => {
        const t1 = tid();
        const t2 = tid();
        const t3 = tid();
        await store.writeSpans([
          span({ trace: t1, service: 'api', name: 'GET /a', kind: SpanKind.SERVER }),
          span({ trace: t2, service: 'api', name: 'GET /b', kind: SpanKind.CLIENT }),
          span({ trace: t3, service: 'db', name: 'GET /a', kind: SpanKind.SERVER }),
        ]);
        assert.deepEqual((await store.findTraceIds(q({ service: 'api' }))).sort(), [t1, t2].sort());
        assert.deepEqual((await store.findTraceIds(q({ operation: 'GET /a' }))).sort(), [t1, t3].sort());
        assert.deepEqual(await store.findTraceIds(q({ service: 'api', operation: 'GET /a' })), [t1]);
        assert.deepEqual(await store.findTraceIds(q({ spanKind: SpanKind.CLIENT })), [t2]);
        assert.deepEqual(await store.findTraceIds(q({ service: 'api', spanKind: SpanKind.SERVER })), [t1]);
        assert.deepEqual(await store.findTraceIds(q({ service: 'nope' })), []);
        assert.deepEqual(await store.findTraceIds(q({ service: "api' OR '1'='1" })), []);
      });

      it('requires every criterion to hold on the same span', async () => {
        const t = tid();
        await store.writeSpans([
          span({ trace: t, service: 'a', name: 'x', attrs: { k1: 'v1' }, durationNs: 5n * MS }),
          span({ trace: t, service: 'b', name: 'y', attrs: { k2: 'v2' }, durationNs: 500n * MS }),
        ]);
        assert.deepEqual(await store.findTraceIds(q({ service: 'a', operation: 'x' })), [t]);
        assert.deepEqual(await store.findTraceIds(q({ service: 'a', operation: 'y' })), []);
        assert.deepEqual(await store.findTraceIds(q({ tags: [{ key: 'k1', op: '=', value: 'v1' }, { key: 'k2', op: '=', value: 'v2' }] })), []);
        assert.deepEqual(await store.findTraceIds(q({ service: 'a', tags: [{ key: 'k2', op: '=', value: 'v2' }] })), []);
        assert.deepEqual(await store.findTraceIds(q({ service: 'a', minDurationNano: 100n * MS })), []);
        assert.deepEqual(await store.findTraceIds(q({ service: 'b', minDurationNano: 100n * MS })), [t]);
        assert.deepEqual(await store.findTraceIds(q({ tags: [{ key: 'k1', op: 'exists', value: '' }, { key: 'k2', op: 'exists', value: '' }] })), []);
        assert.deepEqual(await store.findTraceIds(q({ tags: [{ key: 'k2', op: '~', value: '^v' }], maxDurationNano: 10n * MS })), []);
      });

      it('filters by duration with inclusive bounds', async () => {
        const t5 = tid();
        const t10 = tid();
        const t20 = tid();
        const tNeg = tid();
        await store.writeSpans([
          span({ trace: t5, durationNs: 5n * MS }),
          span({ trace: t10, durationNs: 10n * MS }),
          span({ trace: t20, durationNs: 20n * MS }),
          span({ trace: tNeg, durationNs: -3n }),
        ]);
        assert.deepEqual((await store.findTraceIds(q({ minDurationNano: 10n * MS }))).sort(), [t10, t20].sort());
        assert.deepEqual((await store.findTraceIds(q({ maxDurationNano: 10n * MS }))).sort(), [t5, t10, tNeg].sort());
        assert.deepEqual(await store.findTraceIds(q({ minDurationNano: 10n * MS, maxDurationNano: 10n * MS })), [t10]);
        // an end before the start counts as duration 0
        assert.deepEqual(await store.findTraceIds(q({ maxDurationNano: 0n })), [tNeg]);
      });

      it('filters by start time with inclusive bounds', async () => {
        const before = tid();
        const atMin = tid();
        const atMax = tid();
        const after = tid();
        await store.writeSpans([
          span({ trace: before, start: T0 - 1n }),
          span({ trace: atMin, start: T0 }),
          span({ trace: atMax, start: T0 + SEC }),
          span({ trace: after, start: T0 + SEC + 1n }),
        ]);
        const got = await store.findTraceIds({ startTimeMin: T0, startTimeMax: T0 + SEC, limit: 10 });
        assert.deepEqual(got, [atMax, atMin]);
        assert.deepEqual(await store.findTraceIds({ startTimeMin: T0 + SEC, startTimeMax: T0, limit: 10 }), []);
      });

      it('orders by the newest matching span, most recent first, and applies the limit', async () => {
        const tA = tid();
        const tB = tid();
        const tC = tid();
        await store.writeSpans([
          // A: its matching span is old, a newer span does not match
          span({ trace: tA, service: 'svc', start: T0 + 10n * SEC }),
          span({ trace: tA, service: 'other', start: T0 + 100n * SEC }),
          span({ trace: tB, service: 'svc', start: T0 + 50n * SEC }),
          span({ trace: tC, service: 'svc', start: T0 + 30n * SEC }),
          span({ trace: tC, service: 'svc', start: T0 + 20n * SEC }),
        ]);
        assert.deepEqual(await store.findTraceIds(q({ service: 'svc' })), [tB, tC, tA]);
        assert.deepEqual(await store.findTraceIds(q({ service: 'svc', limit: 2 })), [tB, tC]);
        assert.deepEqual(await store.findTraceIds(q({ limit: 1 })), [tA]);
        assert.deepEqual(await store.findTraceIds(q({ limit: 3 })), [tA, tB, tC]);
      });

      it('orders and limits the same way when tag filters need numeric or regex evaluation', async () => {
        const ids: string[] = [];
        const spans: Span[] = [];
        for (let i = 0; i < 30; i++) {
          const t = tid();
          ids.push(t);
          // spread unevenly over an hour; each trace has a newer span that does not match
          const at = T0 + BigInt(i * i) * 4n * SEC;
          spans.push(span({ trace: t, start: at, attrs: { n: i, user: `user-${i}` } }));
          spans.push(span({ trace: t, start: at + 1n * SEC, attrs: { n: -1, user: 'nobody' } }));
        }
        await store.writeSpans(spans);
        const newestFirst = ids.slice().reverse();
        const ops = store.capabilities.tagOperators;
        if (ops.includes('>=')) {
          assert.deepEqual(await store.findTraceIds(q({ tags: [{ key: 'n', op: '>=', value: '0' }], limit: 5 })), newestFirst.slice(0, 5));
          assert.deepEqual(await store.findTraceIds(q({ tags: [{ key: 'n', op: '>=', value: '0' }] })), newestFirst);
          assert.deepEqual(await store.findTraceIds(q({ tags: [{ key: 'n', op: '<', value: '3' }, { key: 'n', op: '>', value: '0' }] })), [ids[2], ids[1]]);
        }
        if (ops.includes('~')) {
          assert.deepEqual(await store.findTraceIds(q({ tags: [{ key: 'user', op: '~', value: '^user-1' }], limit: 3 })), [ids[19], ids[18], ids[17]]);
        }
      });

      it('returns each trace once however many of its spans match', async () => {
        const t = tid();
        await store.writeSpans(Array.from({ length: 20 }, (_, i) => span({ trace: t, start: T0 + BigInt(i) })));
        assert.deepEqual(await store.findTraceIds(q()), [t]);
      });

      it('matches tags on span, resource and event attributes, in text form', async () => {
        const tSpan = tid();
        const tRes = tid();
        const tEvt = tid();
        await store.writeSpans([
          span({ trace: tSpan, attrs: { 'http.status_code': 200, ok: true, ratio: 0.5, big: 2n ** 64n } }),
          span({ trace: tRes, resourceAttrs: { 'host.name': 'web-1' } }),
          span({ trace: tEvt, eventAttrs: { 'log.level': 'error' } }),
        ]);
        const one = async (key: string, value: string) => store.findTraceIds(q({ tags: [{ key, op: '=', value }] }));
        assert.deepEqual(await one('http.status_code', '200'), [tSpan]);
        assert.deepEqual(await one('http.status_code', '20'), []);
        assert.deepEqual(await one('ok', 'true'), [tSpan]);
        assert.deepEqual(await one('ratio', '0.5'), [tSpan]);
        assert.deepEqual(await one('big', '18446744073709551616'), [tSpan]);
        assert.deepEqual(await one('host.name', 'web-1'), [tRes]);
        assert.deepEqual(await one('log.level', 'error'), [tEvt]);
        assert.deepEqual(await one('log.level', 'Error'), []);
      });

      it('supports every tag operator', async () => {
        const t1 = tid();
        const t2 = tid();
        const t3 = tid();
        await store.writeSpans([
          span({ trace: t1, attrs: { code: 200, path: '/api/users', n: 9007199254740993n, f: 1.5 } }),
          span({ trace: t2, attrs: { code: 404, path: '/static/app.js', n: 9007199254740992n, f: -2.25 } }),
          span({ trace: t3, attrs: { other: 'x', code: 'not-a-number' } }),
        ]);
        const ops = store.capabilities.tagOperators;
        const find = async (key: string, op: TraceQuery['tags'] extends (infer F)[] | undefined ? F extends { op: infer O } ? O : never : never, value = '') =>
          (await store.findTraceIds(q({ tags: [{ key, op, value }] }))).sort();
        const s = (...ids: string[]) => ids.sort();
        if (ops.includes('!=')) {
          assert.deepEqual(await find('code', '!=', '200'), s(t2, t3));
          assert.deepEqual(await find('path', '!=', '/api/users'), [t2]); // absent key does not match !=
        }
        if (ops.includes('exists')) assert.deepEqual(await find('path', 'exists'), s(t1, t2));
        if (ops.includes('absent')) assert.deepEqual(await find('path', 'absent'), [t3]);
        if (ops.includes('>')) {
          assert.deepEqual(await find('code', '>', '200'), [t2]);
          assert.deepEqual(await find('n', '>', '9007199254740992'), [t1]); // exact beyond 2^53
          assert.deepEqual(await find('f', '>', '0'), [t1]);
        }
        if (ops.includes('>=')) assert.deepEqual(await find('code', '>=', '200'), s(t1, t2));
        if (ops.includes('<')) {
          assert.deepEqual(await find('code', '<', '404'), [t1]);
          assert.deepEqual(await find('f', '<', '-2'), [t2]);
        }
        if (ops.includes('<=')) assert.deepEqual(await find('code', '<=', '404.0'), s(t1, t2));
        if (ops.includes('prefix')) {
          assert.deepEqual(await find('path', 'prefix', '/api/'), [t1]);
          assert.deepEqual(await find('path', 'prefix', 'api'), []);
        }
        if (ops.includes('contains')) {
          assert.deepEqual(await find('path', 'contains', 'app'), [t2]);
          assert.deepEqual(await find('path', 'contains', 'user'), [t1]);
          assert.deepEqual(await find('path', 'contains', 'x'), []); // 'x' is another key's value
        }
        if (ops.includes('~')) {
          assert.deepEqual(await find('path', '~', '\\.js$'), [t2]);
          assert.deepEqual(await find('path', '~', '^/(api|static)/'), s(t1, t2));
          assert.deepEqual(await find('code', '~', '^4\\d\\d$'), [t2]);
        }
      });

      it('treats special characters in keys and values literally', async () => {
        const tA = tid();
        const tB = tid();
        const tC = tid();
        const weird = "it's 100% _wild_ \\ \x1e\x1f \"q\" ünï";
        await store.writeSpans([
          span({ trace: tA, attrs: { 'k%_\\\x1e': weird } }),
          span({ trace: tB, attrs: { k: 'a\x1fb' } }),
          span({ trace: tC, attrs: { k: 'a' } }),
        ]);
        assert.deepEqual(await store.findTraceIds(q({ tags: [{ key: 'k%_\\\x1e', op: '=', value: weird }] })), [tA]);
        assert.deepEqual(await store.findTraceIds(q({ tags: [{ key: 'k%_\\', op: 'exists', value: '' }] })), []);
        assert.deepEqual(await store.findTraceIds(q({ tags: [{ key: 'k', op: '=', value: 'a' }] })), [tC]);
        assert.deepEqual(await store.findTraceIds(q({ tags: [{ key: 'k', op: '=', value: 'a\x1fb' }] })), [tB]);
        assert.deepEqual(await store.findTraceIds(q({ tags: [{ key: 'k', op: '=', value: '%' }] })), []);
        if (store.capabilities.tagOperators.includes('prefix')) {
          assert.deepEqual((await store.findTraceIds(q({ tags: [{ key: 'k', op: 'prefix', value: 'a' }] }))).sort(), [tB, tC].sort());
          assert.deepEqual(await store.findTraceIds(q({ tags: [{ key: 'k%_\\\x1e', op: 'prefix', value: "it's 100%" }] })), [tA]);
          assert.deepEqual(await store.findTraceIds(q({ tags: [{ key: 'k%_\\\x1e', op: 'prefix', value: "it's 1000%" }] })), []);
        }
        if (store.capabilities.tagOperators.includes('~')) {
          assert.deepEqual(await store.findTraceIds(q({ tags: [{ key: 'k', op: '~', value: '^a\x1fb$' }] })), [tB]);
          assert.deepEqual(await store.findTraceIds(q({ tags: [{ key: 'k%_\\\x1e', op: '~', value: '\\\\ \x1e\x1f "q"' }] })), [tA]);
        }
        if (store.capabilities.tagOperators.includes('contains')) {
          assert.deepEqual(await store.findTraceIds(q({ tags: [{ key: 'k%_\\\x1e', op: 'contains', value: '_wild_ \\' }] })), [tA]);
          assert.deepEqual(await store.findTraceIds(q({ tags: [{ key: 'k', op: 'contains', value: '\x1f' }] })), [tB]);
        }
      });

      it('rejects invalid queries with StoreArgumentError', async () => {
        await rejectsWith(store.findTraceIds(q({ tags: [{ key: 'k', op: '~', value: '(' }] })), StoreArgumentError, 'bad regex');
        await rejectsWith(store.findTraceIds(q({ tags: [{ key: 'k', op: '>', value: 'abc' }] })), StoreArgumentError, 'non-numeric bound');
        await rejectsWith(store.findTraceIds(q({ tags: [{ key: 'k', op: 'LIKE' as never, value: 'x' }] })), StoreArgumentError, 'unknown operator');
        await rejectsWith(store.findTraceIds(q({ tags: [{ key: '', op: '=', value: 'x' }] })), StoreArgumentError, 'empty key');
        await rejectsWith(store.findTraceIds(q({ limit: 0 })), StoreArgumentError, 'zero limit');
        await rejectsWith(store.findTraceIds(q({ limit: 1.5 })), StoreArgumentError, 'fractional limit');
        await rejectsWith(store.findTraceIds({ startTimeMin: 0, startTimeMax: 1, limit: 1 } as unknown as TraceQuery), StoreArgumentError, 'number times');
        await rejectsWith(store.findTraceIds(q({ spanKind: 9 as never })), StoreArgumentError, 'bad kind');
      });
    });

    describe('services and operations', () => {
      it('lists services sorted, once each', async () => {
        const t = tid();
        await store.writeSpans([span({ trace: t, service: 'zeta' }), span({ trace: t, service: 'alpha' }), span({ trace: tid(), service: 'zeta' })]);
        await store.writeSpans([span({ trace: tid(), service: 'mid' })]);
        assert.deepEqual(await store.getServices(), ['alpha', 'mid', 'zeta']);
      });

      it('lists operations with span kinds, sorted by name then kind, optionally of one kind', async () => {
        const t = tid();
        await store.writeSpans([
          span({ trace: t, service: 'api', name: 'b-op', kind: SpanKind.CLIENT }),
          span({ trace: t, service: 'api', name: 'a-op', kind: SpanKind.SERVER }),
          span({ trace: t, service: 'api', name: 'b-op', kind: SpanKind.SERVER }),
          span({ trace: t, service: 'api', name: 'a-op', kind: SpanKind.SERVER }),
          span({ trace: t, service: 'other', name: 'c-op', kind: SpanKind.SERVER }),
        ]);
        assert.deepEqual(await store.getOperations({ service: 'api' }), [
          { name: 'a-op', spanKind: SpanKind.SERVER },
          { name: 'b-op', spanKind: SpanKind.SERVER },
          { name: 'b-op', spanKind: SpanKind.CLIENT },
        ]);
        assert.deepEqual(await store.getOperations({ service: 'api', spanKind: SpanKind.CLIENT }), [{ name: 'b-op', spanKind: SpanKind.CLIENT }]);
        assert.deepEqual(await store.getOperations({ service: 'api', spanKind: SpanKind.PRODUCER }), []);
        assert.deepEqual(await store.getOperations({ service: 'missing' }), []);
        await rejectsWith(store.getOperations({} as never), StoreArgumentError, 'no service');
      });
    });

    describe('getDependencies', () => {
      it('counts cross-service parent→child calls and errors within the window', async () => {
        const end = T0 + 60n * SEC;
        const lookback = 60n * SEC; // window (T0, T0+60s]
        const t1 = tid();
        const root = span({ trace: t1, service: 'web', start: T0 + SEC });
        const c1 = span({ trace: t1, service: 'api', parent: root.spanId, start: T0 + 2n * SEC });
        const c2 = span({ trace: t1, service: 'api', parent: root.spanId, start: T0 + 3n * SEC, error: true });
        const same = span({ trace: t1, service: 'api', parent: c1.spanId, start: T0 + 4n * SEC });
        const db = span({ trace: t1, service: 'db', parent: c1.spanId, start: T0 + 5n * SEC, error: true });
        const orphan = span({ trace: t1, service: 'cache', parent: sid(), start: T0 + 5n * SEC });
        const t2 = tid();
        const r2 = span({ trace: t2, service: 'web', start: T0 + 10n * SEC });
        const c3 = span({ trace: t2, service: 'api', parent: r2.spanId, start: end }); // at the window end: in
        // the same span id under another trace must not join across traces
        const t3 = tid();
        const foreign = span({ trace: t3, service: 'mq', parent: root.spanId, start: T0 + 5n * SEC });
        // outside the window
        const t4 = tid();
        const r4 = span({ trace: t4, service: 'web', start: T0 }); // at window start: out
        const c4 = span({ trace: t4, service: 'api', parent: r4.spanId, start: T0 + SEC });
        const t5 = tid();
        const r5 = span({ trace: t5, service: 'web', start: end + 1n });
        const c5 = span({ trace: t5, service: 'api', parent: r5.spanId, start: end + 2n });
        await store.writeSpans([root, c1, c2, same, db, orphan, r2, c3, foreign, r4, c4, r5, c5]);
        assert.deepEqual(await store.getDependencies({ endTime: end, lookback }), [
          { parent: 'api', child: 'db', callCount: 1, errorCount: 1 },
          { parent: 'web', child: 'api', callCount: 3, errorCount: 1 },
        ]);
        assert.deepEqual(await store.getDependencies({ endTime: T0 - SEC, lookback: SEC }), []);
        await rejectsWith(store.getDependencies({ endTime: 1, lookback: 1 } as never), StoreArgumentError, 'number times');
      });
    });

    describe('purgeBefore', () => {
      it('deletes spans that started before the cutoff, and what only they named', async () => {
        const tOld = tid();
        const tMixed = tid();
        const tNew = tid();
        await store.writeSpans([
          span({ trace: tOld, service: 'old-svc', name: 'old-op', start: T0 - 2n * SEC }),
          span({ trace: tMixed, service: 'keep', name: 'early', start: T0 - SEC }),
          span({ trace: tMixed, service: 'keep', name: 'late', start: T0 }),
          span({ trace: tNew, service: 'keep', name: 'late', start: T0 + SEC }),
        ]);
        const n = await store.purgeBefore(T0);
        if (n !== undefined) assert.equal(n, 2);
        assert.deepEqual(await store.getTrace(tOld), []);
        assert.deepEqual((await store.getTrace(tMixed)).map((s) => s.name), ['late']);
        assert.equal((await store.getTrace(tNew)).length, 1);
        assert.deepEqual((await store.findTraceIds(q())).sort(), [tMixed, tNew].sort());
        assert.deepEqual(await store.getServices(), ['keep']);
        assert.deepEqual(await store.getOperations({ service: 'keep' }), [{ name: 'late', spanKind: SpanKind.SERVER }]);
        assert.deepEqual(await store.getOperations({ service: 'old-svc' }), []);
        assert.equal((await store.getTraces([tOld, tMixed])).size, 1);
        // the store keeps working after a purge
        await store.writeSpans([span({ trace: tOld, service: 'old-svc', name: 'old-op', start: T0 + 5n * SEC })]);
        assert.equal((await store.getTrace(tOld)).length, 1);
        assert.deepEqual(await store.getServices(), ['keep', 'old-svc']);
        const none = await store.purgeBefore(T0 - 100n * SEC);
        if (none !== undefined) assert.equal(none, 0);
        await rejectsWith(store.purgeBefore(5 as never), StoreArgumentError, 'number cutoff');
      });
    });

    // Registered only for backends that can inject a failure (the memory store cannot fail a write).
    if (options.makeFaultyStore) describe('failed writes', () => {
      it('a write that fails leaves nothing of itself stored, and the store keeps working', async () => {
        const { store: s, setFailing } = await options.makeFaultyStore!();
        try {
          const ok = tid();
          await s.writeSpans([span({ trace: ok, service: 'good', name: 'good-op' })]);
          setFailing(true);
          const bad = Array.from({ length: 5 }, () => tid());
          const batch = bad.flatMap((t, i) => {
            const root = span({ trace: t, service: 'bad-svc', name: 'bad-op', start: T0 + BigInt(i) * MS, attrs: { bad: 'yes' } });
            return [root, span({ trace: t, service: 'bad-child', parent: root.spanId, start: T0 + BigInt(i) * MS + 1n })];
          });
          // part of the failed write continues a stored trace
          batch.push(span({ trace: ok, service: 'good', name: 'good-op', start: T0 + SEC }));
          const results = await Promise.allSettled([s.writeSpans(batch.slice(0, 4)), s.writeSpans(batch.slice(4))]);
          for (const r of results) assert.equal(r.status, 'rejected', 'a failed write must reject');
          setFailing(false);
          assert.deepEqual((await s.getTraces(bad)).size, 0);
          assert.equal((await s.getTrace(ok)).length, 1);
          assert.deepEqual(await s.getServices(), ['good']);
          assert.deepEqual(await s.getOperations({ service: 'bad-svc' }), []);
          assert.deepEqual(await s.findTraceIds(q({ tags: [{ key: 'bad', op: '=', value: 'yes' }] })), []);
          assert.deepEqual(await s.findTraceIds(q()), [ok]);
          assert.deepEqual(await s.getDependencies({ endTime: T0 + 2n * SEC, lookback: 4n * SEC }), []);
          // the same spans can be written for real afterwards
          await s.writeSpans(batch);
          assert.equal((await s.getTraces(bad)).size, bad.length);
          assert.equal((await s.getTrace(ok)).length, 2);
          assert.deepEqual(await s.getDependencies({ endTime: T0 + 2n * SEC, lookback: 4n * SEC }), [
            { parent: 'bad-svc', child: 'bad-child', callCount: 5, errorCount: 0 },
          ]);
        } finally {
          await s.close();
        }
      });
    });

    describe('concurrency', () => {
      it('concurrent writers of one trace and readers meanwhile: the trace reads back whole', async () => {
        const t = tid();
        const root = span({ trace: t, service: 'root', start: T0 });
        const writers = 12;
        const children = Array.from({ length: writers }, (_, i) => span({ trace: t, service: `child-${i % 3}`, parent: root.spanId, start: T0 + BigInt(i + 1) * MS }));
        const seen: number[] = [];
        await Promise.all([
          store.writeSpans([root]),
          ...children.map((c) => store.writeSpans([c])),
          ...Array.from({ length: 6 }, () => store.getTrace(t).then((got) => seen.push(got.length))),
        ]);
        for (const n of seen) assert.ok(n >= 0 && n <= writers + 1);
        const got = await store.getTrace(t);
        assert.equal(got.length, writers + 1);
        assert.equal(got[0].spanId, root.spanId);
        assert.deepEqual(await store.getDependencies({ endTime: T0 + SEC, lookback: 2n * SEC }), [
          { parent: 'root', child: 'child-0', callCount: 4, errorCount: 0 },
          { parent: 'root', child: 'child-1', callCount: 4, errorCount: 0 },
          { parent: 'root', child: 'child-2', callCount: 4, errorCount: 0 },
        ]);
      });

      it('serves concurrent writers and readers; every acknowledged write is readable', async () => {
        const writers = 20;
        const perWriter = 25;
        const traces: string[] = [];
        const work: Promise<unknown>[] = [];
        for (let w = 0; w < writers; w++) {
          const t = tid();
          traces.push(t);
          const spans = Array.from({ length: perWriter }, (_, i) => span({ trace: t, service: `svc-${w % 4}`, start: T0 + BigInt(w * 1000 + i) }));
          work.push(
            store.writeSpans(spans).then(async () => {
              const got = await store.getTrace(t);
              assert.equal(got.length, perWriter, 'an acknowledged write must be readable at once');
            }),
          );
          work.push(store.findTraceIds(q({ service: `svc-${w % 4}` })));
          work.push(store.getServices());
        }
        await Promise.all(work);
        const all = await store.getTraces(traces);
        assert.equal(all.size, writers);
        for (const t of traces) assert.equal(all.get(t)!.length, perWriter);
        assert.equal((await store.findTraceIds(q({ limit: 1000 }))).length, writers);
        assert.deepEqual(await store.getServices(), ['svc-0', 'svc-1', 'svc-2', 'svc-3']);
      });
    });

    describe('close', () => {
      it('rejects every call after close with StoreClosedError', async () => {
        const t = tid();
        await store.writeSpans([span({ trace: t })]);
        await store.close();
        await rejectsWith(store.writeSpans([span({ trace: t })]), StoreClosedError, 'writeSpans');
        await rejectsWith(store.getTrace(t), StoreClosedError, 'getTrace');
        await rejectsWith(store.getTraces([t]), StoreClosedError, 'getTraces');
        await rejectsWith(store.findTraceIds(q()), StoreClosedError, 'findTraceIds');
        await rejectsWith(store.getServices(), StoreClosedError, 'getServices');
        await rejectsWith(store.getOperations({ service: 'x' }), StoreClosedError, 'getOperations');
        await rejectsWith(store.getDependencies({ endTime: T0, lookback: SEC }), StoreClosedError, 'getDependencies');
        await rejectsWith(store.purgeBefore(T0), StoreClosedError, 'purgeBefore');
        // closing again is harmless (afterEach closes once more)
        await store.close();
      });

      it('waits for in-flight writes before closing', async () => {
        const t = tid();
        const writes = Array.from({ length: 5 }, (_, i) => store.writeSpans([span({ trace: t, start: T0 + BigInt(i) })]));
        const closed = store.close();
        await Promise.all(writes);
        await closed;
      });
    });
  });
}
