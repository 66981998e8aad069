import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { SpanKind, StatusCode } from '@ariadne/model';
import { ProtoWriter } from '../src/protobuf.js';
import { CodecError, decodeZipkinProto3, decodeZipkinV2Json, encodeZipkinProto3, encodeZipkinV2Json, parseZipkinProto3, sharedServerSpanId } from '../src/index.js';
import { readFixture } from './helpers/expect.js';
import { zipkinModelSpan } from './zipkin-arbitrary.js';

// The official zipkin.proto (openzipkin/zipkin-api), as an independent encoder/decoder to check against.
const ZIPKIN_PROTO = `
syntax = "proto3";
package zipkin.proto3;
message Span {
  bytes trace_id = 1; bytes parent_id = 2; bytes id = 3;
  enum Kind { SPAN_KIND_UNSPECIFIED = 0; CLIENT = 1; SERVER = 2; PRODUCER = 3; CONSUMER = 4; }
  Kind kind = 4; string name = 5; fixed64 timestamp = 6; uint64 duration = 7;
  Endpoint local_endpoint = 8; Endpoint remote_endpoint = 9;
  repeated Annotation annotations = 10; map<string, string> tags = 11; bool debug = 12; bool shared = 13;
}
message Endpoint { string service_name = 1; bytes ipv4 = 2; bytes ipv6 = 3; int32 port = 4; }
message Annotation { fixed64 timestamp = 1; string value = 2; }
message ListOfSpans { repeated Span spans = 1; }
`;
const root = protobuf.parse(ZIPKIN_PROTO, { keepCase: true }).root;
const ListOfSpans = root.lookupType('zipkin.proto3.ListOfSpans');

function fixtureSpans() {
  return decodeZipkinV2Json(readFixture('zipkin-v2.json').toString('utf8'));
}

test('proto3 encoding of the fixture is read identically by protobufjs (zipkin.proto) and by us', () => {
  const spans = fixtureSpans();
  const bytes = encodeZipkinProto3(spans);
  const ref = ListOfSpans.toObject(ListOfSpans.decode(bytes), { longs: String, bytes: Array, defaults: false }) as {
    spans: Array<Record<string, unknown>>;
  };
  assert.equal(ref.spans.length, 4);
  const sql = ref.spans[0] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.deepEqual(sql.trace_id, [...Buffer.from('9c4b19b7adb0b94c', 'hex')]);
  assert.deepEqual(sql.id, [...Buffer.from('1c77471f9755ade2', 'hex')]);
  assert.deepEqual(sql.parent_id, [...Buffer.from('55068ac31540211c', 'hex')]);
  assert.equal(sql.kind, 1);
  assert.equal(sql.name, 'sql select');
  assert.equal(sql.timestamp, '1700000000020500');
  assert.equal(sql.duration, '30000');
  assert.deepEqual(sql.local_endpoint, { service_name: 'backend', ipv4: [192, 0, 2, 20], port: 8081 });
  assert.deepEqual(sql.remote_endpoint, { service_name: 'mysql', ipv4: [192, 0, 2, 30], port: 3306 });
  assert.deepEqual(sql.annotations, [{ timestamp: '1700000000049750', value: 'exception' }]);
  assert.equal(sql.tags.error, 'deadlock detected');
  assert.equal(sql.tags['db.statement'], 'SELECT * FROM customer WHERE customer_id = ?');
  // decoding our bytes gives the same model as the JSON
  assert.deepStrictEqual(decodeZipkinProto3(bytes), spans);
});

