/**
 * OpenTelemetry instrumentation packages work unchanged on our provider: the official
 * `@opentelemetry/instrumentation-ioredis` patches the real `ioredis` client, talking to a real
 * Debian `redis-server` started here (free port, temp dir, no persistence, stopped whatever the
 * outcome), and its spans land in our tracer — parented on our active span, with the semantic
 * attributes the instrumentation sets, and errors recorded.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import type { Span } from '@ariadne/model';
import { InMemoryReporter, initTracer, type AriadneTracer } from '../src/index.js';

const haveRedis = spawnSync('redis-server', ['--version']).status === 0;
if (!haveRedis && process.env.CI === 'true') throw new Error('redis-server is required under CI=true (.ci/run installs it)');

let redis: ChildProcess | undefined;
let dir = '';
let port = 0;
let tracer: AriadneTracer;
const mem = new InMemoryReporter();
let unregister: (() => void) | undefined;

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

before(async () => {
  if (!haveRedis) return;
  dir = mkdtempSync(join(tmpdir(), 'ariadne-redis-'));
  port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 15_000);
    redis!.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('Ready to accept connections')) {
        clearTimeout(t);
        resolve();
      }
    });
    redis!.on('exit', (c) => reject(new Error(`redis-server exited ${c}: ${out}`)));
  });
  tracer = initTracer({ serviceName: 'redis-app', sampler: { type: 'const', param: 1 } }, { env: {}, reporter: mem });
  unregister = registerInstrumentations({ instrumentations: [new IORedisInstrumentation()], tracerProvider: tracer.provider });
});

after(async () => {
  unregister?.();
  await tracer?.close();
  if (redis?.pid !== undefined && redis.exitCode === null) {
    const exited = new Promise((r) => redis!.on('exit', r));
    try {
      process.kill(-redis.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    const t = setTimeout(() => process.kill(-redis!.pid!, 'SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('ioredis commands become client spans in our tracer, children of our active span', { skip: haveRedis ? false : 'redis-server not installed' }, async () => {
  // loaded after the instrumentation is enabled, as a CommonJS app would (require hook)
  const Redis = createRequire(import.meta.url)('ioredis') as typeof import('ioredis').default;
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0 });
  let rootTraceId = '';
  let rootSpanId = '';
  try {
    await client.connect();
    await trace.getTracer('app').startActiveSpan('checkout', async (root) => {
      rootTraceId = root.spanContext().traceId;
      rootSpanId = root.spanContext().spanId;
      await client.set('cart:42', 'three items');
      assert.equal(await client.get('cart:42'), 'three items');
      await assert.rejects(client.incr('cart:42'), /not an integer/);
      root.end();
    });
  } finally {
    client.disconnect();
  }
  await tracer.flush();
  const spans = mem.spans.filter((s: Span) => s.traceId === rootTraceId);
  const byName = new Map(spans.map((s) => [s.name, s]));
  const attrs = (s: Span) => Object.fromEntries(s.attributes.map((a) => [a.key, a.value.type === 'int' ? Number(a.value.value) : (a.value as { value?: unknown }).value]));
  for (const name of ['set', 'get', 'incr']) {
    const s = byName.get(name);
    assert.ok(s, `a span for ${name} (got ${spans.map((x) => x.name).join(', ')})`);
    assert.equal(s.parentSpanId, rootSpanId, `${name} is a child of the active span`);
    assert.equal(s.kind, SpanKind.CLIENT + 1, `${name} is a client span (model kind 3)`);
    assert.equal(s.scope.name, '@opentelemetry/instrumentation-ioredis');
    assert.equal(s.resource.serviceName, 'redis-app');
    const a = attrs(s);
    assert.equal(a['db.system'] ?? a['db.system.name'], 'redis');
    const statement = String(a['db.statement'] ?? a['db.query.text']);
    assert.match(statement, new RegExp(`^${name} cart:42`), `${name}: statement ${statement}`);
    assert.equal(a['net.peer.port'] ?? a['server.port'], port);
  }
  const failed = byName.get('incr')!;
  assert.equal(failed.status.code, SpanStatusCode.ERROR);
  assert.match(failed.status.message, /not an integer/);
  assert.ok(failed.events.some((e) => e.name === 'exception'), 'the error is recorded as an exception event');
  assert.equal(byName.get('checkout')?.parentSpanId, '', 'our own root span is there too');
});
