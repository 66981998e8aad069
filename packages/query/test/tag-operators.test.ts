import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attr, makeResource, makeSpan, SpanKind } from '@ariadne/model';
import type { Span } from '@ariadne/model';
import { MemoryStore, openStore } from '@ariadne/storage';
import type { SpanStore } from '@ariadne/storage';
import { ParamError, parseTags } from '@ariadne/query';
import { HOUR, MS, NOW, startServer, T0 } from './helpers.js';
import type { TestServer } from './helpers.js';

// Tag operators through Jaeger's `tags` JSON (object values) and api_v3's `query.attributes`.

const api = makeResource('api');
/** One single-span trace per status code, id ending in the code; 404 carries user.id, 500 debug=on. */
const CODES = [200, 201, 302, 404, 500, 503];
const traceId = (code: number) => `ab${String(code).padStart(30, '0')}`;
function spans(): Span[] {
  return CODES.map((code, i) =>
    makeSpan({
      traceId: traceId(code),
      spanId: `10000000000000${String(i).padStart(2, '0')}`,
      name: 'GET /x',
      kind: SpanKind.SERVER,
      startTimeUnixNano: T0 + BigInt(i) * MS,
      endTimeUnixNano: T0 + BigInt(i + 1) * MS,
      attributes: [
        attr('http.status_code', code),
        attr('http.url', `https://example.com/api/v${i}/items`),
        ...(code === 404 ? [attr('user.id', 'user-42')] : []),
        ...(code === 500 ? [attr('debug', 'on')] : []),
      ],
      resource: api,
    }),
  );
}

const q = (tags: unknown) => `/api/traces?service=api&start=${(T0 - HOUR) / 1000n}&end=${(T0 + HOUR) / 1000n}&tags=${encodeURIComponent(JSON.stringify(tags))}`;
const v3 = (tags: unknown) =>
  `/api/v3/traces?query.service_name=api&query.start_time_min=2023-11-14T21:00:00Z&query.start_time_max=2023-11-14T23:00:00Z&query.attributes=${encodeURIComponent(JSON.stringify(tags))}`;

/** [tags object, expected status codes (of the matching traces)] */
const CASES: [unknown, number[]][] = [
  [{ 'http.status_code': '500' }, [500]],
  [{ 'http.status_code': { '>=': 500 } }, [500, 503]],
  [{ 'http.status_code': { gte: '300', lt: 500 } }, [302, 404]],
  [{ 'http.status_code': { '!=': 200 } }, [201, 302, 404, 500, 503]],
  [{ 'http.status_code': { ne: '200', '<': 300 } }, [201]],
  [{ 'user.id': { exists: true } }, [404]],
  [{ 'user.id': { exists: false }, 'http.status_code': { '>': 400 } }, [500, 503]],
  [{ debug: { absent: true }, 'http.status_code': { prefix: '5' } }, [503]],
  [{ 'http.url': { contains: '/v2/' } }, [302]],
  [{ 'http.url': { '~': '/v[014]/' } }, [200, 201, 500]],
  [{ 'http.url': { regex: '^https://example\\.com/api/v5' } }, [503]],
  [{ 'http.status_code': { '=': 404 }, 'user.id': 'user-42' }, [404]],
];

describe('tag operators through the Jaeger and api_v3 APIs', () => {
  let dir: string;
  let duck: SpanStore;
  let mem: MemoryStore;
  const servers: [string, TestServer][] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ariadne-tagops-'));
    duck = await openStore({ backend: 'duckdb', dataDir: dir });
    mem = new MemoryStore();
    await duck.writeSpans(spans());
    await mem.writeSpans(spans());
    servers.push(['memory', await startServer({ store: mem, now: () => NOW })], ['duckdb', await startServer({ store: duck, now: () => NOW })]);
  });
  after(async () => {
    for (const [, s] of servers) await s.close();
    await mem?.close();
    await duck?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const codesOf = (traces: { spans: { tags: { key: string; value: unknown }[] }[] }[]) =>
    traces.map((t) => Number(t.spans[0].tags.find((x) => x.key === 'http.status_code')!.value)).sort((a, b) => a - b);

  test('/api/traces?tags= with operator objects finds exactly the matching traces (memory and DuckDB)', async () => {
    for (const [name, srv] of servers) {
      for (const [tags, want] of CASES) {
        const r = await srv.get(q(tags));
        assert.equal(r.status, 200, `${name} ${JSON.stringify(tags)}: ${r.text}`);
        assert.deepEqual(codesOf(r.json.data), want, `${name} ${JSON.stringify(tags)}`);
      }
    }
  });

  test('api_v3 query.attributes takes the same operators', async () => {
    for (const [name, srv] of servers) {
      for (const [tags, want] of CASES) {
        const r = await srv.get(v3(tags));
        assert.equal(r.status, 200, `${name} ${JSON.stringify(tags)}: ${r.text}`);
        const ids = (r.json.result.resourceSpans ?? []).flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans.map((s: any) => s.traceId)));
        const got = [...new Set(ids as string[])].map((id) => Number(BigInt('0x' + id.slice(2)).toString(16))).sort((a, b) => a - b);
        assert.deepEqual(got, want, `${name} ${JSON.stringify(tags)}`);
      }
    }
  });

  test('bad operators are a 400 naming the parameter, and nothing else breaks', async () => {
    const [, srv] = servers[1];
    const bad: [unknown, RegExp][] = [
      [{ k: { '=~': 'x' } }, /unknown operator "=~"/],
      [{ k: {} }, /no operator/],
      [{ k: { exists: 'yes' } }, /takes true or false/],
      [{ k: { '>': 'abc' } }, /not a number/],
      [{ k: { '~': '(' } }, /invalid regular expression/],
      [{ k: { '>': [1] } }, /must be a string or number/],
      [{ k: null }, /must be a string or an object of operators/],
    ];
    for (const [tags, re] of bad) {
      const r = await srv.get(q(tags));
      assert.equal(r.status, 400, JSON.stringify(tags));
      assert.match(r.json.errors[0].msg, re, JSON.stringify(tags));
      const r3 = await srv.get(v3(tags));
      assert.equal(r3.status, 400, JSON.stringify(tags));
      assert.match(r3.json.error.message, re);
    }
    const r = await srv.get(v3({ k: { nope: 1 } }));
    assert.match(r.json.error.message, /'query.attributes'/);
    assert.equal((await srv.get(q({ 'http.status_code': '200' }))).json.data.length, 1);
  });
});

test('parseTags: strings stay Jaeger equality (later wins), objects add operators', () => {
  const p = new URLSearchParams();
  p.append('tag', 'a:1');
  p.append('tags', JSON.stringify({ a: '2', n: { '>=': 5, lte: '9' }, e: { exists: true }, x: { absent: false } }));
  assert.deepEqual(parseTags(p), [
    { key: 'a', op: '=', value: '2' },
    { key: 'n', op: '>=', value: '5' },
    { key: 'n', op: '<=', value: '9' },
    { key: 'e', op: 'exists', value: '' },
    { key: 'x', op: 'exists', value: '' },
  ]);
  // a literal that looks like an operator is still a literal
  assert.deepEqual(parseTags(new URLSearchParams({ tags: JSON.stringify({ code: '>=500' }) })), [{ key: 'code', op: '=', value: '>=500' }]);
  assert.throws(() => parseTags(new URLSearchParams({ tags: JSON.stringify({ k: { __proto__: 1 } }) })), ParamError);
  assert.throws(() => parseTags(new URLSearchParams({ tags: '{"k":{"toString":"x"}}' })), /unknown operator "toString"/);
});
