import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Span } from '@ariadne/model';
import { CodecError } from '../src/errors.js';
import { decodeOtlpJson, encodeOtlpJson, decodeOtlpProtobuf, encodeOtlpProtobuf } from '../src/otlp/index.js';
import { assertSpansMatchExpect, readExpect, readFixture } from './helpers/expect.js';

test('otlp-http.json decodes to exactly its expectation (from text, bytes and parsed object)', () => {
  const exp = readExpect('otlp-http');
  const text = readFixture('otlp-http.json').toString('utf8');
  for (const body of [text, JSON.parse(text) as unknown, new Uint8Array(Buffer.from(text))]) {
    const spans = decodeOtlpJson(body);
    assert.deepEqual(spans.map((s) => s.spanId), exp.requests[0].spanIds);
    assertSpansMatchExpect(spans, exp.spans);
  }
});

test('JSON fixture → model → protobuf → model → JSON text → model keeps every field', () => {
  const exp = readExpect('otlp-http');
  const spans = decodeOtlpJson(readFixture('otlp-http.json').toString('utf8'));
  const viaProto = decodeOtlpProtobuf(encodeOtlpProtobuf(spans));
  assertSpansMatchExpect(viaProto, exp.spans);
  const viaJson = decodeOtlpJson(JSON.stringify(encodeOtlpJson(viaProto)));
  assertSpansMatchExpect(viaJson, exp.spans);
  assert.deepEqual(viaJson, spans);
});

test('protobuf fixture → JSON object → model', () => {
  const exp = readExpect('otlp-http-protobuf');
  const spans = decodeOtlpProtobuf(readFixture('otlp-http-protobuf.bin'));
  const json = encodeOtlpJson(spans);
  assert.equal(json.resourceSpans.length, 2);
  assertSpansMatchExpect(decodeOtlpJson(json), exp.spans);
});

test('snake_case keys, enum names, int64 strings, NaN, base64 ids, legacy instrumentationLibrarySpans', () => {
  const body = {
    resource_spans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { string_value: 'svc' } }], dropped_attributes_count: '2' },
        schema_url: 'https://r',
        instrumentation_library_spans: [
          {
            instrumentation_library: { name: 'lib', version: '1' },
            spans: [
              {
                trace_id: 'W8+1Y3KDrOQm+XjE6Q7TiQ==',
                span_id: '0102030405060708',
                parent_span_id: 'AABBCCDDEEFF0011',
                name: 'op',
                kind: 'SPAN_KIND_CONSUMER',
                start_time_unix_nano: '18446744073709551615',
                end_time_unix_nano: 5,
                attributes: [
                  { key: 'big', value: { int_value: '-9223372036854775808' } },
                  { key: 'small', value: { intValue: '42' } },
                  { key: 'nan', value: { doubleValue: 'NaN' } },
                  { key: 'inf', value: { doubleValue: '-Infinity' } },
                  { key: 'b', value: { bytes_value: '3q2-7w' } },
                  { key: 'kv', value: { kvlist_value: { values: [{ key: 'x', value: { array_value: { values: [{ bool_value: true }, {}] } } }] } } },
                  { key: 'none' },
                ],
                status: { code: 'STATUS_CODE_ERROR', message: 'bad' },
                trace_state: 'a=b',
                flags: '769',
              },
            ],
          },
        ],
      },
    ],
  };
  const [s] = decodeOtlpJson(body);
  assert.equal(s.traceId, '5bcfb5637283ace426f978c4e90ed389');
  assert.equal(s.parentSpanId, 'aabbccddeeff0011');
  assert.equal(s.kind, 5);
  assert.equal(s.startTimeUnixNano, 2n ** 64n - 1n);
  assert.equal(s.endTimeUnixNano, 5n);
  assert.deepEqual(s.attributes[0].value, { type: 'int', value: -(2n ** 63n) });
  assert.deepEqual(s.attributes[1].value, { type: 'int', value: 42 });
  assert.ok(Number.isNaN((s.attributes[2].value as { value: number }).value));
  assert.deepEqual(s.attributes[3].value, { type: 'double', value: -Infinity });
  assert.deepEqual(s.attributes[4].value, { type: 'bytes', value: Uint8Array.from([0xde, 0xad, 0xbe, 0xef]) });
  assert.deepEqual(s.attributes[5].value, {
    type: 'kvlist',
    value: [{ key: 'x', value: { type: 'array', value: [{ type: 'bool', value: true }, { type: 'empty' }] } }],
  });
  assert.deepEqual(s.attributes[6].value, { type: 'empty' });
  assert.deepEqual(s.status, { code: 2, message: 'bad' });
  assert.equal(s.traceState, 'a=b');
  assert.equal(s.flags, 769);
  assert.equal(s.resource.serviceName, 'svc');
  assert.equal(s.resource.droppedAttributesCount, 2);
  assert.equal(s.resource.schemaUrl, 'https://r');
  assert.equal(s.scope.name, 'lib');
  // and out again: no bigints, non-finite doubles as strings
  const text = JSON.stringify(encodeOtlpJson([s]));
  assert.match(text, /"intValue":"-9223372036854775808"/);
  assert.match(text, /"doubleValue":"NaN"/);
  assert.match(text, /"startTimeUnixNano":"18446744073709551615"/);
  const back = decodeOtlpJson(text)[0];
  assert.deepEqual(back.attributes.slice(0, 2), s.attributes.slice(0, 2));
  assert.equal(back.startTimeUnixNano, s.startTimeUnixNano);
});

