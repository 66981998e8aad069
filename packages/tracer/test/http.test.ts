import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as ot from 'opentracing';
import { context, propagation, trace, SpanKind, ROOT_CONTEXT } from '@opentelemetry/api';
import { findAttribute } from '@ariadne/model';
import { initTracer, InMemoryReporter, type AriadneTracer } from '../src/index.js';

// Two "services" in one process talking over real HTTP: the client injects, the server extracts.
describe('propagation over real HTTP requests', () => {
  const reporter = new InMemoryReporter();
  let tracer: AriadneTracer;
  let server: http.Server;
  let port = 0;
  before(async () => {
    tracer = initTracer({ serviceName: 'http-test', sampler: { type: 'const', param: 1 }, propagation: ['tracecontext', 'baggage', 'jaeger', 'b3multi'] }, { reporter, env: {} });
    server = http.createServer((req, res) => {
      // OpenTracing server side, as in the seed document
      const parent = tracer.extract(ot.FORMAT_HTTP_HEADERS, req.headers);
      tracer.startActiveSpan('server ' + req.url, { childOf: parent ?? undefined, tags: { [ot.Tags.SPAN_KIND]: ot.Tags.SPAN_KIND_RPC_SERVER } }, async (span) => {
        await new Promise((r) => setTimeout(r, 2));
        // the OTel API sees the same active span
        const db = trace.getTracer('db').startSpan('SELECT', { kind: SpanKind.CLIENT });
        db.end();
        res.end(JSON.stringify({ user: span.getBaggageItem('user') ?? null, headers: req.headers }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await tracer.close();
  });

  function get(path: string, headers: Record<string, string>): Promise<{ user: string | null; headers: Record<string, string> }> {
    return new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path, headers }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve(JSON.parse(body)));
        })
        .on('error', reject);
    });
  }

  it('OTel client → OpenTracing server: one trace, parent links, baggage across the wire', async () => {
    reporter.clear();
    const t = trace.getTracer('client');
    await t.startActiveSpan('client GET', { kind: SpanKind.CLIENT }, async (span) => {
      const headers: Record<string, string> = {};
      const ctx = propagation.setBaggage(context.active(), propagation.createBaggage({ user: { value: 'ada lovelace' } }));
      propagation.inject(ctx, headers);
      const r = await get('/users/1', headers);
      assert.equal(r.user, 'ada lovelace');
      assert.ok(r.headers.traceparent && r.headers['uber-trace-id'] && r.headers['x-b3-traceid'] && r.headers.baggage);
      span.end();
    });
    await new Promise((r) => setTimeout(r, 10));
    const client = reporter.spans.find((s) => s.name === 'client GET')!;
    const srv = reporter.spans.find((s) => s.name === 'server /users/1')!;
    const db = reporter.spans.find((s) => s.name === 'SELECT')!;
    assert.equal(srv.traceId, client.traceId);
    assert.equal(srv.parentSpanId, client.spanId);
    assert.equal(srv.flags & 0x200, 0x200, 'server span knows its parent is remote');
    assert.deepEqual(findAttribute(srv.attributes, 'sampler.type'), undefined, 'decision came from the caller');
    assert.equal(db.parentSpanId, srv.spanId);
    assert.equal(tracer.metrics.tracesJoinedSampled >= 1, true);
  });

  it('a request with hostile trace headers starts a new trace and is served normally', async () => {
    reporter.clear();
    const r = await get('/hostile', { traceparent: '00-zz-zz-zz', 'uber-trace-id': '::::', 'x-b3-traceid': '%%%', baggage: '=;=;,,,' });
    assert.equal(r.user, null);
    await new Promise((res) => setTimeout(res, 10));
    const srv = reporter.spans.find((s) => s.name === 'server /hostile')!;
    assert.equal(srv.parentSpanId, '');
    assert.deepEqual(findAttribute(srv.attributes, 'sampler.type'), { type: 'string', value: 'const' });
    assert.equal(trace.getSpan(ROOT_CONTEXT), undefined);
  });
});
