import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeOtlpProtobuf, encodeOtlpProtobuf } from '../src/otlp/index.js';
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
