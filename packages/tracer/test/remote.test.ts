/**
 * RemoteReporter against a local capturing OTLP/HTTP server: env configuration, headers and gzip
 * on the wire, flush on beforeExit and SIGTERM in a real child process, config errors.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { decodeOtlpProtobuf, decodeOtlpJson } from '@ariadne/codec';
import type { Span } from '@ariadne/model';
import { ConfigError, initTracer, parseRetryAfter, reporterConfigFromEnv, RemoteReporter } from '../src/index.js';

const ROOT = new URL('../../../', import.meta.url).pathname;

interface Req {
  headers: http.IncomingHttpHeaders;
  url: string;
  spans: Span[];
}
let server: http.Server;
let base = '';
const received: Req[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const spans = req.headers['content-type'] === 'application/json' ? decodeOtlpJson(body.toString()) : decodeOtlpProtobuf(body);
      received.push({ headers: req.headers, url: req.url!, spans });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

describe('RemoteReporter configuration', () => {
  test('env: OTLP endpoint gets /v1/traces, headers and gzip (when asked for) go on the wire, protobuf by default', async () => {
    received.length = 0;
    const tracer = initTracer(
      { serviceName: 'env-svc' },
      { env: { OTEL_EXPORTER_OTLP_ENDPOINT: base + '/', OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20x,x-tenant=t1', OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' } },
    );
    assert.ok(tracer.reporter instanceof RemoteReporter);
    tracer.getTracer('t').startSpan('one').end();
    await tracer.close();
    assert.equal(received.length, 1);
    assert.equal(received[0].url, '/v1/traces');
    assert.equal(received[0].headers.authorization, 'Bearer x');
    assert.equal(received[0].headers['x-tenant'], 't1');
    assert.equal(received[0].headers['content-encoding'], 'gzip');
    assert.equal(received[0].headers['content-type'], 'application/x-protobuf');
    assert.equal(received[0].spans[0].name, 'one');
    assert.equal(received[0].spans[0].resource.serviceName, 'env-svc');
  });

  test('no compression by default (as the OpenTelemetry exporters)', async () => {
    received.length = 0;
    const tracer = initTracer({ serviceName: 'plain' }, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: base } });
    tracer.getTracer('t').startSpan('uncompressed').end();
    await tracer.close();
    assert.equal(received[0].headers['content-encoding'], undefined);
    assert.equal(received[0].spans[0].name, 'uncompressed');
  });

  test('env: TRACES_ENDPOINT is used as is; http/json; compression none', async () => {
    received.length = 0;
    const tracer = initTracer(
      { serviceName: 's' },
      { env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: base + '/custom', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:1', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_COMPRESSION: 'none' } },
    );
    tracer.getTracer('t').startSpan('json').end();
    await tracer.close();
    assert.equal(received[0].url, '/custom');
    assert.equal(received[0].headers['content-type'], 'application/json');
    assert.equal(received[0].headers['content-encoding'], undefined);
    assert.equal(received[0].spans[0].name, 'json');
  });

  test('env selection: OTEL_TRACES_EXPORTER none/console/jaeger/zipkin; nothing set → null reporter', () => {
    assert.deepEqual(reporterConfigFromEnv({}), undefined);
    assert.deepEqual(reporterConfigFromEnv({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' }), { type: 'null' });
    assert.deepEqual(reporterConfigFromEnv({ OTEL_TRACES_EXPORTER: 'console' }), { type: 'logging' });
    assert.deepEqual(reporterConfigFromEnv({ OTEL_TRACES_EXPORTER: 'jaeger', OTEL_EXPORTER_JAEGER_AGENT_HOST: 'agent', OTEL_EXPORTER_JAEGER_AGENT_PORT: '6831' }), {
      type: 'remote',
      protocol: 'jaeger-udp',
      agentHost: 'agent',
      agentPort: 6831,
    });
    assert.deepEqual(reporterConfigFromEnv({ OTEL_TRACES_EXPORTER: 'jaeger', JAEGER_ENDPOINT: 'http://c:14268/api/traces' }), { type: 'remote', protocol: 'jaeger-http', endpoint: 'http://c:14268/api/traces' });
    assert.deepEqual(reporterConfigFromEnv({ OTEL_TRACES_EXPORTER: 'zipkin', OTEL_BSP_MAX_QUEUE_SIZE: '10' }), { type: 'remote', protocol: 'zipkin', maxQueueSize: 10 });
    assert.equal(initTracer({}, { env: {} }).reporter.constructor.name, 'NullReporter');
  });

  test('bad configuration throws ConfigError naming the key', () => {
    const bad = (env: Record<string, string>, key: string) =>
      assert.throws(() => initTracer({}, { env }), (e: unknown) => e instanceof ConfigError && e.key === key);
    bad({ OTEL_TRACES_EXPORTER: 'carrier-pigeon' }, 'OTEL_TRACES_EXPORTER');
    bad({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_EXPORTER_OTLP_PROTOCOL: 'smoke' }, 'OTEL_EXPORTER_OTLP_PROTOCOL');
    bad({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_EXPORTER_OTLP_COMPRESSION: 'br' }, 'OTEL_EXPORTER_OTLP_COMPRESSION');
    bad({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_EXPORTER_OTLP_HEADERS: 'novalue' }, 'OTEL_EXPORTER_OTLP_HEADERS');
    const badCfg = (reporter: Record<string, unknown>, key: string) =>
      assert.throws(() => initTracer({ reporter: { type: 'remote', handleProcessExit: false, ...reporter } }, { env: {} }), (e: unknown) => e instanceof ConfigError && e.key === key);
    badCfg({ protocol: 'ftp' }, 'reporter.protocol');
    badCfg({ endpoint: 'not a url' }, 'reporter.endpoint');
    badCfg({ maxQueueSize: -1 }, 'reporter.maxQueueSize');
    badCfg({ flushIntervalMss: 1 }, 'reporter.flushIntervalMss');
    badCfg({ protocol: 'jaeger-udp', agentPort: 70000 }, 'reporter.agentPort');
  });

  test('Retry-After: seconds and HTTP dates', () => {
    assert.equal(parseRetryAfter('2'), 2000);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 7_000), 3000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
  });
});

function runChild(code: string, onReady?: (pid: number) => void): Promise<{ code: number | null; signal: string | null; out: string }> {
  const p = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: ROOT,
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: base, OTEL_SERVICE_NAME: 'child', OTEL_BSP_SCHEDULE_DELAY: '60000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  p.stdout.on('data', (d) => {
    out += d;
    if (out.includes('READY') && onReady) {
      onReady(p.pid!);
      onReady = undefined;
    }
  });
  p.stderr.on('data', (d) => (out += d));
  const t = setTimeout(() => p.kill('SIGKILL'), 20_000);
  return new Promise((resolve) => p.on('exit', (code, signal) => (clearTimeout(t), resolve({ code, signal, out }))));
}

describe('flush on process exit (real child processes)', () => {
  test('beforeExit: a process that just ends delivers its spans and exits 0', async () => {
    received.length = 0;
    const r = await runChild(`
      import { initTracer } from '@ariadne/tracer';
      const tracer = initTracer();
      for (let i = 0; i < 5; i++) tracer.getTracer('x').startSpan('exit-' + i).end();
    `);
    assert.equal(r.code, 0, r.out);
    assert.deepEqual(received.flatMap((q) => q.spans.map((s) => s.name)).sort(), ['exit-0', 'exit-1', 'exit-2', 'exit-3', 'exit-4']);
  });

  test('SIGTERM: spans are flushed, then the process dies of SIGTERM as it would have', async () => {
    received.length = 0;
    const r = await runChild(
      `
      import { initTracer } from '@ariadne/tracer';
      const tracer = initTracer();
      tracer.getTracer('x').startSpan('before-term').end();
      setInterval(() => {}, 1000);
      console.log('READY');
    `,
      (pid) => process.kill(pid, 'SIGTERM'),
    );
    assert.equal(r.signal, 'SIGTERM', r.out);
    assert.deepEqual(received.flatMap((q) => q.spans.map((s) => s.name)), ['before-term']);
  });

  test('SIGTERM with an application handler: we flush, the app decides when to exit', async () => {
    received.length = 0;
    const r = await runChild(
      `
      import { initTracer } from '@ariadne/tracer';
      const tracer = initTracer();
      tracer.getTracer('x').startSpan('app-handler').end();
      const iv = setInterval(() => {}, 1000);
      process.on('SIGTERM', () => { setTimeout(() => { clearInterval(iv); process.exitCode = 3; }, 300); });
      console.log('READY');
    `,
      (pid) => process.kill(pid, 'SIGTERM'),
    );
    assert.equal(r.code, 3, r.out);
    assert.deepEqual(received.flatMap((q) => q.spans.map((s) => s.name)), ['app-handler']);
  });
});
