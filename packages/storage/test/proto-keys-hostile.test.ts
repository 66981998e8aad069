/**
 * Prototype-named keys (`__proto__`, `constructor`, `prototype`) and hostile strings in every
 * attribute position (span, resource, event, link, nested kvlist) go through every backend's write
 * and read paths (memory copies, DuckDB and ClickHouse JSON/column serialisation) as plain data:
 * read back unchanged, searchable as tags, and no object prototype is touched.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { attr, makeResource, makeSpan, SpanKind, type Attribute, type Span } from '@ariadne/model';
import { openStore, type SpanStore } from '@ariadne/storage';
import { startClickHouse, type ClickHouseCluster } from '../../../test/helpers/clickhouse.js';

const KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];
const nested: Attribute = {
  key: '__proto__',
  value: { type: 'kvlist', value: [{ key: '__proto__', value: { type: 'kvlist', value: [{ key: 'polluted', value: { type: 'bool', value: true } }] } }, { key: 'constructor', value: { type: 'string', value: "'; DROP TABLE spans; --" } }] },
};
const t0 = BigInt(Date.now() - 60_000) * 1_000_000n;
const SPAN: Span = makeSpan({
  traceId: '0000000000000000000000000000abcd', spanId: '000000000000abcd', name: 'constructor', kind: SpanKind.SERVER,
  startTimeUnixNano: t0, endTimeUnixNano: t0 + 1_000_000n,
  resource: makeResource('__proto__', KEYS.map((k) => attr(k, `r-${k}`))),
  attributes: [...KEYS.map((k) => attr(k, `v-${k}`)), { key: 'kv', value: { type: 'kvlist', value: [nested] } }, attr('q', `"'\\\u0000{}[]`)],
  events: [{ timeUnixNano: t0 + 10n, name: '__proto__', attributes: KEYS.map((k) => attr(k, `e-${k}`)), droppedAttributesCount: 0 }],
  links: [{ traceId: '0000000000000000000000000000dcba', spanId: '000000000000dcba', traceState: '', flags: 0, attributes: [attr('__proto__', 'l')], droppedAttributesCount: 0 }],
});

function prototypesIntact(): void {
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.keys(Object.prototype).length, 0);
  assert.equal(typeof ({}).constructor, 'function');
}

const backends: Array<[string, () => Promise<SpanStore>]> = [];
let dir = '';
let ch: ClickHouseCluster | undefined;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ariadne-proto-keys-'));
});
after(async () => {
  await ch?.stop();
  rmSync(dir, { recursive: true, force: true });
});
backends.push(['memory', () => openStore({ backend: 'memory' })]);
backends.push(['duckdb', () => openStore({ backend: 'duckdb', dataDir: join(dir, 'duck') })]);
backends.push([
  'clickhouse',
  async () => {
    ch ??= await startClickHouse({ shards: 1 });
    return openStore({ backend: 'clickhouse', clickhouseUrl: ch.url, clickhouseDatabase: 'proto_keys' });
  },
]);

for (const [name, open] of backends) {
  describe(`${name}: prototype-named keys are data`, () => {
    let store: SpanStore;
    before(async () => {
      store = await open();
      await store.writeSpans([SPAN]);
    });
    after(async () => {
      await store?.close();
    });

    test('read back unchanged in every attribute position', async () => {
      const [got] = await store.getTrace(SPAN.traceId);
      assert.ok(got, 'stored');
      assert.deepEqual(got.attributes, SPAN.attributes);
      assert.deepEqual(got.resource.attributes.filter((a) => KEYS.includes(a.key)), SPAN.resource.attributes.filter((a) => KEYS.includes(a.key)));
      assert.equal(got.resource.serviceName, '__proto__');
      assert.equal(got.name, 'constructor');
      assert.deepEqual(got.events[0].attributes, SPAN.events[0].attributes);
      assert.equal(got.events[0].name, '__proto__');
      assert.deepEqual(got.links[0].attributes, SPAN.links[0].attributes);
      prototypesIntact();
    });

    test('searchable by prototype-named tags, services and operations', async () => {
      const range = { startTimeMin: t0 - 1_000_000_000n, startTimeMax: t0 + 1_000_000_000n };
      for (const k of KEYS) {
        assert.deepEqual(await store.findTraceIds({ ...range, limit: 10, tags: [{ key: k, op: '=', value: `v-${k}` }] }), [SPAN.traceId], `span tag ${k}`);
        assert.deepEqual(await store.findTraceIds({ ...range, limit: 10, tags: [{ key: k, op: '=', value: `nope` }] }), [], `span tag ${k} with another value`);
      }
      assert.deepEqual(await store.findTraceIds({ ...range, limit: 10, service: '__proto__', operation: 'constructor' }), [SPAN.traceId]);
      assert.deepEqual(await store.getServices(), ['__proto__']);
      assert.deepEqual((await store.getOperations({ service: '__proto__' })).map((o) => o.name), ['constructor']);
      prototypesIntact();
    });
  });
}
