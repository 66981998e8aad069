/**
 * TenantStores and tenant names under hostile input: a tenant name can never leave
 * <data-dir>/tenants/ nor collide with another tenant's ClickHouse database; stores are opened
 * once per tenant (also under concurrent first use), bounded in number and all closed.
 */
import assert from 'node:assert/strict';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { isValidTenant, lazyTenantStore, MemoryStore, StoreArgumentError, tenantDatabaseName, TenantStores, TooManyTenantsError } from '@ariadne/storage';
import type { SpanStore } from '@ariadne/storage';
import { makeResource, makeSpan, randomSpanId, randomTraceId } from '@ariadne/model';

const HOSTILE = ['', '.', '..', '../x', 'a/b', 'a\\b', '/etc', 'a\u0000b', 'ä', 'a b', '-a', '_a', 'x'.repeat(64), '%2e%2e', 'a.b', 'CON:', '\n'];

test('hostile tenant names are refused; valid ones stay one segment under tenants/', () => {
  for (const t of HOSTILE) assert.equal(isValidTenant(t), false, JSON.stringify(t));
  for (const t of ['acme', 'a', 'Tenant-1', 'a_b', '0', 'x'.repeat(63)]) assert.equal(isValidTenant(t), true, t);
  const root = resolve('/data/tenants');
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom(...HOSTILE)), (t) => {
      if (!isValidTenant(t)) return;
      const rel = relative(root, resolve(join(root, t)));
      assert.equal(rel, t, 'a valid tenant is exactly one path segment');
    }),
    { numRuns: 5000 },
  );
});

test('ClickHouse database names: plain identifiers, distinct for distinct tenants', () => {
  const tenant = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,20}$/);
  fc.assert(
    fc.property(tenant, tenant, (a, b) => {
      const da = tenantDatabaseName('ariadne', a);
      assert.match(da, /^[A-Za-z_][A-Za-z0-9_]*$/);
      if (a !== b) assert.notEqual(da, tenantDatabaseName('ariadne', b), `${a} vs ${b}`);
    }),
    { numRuns: 5000 },
  );
  assert.notEqual(tenantDatabaseName('x', 'a-b'), tenantDatabaseName('x', 'a_hb'));
  assert.throws(() => tenantDatabaseName('x', '../y'), StoreArgumentError);
});

test('one store per tenant, opened once under concurrent first use; isolation; limit; close', async () => {
  const opened: string[] = [];
  const stores: MemoryStore[] = [];
  const ts = new TenantStores({
    maxTenants: 3,
    open: async (t) => {
      opened.push(t);
      await new Promise((r) => setTimeout(r, 10));
      const s = new MemoryStore();
      stores.push(s);
      return s;
    },
  });
  const got = await Promise.all(Array.from({ length: 20 }, (_, i) => ts.get(i % 2 ? 'a' : 'b')));
  assert.deepEqual(opened.sort(), ['a', 'b']);
  assert.equal(new Set(got).size, 2);

  const a: SpanStore = lazyTenantStore(ts, 'a', { name: 'memory', durable: false, tagOperators: [] });
  const b: SpanStore = lazyTenantStore(ts, 'b', { name: 'memory', durable: false, tagOperators: [] });
  const t = BigInt(Date.now()) * 1_000_000n;
  const span = makeSpan({ traceId: randomTraceId(), spanId: randomSpanId(), name: 'x', startTimeUnixNano: t, endTimeUnixNano: t + 1n, resource: makeResource('only-a') });
  await a.writeSpans([span]);
  assert.deepEqual(await a.getServices(), ['only-a']);
  assert.deepEqual(await b.getServices(), []);
  assert.deepEqual(await b.getTrace(span.traceId), []);

  await assert.rejects(ts.get('../a'), StoreArgumentError);
  await ts.get('c');
  await assert.rejects(ts.get('d'), TooManyTenantsError);
  await ts.close();
  await assert.rejects(stores[0].getServices(), 'stores are closed with the router');
  await assert.rejects(ts.get('a'));
});

test('a failed open is not cached: the next request retries', async () => {
  let fail = true;
  const ts = new TenantStores({ open: async () => (fail ? Promise.reject(new Error('disk full')) : new MemoryStore()) });
  await assert.rejects(ts.get('x'), /disk full/);
  fail = false;
  assert.ok(await ts.get('x'));
  await ts.close();
});
