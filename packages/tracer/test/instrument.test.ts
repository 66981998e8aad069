/**
 * Instrumentation in-process with an in-memory reporter: http server/client spans and their
 * errors, fetch, setHttpRoute, named ESM imports, suppression of the tracer's own exports, and
 * the traceMethod patch helper (the Elasticsearch-style example from docs/tracer.md).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { request as namedRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { SpanKind as K, StatusCode as ST, type Span } from '@ariadne/model';
import { InMemoryReporter, initTracer, instrumentHttp, instrumentUndici, setHttpRoute, traceMethod, uninstrumentHttp, type AriadneTracer } from '../src/index.js';

const reporter = new InMemoryReporter();
let tracer: AriadneTracer;
let server: http.Server;
let base = '';
let stopUndici: () => void;

before(async () => {
  tracer = initTracer({ serviceName: 'inst', propagation: ['tracecontext'] }, { reporter, env: {} });
  instrumentHttp();
  stopUndici = instrumentUndici();
  server = http.createServer((req, res) => {
    if (req.url?.startsWith('/users/')) setHttpRoute('/users/:id');
    if (req.url === '/boom') {
      res.statusCode = 503;
      res.end('no');
      return;
    }
    if (req.url === '/hang') {
      req.socket.destroy();
      return;
    }
    res.setHeader('x-traceparent-seen', String(req.headers.traceparent ?? ''));
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  uninstrumentHttp();
  stopUndici();
  server.closeAllConnections();
  server.close();
  await tracer.close();
});
beforeEach(() => reporter.clear());

async function spansSettle(n: number): Promise<Span[]> {
  for (let i = 0; i < 100 && reporter.spans.length < n; i++) await new Promise((r) => setTimeout(r, 10));
  return reporter.spans.slice();
}
const attr = (s: Span, k: string): unknown => {
  const v = s.attributes.find((a) => a.key === k)?.value;
  return v && 'value' in v ? v.value : undefined;
};

describe('http instrumentation', () => {
  test('client + server spans join: parent, kinds, attributes, route', async () => {
    await new Promise<void>((resolve, reject) => {
      tracer.getTracer('t').startActiveSpan('caller', (caller) => {
        http
          .get(`${base}/users/42?full=1`, (res) => {
            res.resume();
            res.on('end', () => {
              caller.end();
              resolve();
            });
          })
          .on('error', reject);
      });
    });
    const spans = await spansSettle(3);
    const caller = spans.find((s) => s.name === 'caller')!;
    const client = spans.find((s) => s.kind === K.CLIENT)!;
    const srv = spans.find((s) => s.kind === K.SERVER)!;
    assert.equal(client.parentSpanId, caller.spanId);
    assert.equal(srv.parentSpanId, client.spanId);
    assert.equal(srv.traceId, caller.traceId);
    assert.equal(srv.name, 'GET /users/:id');
    assert.equal(attr(srv, 'http.route'), '/users/:id');
    assert.equal(attr(srv, 'url.path'), '/users/42');
    assert.equal(attr(srv, 'url.query'), 'full=1');
    assert.equal(attr(srv, 'http.response.status_code'), 200);
    assert.equal(attr(client, 'url.full'), `${base}/users/42?full=1`);
    assert.equal(attr(client, 'http.response.status_code'), 200);
  });

  test('named ESM import of http.request is instrumented', async () => {
    await new Promise<void>((resolve) => {
      const req = namedRequest(`${base}/x`, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.end();
    });
    const spans = await spansSettle(2);
    assert.equal(spans.filter((s) => s.kind === K.CLIENT).length, 1);
  });

  test('5xx: server and client spans are errors', async () => {
    await new Promise<void>((resolve) => http.get(`${base}/boom`, (res) => (res.resume(), res.on('end', () => resolve()))));
    const spans = await spansSettle(2);
    for (const s of spans) {
      assert.equal(s.status.code, ST.ERROR, String(s.kind));
      assert.equal(attr(s, 'http.response.status_code'), 503);
    }
  });

  test('connection refused: client span records the exception; socket hang-up: server span aborted', async () => {
    await new Promise<void>((resolve) => http.get('http://127.0.0.1:1/', () => {}).on('error', () => resolve()));
    await new Promise<void>((resolve) => http.get(`${base}/hang`, () => {}).on('error', () => resolve()));
    const spans = await spansSettle(3);
    const refused = spans.find((s) => s.kind === K.CLIENT && attr(s, 'server.port') === 1)!;
    assert.equal(refused.status.code, ST.ERROR);
    assert.equal(attr(refused, 'error.type'), 'ECONNREFUSED');
    assert.ok(refused.events.some((e) => e.name === 'exception'));
    const srv = spans.find((s) => s.kind === K.SERVER)!;
    assert.equal(srv.status.code, ST.ERROR);
    assert.equal(attr(srv, 'error.type'), 'aborted');
  });

  test('fetch: client span, traceparent injected, joined by the server', async () => {
    let traceId = '';
    await tracer.getTracer('t').startActiveSpan('f', async (s) => {
      traceId = s.spanContext().traceId;
      const r = await fetch(`${base}/f`);
      assert.match(r.headers.get('x-traceparent-seen') ?? '', new RegExp(`^00-${traceId}-`));
      await r.text();
      s.end();
    });
    const spans = await spansSettle(3);
    const client = spans.find((s) => s.kind === K.CLIENT)!;
    const srv = spans.find((s) => s.kind === K.SERVER)!;
    assert.equal(client.traceId, traceId);
    assert.equal(srv.parentSpanId, client.spanId);
    assert.equal(attr(client, 'http.response.status_code'), 200);
  });

  test("the tracer's own export requests create no spans", async () => {
    const remote = initTracer(
      { serviceName: 'exp', reporter: { type: 'remote', endpoint: `${base}/v1/traces`, handleProcessExit: false, compression: 'none' } },
      { env: {}, register: false },
    );
    remote.getTracer('x').startSpan('exported').end();
    await remote.close();
    assert.equal(remote.metrics.reporterSpansSent, 1);
    // the in-process server sees the export (a SERVER span); no CLIENT span is made for it
    await spansSettle(1);
    assert.deepEqual(reporter.spans.map((s) => [s.name, s.kind]), [['POST', K.SERVER]]);
  });
});

describe('traceMethod (patch any library)', () => {
  class Transport {
    calls = 0;
    async performRequest(method: string, url: string, body?: unknown): Promise<{ took: number }> {
      this.calls++;
      if (url.includes('missing')) throw Object.assign(new Error('index_not_found_exception'), { name: 'ResponseError' });
      return { took: 3 };
    }
    sync(x: number): number {
      if (x < 0) throw new RangeError('negative');
      return x * 2;
    }
    cb(x: number, done: (err: Error | null, v?: number) => void): void {
      setImmediate(() => (x < 0 ? done(new Error('bad cb')) : done(null, x + 1)));
    }
  }

  test('the Elasticsearch-style example: span per call, tags, error tag + log, rethrow', async () => {
    const restore = traceMethod(Transport.prototype, 'performRequest', {
      name: (_self, args) => String(args[1]),
      kind: SpanKind.CLIENT,
      staticTags: { component: 'es-js' },
      tags: (_self, [method, url, body]) => ({ 'es.method': String(method), 'es.url': String(url), ...(body ? { 'db.statement': JSON.stringify(body) } : {}) }),
    });
    try {
      const t = new Transport();
      assert.deepEqual(await t.performRequest('GET', '/idx/_search', { query: { match_all: {} } }), { took: 3 });
      await assert.rejects(t.performRequest('GET', '/missing/_doc/1'), (e: Error) => e.name === 'ResponseError');
      assert.equal(t.calls, 2);
      const [ok, bad] = reporter.spans;
      assert.equal(ok.name, '/idx/_search');
      assert.equal(ok.kind, K.CLIENT);
      assert.equal(attr(ok, 'component'), 'es-js');
      assert.equal(attr(ok, 'db.statement'), '{"query":{"match_all":{}}}');
      assert.equal(ok.status.code, ST.UNSET);
      assert.equal(bad.name, '/missing/_doc/1');
      assert.equal(attr(bad, 'error'), true);
      assert.equal(bad.status.code, ST.ERROR);
      const log = bad.events.find((e) => e.name === 'error')!;
      assert.deepEqual(log.attributes.find((a) => a.key === 'message')?.value, { type: 'string', value: 'index_not_found_exception' });
    } finally {
      restore();
    }
    assert.equal(Transport.prototype.performRequest.name, 'performRequest');
  });

  test('sync methods, error-first callbacks, nesting under the active span, restore', async () => {
    const r1 = traceMethod(Transport.prototype, 'sync');
    const r2 = traceMethod(Transport.prototype, 'cb', { callback: true });
    const t = new Transport();
    tracer.getTracer('t').startActiveSpan('outer', (outer) => {
      assert.equal(t.sync(2), 4);
      assert.throws(() => t.sync(-1), RangeError);
      outer.end();
    });
    assert.equal(await new Promise((res) => t.cb(1, (_e, v) => res(v))), 2);
    await new Promise((res) => t.cb(-1, (e) => res(e)));
    r1();
    r2();
    const names = reporter.spans.map((s) => s.name);
    assert.deepEqual(names, ['Transport.sync', 'Transport.sync', 'outer', 'Transport.cb', 'Transport.cb']);
    const outer = reporter.spans[2];
    assert.equal(reporter.spans[0].parentSpanId, outer.spanId);
    assert.equal(reporter.spans[1].status.code, ST.ERROR);
    assert.equal(reporter.spans[3].status.code, ST.UNSET);
    assert.equal(reporter.spans[4].status.code, ST.ERROR);
    reporter.clear();
    t.sync(1);
    assert.equal(reporter.spans.length, 0, 'restored');
  });
});
