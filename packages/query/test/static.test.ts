import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '@ariadne/storage';
import { safeSegments, StaticPathError } from '@ariadne/query';
import { startServer } from './helpers.js';
import type { TestServer } from './helpers.js';

const SECRET = 'TOP-SECRET-do-not-serve';
const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-4f3a9c.js"></script></head><body><div id="root"></div></body></html>';
const APP_JS = `console.log(${JSON.stringify('x'.repeat(3000))});`;

let tmp: string;
let srv: TestServer;
let store: MemoryStore;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'ariadne-query-static-'));
  const ui = join(tmp, 'dist');
  mkdirSync(join(ui, 'assets'), { recursive: true });
  writeFileSync(join(ui, 'index.html'), INDEX);
  writeFileSync(join(ui, 'assets', 'index-4f3a9c.js'), APP_JS);
  writeFileSync(join(ui, 'assets', 'index-77aa.css'), 'body{margin:0}');
  writeFileSync(join(ui, 'assets', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(ui, 'favicon.ico'), Buffer.from([0, 0, 1, 0]));
  writeFileSync(join(ui, 'data.bin'), Buffer.from([1, 2, 3]));
  writeFileSync(join(tmp, 'secret.txt'), SECRET);
  writeFileSync(join(tmp, 'dist-secret.txt'), SECRET); // a sibling sharing the root's name as a prefix
  symlinkSync(join(tmp, 'secret.txt'), join(ui, 'link.txt'));
  symlinkSync(tmp, join(ui, 'escape'));
  store = new MemoryStore();
  srv = await startServer({ store, uiDir: ui, onError: () => {} });
});
after(async () => {
  await srv.close();
  await store.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('static UI', () => {
  test('/ serves index.html, revalidated', async () => {
    const r = await srv.get('/');
    assert.equal(r.status, 200);
    assert.equal(r.text, INDEX);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal((await srv.get('/index.html')).text, INDEX);
  });

  test('hashed assets: content types and long caching', async () => {
    const js = await srv.get('/assets/index-4f3a9c.js');
    assert.equal(js.status, 200);
    assert.equal(js.text, APP_JS);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    const css = await srv.get('/assets/index-77aa.css');
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    assert.equal(css.text, 'body{margin:0}');
    assert.equal((await srv.get('/assets/logo.svg')).headers['content-type'], 'image/svg+xml');
    assert.equal((await srv.get('/favicon.ico')).headers['content-type'], 'image/x-icon');
    const bin = await srv.get('/data.bin');
    assert.equal(bin.headers['content-type'], 'application/octet-stream');
    assert.deepEqual([...bin.body], [1, 2, 3]);
  });

  test('gzip when accepted, ETag revalidation, HEAD', async () => {
    const z = await srv.get('/assets/index-4f3a9c.js', { headers: { 'accept-encoding': 'gzip, br' } });
    assert.equal(z.headers['content-encoding'], 'gzip');
    assert.equal(z.text, APP_JS);
    const etag = String(z.headers.etag);
    const again = await srv.get('/assets/index-4f3a9c.js', { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    assert.equal(again.text, '');
    const head = await srv.get('/assets/index-4f3a9c.js', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(Buffer.byteLength(APP_JS)));
    assert.equal(head.text, '');
  });

  test('SPA fallback for client routes; 404 for missing files', async () => {
    for (const p of ['/search', '/search?service=frontend&limit=20', '/trace/2165cd8171cef678', '/deep/link/here', '/dependencies/']) {
      const r = await srv.get(p);
      assert.equal(r.status, 200, p);
      assert.equal(r.text, INDEX, p);
      assert.equal(r.headers['cache-control'], 'no-cache', p);
    }
    for (const p of ['/assets/missing.js', '/assets/nothing', '/missing.png', '/assets']) {
      const r = await srv.get(p);
      assert.equal(r.status, 404, p);
      assert.notEqual(r.text, INDEX);
    }
  });

  test('non-GET on the UI → 405', async () => {
    const r = await srv.get('/search', { method: 'POST' });
    assert.equal(r.status, 405);
  });

  test('path traversal never leaves the UI directory', async () => {
    const attempts = [
      '/../secret.txt',
      '/../../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E/secret.txt',
      '/.%2e/secret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/assets%2f..%2f..%2fsecret.txt',
      '/%2e%2e%2fsecret.txt',
      '/..%5csecret.txt',
      '/..\\secret.txt',
      '/assets\\..\\..\\secret.txt',
      '/secret.txt%00.html',
      '/%00',
      '/%',
      '/%zz',
      '/../dist-secret.txt',
      '/link.txt',
      '/escape/secret.txt',
      '/escape/dist/index.html/../../secret.txt',
      '//secret.txt',
      `/${encodeURIComponent(join(process.cwd(), 'secret.txt'))}`,
    ];
    for (const p of attempts) {
      const r = await srv.get(p);
      assert.ok(r.status === 400 || r.status === 404, `${p} → ${r.status}`);
      assert.ok(!r.text.includes(SECRET), `${p} leaked the secret`);
    }
  });

  test('safeSegments refuses each kind of escape', () => {
    assert.deepEqual(safeSegments('/assets/a%20b.js'), ['assets', 'a b.js']);
    assert.deepEqual(safeSegments('//a///b/'), ['a', 'b']);
    for (const p of ['/..', '/a/./b', '/%2e%2e', '/a%2Fb', '/a%5Cb', '/a\\b', '/a%00', '/a%0a', '/%E0%A4%A']) {
      assert.throws(() => safeSegments(p), StaticPathError, p);
    }
  });

  test('without uiDir the API still works and / is a 404 text', async () => {
    const s = await startServer({ store });
    try {
      const r = await s.get('/');
      assert.equal(r.status, 404);
      assert.match(r.text, /no UI configured/);
      assert.equal((await s.get('/api/services')).status, 200);
    } finally {
      await s.close();
    }
  });

  test('a uiDir that does not exist (UI not built) → 404 with a hint, API unaffected', async () => {
    const s = await startServer({ store, uiDir: join(tmp, 'not-built') });
    try {
      const r = await s.get('/search');
      assert.equal(r.status, 404);
      assert.match(r.text, /UI not available/);
      assert.equal((await s.get('/api/services')).status, 200);
    } finally {
      await s.close();
    }
  });
});
