import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Attribute, InstrumentationScope, Resource, Span } from '@ariadne/model';
import { EMPTY_SCOPE, makeResource, makeSpan } from '@ariadne/model';
import { decodeOtlpJson, decodeOtlpProtobuf, encodeOtlpJson, encodeOtlpProtobuf } from '../src/otlp/index.js';
import { ProtoWriter } from '../src/protobuf.js';
import { assertSpansMatchExpect, readExpect, readFixture } from './helpers/expect.js';

test('otlp-http-protobuf.bin decodes to exactly its expectation', () => {
  const exp = readExpect('otlp-http-protobuf');
  const spans = decodeOtlpProtobuf(readFixture('otlp-http-protobuf.bin'));
  assert.deepEqual(spans.map((s) => s.spanId), exp.requests[0].spanIds);
  assertSpansMatchExpect(spans, exp.spans);
  // spans of one ResourceSpans / ScopeSpans share their resource and scope objects
  assert.equal(spans[1].resource, spans[2].resource);
  assert.equal(spans[1].scope, spans[3].scope);
  assert.notEqual(spans[0].resource, spans[1].resource);
});

test('the fixture re-encodes and decodes to the same spans', () => {
  const exp = readExpect('otlp-http-protobuf');
  const spans = decodeOtlpProtobuf(readFixture('otlp-http-protobuf.bin'));
  const again = decodeOtlpProtobuf(encodeOtlpProtobuf(spans));
  assertSpansMatchExpect(again, exp.spans);
  assert.deepEqual(again, spans);
});

test('decoding works on a view into a larger buffer (pooled Buffers, subarrays)', () => {
  const fx = readFixture('otlp-http-protobuf.bin');
  const big = new Uint8Array(fx.length + 100);
  big.fill(0xff);
  big.set(fx, 37);
  const view = big.subarray(37, 37 + fx.length);
  assertSpansMatchExpect(decodeOtlpProtobuf(view), readExpect('otlp-http-protobuf').spans);
  assertSpansMatchExpect(decodeOtlpProtobuf(Buffer.from(big.buffer, 37, fx.length)), readExpect('otlp-http-protobuf').spans);
});

test('edge values round-trip protobuf ⇄ model ⇄ JSON: int64 beyond 2^53, bytes, nested arrays/kvlists, unicode', () => {
  const resource = makeResource('svc ✓', [
    { key: 'service.name', value: { type: 'string', value: 'svc ✓' } },
    { key: 'k8s.pod.uid', value: { type: 'bytes', value: Uint8Array.from([0, 1, 254, 255]) } },
  ]);
  resource.schemaUrl = 'https://opentelemetry.io/schemas/1.26.0';
  const scope: InstrumentationScope = { name: 'lib', version: '1', attributes: [{ key: 'a', value: { type: 'bool', value: false } }], droppedAttributesCount: 2, schemaUrl: 'https://s' };
  const attributes: Attribute[] = [
    { key: 'max', value: { type: 'int', value: 2n ** 63n - 1n } },
    { key: 'min', value: { type: 'int', value: -(2n ** 63n) } },
    { key: 'just.past.safe', value: { type: 'int', value: 2n ** 53n } },
    { key: 'safe', value: { type: 'int', value: Number.MAX_SAFE_INTEGER } },
    { key: 'neg', value: { type: 'int', value: -1 } },
    { key: 'zero', value: { type: 'int', value: 0 } },
    { key: 'false', value: { type: 'bool', value: false } },
    { key: 'empty.string', value: { type: 'string', value: '' } },
    { key: 'unicode 世界', value: { type: 'string', value: 'héllo ✓ 世界 🎉 \u0000 \u2028' } },
    { key: 'long', value: { type: 'string', value: 'ü'.repeat(5000) } },
    { key: 'bytes', value: { type: 'bytes', value: Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0]) } },
    { key: 'no.bytes', value: { type: 'bytes', value: new Uint8Array(0) } },
    { key: 'tiny', value: { type: 'double', value: 5e-324 } },
    { key: 'inf', value: { type: 'double', value: Infinity } },
    { key: 'empty', value: { type: 'empty' } },
    {
      key: 'nested',
      value: {
        type: 'array',
        value: [
          { type: 'array', value: [{ type: 'int', value: 2n ** 60n }, { type: 'empty' }, { type: 'array', value: [] }] },
          { type: 'kvlist', value: [{ key: 'inner', value: { type: 'kvlist', value: [{ key: 'deep', value: { type: 'bytes', value: Uint8Array.from([7]) } }] } }] },
        ],
      },
    },
    { key: 'empty.kvlist', value: { type: 'kvlist', value: [] } },
  ];
  const span = makeSpan({
    traceId: 'ffffffffffffffffffffffffffffffff',
    spanId: '0000000000000001',
    parentSpanId: '8000000000000000',
    name: '名前 ✓',
    kind: 5,
    startTimeUnixNano: 2n ** 64n - 2n,
    endTimeUnixNano: 2n ** 64n - 1n,
    attributes,
    droppedAttributesCount: 4294967295,
    events: [{ timeUnixNano: 1n, name: 'e', attributes: [attributes[0]], droppedAttributesCount: 1 }],
    droppedEventsCount: 3,
    links: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceState: 'a=1', flags: 0x301, attributes: [], droppedAttributesCount: 0 }],
    droppedLinksCount: 1,
    status: { code: 2, message: 'ошибка' },
    traceState: 'congo=t61rcWkgMzE',
    flags: 0xffffffff,
    resource,
    scope,
  });
  const viaProto = decodeOtlpProtobuf(encodeOtlpProtobuf([span]));
  assert.deepStrictEqual(viaProto, [span]);
  const viaJson = decodeOtlpJson(JSON.stringify(encodeOtlpJson(viaProto)));
  assert.deepStrictEqual(viaJson, [span]);
  assert.equal(typeof (viaJson[0].attributes[3].value as { value: unknown }).value, 'number');
  assert.equal(typeof (viaJson[0].attributes[2].value as { value: unknown }).value, 'bigint');
});