test('decodes a protobufjs-encoded ListOfSpans (128-bit ids, ipv6, shared/debug, unknown fields)', () => {
  const msg = ListOfSpans.fromObject({
    spans: [
      {
        trace_id: Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex'),
        id: Buffer.from('b7ad6b7169203331', 'hex'),
        kind: 2,
        name: 'GET /X',
        timestamp: '1700000000000001',
        duration: '250',
        local_endpoint: { service_name: 'api', ipv6: Buffer.from('20010db8000000000000000000000001', 'hex'), port: 443 },
        remote_endpoint: { ipv4: Buffer.from([10, 0, 0, 7]) },
        annotations: [{ timestamp: '1700000000000100', value: 'wr' }],
        tags: { 'http.method': 'GET', error: '' },
        debug: true,
        shared: true,
      },
    ],
  });
  const bytes = ListOfSpans.encode(msg).finish();
  // append an unknown top-level field (number 9, varint) that must be skipped
  const withUnknown = Buffer.concat([bytes, Buffer.from([0x48, 0x01])]);
  const [s] = decodeZipkinProto3(withUnknown);
  assert.equal(s.traceId, '0af7651916cd43dd8448eb211c80319c');
  assert.equal(s.spanId, sharedServerSpanId('b7ad6b7169203331'), 'a shared server span gets its own id');
  assert.equal(s.parentSpanId, 'b7ad6b7169203331');
  assert.equal(s.kind, SpanKind.SERVER);
  assert.equal(s.name, 'get /x');
  assert.equal(s.startTimeUnixNano, 1_700_000_000_000_001_000n);
  assert.equal(s.endTimeUnixNano, 1_700_000_000_000_251_000n);
  assert.equal(s.resource.serviceName, 'api');
  assert.deepEqual(s.resource.attributes, [
    { key: 'net.host.ipv6', value: { type: 'string', value: '2001:db8::1' } },
    { key: 'net.host.port', value: { type: 'int', value: 443 } },
  ]);
  assert.deepEqual(s.status, { code: StatusCode.ERROR, message: '' });
  assert.deepEqual(s.attributes.map((a) => a.key), ['http.method', 'error', 'net.peer.ip', 'zipkin.shared', 'zipkin.debug', 'zipkin.span_id']);
  assert.deepEqual(s.events.map((e) => e.name), ['wr']);
  // and back: protobufjs reads our encoding of it identically
  const again = ListOfSpans.toObject(ListOfSpans.decode(encodeZipkinProto3([s])), { longs: String, bytes: String }) as { spans: Array<Record<string, unknown>> };
  const orig = ListOfSpans.toObject(msg, { longs: String, bytes: String }) as { spans: Array<Record<string, unknown>> };
  // name is lower-cased (Zipkin does so on ingest)
  assert.deepEqual(again.spans[0], { ...orig.spans[0], name: 'get /x' });
});

test('proto3 ⇄ JSON: the same spans either way', () => {
  const spans = fixtureSpans();
  const viaProto = parseZipkinProto3(encodeZipkinProto3(spans));
  assert.deepEqual(JSON.parse(JSON.stringify(viaProto)), JSON.parse(JSON.stringify(encodeZipkinV2Json(spans))));
});

test('property: model → proto3 → model is the identity', () => {
  fc.assert(
    fc.property(fc.array(zipkinModelSpan, { maxLength: 4 }), (spans) => {
      const back = decodeZipkinProto3(encodeZipkinProto3(spans));
      assert.deepStrictEqual(
        back.map((s) => ({ ...s, resource: { ...s.resource } })),
        spans.map((s) => ({ ...s, resource: { ...s.resource } })),
      );
    }),
    { numRuns: 200 },
  );
});

test('hostile proto3 → CodecError only', () => {
  const good = encodeZipkinProto3(fixtureSpans());
  for (let i = 1; i < good.length; i++) {
    try {
      decodeZipkinProto3(good.subarray(0, i));
    } catch (e) {
      assert.ok(e instanceof CodecError, `truncated at ${i}: ${String(e)}`);
    }
  }
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      try {
        decodeZipkinProto3(b);
      } catch (e) {
        if (!(e instanceof CodecError)) throw e;
      }
    }),
    { numRuns: 500 },
  );
  const w = new ProtoWriter();
  w.uint32Field(1, 5); // ListOfSpans.spans as a varint
  assert.throws(() => decodeZipkinProto3(w.finish()), /wire type VARINT, expected LEN/);
  const bad = (fill: (x: ProtoWriter) => void) => {
    const x = new ProtoWriter();
    const m = x.beginMessage(1);
    fill(x);
    x.endMessage(m);
    return x.finish();
  };
  assert.throws(() => decodeZipkinProto3(bad((x) => x.bytesField(3, new Uint8Array(8)))), /has no trace_id/);
  assert.throws(() => decodeZipkinProto3(bad((x) => x.bytesField(1, new Uint8Array(5)))), /trace_id must be 8 or 16 bytes, got 5/);
  assert.throws(() => decodeZipkinProto3(bad((x) => { x.bytesField(1, new Uint8Array(8).fill(1)); x.bytesField(3, new Uint8Array(8).fill(1)); x.int32Field(4, 9); })), /kind 9 unknown/);
  assert.throws(() => decodeZipkinProto3(bad((x) => x.stringField(6, 'x'))), /field 6 has wire type LEN, expected I64/);
  // deep nesting inside an unknown field is skipped as bytes; nesting of known messages is bounded
  const huge = new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]);
  assert.throws(() => decodeZipkinProto3(huge), CodecError);
  assert.throws(() => decodeZipkinProto3('x' as unknown as Uint8Array), /must be a Uint8Array/);
});
