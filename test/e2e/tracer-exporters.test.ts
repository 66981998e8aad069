/**
 * The tracer's RemoteReporter and every sender against a real all-in-one: spans arrive with their
 * parents and attributes; a dead or slow collector never slows or crashes the app; 503 +
 * Retry-After is retried and delivered; oversized UDP spans are dropped and counted; close flushes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { AddressInfo } from 'node:net';
import { SpanKind, trace } from '@opentelemetry/api';
import { retryInfoStatusDetails } from '@ariadne/collector';
import { initTracer, retryDelayFromStatusDetails, type AriadneTracer, type ReporterConfig } from '@ariadne/tracer';
import { getJson, ROOT, startAriadne, type Running } from './helpers.js';

let app: Running;
before(async () => {
  app = await startAriadne({ args: ['--storage', 'memory'] });
});
after(async () => {
  await app?.stop();
});

async function waitForTrace(traceId: string, spans: number, timeoutMs = 10_000): Promise<any> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await getJson(app.url('query', `/api/traces/${traceId}`));
    if (r.status === 200 && r.body.data?.[0]?.spans?.length >= spans) return r.body.data[0];
    if (Date.now() > end) throw new Error(`trace ${traceId} did not arrive with ${spans} spans: ${JSON.stringify(r.body).slice(0, 300)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** A parent with two children (OTel + OpenTracing faces), attributes of several types. */
function makeTrace(tracer: AriadneTracer, tag: string): string {
  const t = tracer.getTracer('e2e');
  let traceId = '';
  t.startActiveSpan(`root-${tag}`, { kind: SpanKind.SERVER, attributes: { 'http.method': 'GET', n: 42, ok: true } }, (root) => {
    traceId = root.spanContext().traceId;
    const c = t.startSpan('child-otel', { kind: SpanKind.CLIENT, attributes: { 'peer.service': 'db', ratio: 0.5 } });
    c.end();
    const ot = tracer.startSpan('child-ot', { tags: { component: 'opentracing', count: 7 } });
    ot.finish();
    root.end();
  });
  return traceId;
}

function checkTrace(data: any, tag: string, service: string): void {
  const byName = new Map<string, any>(data.spans.map((s: any) => [s.operationName, s]));
  const root = byName.get(`root-${tag}`);
  assert.ok(root, 'root span stored');
  for (const name of ['child-otel', 'child-ot']) {
    const c = byName.get(name);
    assert.ok(c, `${name} stored`);
    assert.equal(c.references?.[0]?.spanID, root.spanID, `${name} parent is the root`);
  }
  const tags = (s: any) => Object.fromEntries(s.tags.map((t: any) => [t.key, t.value]));
  assert.equal(tags(root)['http.method'], 'GET');
  assert.equal(Number(tags(root).n), 42);
  assert.equal(tags(byName.get('child-otel'))['peer.service'], 'db');
  assert.equal(tags(byName.get('child-ot')).component, 'opentracing');
  assert.equal(data.processes[root.processID].serviceName, service);
}

