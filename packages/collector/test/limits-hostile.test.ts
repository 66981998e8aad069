/**
 * The spans-per-request limit on every ingest receiver (a small body can decode into very many
 * spans): over the limit → 413 (HTTP) / INVALID_ARGUMENT (gRPC) with a message and nothing stored;
 * at the limit → stored. Real sockets, real MemoryStore.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { encodeJaegerProtoPostSpans, encodeJaegerThriftBatch, encodeOtlpProtobuf, encodeZipkinV2Json } from '@ariadne/codec';
import { MemoryStore } from '@ariadne/storage';
import {
  createJaegerHttpHandler, createOtlpHttpHandler, createZipkinHttpHandler, SpanPipeline, startHttpServer, startJaegerGrpcReceiver, startOtlpGrpcReceiver,
  type GrpcListener, type HttpListener,
} from '../src/index.js';
import { send } from './http-client.js';
import { spans } from './helpers.js';

const MAX = 20;
let store: MemoryStore;
let pipeline: SpanPipeline;
const http: Record<string, HttpListener> = {};
const grpcs: Record<string, GrpcListener> = {};

before(async () => {
  store = new MemoryStore();
  pipeline = new SpanPipeline(store);
  http.otlp = await startHttpServer(createOtlpHttpHandler(pipeline, { maxSpansPerRequest: MAX }), { port: 0, name: 'otlp' });
  http.zipkin = await startHttpServer(createZipkinHttpHandler(pipeline, { maxSpansPerRequest: MAX }), { port: 0, name: 'zipkin' });
  http.jaeger = await startHttpServer(createJaegerHttpHandler(pipeline, { maxSpansPerRequest: MAX }), { port: 0, name: 'jaeger' });
  grpcs.otlp = await startOtlpGrpcReceiver(pipeline, { port: 0, name: 'otlp-grpc', maxSpansPerRequest: MAX });
  grpcs.jaeger = await startJaegerGrpcReceiver(pipeline, { port: 0, name: 'jaeger-grpc', maxSpansPerRequest: MAX });
});
after(async () => {
  await Promise.all([...Object.values(http), ...Object.values(grpcs)].map((l) => l.close()));
  await pipeline.close();
  await store.close();
});

function call(l: GrpcListener, path: string, body: Uint8Array): Promise<grpc.ServiceError | null> {
  const client = new grpc.Client(`127.0.0.1:${l.address.port}`, grpc.credentials.createInsecure());
  return new Promise((resolve) =>
    client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(body), (err) => {
      client.close();
      resolve(err);
    }),
  );
}

const cases = [
  ['OTLP/HTTP', (s: ReturnType<typeof spans>) => send(http.otlp.address.port, { headers: { 'content-type': 'application/x-protobuf' }, chunks: [encodeOtlpProtobuf(s)] })],
  ['Zipkin', (s: ReturnType<typeof spans>) => send(http.zipkin.address.port, { path: '/api/v2/spans', headers: { 'content-type': 'application/json' }, chunks: [Buffer.from(JSON.stringify(encodeZipkinV2Json(s)))] })],
  ['Jaeger HTTP', (s: ReturnType<typeof spans>) => send(http.jaeger.address.port, { path: '/api/traces', headers: { 'content-type': 'application/x-thrift' }, chunks: [encodeJaegerThriftBatch(s, 'binary')[0]] })],
] as const;

for (const [name, post] of cases) {
  test(`${name}: more spans than the limit → 413 with a message, nothing stored; at the limit → stored`, async () => {
    const over = spans(MAX + 1, `over-${name}`);
    const r = await post(over);
    assert.equal(r.status, 413);
    assert.match(r.body.toString(), new RegExp(`${MAX + 1} spans, more than the limit of ${MAX}`));
    assert.deepEqual(await store.getTrace(over[0].traceId), []);
    const ok = spans(MAX, `ok-${name}`);
    const r2 = await post(ok);
    assert.ok(r2.status === 200 || r2.status === 202, `${r2.status} ${r2.body}`);
    assert.equal((await store.getTrace(ok[0].traceId)).length, 1);
  });
}

for (const [name, path, enc] of [
  ['OTLP/gRPC', '/opentelemetry.proto.collector.trace.v1.TraceService/Export', encodeOtlpProtobuf],
  ['Jaeger gRPC', '/jaeger.api_v2.CollectorService/PostSpans', encodeJaegerProtoPostSpans],
] as const) {
  test(`${name}: more spans than the limit → INVALID_ARGUMENT, nothing stored`, async () => {
    const over = spans(MAX + 1, `over-${name}`);
    const err = await call(name.startsWith('OTLP') ? grpcs.otlp : grpcs.jaeger, path, enc(over));
    assert.equal(err?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err!.details, /more than the limit of 20/);
    assert.deepEqual(await store.getTrace(over[0].traceId), []);
    assert.equal(await call(name.startsWith('OTLP') ? grpcs.otlp : grpcs.jaeger, path, enc(spans(MAX))), null);
  });
}
