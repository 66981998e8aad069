import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { CodecError, decodeJaegerAgentMessage, decodeJaegerProtoPostSpans, encodeJaegerProtoPostSpans } from '@ariadne/codec';
import { attributeValuesEqual, type Span } from '@ariadne/model';
import { readFixture } from './helpers/expect.js';

const require = createRequire(import.meta.url);

/** The api_v2 messages we need, written from the published model.proto field numbers (test-only cross-check). */
const SCHEMA = `
syntax = "proto3";
package jaeger.api_v2;
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
message Duration { int64 seconds = 1; int32 nanos = 2; }
enum ValueType { STRING = 0; BOOL = 1; INT64 = 2; FLOAT64 = 3; BINARY = 4; }
message KeyValue { string key = 1; ValueType v_type = 2; string v_str = 3; bool v_bool = 4; int64 v_int64 = 5; double v_float64 = 6; bytes v_binary = 7; }
message Log { Timestamp timestamp = 1; repeated KeyValue fields = 2; }
enum SpanRefType { CHILD_OF = 0; FOLLOWS_FROM = 1; }
message SpanRef { bytes trace_id = 1; bytes span_id = 2; SpanRefType ref_type = 3; }
message Process { string service_name = 1; repeated KeyValue tags = 2; }
message Span { bytes trace_id = 1; bytes span_id = 2; string operation_name = 3; repeated SpanRef references = 4; uint32 flags = 5;
  Timestamp start_time = 6; Duration duration = 7; repeated KeyValue tags = 8; repeated Log logs = 9; Process process = 10; string process_id = 11; repeated string warnings = 12; }
message Batch { repeated Span spans = 1; Process process = 2; }
message PostSpansRequest { Batch batch = 1; }
`;

function fixtureSpans(): Span[] {
  return [...decodeJaegerAgentMessage(readFixture('jaeger-udp-compact-frontend.bin'), 'compact'), ...decodeJaegerAgentMessage(readFixture('jaeger-udp-compact-backend.bin'), 'compact')];
}

test('fixture spans round-trip through api_v2 protobuf with parents, links, tags, logs, process', () => {
  const spans = fixtureSpans();
  const back = decodeJaegerProtoPostSpans(encodeJaegerProtoPostSpans(spans));
  assert.equal(back.length, spans.length);
  for (const s of spans) {
    const b = back.find((x) => x.spanId === s.spanId)!;
    assert.ok(b, s.name);
    assert.equal(b.traceId, s.traceId);
    assert.equal(b.parentSpanId, s.parentSpanId, `${s.name} parent`);
    assert.equal(b.name, s.name);
    assert.equal(b.kind, s.kind);
    assert.equal(b.status.code, s.status.code);
    assert.equal(b.startTimeUnixNano, s.startTimeUnixNano);
    assert.equal(b.endTimeUnixNano, s.endTimeUnixNano);
    assert.equal(b.resource.serviceName, s.resource.serviceName);
    assert.deepEqual(b.links.map((l) => [l.refType, l.spanId]), s.links.map((l) => [l.refType, l.spanId]));
    for (const a of s.attributes) assert.ok(b.attributes.some((x) => x.key === a.key && attributeValuesEqual(x.value, a.value)), `${s.name} tag ${a.key}`);
    assert.equal(b.events.length, s.events.length);
    assert.deepEqual(b.events.map((e) => [e.timeUnixNano, e.name]), s.events.map((e) => [e.timeUnixNano, e.name]));
  }
});

test('bytes written by protobufjs from the published schema decode; ours read back in protobufjs', () => {
  const protobuf = require('protobufjs');
  const root = protobuf.parse(SCHEMA).root;
  const Req = root.lookupType('jaeger.api_v2.PostSpansRequest');
  const msg = Req.fromObject({
    batch: {
      process: { serviceName: 'pjs-service', tags: [{ key: 'hostname', vType: 0, vStr: 'h1' }] },
      spans: [
        {
          traceId: Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex'),
          spanId: Buffer.from('b7ad6b7169203331', 'hex'),
          operationName: 'child',
          references: [{ traceId: Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex'), spanId: Buffer.from('00f067aa0ba902b7', 'hex'), refType: 0 }],
          flags: 1,
          startTime: { seconds: 1700000000, nanos: 123456789 },
          duration: { seconds: 0, nanos: 5000000 },
          tags: [
            { key: 'span.kind', vType: 0, vStr: 'client' },
            { key: 'n', vType: 2, vInt64: '9007199254740993' },
            { key: 'error', vType: 1, vBool: true },
          ],
          logs: [{ timestamp: { seconds: 1700000000, nanos: 200000000 }, fields: [{ key: 'event', vStr: 'retry' }] }],
          warnings: ['w1'],
        },
      ],
    },
  });
  const [s] = decodeJaegerProtoPostSpans(Req.encode(msg).finish());
  assert.equal(s.traceId, '0af7651916cd43dd8448eb211c80319c');
  assert.equal(s.parentSpanId, '00f067aa0ba902b7');
  assert.equal(s.startTimeUnixNano, 1700000000123456789n, 'nanosecond precision kept');
  assert.equal(s.endTimeUnixNano - s.startTimeUnixNano, 5000000n);
  assert.equal(s.kind, 3);
  assert.equal(s.status.code, 2);
  assert.equal(s.resource.serviceName, 'pjs-service', 'batch process used when the span has none');
  assert.deepEqual(s.attributes.find((a) => a.key === 'n')!.value, { type: 'int', value: 9007199254740993n });
  assert.equal(s.events[0].name, 'retry');
  assert.deepEqual(s.warnings, ['w1']);

  const ours = Req.toObject(Req.decode(encodeJaegerProtoPostSpans([s])), { longs: String, bytes: String });
  const span = ours.batch.spans[0];
  assert.equal(Buffer.from(span.traceId, 'base64').toString('hex'), s.traceId);
  assert.equal(span.operationName, 'child');
  assert.equal(span.startTime.seconds, '1700000000');
  assert.equal(span.startTime.nanos, 123456789);
  assert.equal(span.process.serviceName, 'pjs-service');
  assert.equal(span.references[0].refType, 0);
});

test('hostile input: truncation, bad types, oversized ids → CodecError only', () => {
  const good = encodeJaegerProtoPostSpans(fixtureSpans());
  for (let cut = 1; cut < good.length; cut += 7) {
    try {
      decodeJaegerProtoPostSpans(good.subarray(0, cut));
    } catch (err) {
      assert.ok(err instanceof CodecError, `offset ${cut}: ${err}`);
    }
  }
  const w = Buffer.from([0x0a, 0x06, 0x0a, 0x04, 0x0a, 0x02, 0x01, 0x02]); // batch{span{trace_id: 2 bytes}} is fine
  assert.equal(decodeJaegerProtoPostSpans(w)[0].traceId, '0000000000000000000000000000' + '0102');
  const longId = Buffer.concat([Buffer.from([0x0a, 0x16, 0x0a, 0x14, 0x0a, 0x12]), Buffer.alloc(18, 1)]);
  assert.throws(() => decodeJaegerProtoPostSpans(longId), (e) => e instanceof CodecError && /trace_id has 18 bytes/.test(e.message));
  assert.throws(() => decodeJaegerProtoPostSpans(Buffer.from([0xff, 0xff, 0xff])), CodecError);
});