describe('RemoteReporter senders against a real all-in-one', () => {
  const cases: [string, () => ReporterConfig][] = [
    ['http/protobuf', () => ({ type: 'remote', protocol: 'http/protobuf', endpoint: app.url('otlp-http', '/v1/traces') })],
    ['http/json', () => ({ type: 'remote', protocol: 'http/json', endpoint: app.url('otlp-http', '/v1/traces'), compression: 'none' })],
    ['grpc', () => ({ type: 'remote', protocol: 'grpc', endpoint: app.url('otlp-grpc') })],
    ['jaeger-udp', () => ({ type: 'remote', protocol: 'jaeger-udp', agentHost: app.addresses.get('agent-compact')!.host, agentPort: app.addresses.get('agent-compact')!.port })],
    ['jaeger-http', () => ({ type: 'remote', protocol: 'jaeger-http', endpoint: app.url('jaeger-http', '/api/traces') })],
    ['zipkin', () => ({ type: 'remote', protocol: 'zipkin', endpoint: app.url('zipkin', '/api/v2/spans') })],
  ];
  for (const [name, cfg] of cases) {
    test(`${name}: spans arrive with parents and attributes; close() flushes`, async () => {
      const service = `svc-${name.replace('/', '-')}`;
      const tracer = initTracer({ serviceName: service, reporter: cfg() }, { env: {} });
      const id = makeTrace(tracer, name);
      await tracer.close();
      const m = tracer.metrics.snapshot();
      assert.equal(m.reporterSpansSent, 3, JSON.stringify(m));
      assert.equal(m.reporterSpansFailed + m.reporterSpansDropped, 0);
      checkTrace(await waitForTrace(id, 3), name, service);
    });
  }

  test('environment selects the OTLP exporter (endpoint + /v1/traces, headers, protocol)', async () => {
    const base = app.url('otlp-http');
    const tracer = initTracer(
      { serviceName: 'svc-env' },
      { env: { OTEL_EXPORTER_OTLP_ENDPOINT: base, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=a%20b' } },
    );
    const id = makeTrace(tracer, 'env');
    await tracer.close();
    checkTrace(await waitForTrace(id, 3), 'env', 'svc-env');
  });

  test('environment selects OTLP/gRPC', async () => {
    const tracer = initTracer({ serviceName: 'svc-env-grpc' }, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: app.url('otlp-grpc'), OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } });
    const id = makeTrace(tracer, 'env-grpc');
    await tracer.close();
    checkTrace(await waitForTrace(id, 3), 'env-grpc', 'svc-env-grpc');
  });

  for (const protocol of ['grpc', 'http/protobuf']) {
    test(`a process exporting over ${protocol} exits by itself and its spans arrive (beforeExit flush)`, async () => {
      const endpoint = protocol === 'grpc' ? app.url('otlp-grpc') : app.url('otlp-http');
      const code = `
        import { initTracer } from '@ariadne/tracer';
        const tracer = initTracer();
        const s = tracer.getTracer('x').startSpan('exit-span');
        console.log(s.spanContext().traceId);
        s.end();
      `;
      const p = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', code], {
        cwd: ROOT,
        env: { ...process.env, OTEL_SERVICE_NAME: 'svc-exit', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_BSP_SCHEDULE_DELAY: '60000' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      const t0 = Date.now();
      const killer = setTimeout(() => p.kill('SIGKILL'), 15_000);
      const exit = await new Promise<number | null>((r) => p.on('exit', (c) => r(c)));
      clearTimeout(killer);
      assert.equal(exit, 0, 'exited by itself');
      assert.ok(Date.now() - t0 < 14_000);
      await waitForTrace(out.trim(), 1);
    });
  }

  test('gRPC RetryInfo in grpc-status-details-bin is read as the retry delay', () => {
    assert.equal(retryDelayFromStatusDetails(retryInfoStatusDetails(14, 'queue full', 3)), 3000);
    assert.equal(retryDelayFromStatusDetails(Buffer.from([0xff, 0xff])), undefined);
    assert.equal(retryDelayFromStatusDetails(undefined), undefined);
  });

  test('a batch is sent when full, without waiting for the flush interval', async () => {
    const tracer = initTracer(
      { serviceName: 'svc-batch', reporter: { type: 'remote', endpoint: app.url('otlp-http', '/v1/traces'), batchSize: 10, flushIntervalMs: 60_000 } },
      { env: {} },
    );
    const t = tracer.getTracer('x');
    const root = t.startSpan('batch-root');
    const traceId = root.spanContext().traceId;
    for (let i = 0; i < 9; i++) t.startSpan(`c${i}`, {}, trace.setSpan(tracer.provider.contextManager.active(), root)).end();
    root.end();
    await waitForTrace(traceId, 10, 5000);
    assert.equal(tracer.metrics.reporterSpansSent, 10);
    await tracer.close();
  });

  test('503 + Retry-After is retried and delivered', async () => {
    let calls = 0;
    const seen: number[] = [];
    const target = new URL(app.url('otlp-http', '/v1/traces'));
    const proxy = http.createServer((req, res) => {
      calls++;
      seen.push(Date.now());
      if (calls === 1) {
        req.resume();
        res.writeHead(503, { 'retry-after': '1' }).end('busy');
        return;
      }
      const up = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers: req.headers }, (ur) => {
        res.writeHead(ur.statusCode!, ur.headers);
        ur.pipe(res);
      });
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const port = (proxy.address() as AddressInfo).port;
      const tracer = initTracer({ serviceName: 'svc-retry', reporter: { type: 'remote', endpoint: `http://127.0.0.1:${port}/v1/traces`, initialBackoffMs: 10 } }, { env: {} });
      const id = makeTrace(tracer, 'retry');
      await tracer.flush();
      assert.equal(calls, 2);
      assert.ok(seen[1] - seen[0] >= 950, `waited for Retry-After (${seen[1] - seen[0]} ms)`);
      assert.equal(tracer.metrics.reporterSpansSent, 3);
      checkTrace(await waitForTrace(id, 3), 'retry', 'svc-retry');
      await tracer.close();
    } finally {
      proxy.close();
    }
  });

  test('400 is not retried: the batch fails and is counted', async () => {
    let calls = 0;
    const srv = http.createServer((req, res) => {
      calls++;
      req.resume();
      res.writeHead(400).end('bad');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const port = (srv.address() as AddressInfo).port;
      const tracer = initTracer({ serviceName: 's', reporter: { type: 'remote', endpoint: `http://127.0.0.1:${port}/v1/traces` } }, { env: {} });
      makeTrace(tracer, 'x');
      await tracer.close();
      assert.equal(calls, 1);
      assert.equal(tracer.metrics.reporterSpansFailed, 3);
      assert.equal(tracer.metrics.reporterSpansSent, 0);
    } finally {
      srv.close();
    }
  });

  test('dead collector: the app is not slowed, the queue stays bounded, drops and failures counted', async () => {
    // a port nobody listens on
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    const tracer = initTracer(
      { serviceName: 's', reporter: { type: 'remote', endpoint: `http://127.0.0.1:${port}/v1/traces`, maxQueueSize: 100, batchSize: 50, flushIntervalMs: 10, closeTimeoutMs: 500 } },
      { env: {} },
    );
    const t = tracer.getTracer('x');
    const start = process.hrtime.bigint();
    let worst = 0n;
    for (let i = 0; i < 20_000; i++) {
      const a = process.hrtime.bigint();
      t.startSpan('s').end();
      const d = process.hrtime.bigint() - a;
      if (d > worst) worst = d;
      if (i % 1000 === 0) await new Promise((r) => setImmediate(r));
    }
    const total = Number(process.hrtime.bigint() - start) / 1e6;
    assert.ok(tracer.metrics.reporterQueueLength <= 100);
    assert.ok(tracer.metrics.reporterSpansDropped > 15_000, JSON.stringify(tracer.metrics.snapshot()));
    assert.ok(total < 5000, `20k spans took ${total} ms`);
    const c0 = Date.now();
    await tracer.close();
    assert.ok(Date.now() - c0 < 3000, 'close is bounded by closeTimeoutMs');
    const m = tracer.metrics.snapshot();
    assert.equal(m.reporterSpansSent, 0);
    assert.equal(m.reporterSpansFailed + m.reporterSpansDropped, 20_000, JSON.stringify(m));
  });

  test('slow collector (never answers): app-side timings bounded, close bounded', async () => {
    const sockets = new Set<net.Socket>();
    const srv = net.createServer((sock) => {
      sockets.add(sock);
      sock.on('error', () => {});
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const port = (srv.address() as AddressInfo).port;
      const tracer = initTracer(
        { serviceName: 's', reporter: { type: 'remote', endpoint: `http://127.0.0.1:${port}/v1/traces`, maxQueueSize: 200, batchSize: 100, timeoutMs: 300, closeTimeoutMs: 800 } },
        { env: {} },
      );
      const t = tracer.getTracer('x');
      const a = Date.now();
      for (let i = 0; i < 5000; i++) {
        t.startSpan('s').end();
        if (i % 500 === 0) await new Promise((r) => setImmediate(r));
      }
      assert.ok(Date.now() - a < 3000);
      const c0 = Date.now();
      await tracer.close();
      assert.ok(Date.now() - c0 < 2500, `close took ${Date.now() - c0} ms`);
      const m = tracer.metrics.snapshot();
      assert.equal(m.reporterSpansSent, 0);
      assert.equal(m.reporterSpansFailed + m.reporterSpansDropped, 5000, JSON.stringify(m));
    } finally {
      for (const s of sockets) s.destroy();
      srv.close();
    }
  });

  test('jaeger-udp: a span larger than a packet is dropped and counted, the rest arrive', async () => {
    const a = app.addresses.get('agent-compact')!;
    const tracer = initTracer({ serviceName: 'svc-udp-big', reporter: { type: 'remote', protocol: 'jaeger-udp', agentHost: a.host, agentPort: a.port } }, { env: {} });
    const t = tracer.getTracer('x');
    let traceId = '';
    t.startActiveSpan('udp-root', (root) => {
      traceId = root.spanContext().traceId;
      t.startSpan('huge', { attributes: { blob: 'x'.repeat(70_000) } }).end();
      // many medium spans: the batch must be split over several packets
      for (let i = 0; i < 40; i++) t.startSpan(`medium-${i}`, { attributes: { blob: 'y'.repeat(4000) } }).end();
      root.end();
    });
    await tracer.close();
    const m = tracer.metrics.snapshot();
    assert.equal(m.reporterSpansDropped, 1, JSON.stringify(m));
    assert.equal(m.reporterSpansSent, 41);
    const data = await waitForTrace(traceId, 41);
    assert.equal(data.spans.length, 41);
    assert.ok(!data.spans.some((s: any) => s.operationName === 'huge'));
  });
});