test('missing resource and scope give an empty resource and EMPTY_SCOPE; unknown kind warns', () => {
  const [s] = decodeOtlpJson({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'AB', spanId: 'cd', kind: 9 }] }] }] });
  assert.deepEqual(s.resource, { serviceName: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' });
  assert.equal(s.scope.name, '');
  assert.equal(s.traceId, 'ab');
  assert.equal(s.kind, 0);
  assert.match(s.warnings[0], /unknown span kind 9/);
  assert.deepEqual(decodeOtlpJson('{}'), []);
  assert.deepEqual(decodeOtlpJson({ resourceSpans: null }), []);
});

function rejects(body: unknown, re: RegExp): void {
  assert.throws(() => decodeOtlpJson(body), (e: unknown) => {
    assert.ok(e instanceof CodecError, `expected CodecError, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  });
}

test('bad JSON bodies are CodecErrors naming what is wrong', () => {
  rejects('', /invalid JSON/);
  rejects('{"resourceSpans": [', /invalid JSON/);
  rejects('[]', /body must be an object, got an array/);
  rejects('42', /body must be an object/);
  rejects(null, /body must be an object, got null/);
  rejects('"x"', /body must be an object/);
  rejects({ resourceSpans: {} }, /resourceSpans must be an array/);
  rejects({ resourceSpans: [1] }, /resourceSpans\[0\] must be an object/);
  const span = (o: object): unknown => ({ resourceSpans: [{ scopeSpans: [{ spans: [o] }] }] });
  rejects(span({ traceId: 'xyz!' }), /traceId must be a hex string/);
  rejects(span({ traceId: 5 }), /traceId must be a hex string/);
  rejects(span({ name: 5 }), /spans\[0\]\.name must be a string/);
  rejects(span({ kind: 'SPAN_KIND_NOPE' }), /kind must be an enum/);
  rejects(span({ startTimeUnixNano: '-1' }), /startTimeUnixNano must be an unsigned 64-bit/);
  rejects(span({ startTimeUnixNano: '18446744073709551616' }), /unsigned 64-bit/);
  rejects(span({ droppedAttributesCount: -1 }), /droppedAttributesCount must be an unsigned 32-bit/);
  rejects(span({ attributes: [{ key: 'a', value: { intValue: 1.5 } }] }), /intValue must be a 64-bit integer/);
  rejects(span({ attributes: [{ key: 'a', value: { intValue: '9223372036854775808' } }] }), /intValue must be a 64-bit integer/);
  rejects(span({ attributes: [{ key: 'a', value: { boolValue: 'true' } }] }), /boolValue must be a boolean/);
  rejects(span({ attributes: [{ key: 'a', value: { bytesValue: '**' } }] }), /bytesValue must be base64/);
  rejects(span({ attributes: [{ key: 'a', value: 'plain' }] }), /value must be an object/);
  rejects(span({ status: { code: 'BROKEN' } }), /status\.code must be an enum/);
});

test('deep nesting is rejected, both as text and as a parsed object', () => {
  rejects('['.repeat(100000) + ']'.repeat(100000), /nested deeper than 96/);
  rejects('{"a":'.repeat(5000) + '1' + '}'.repeat(5000), /nested deeper/);
  let v: unknown = { stringValue: 'x' };
  for (let i = 0; i < 200; i++) v = { arrayValue: { values: [v] } };
  rejects({ resourceSpans: [{ scopeSpans: [{ spans: [{ attributes: [{ key: 'deep', value: v }] }] }] }] }, /nested deeper than 32/);
  // brackets inside strings do not count
  const s: Span[] = decodeOtlpJson(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: '['.repeat(500) }] }] }] }));
  assert.equal(s[0].name.length, 500);
});

test('__proto__ keys stay data', () => {
  const text = '{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"p","attributes":[{"key":"__proto__","value":{"kvlistValue":{"values":[{"key":"__proto__","value":{"stringValue":"x"}}]}}}],"__proto__":{"polluted":true}}]}]}]}';
  const [s] = decodeOtlpJson(text);
  assert.equal(s.attributes[0].key, '__proto__');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
