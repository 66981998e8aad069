import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { MemoryStore } from '@ariadne/storage';
import { ParamError, parseDependencyParams, parseDuration, parseSearchParams, parseTags, safeSegments, StaticPathError } from '@ariadne/query';
import { NOW, sampleSpans, startServer } from './helpers.js';
import type { TestServer } from './helpers.js';

test('parseDuration: Go syntax plus d/w', () => {
  const cases: [string, bigint][] = [
    ['0', 0n],
    ['1ns', 1n],
    ['500us', 500_000n],
    ['500µs', 500_000n],
    ['500μs', 500_000n],
    ['100ms', 100_000_000n],
    ['1.2s', 1_200_000_000n],
    ['.5s', 500_000_000n],
    ['1.s', 1_000_000_000n],
    ['1m', 60_000_000_000n],
    ['1h30m', 5_400_000_000_000n],
    ['1h', 3_600_000_000_000n],
    ['2d', 172_800_000_000_000n],
    ['1w', 604_800_000_000_000n],
    ['+3ms', 3_000_000n],
    ['1.0000000001s', 1_000_000_000n],
  ];
  for (const [text, ns] of cases) assert.equal(parseDuration(text), ns, text);
  for (const bad of ['', '5', 'ms', '1x', '1.2.3s', '-1s', '1 s', 'abc', '1e3ms', '1h-5m']) {
    assert.throws(() => parseDuration(bad), Error, bad);
  }
});

test('parseTags merges tag and tags, later wins', () => {
  const p = new URLSearchParams();
  p.append('tag', 'a:1');
  p.append('tag', 'url:http://x:80/');
  p.append('tags', '{"a":"2","b":true}');
  assert.deepEqual(parseTags(p), [
    { key: 'a', op: '=', value: '2' },
    { key: 'url', op: '=', value: 'http://x:80/' },
    { key: 'b', op: '=', value: 'true' },
  ]);
  assert.deepEqual(parseTags(new URLSearchParams('tags=')), []);
  assert.throws(() => parseTags(new URLSearchParams('tag=:v')), ParamError);
  assert.throws(() => parseTags(new URLSearchParams('tags=null')), ParamError);
  assert.throws(() => parseTags(new URLSearchParams(`tags=${encodeURIComponent('{"":"x"}')}`)), ParamError);
});

test('parseSearchParams defaults: end = now, start = end - 2 days, limit 20', () => {
  const r = parseSearchParams(new URLSearchParams('service=s'), NOW);
  assert.equal(r.kind, 'query');
  if (r.kind !== 'query') return;
  assert.equal(r.query.startTimeMax, NOW);
  assert.equal(r.query.startTimeMin, NOW - 2n * 86_400_000_000_000n);
  assert.equal(r.query.limit, 20);
  assert.equal(r.query.tags, undefined);
  assert.equal(r.query.minDurationNano, undefined);
  // Jaeger's UI sends empty values for unused fields
  const ui = parseSearchParams(new URLSearchParams('service=s&operation=&minDuration=&maxDuration=&tags=&limit=&lookback=1h&start=&end='), NOW);
  assert.equal(ui.kind === 'query' && ui.query.startTimeMin, NOW - 3_600_000_000_000n);
  assert.equal(ui.kind === 'query' && ui.query.operation, undefined);
});

test('parseDependencyParams: ms, defaults', () => {
  assert.deepEqual(parseDependencyParams(new URLSearchParams(''), NOW), { endTime: NOW, lookback: 86_400_000n * 1_000_000n });
  assert.deepEqual(parseDependencyParams(new URLSearchParams('endTs=1000&lookback=10'), NOW), { endTime: 1_000_000_000n, lookback: 10_000_000n });
});

test('property: search parameters either parse or fail with a ParamError', () => {
  const names = ['service', 'operation', 'start', 'end', 'lookback', 'limit', 'minDuration', 'maxDuration', 'tag', 'tags', 'spanKind', 'traceID'];
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom(...names), fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.integer().map(String), fc.json()))), (pairs) => {
      const p = new URLSearchParams();
      for (const [k, v] of pairs) p.append(k, v);
      try {
        const r = parseSearchParams(p, NOW);
        if (r.kind === 'query') {
          assert.ok(r.query.startTimeMin <= r.query.startTimeMax);
          assert.ok(r.query.limit >= 1);
        } else assert.ok(r.traceIds.every((id) => /^[0-9a-f]{32}$/.test(id)));
      } catch (e) {
        if (!(e instanceof ParamError)) throw e;
        assert.ok(names.includes(e.param), e.param);
      }
    }),
    { numRuns: 300 },
  );
});

test('property: safeSegments never yields a segment that could escape', () => {
  const piece = fc.constantFrom('..', '.', '%2e', '%2E', '%2f', '%5c', '\\', '%00', '/', 'a', '%', '%zz', '\u0000', 'é', '%c3%a9');
  fc.assert(
    fc.property(fc.array(fc.oneof(piece, fc.string()), { maxLength: 12 }), (parts) => {
      const raw = '/' + parts.join('');
      try {
        for (const seg of safeSegments(raw)) {
          assert.ok(seg !== '.' && seg !== '..', raw);
          assert.ok(!/[\\/\u0000]/.test(seg), raw);
        }
      } catch (e) {
        if (!(e instanceof StaticPathError)) throw e;
      }
    }),
    { numRuns: 500 },
  );
});

let tmp: string;
let srv: TestServer;
let store: MemoryStore;
before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'ariadne-query-fuzz-'));
  mkdirSync(join(tmp, 'ui'));
  writeFileSync(join(tmp, 'ui', 'index.html'), 'INDEX');
  writeFileSync(join(tmp, 'secret'), 'SECRET');
  store = new MemoryStore();
  await store.writeSpans(sampleSpans());
  srv = await startServer({ store, uiDir: join(tmp, 'ui'), now: () => NOW, onError: () => {} });
});
after(async () => {
  await srv.close();
  await store.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('property: random request paths never get a 5xx nor the file beside the UI', async () => {
  const seg = fc.oneof(
    fc.constantFrom('api', 'traces', 'services', 'operations', 'dependencies', '..', '%2e%2e', 'secret', '%2fsecret', 'ui', '%', '%ff', '%00', 'index.html'),
    fc.stringMatching(/^[A-Za-z0-9._~%-]{0,12}$/),
  );
  const query = fc.array(fc.tuple(fc.constantFrom('service', 'limit', 'start', 'end', 'tags', 'tag', 'minDuration', 'lookback', 'endTs', 'spanKind', 'traceID'), fc.string({ maxLength: 12 })), { maxLength: 4 });
  await fc.assert(
    fc.asyncProperty(fc.array(seg, { minLength: 1, maxLength: 5 }), query, async (segs, q) => {
      const qs = new URLSearchParams(q).toString();
      const path = '/' + segs.join('/') + (qs ? `?${qs}` : '');
      const r = await srv.get(path);
      assert.ok(r.status < 500, `${path} → ${r.status} ${r.text}`);
      assert.ok(!r.text.includes('SECRET'), path);
    }),
    { numRuns: 150 },
  );
});
