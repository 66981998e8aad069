import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { decodeJaegerAgentMessage, encodeJaegerProtoPostSpans, encodeOtlpProtobuf, ProtoReader } from '@ariadne/codec';
import { makeResource, makeSpan, type Span } from '@ariadne/model';
import { MemoryStore } from '@ariadne/storage';
import {
  JAEGER_POST_SPANS_PATH, OTLP_TRACE_EXPORT_PATH, SpanPipeline, startJaegerGrpcReceiver, startOtlpGrpcReceiver, type GrpcListener,
} from '@ariadne/collector';

const FIXTURES = process.env.ARIADNE_FIXTURES_DIR || fileURLToPath(new URL('../../../../shared/fixtures', import.meta.url));
const fixture = (f: string) => readFileSync(`${FIXTURES}/${f}`);

/** A raw unary call: bytes in, bytes or a gRPC error out. */
function call(l: GrpcListener, path: string, body: Uint8Array, opts: grpc.CallOptions = {}): Promise<{ err: grpc.ServiceError | null; res?: Buffer }> {
  const client = new grpc.Client(`${l.address.host}:${l.address.port}`, grpc.credentials.createInsecure(), { 'grpc.default_compression_algorithm': 2 });
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(body), new grpc.Metadata(), opts, (err, res) => {
      client.close();
      resolve({ err, res });
    });
  });
}

describe('gRPC receivers', () => {
  const store = new MemoryStore();
  const pipeline = new SpanPipeline(store);
  let otlp: GrpcListener;
  let jaeger: GrpcListener;
  before(async () => {
    otlp = await startOtlpGrpcReceiver(pipeline, { port: 0, name: 'otlp-grpc' });
    jaeger = await startJaegerGrpcReceiver(pipeline, { port: 0, name: 'jaeger-grpc' });
  });
  after(async () => {
    await otlp.close();
    await jaeger.close();
    await pipeline.close();
    await store.close();
  });

  test('OTLP Export of the real-client fixture (gzip-compressed by grpc-js) is stored before OK', async () => {
    const { err, res } = await call(otlp, OTLP_TRACE_EXPORT_PATH, fixture('otlp-http-protobuf.bin'));
    assert.equal(err, null);
    assert.equal(res!.length, 0, 'no partial success');
    const trace = await store.getTrace('5827fb2d5092bc246e70cccdf6fcb590');
    assert.equal(trace.length, 4);
  });

  test('Jaeger PostSpans of the fixture spans is stored with parents and services', async () => {
    const spans = [...decodeJaegerAgentMessage(fixture('jaeger-udp-compact-frontend.bin'), 'compact'), ...decodeJaegerAgentMessage(fixture('jaeger-udp-compact-backend.bin'), 'compact')];
    const { err } = await call(jaeger, JAEGER_POST_SPANS_PATH, encodeJaegerProtoPostSpans(spans));
    assert.equal(err, null);
    const trace = await store.getTrace('00000000000000002165cd8171cef678');
    assert.equal(trace.length, 4);
    const sql = trace.find((s) => s.name === 'SQL SELECT')!;
    assert.equal(sql.resource.serviceName, 'backend');
    assert.equal(sql.parentSpanId, spans.find((s) => s.name === 'SQL SELECT')!.parentSpanId);
  });

  test('undecodable requests get INVALID_ARGUMENT with a message; the server keeps serving', async () => {
    for (const [l, path] of [[otlp, OTLP_TRACE_EXPORT_PATH], [jaeger, JAEGER_POST_SPANS_PATH]] as const) {
      const { err } = await call(l, path, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]));
      assert.equal(err?.code, grpc.status.INVALID_ARGUMENT);
      assert.match(err!.details, /cannot decode/);
    }
    const again = await call(otlp, OTLP_TRACE_EXPORT_PATH, fixture('otlp-http-protobuf.bin'));
    assert.equal(again.err, null);
  });

  test('OTLP spans with zero ids are reported as partial success', async () => {
    const bad = makeSpan({ traceId: '0'.repeat(32), spanId: '1'.repeat(16), name: 'x', startTimeUnixNano: 1n, endTimeUnixNano: 2n, resource: makeResource('svc') });
    const good = makeSpan({ traceId: '2'.repeat(32), spanId: '3'.repeat(16), name: 'y', startTimeUnixNano: 1n, endTimeUnixNano: 2n, resource: makeResource('svc') });
    const { err, res } = await call(otlp, OTLP_TRACE_EXPORT_PATH, encodeOtlpProtobuf([bad, good]));
    assert.equal(err, null);
    // ExportTraceServiceResponse { partial_success (1) { rejected_spans (1), error_message (2) } }
    const r = new ProtoReader(res!);
    let rejected = 0;
    let message = '';
    while (r.more()) {
      r.tag();
      const saved = r.enter();
      while (r.more()) {
        const tag = r.tag();
        if (tag === 8) rejected = Number(r.int64());
        else if (tag === 18) message = r.string();
        else r.skip(tag);
      }
      r.leave(saved);
    }
    assert.equal(rejected, 1);
    assert.match(message, /invalid trace id/);
    assert.equal((await store.getTrace('2'.repeat(32))).length, 1);
  });
});

describe('gRPC back-pressure', () => {
  test('a full queue answers UNAVAILABLE with a google.rpc.RetryInfo detail, nothing acked is lost', async () => {
    const store = new MemoryStore();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // A store whose first write waits for the test (unit test of the receiver around it).
    const slow = Object.create(store) as MemoryStore;
    slow.writeSpans = async (spans: readonly Span[]) => {
      await gate;
      return store.writeSpans(spans);
    };
    const pipeline = new SpanPipeline(slow, { maxQueueSpans: 4, maxBatchDelayMs: 0 });
    const l = await startOtlpGrpcReceiver(pipeline, { port: 0, name: 'otlp-grpc' });
    try {
      const first = call(l, OTLP_TRACE_EXPORT_PATH, fixture('otlp-http-protobuf.bin'));
      await new Promise((r) => setTimeout(r, 100));
      const second = await call(l, OTLP_TRACE_EXPORT_PATH, fixture('otlp-http-protobuf.bin'));
      assert.equal(second.err?.code, grpc.status.UNAVAILABLE);
      const details = second.err!.metadata.get('grpc-status-details-bin')[0] as Buffer;
      assert.ok(details.includes(Buffer.from('type.googleapis.com/google.rpc.RetryInfo')), 'RetryInfo detail');
      release();
      assert.equal((await first).err, null);
      assert.equal((await store.getTrace('5827fb2d5092bc246e70cccdf6fcb590')).length, 4);
    } finally {
      release();
      await l.close();
      await pipeline.close();
    }
  });
});
