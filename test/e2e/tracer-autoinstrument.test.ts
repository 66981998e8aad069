/**
 * Zero-code instrumentation end to end: a real all-in-one, two real Node services started with
 * `--import packages/tracer/src/register.ts` (A calls B over node:http, B calls a third endpoint
 * with global fetch) and no tracing code in them. The stored trace joins all four spans with the
 * right parents and kinds, for W3C, Jaeger and B3 propagation; the CJS `--require` form too.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { getJson, ROOT, startAriadne, tempDir, type Running } from './helpers.js';

const REGISTER = join(ROOT, 'packages/tracer/src/register.ts');

const APP_A = `
import http from 'node:http';
const B = process.env.B_URL;
http.createServer((req, res) => {
  http.get(B + '/b?x=1', (r) => {
    let d = '';
    r.setEncoding('utf8');
    r.on('data', (c) => (d += c));
    r.on('end', () => res.end('A>' + d));
  }).on('error', (e) => { res.statusCode = 502; res.end(String(e)); });
}).listen(0, '127.0.0.1', function () { console.log('PORT ' + this.address().port); });
`;

const APP_B = `
import { createServer } from 'node:http';
createServer(async (req, res) => {
  try {
    const r = await fetch(process.env.C_URL + '/c');
    res.end('B>' + (await r.text()));
  } catch (e) { res.statusCode = 500; res.end(String(e)); }
}).listen(0, '127.0.0.1', function () { console.log('PORT ' + this.address().port); });
`;

const APP_B_CJS = `
const http = require('node:http');
http.createServer(async (req, res) => {
  const r = await fetch(process.env.C_URL + '/c');
  res.end('B>' + (await r.text()));
}).listen(0, '127.0.0.1', function () { console.log('PORT ' + this.address().port); });
`;

let app: Running;
let c: http.Server;
let cUrl = '';
const cHeaders: http.IncomingHttpHeaders[] = [];
const dir = tempDir('ariadne-autoinst-');
const children = new Set<ChildProcess>();

before(async () => {
  app = await startAriadne({ args: ['--storage', 'memory'] });
  c = http.createServer((req, res) => {
    cHeaders.push(req.headers);
    res.end('C');
  });
  await new Promise<void>((r) => c.listen(0, '127.0.0.1', r));
  cUrl = `http://127.0.0.1:${(c.address() as AddressInfo).port}`;
  writeFileSync(join(dir.path, 'a.mjs'), APP_A);
  writeFileSync(join(dir.path, 'b.mjs'), APP_B);
  writeFileSync(join(dir.path, 'b.cjs'), APP_B_CJS);
});
after(async () => {
  for (const p of children) p.kill('SIGKILL');
  c?.close();
  await app?.stop();
  dir.remove();
});

function startService(file: string, env: Record<string, string>, mode: 'import' | 'require' | 'import-specifier' = 'import'): Promise<{ url: string; proc: ChildProcess; out: () => string }> {
  // 'require' and 'import-specifier' load the package's ./register export (source condition)
  const flags =
    mode === 'import'
      ? ['--conditions=source', '--import', 'tsx', '--import', REGISTER]
      : mode === 'import-specifier'
        ? ['--conditions=source', '--import', 'tsx', '--import', '@ariadne/tracer/register']
        : ['--conditions=source', '--require', 'tsx/cjs', '--require', '@ariadne/tracer/register'];
  const proc = spawn(process.execPath, [...flags, join(dir.path, file)], {
    cwd: ROOT,
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: app.url('otlp-http'), OTEL_BSP_SCHEDULE_DELAY: '100', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  proc.on('exit', () => children.delete(proc));
  let out = '';
  proc.stderr!.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${file} did not start: ${out}`)), 20_000);
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /PORT (\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve({ url: `http://127.0.0.1:${m[1]}`, proc, out: () => out });
      }
    });
    proc.on('exit', (code) => reject(new Error(`${file} exited ${code}: ${out}`)));
  });
}

async function stopService(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const done = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await done;
}

async function findTrace(service: string, minSpans: number): Promise<any> {
  const end = Date.now() + 15_000;
  for (;;) {
    const r = await getJson(app.url('query', `/api/traces?service=${service}&limit=5&lookback=1h`));
    const t = r.body?.data?.find((d: any) => d.spans.length >= minSpans);
    if (t) return t;
    if (Date.now() > end) throw new Error(`no trace for ${service} with ${minSpans} spans: ${JSON.stringify(r.body).slice(0, 400)}`);
    await new Promise((res) => setTimeout(res, 150));
  }
}

function checkChain(t: any, svcA: string, svcB: string): void {
  const kind = (s: any) => s.tags.find((x: any) => x.key === 'span.kind')?.value;
  const svc = (s: any) => t.processes[s.processID].serviceName;
  const parent = (s: any) => s.references?.find((r: any) => r.refType === 'CHILD_OF')?.spanID;
  const spans: any[] = t.spans;
  assert.equal(spans.length, 4, JSON.stringify(spans.map((s) => [svc(s), s.operationName, kind(s)])));
  const aServer = spans.find((s) => svc(s) === svcA && kind(s) === 'server');
  const aClient = spans.find((s) => svc(s) === svcA && kind(s) === 'client');
  const bServer = spans.find((s) => svc(s) === svcB && kind(s) === 'server');
  const bClient = spans.find((s) => svc(s) === svcB && kind(s) === 'client');
  assert.ok(aServer && aClient && bServer && bClient, 'server and client span in each service');
  assert.equal(parent(aServer), undefined, 'A server is the root');
  assert.equal(parent(aClient), aServer.spanID);
  assert.equal(parent(bServer), aClient.spanID);
  assert.equal(parent(bClient), bServer.spanID);
  const tag = (s: any, k: string) => s.tags.find((x: any) => x.key === k)?.value;
  assert.equal(tag(aServer, 'http.request.method'), 'GET');
  assert.equal(Number(tag(aServer, 'http.response.status_code')), 200);
  assert.equal(tag(bServer, 'url.path'), '/b');
  assert.equal(tag(bServer, 'url.query'), 'x=1');
  assert.ok(tag(bServer, 'network.peer.address'));
  assert.equal(tag(bClient, 'url.full'), `${cUrl}/c`);
  assert.equal(Number(tag(bClient, 'http.response.status_code')), 200);
}

describe('zero-code instrumentation: A --http--> B --fetch--> C', () => {
  const formats: [string, (h: http.IncomingHttpHeaders) => boolean][] = [
    ['tracecontext', (h) => typeof h.traceparent === 'string'],
    ['jaeger', (h) => typeof h['uber-trace-id'] === 'string' && h.traceparent === undefined],
    ['b3', (h) => typeof h.b3 === 'string' && h.traceparent === undefined],
    ['b3multi', (h) => typeof h['x-b3-traceid'] === 'string' && h.traceparent === undefined],
  ];
  for (const [fmt, hasHeader] of formats) {
    test(`${fmt} propagation joins all spans with correct parents and kinds`, async () => {
      const svcA = `auto-a-${fmt}`;
      const svcB = `auto-b-${fmt}`;
      cHeaders.length = 0;
      const b = await startService('b.mjs', { OTEL_SERVICE_NAME: svcB, OTEL_PROPAGATORS: fmt, C_URL: cUrl });
      const a = await startService('a.mjs', { OTEL_SERVICE_NAME: svcA, OTEL_PROPAGATORS: fmt, B_URL: b.url });
      try {
        const res = await fetch(a.url + '/a');
        assert.equal(await res.text(), 'A>B>C');
        assert.equal(cHeaders.length, 1);
        assert.ok(hasHeader(cHeaders[0]), `C saw ${fmt} headers: ${JSON.stringify(cHeaders[0])}`);
        const t = await findTrace(svcA, 4);
        checkChain(t, svcA, svcB);
      } finally {
        await stopService(a.proc);
        await stopService(b.proc);
      }
    });
  }

  test('CJS service with --require @ariadne/tracer/register joins the trace too', async () => {
    const svcA = 'auto-a-cjs';
    const svcB = 'auto-b-cjs';
    const b = await startService('b.cjs', { OTEL_SERVICE_NAME: svcB, C_URL: cUrl }, 'require');
    const a = await startService('a.mjs', { OTEL_SERVICE_NAME: svcA, B_URL: b.url });
    try {
      const res = await fetch(a.url + '/a');
      assert.equal(await res.text(), 'A>B>C');
      checkChain(await findTrace(svcA, 4), svcA, svcB);
    } finally {
      await stopService(a.proc);
      await stopService(b.proc);
    }
  });

  test('spans still queued are flushed when the service gets SIGTERM', async () => {
    const svcA = 'auto-a-term';
    const svcB = 'auto-b-term';
    const env = { OTEL_BSP_SCHEDULE_DELAY: '600000' };
    const b = await startService('b.mjs', { ...env, OTEL_SERVICE_NAME: svcB, C_URL: cUrl }, 'import-specifier');
    const a = await startService('a.mjs', { ...env, OTEL_SERVICE_NAME: svcA, B_URL: b.url });
    const res = await fetch(a.url + '/a');
    assert.equal(await res.text(), 'A>B>C');
    await stopService(a.proc);
    await stopService(b.proc);
    assert.equal(a.proc.signalCode, 'SIGTERM');
    checkChain(await findTrace(svcA, 4), svcA, svcB);
  });
});