test('encoding groups spans by resource/scope identity or equal content, and adds service.name when missing', () => {
  const r1 = makeResource('a');
  const r1copy = makeResource('a');
  const r2 = makeResource('b', [{ key: 'host.name', value: { type: 'string', value: 'h' } }]);
  const s = (id: string, resource: Resource): Span => makeSpan({ traceId: '1'.repeat(32), spanId: id, name: id, resource });
  const spans = [s('0000000000000001', r1), s('0000000000000002', r2), s('0000000000000003', r1copy), s('0000000000000004', r1)];
  const json = encodeOtlpJson(spans) as { resourceSpans: Array<{ resource: { attributes: Array<{ key: string }> }; scopeSpans: Array<{ spans: Array<{ name: string }> }> }> };
  assert.equal(json.resourceSpans.length, 2);
  assert.deepEqual(json.resourceSpans[0].scopeSpans[0].spans.map((x) => x.name), ['0000000000000001', '0000000000000003', '0000000000000004']);
  assert.deepEqual(json.resourceSpans[1].resource.attributes.map((a) => a.key), ['service.name', 'host.name']);
  const back = decodeOtlpProtobuf(encodeOtlpProtobuf(spans));
  assert.deepEqual(back.map((x) => x.resource.serviceName), ['a', 'a', 'a', 'b']);
  assert.equal(back[0].resource, back[2].resource);
  assert.deepEqual(back[3].resource.attributes.map((a) => a.key), ['service.name', 'host.name']);
  assert.deepEqual(decodeOtlpProtobuf(encodeOtlpProtobuf([])), []);
  assert.equal(encodeOtlpProtobuf([]).length, 0);
});

test('a resource without service.name decodes with serviceName ""; missing resource/scope give empty ones', () => {
  const w = new ProtoWriter();
  const rs = w.beginMessage(1);
  const ss = w.beginMessage(2);
  const sp = w.beginMessage(2);
  w.stringField(5, 'lonely');
  w.endMessage(sp);
  w.endMessage(ss);
  w.endMessage(rs);
  const [s] = decodeOtlpProtobuf(w.finish());
  assert.deepEqual(s.resource, { serviceName: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' });
  assert.equal(s.scope, EMPTY_SCOPE);
  assert.equal(s.name, 'lonely');
  assert.equal(s.kind, 0);
  assert.deepEqual(s.warnings, []);
  // ids of odd sizes decode as given
  const w2 = new ProtoWriter();
  const a = w2.beginMessage(1);
  const b = w2.beginMessage(2);
  const c = w2.beginMessage(2);
  w2.bytesField(1, Uint8Array.from([1, 2, 3]));
  w2.bytesField(2, new Uint8Array(0));
  w2.int32Field(6, 42);
  w2.endMessage(c);
  w2.endMessage(b);
  w2.endMessage(a);
  const [t] = decodeOtlpProtobuf(w2.finish());
  assert.equal(t.traceId, '010203');
  assert.equal(t.spanId, '');
  assert.equal(t.kind, 0);
  assert.match(t.warnings[0], /unknown span kind 42/);
});
