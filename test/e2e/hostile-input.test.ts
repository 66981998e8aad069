/**
 * Bad input against every receiver of a running all-in-one: random bytes, truncated bodies, wrong
 * content types, nesting bombs, 10,000 attributes, huge strings and zero ids. Each gets a clear 4xx
 * (or gRPC INVALID_ARGUMENT), the server keeps serving, and what was stored before is intact.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { encodeJaegerThriftBatch, encodeOtlpProtobuf, encodeZipkinV2Json } from '@ariadne/codec';
import { attr, makeResource, makeSpan, randomSpanId, randomTraceId } from '@ariadne/model';
import { fixture, getJson, startAriadne, type Running } from './helpers.js';

let app: Running;
before(async () => {
  app = await startAriadne({ args: ['--storage', 'memory'] });
});
after(async () => {
  await app?.stop();
});

async function post(listener: string, path: string, body: Uint8Array | string, contentType: string) {
  const res = await fetch(app.url(listener, path), { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: res.status, text: await res.text() };
}

function grpcCall(listener: string, path: string, body: Uint8Array): Promise<grpc.ServiceError | null> {
  const a = app.addresses.get(listener)!;
  const client = new grpc.Client(`${a.host}:${a.port}`, grpc.credentials.createInsecure());
  return new Promise((resolve) =>
    client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(body), (err) => {
      client.close();
      resolve(err);
    }),
  );
}

const span = (over: Parameters<typeof makeSpan>[0] extends infer T ? Partial<T> : never = {}) =>
  makeSpan({ traceId: randomTraceId(), spanId: randomSpanId(), name: 'hostile-test', startTimeUnixNano: BigInt(Date.now()) * 1_000_000n, endTimeUnixNano: BigInt(Date.now()) * 1_000_000n + 1000n, resource: makeResource('hostile'), ...over });

const BOMB = '['.repeat(200_000) + ']'.repeat(200_000);
const OBJ_BOMB = '{"resourceSpans":' + '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000) + '}';

describe('every HTTP receiver refuses garbage with a 4xx and a message', () => {
  const cases: Array<[string, string, string]> = [
    ['otlp-http', '/v1/traces', 'application/x-protobuf'],
    ['otlp-http', '/v1/traces', 'application/json'],
    ['jaeger-http', '/api/traces', 'application/x-thrift'],
    ['zipkin', '/api/v2/spans', 'application/json'],
    ['zipkin', '/api/v2/spans', 'application/x-protobuf'],
    ['zipkin', '/api/v1/spans', 'application/json'],
  ];
  for (const [listener, path, type] of cases) {
    test(`${listener} ${path} ${type}`, async () => {
      for (let i = 0; i < 20; i++) {
        const r = await post(listener, path, randomBytes(1 + Math.floor(Math.random() * 2000)), type);
        assert.ok(r.status >= 400 && r.status < 500, `random bytes → ${r.status} ${r.text}`);
        assert.ok(r.text.length > 0, 'a message says what is wrong');
      }
      if (type.includes('json')) {
        for (const bomb of [BOMB, OBJ_BOMB, '"just a string"', 'null', '{"resourceSpans": 5}']) {
          const r = await post(listener, path, bomb, type);
          assert.equal(r.status, 400, `${bomb.slice(0, 20)} → ${r.status} ${r.text.slice(0, 200)}`);
        }
      }
      const wrong = await post(listener, path, 'x', 'text/html');
      assert.equal(wrong.status, 415);
    });
  }

  test('truncated real-client payloads at many offsets: 400, never 5xx', async () => {
    const pb = fixture('otlp-http-protobuf.bin');
    for (let cut = 1; cut < pb.length; cut += 97) {
      const r = await post('otlp-http', '/v1/traces', pb.subarray(0, cut), 'application/x-protobuf');
      assert.ok(r.status === 400 || r.status === 200, `cut ${cut}: ${r.status}`);
    }
    const zk = fixture('zipkin-v2.json');
    for (let cut = 1; cut < zk.length; cut += 131) {
      const r = await post('zipkin', '/api/v2/spans', zk.subarray(0, cut), 'application/json');
      assert.equal(r.status, 400, `zipkin cut ${cut}`);
    }
  });
});

describe('gRPC receivers answer INVALID_ARGUMENT', () => {
  for (const [listener, path] of [
    ['otlp-grpc', '/opentelemetry.proto.collector.trace.v1.TraceService/Export'],
    ['jaeger-grpc', '/jaeger.api_v2.CollectorService/PostSpans'],
  ] as const) {
    test(listener, async () => {
      for (let i = 0; i < 10; i++) {
        const err = await grpcCall(listener, path, Buffer.concat([Buffer.from([0x0a, 0xff, 0xff, 0x03]), randomBytes(50)]));
        assert.equal(err?.code, grpc.status.INVALID_ARGUMENT, String(err));
      }
    });
  }
});

describe('valid but extreme spans are stored within limits, with warnings', () => {
  test('10,000 attributes and a 1 MiB string: truncated, warned, stored', async () => {
    const attrs = Array.from({ length: 10_000 }, (_, i) => attr(`k${i}`, i));
    attrs.unshift(attr('huge', 'x'.repeat(1024 * 1024)));
    const s = span({ attributes: attrs });
    const r = await post('otlp-http', '/v1/traces', encodeOtlpProtobuf([s]), 'application/x-protobuf');
    assert.equal(r.status, 200);
    const t = await getJson(app.url('query', `/api/traces/${s.traceId}`));
    assert.equal(t.status, 200);
    const got = t.body.data[0].spans[0];
    assert.ok(got.tags.length <= 1010, `attributes limited (${got.tags.length})`);
    assert.ok(got.tags.find((x: any) => x.key === 'huge').value.length <= 64 * 1024, 'huge value truncated');
    assert.ok(got.warnings.some((w: string) => /dropped/.test(w)), 'dropped attributes warned');
    assert.ok(got.warnings.some((w: string) => /truncated/.test(w)), 'truncation warned');
  });

  test('zero ids: OTLP partial success, Zipkin and Jaeger 400 naming the id; valid neighbours stored', async () => {
    const good = span();
    const bad = span({ traceId: '0'.repeat(32) });
    const r = await post('otlp-http', '/v1/traces', JSON.stringify({ resourceSpans: [] }), 'application/json');
    assert.equal(r.status, 200);
    const partial = await post('otlp-http', '/v1/traces', encodeOtlpProtobuf([good, bad]), 'application/x-protobuf');
    assert.equal(partial.status, 200);
    assert.equal((await getJson(app.url('query', `/api/traces/${good.traceId}`))).status, 200);
    const zk = await post('zipkin', '/api/v2/spans', JSON.stringify(encodeZipkinV2Json([span({ spanId: '0'.repeat(16) })])), 'application/json');
    assert.equal(zk.status, 400);
    assert.match(zk.text, /invalid span id/);
    const jg = await post('jaeger-http', '/api/traces', encodeJaegerThriftBatch([span({ traceId: '0'.repeat(32) })], 'binary')[0], 'application/x-thrift');
    assert.equal(jg.status, 400);
    assert.match(jg.text, /invalid trace id/);
  });
});

test('after all of it: UDP garbage is counted, the server is healthy and still stores good spans', async () => {
  const sock = createSocket('udp4');
  const a = app.addresses.get('agent-compact')!;
  for (let i = 0; i < 50; i++) await new Promise<void>((res) => sock.send(randomBytes(300), a.port, a.host, () => res()));
  sock.close();
  const s = span();
  const r = await post('otlp-http', '/v1/traces', encodeOtlpProtobuf([s]), 'application/x-protobuf');
  assert.equal(r.status, 200);
  assert.equal((await getJson(app.url('query', `/api/traces/${s.traceId}`))).status, 200);
  assert.equal((await getJson(app.url('admin', '/health'))).status, 200);
  const metrics = await (await fetch(app.url('admin', '/metrics'))).text();
  const m = /ariadne_collector_requests_total\{receiver="jaeger-udp-compact",code="decode_error"\} (\d+)/.exec(metrics);
  assert.ok(m && Number(m[1]) >= 40, `decode errors counted: ${m?.[1]}`);
});
