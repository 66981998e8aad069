/**
 * Property-based: whatever the raw request path (random strings, and random sequences of dot
 * segments in every spelling, separators, encodings, NUL), `safeSegments` either refuses it with a
 * StaticPathError or gives segments that resolve inside the UI root; and over real HTTP, no such
 * path ever serves a file from outside the root.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { MemoryStore } from '@ariadne/storage';
import { createQueryHandler, safeSegments, StaticPathError } from '../src/index.js';

const PIECES = ['..', '.', '%2e%2e', '%2E%2E', '.%2e', '%2e.', '%2e', '..%2f', '..%5c', '%252e%252e', '%c0%ae%c0%ae', '..\\', '\\', '/', '//', '%2f', '%5c', '%00', '\u0000',
  'secret.txt', 'index.html', 'assets', 'a', '', '%', '%zz', '....', '.../', '..;', '~', '%7e', '\u2025', '\uff0e\uff0e'];
const rawPath = fc.oneof(
  fc.array(fc.constantFrom(...PIECES), { maxLength: 8 }).map((xs) => '/' + xs.join('/')),
  fc.array(fc.constantFrom(...PIECES), { maxLength: 8 }).map((xs) => '/' + xs.join('')),
  fc.string({ maxLength: 40 }).map((s) => '/' + s),
);

let dir = '';
let rootDir = '';
let server: Server;
let port = 0;
const SECRET = 'TOP-SECRET-' + Math.random().toString(36).slice(2);
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ariadne-static-fuzz-'));
  rootDir = join(dir, 'dist');
  mkdirSync(join(rootDir, 'assets'), { recursive: true });
  writeFileSync(join(rootDir, 'index.html'), '<!doctype html><title>ui</title>');
  writeFileSync(join(rootDir, 'assets', 'a.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), SECRET);
  const store = new MemoryStore();
  server = createServer(createQueryHandler({ store, uiDir: rootDir }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

test('safeSegments: refused, or inside the root', () => {
  const root = resolve('/srv/ui');
  fc.assert(
    fc.property(rawPath, (p) => {
      let segs: string[];
      try {
        segs = safeSegments(p);
      } catch (err) {
        assert.ok(err instanceof StaticPathError, `${JSON.stringify(p)}: ${(err as Error).message}`);
        return;
      }
      const full = resolve(join(root, ...segs));
      const rel = relative(root, full);
      assert.ok(rel === '' || (rel.split(sep)[0] !== '..' && !isAbsolute(rel)), `${JSON.stringify(p)} → ${full}`);
    }),
    { numRuns: 20_000 },
  );
});

function rawGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolveP, reject) => {
    let r;
    try {
      r = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolveP({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('latin1') }));
      });
    } catch {
      return resolveP({ status: -1, body: '' }); // node refuses to send it (e.g. control characters)
    }
    r.on('error', reject);
    r.end();
  });
}

test('over HTTP: no raw path serves the file outside the root', async () => {
  const seen = new Set<number>();
  await fc.assert(
    fc.asyncProperty(rawPath, async (p) => {
      const r = await rawGet(p);
      seen.add(r.status);
      assert.ok(!r.body.includes(SECRET), `${JSON.stringify(p)} leaked the secret`);
      assert.ok(r.status === -1 || r.status === 200 || r.status === 400 || r.status === 404, `${JSON.stringify(p)} → ${r.status}`);
    }),
    { numRuns: 1500 },
  );
  assert.ok(seen.has(400) && seen.has(200), `both refusals and the SPA were seen: ${[...seen]}`);
});
