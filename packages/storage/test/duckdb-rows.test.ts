import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { attributeValueToString } from '@ariadne/model';
import type { Attribute, AttributeValue, Span } from '@ariadne/model';
import { DuckDBStore } from '../src/duckdb.js';
import { esc, FS, RS, spanRowTexts } from '../src/duckdb-rows.js';
import { derivedTags } from '../src/filters.js';
import { serializeSpan } from '../src/serialize.js';
import { StoreArgumentError } from '../src/types.js';
import { richSpan, span, T0, tid } from './conformance.js';

/** The tags text as first written (one pass per attribute list, derived tags as attribute objects): the reference. */
function referenceTags(span: Span): string {
  let out = FS;
  const add = (attrs: readonly Attribute[]) => {
    for (const a of attrs) out += esc(a.key) + RS + esc(attributeValueToString(a.value)) + FS;
  };
  add(span.attributes);
  add(span.resource.attributes);
  for (const e of span.events) add(e.attributes);
  add(derivedTags(span));
  return out;
}

// Keys and strings: binary text (separators, quotes, backslashes, control and non-ASCII chars),
// plain ASCII, long strings, and the keys that suppress derived tags.
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: fc.constantFrom('a', 'b', '.', '"', '\\', '\x1e', '\x1f', 'é', ' '), maxLength: 12 }),
  fc.string({ unit: fc.constantFrom('x', 'y'), minLength: 195, maxLength: 210 }),
);
const key = fc.oneof(text, fc.constantFrom('span.kind', 'error', 'otel.status_code', 'otel.status_description', 'otel.scope.name', 'otel.scope.version', 'sx', 'o'));
const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
const value: fc.Arbitrary<AttributeValue> = fc.letrec<{ v: AttributeValue; kv: Attribute[] }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text.map((value) => ({ type: 'string' as const, value })),
    fc.boolean().map((value) => ({ type: 'bool' as const, value })),
    fc.maxSafeInteger().map((value) => ({ type: 'int' as const, value })),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value) => ({ type: 'int' as const, value })),
    fc.double().map((value) => ({ type: 'double' as const, value })),
    fc.uint8Array({ maxLength: 12 }).map((value) => ({ type: 'bytes' as const, value })),
    fc.constant({ type: 'empty' as const }),
    fc.array(tie('v'), { maxLength: 3 }).map((value) => ({ type: 'array' as const, value })),
    tie('kv').map((value) => ({ type: 'kvlist' as const, value })),
  ) as fc.Arbitrary<AttributeValue>,
  kv: fc.array(fc.record({ key, value: tie('v') as fc.Arbitrary<AttributeValue> }), { maxLength: 3 }),
})).v;
const attrs = fc.array(fc.record({ key, value }), { maxLength: 5 });
const count = fc.nat({ max: 1000 });
const time = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const resource = fc.record({ serviceName: text, attributes: attrs, droppedAttributesCount: count, schemaUrl: text });
const scope = fc.record({ name: text, version: text, attributes: attrs, droppedAttributesCount: count, schemaUrl: text });

const spanArb = (res: fc.Arbitrary<Span['resource']>, sc: fc.Arbitrary<Span['scope']>): fc.Arbitrary<Span> =>
  fc.record({
    traceId: hex(32),
    spanId: hex(16),
    parentSpanId: fc.oneof(fc.constant(''), hex(16)),
    name: text,
    kind: fc.constantFrom(0, 1, 2, 3, 4, 5) as fc.Arbitrary<Span['kind']>,
    startTimeUnixNano: time,
    endTimeUnixNano: time,
    attributes: attrs,
    droppedAttributesCount: count,
    events: fc.array(fc.record({ timeUnixNano: time, name: text, attributes: attrs, droppedAttributesCount: count }), { maxLength: 2 }),
    droppedEventsCount: count,
    links: fc.array(
      fc.record(
        { traceId: hex(32), spanId: hex(16), traceState: text, flags: fc.nat(), attributes: attrs, droppedAttributesCount: count, refType: fc.constantFrom('CHILD_OF' as const, 'FOLLOWS_FROM' as const) },
        { requiredKeys: ['traceId', 'spanId', 'traceState', 'flags', 'attributes', 'droppedAttributesCount'] },
      ),
      { maxLength: 2 },
    ),
    droppedLinksCount: count,
    status: fc.record({ code: fc.constantFrom(0, 1, 2) as fc.Arbitrary<Span['status']['code']>, message: text }),
    traceState: text,
    flags: fc.nat({ max: 0xffff }),
    resource: res,
    scope: sc,
    warnings: fc.array(text, { maxLength: 2 }),
  });

describe('DuckDB row texts (write path)', () => {
  it('equal serializeSpan and the reference tags text for arbitrary spans', () => {
    fc.assert(
      fc.property(spanArb(resource, scope), (s) => {
        const t = spanRowTexts(s);
        assert.equal(t.json, serializeSpan(s));
        assert.equal(t.tags, referenceTags(s));
      }),
      { numRuns: 500 },
    );
  });

  it('stay exact when spans share resource and scope objects (the cached parts)', () => {
    fc.assert(
      fc.property(resource, scope, fc.array(spanArb(fc.constant(undefined as never), fc.constant(undefined as never)), { minLength: 1, maxLength: 5 }), (r, sc, spans) => {
        for (const s of spans) {
          s.resource = r;
          s.scope = sc;
          const t = spanRowTexts(s);
          assert.equal(t.json, serializeSpan(s));
          assert.equal(t.tags, referenceTags(s));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('notice a shared resource or scope whose attributes were replaced', () => {
    const s = richSpan('0123456789abcdef0123456789abcdef');
    assert.equal(spanRowTexts(s).json, serializeSpan(s));
    s.resource.attributes = [...s.resource.attributes, { key: 'added', value: { type: 'string', value: 'later' } }];
    s.scope.attributes = [{ key: 'scope.attr', value: { type: 'bool', value: true } }];
    s.scope.name = 'renamed';
    const t = spanRowTexts(s);
    assert.equal(t.json, serializeSpan(s));
    assert.equal(t.tags, referenceTags(s));
    assert.ok(t.tags.includes(`${FS}added${RS}later${FS}`));
    assert.ok(t.tags.includes(`${FS}otel.scope.name${RS}renamed${FS}`));
  });
});

describe('DuckDB group commit with a span that cannot be turned into a row', () => {
  it('fails only the write holding it; the writes sharing its commit group are stored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ariadne-rows-'));
    const store = await DuckDBStore.open({ dataDir: dir });
    try {
      const [t1, t2, t3] = [tid(), tid(), tid()];
      const bad = span({ trace: t2 });
      bad.attributes = [{ key: 'k', value: { type: 'mystery', value: 1 } as unknown as AttributeValue }];
      // Issued together: the first commits alone, the next two share one commit group.
      const w1 = store.writeSpans([span({ trace: t1 })]);
      const w2 = store.writeSpans([bad, span({ trace: t2, start: T0 + 1n })]);
      const w3 = store.writeSpans([span({ trace: t3 })]);
      await w1;
      await assert.rejects(w2, (e: unknown) => e instanceof StoreArgumentError && /cannot store span batch/.test((e as Error).message));
      await w3;
      assert.equal((await store.getTrace(t1)).length, 1);
      assert.equal((await store.getTrace(t2)).length, 0, 'nothing of the failed write is stored');
      assert.equal((await store.getTrace(t3)).length, 1);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
