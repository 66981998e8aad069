/**
 * The tracer's own OTLP protobuf encoder must put the same spans on the wire as the codec's
 * reference encoder (which is cross-checked against the official .proto schemas in the codec's
 * tests): byte for byte for one resource and scope, and decoding to the same spans otherwise.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeOtlpProtobuf, encodeOtlpProtobuf } from '@ariadne/codec';
import type { Attribute, AttributeValue, InstrumentationScope, Resource, Span } from '@ariadne/model';
import { InMemoryReporter, initTracer, OtlpTraceEncoder } from '../src/index.js';

let seed = 42;
function rnd(n: number): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
}
const STRINGS = ['', 'GET', '/items?page=2', 'ünïcödé ✓', '日本語のテキスト', 'x'.repeat(127), 'y'.repeat(128), 'z'.repeat(300), 'a'.repeat(20000), 'lone \ud800 surrogate'];
function value(depth = 0): AttributeValue {
  switch (rnd(depth > 1 ? 6 : 8)) {
    case 0:
      return { type: 'string', value: STRINGS[rnd(STRINGS.length)] };
    case 1:
      return { type: 'bool', value: rnd(2) === 1 };
    case 2:
      return { type: 'int', value: [0, 1, 127, 128, 2 ** 31, 2 ** 53 - 1, -1, -(2 ** 40)][rnd(8)] };
    case 3:
      return { type: 'int', value: [0n, -1n, 2n ** 63n - 1n, -(2n ** 63n)][rnd(4)] };
    case 4:
      return { type: 'double', value: [0.5, -0, 1e300, Number.NaN, Infinity][rnd(5)] };
    case 5:
      return { type: 'bytes', value: Uint8Array.from({ length: rnd(200) }, (_, i) => i & 0xff) };
    case 6:
      return { type: 'array', value: Array.from({ length: rnd(4) }, () => value(depth + 1)) };
    default:
      return rnd(2) ? { type: 'kvlist', value: attrs(rnd(3), depth + 1) } : { type: 'empty' };
  }
}
function attrs(n: number, depth = 0): Attribute[] {
  return Array.from({ length: n }, (_, i) => ({ key: i === 0 && rnd(5) === 0 ? '' : ['http.method', 'k', 'ключ', 'z'.repeat(130)][rnd(4)] + i, value: value(depth) }));
}
function hex(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[rnd(16)];
  return s;
}
const resources: Resource[] = [
  { serviceName: 'svc-a', attributes: [{ key: 'service.name', value: { type: 'string', value: 'svc-a' } }, { key: 'host', value: { type: 'string', value: 'h1' } }], droppedAttributesCount: 0, schemaUrl: '' },
  { serviceName: 'svc-b', attributes: [], droppedAttributesCount: 2, schemaUrl: 'https://opentelemetry.io/schemas/1.21.0' },
];
const scopes: InstrumentationScope[] = [
  { name: '', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
  { name: 'lib', version: '1.2.3', attributes: attrs(2), droppedAttributesCount: 1, schemaUrl: 'https://s/1' },
];
function span(resource: Resource, scope: InstrumentationScope): Span {
  const start = 1_700_000_000_000_000_000n + BigInt(rnd(1e9));
  return {
    traceId: hex(32),
    spanId: hex(16),
    parentSpanId: rnd(2) ? hex(16) : '',
    name: STRINGS[rnd(STRINGS.length)],
    kind: rnd(6) as Span['kind'],
    startTimeUnixNano: start,
    endTimeUnixNano: start + BigInt(rnd(1e6)),
    attributes: attrs(rnd(12)),
    droppedAttributesCount: rnd(3),
    events: Array.from({ length: rnd(3) }, () => ({ timeUnixNano: start + 5n, name: rnd(2) ? 'exception' : '', attributes: attrs(rnd(3)), droppedAttributesCount: rnd(2) })),
    droppedEventsCount: rnd(2),
    links: Array.from({ length: rnd(3) }, () => ({ traceId: hex(32), spanId: hex(16), traceState: rnd(2) ? 'a=1,b=2' : '', flags: rnd(2) ? 0x301 : 0, attributes: attrs(rnd(2)), droppedAttributesCount: rnd(2) })),
    droppedLinksCount: rnd(2),
    status: [{ code: 0, message: '' }, { code: 1, message: '' }, { code: 2, message: 'boom ✗' }][rnd(3)] as Span['status'],
    traceState: rnd(3) ? '' : 'vendor=x',
    flags: rnd(2) ? 0x101 : 0,
    resource,
    scope,
    warnings: [],
  };
}

test('one resource and scope: byte for byte what the codec encodes, for random spans of every shape', () => {
  const enc = new OtlpTraceEncoder(1024); // small start: exercises buffer growth
  for (let round = 0; round < 60; round++) {
    const res = resources[round % 2];
    const sc = scopes[(round >> 1) % 2];
    const spans = Array.from({ length: 1 + rnd(40) }, () => span(res, sc));
    const ours = enc.encode(spans);
    assert.deepEqual(Buffer.from(ours), Buffer.from(encodeOtlpProtobuf(spans)), `round ${round}`);
  }
});

test('mixed resources and scopes: decodes to the same spans as the codec encoding', () => {
  const enc = new OtlpTraceEncoder();
  for (let round = 0; round < 20; round++) {
    const spans = Array.from({ length: 1 + rnd(60) }, () => span(resources[rnd(2)], scopes[rnd(2)]));
    const bySpanId = (xs: Span[]) => [...xs].sort((a, b) => (a.spanId < b.spanId ? -1 : 1));
    assert.deepEqual(bySpanId(decodeOtlpProtobuf(enc.encode(spans))), bySpanId(decodeOtlpProtobuf(encodeOtlpProtobuf(spans))));
  }
});

test('append/take: spans appended one by one frame into one request; take() resets; a malformed span leaves nothing behind', () => {
  const enc = new OtlpTraceEncoder();
  const a = span(resources[0], scopes[1]);
  const b = span(resources[0], scopes[1]);
  enc.append(a);
  assert.throws(() => enc.append({ ...b, attributes: null as unknown as Attribute[] }));
  enc.append(b);
  assert.equal(enc.count, 2);
  const body = enc.take();
  assert.equal(enc.count, 0);
  assert.deepEqual(Buffer.from(body), Buffer.from(encodeOtlpProtobuf([a, b])));
  assert.equal(enc.take().length, 0, 'an empty request after take()');
});

test("the tracer's own spans (shared frozen resource, scope and sampler tags) round-trip", async () => {
  const mem = new InMemoryReporter();
  const tracer = initTracer({ serviceName: 'enc', sampler: { type: 'const', param: 1 }, tags: { 'deployment.environment': 'test' } }, { env: {}, reporter: mem });
  const t = tracer.getTracer('scope-x', '9.9');
  for (let i = 0; i < 100; i++) {
    const s = t.startSpan(`op-${i}`, { attributes: { 'http.method': 'GET', 'http.status_code': 200, retry: false, ratio: 0.25, tags: ['a', 'b'] } });
    if (i % 10 === 0) s.addEvent('ev', { n: i });
    s.end();
  }
  await tracer.close();
  const body = new OtlpTraceEncoder().encode(mem.spans);
  assert.deepEqual(Buffer.from(body), Buffer.from(encodeOtlpProtobuf(mem.spans)));
  const back = decodeOtlpProtobuf(body);
  assert.equal(back.length, 100);
  assert.equal(back[0].resource.serviceName, 'enc');
  assert.equal(back[0].scope.name, 'scope-x');
});

test('ended spans handed over as they are (acceptsEndedSpans) encode exactly like their model copies', async () => {
  const live: Span[] = [];
  const copies: Span[] = [];
  const reporter = {
    acceptsEndedSpans: true,
    report(s: Span) {
      live.push(s);
      copies.push((s as unknown as { toModel(): Span }).toModel());
    },
    flush: async () => {},
    close: async () => {},
  };
  const tracer = initTracer({ serviceName: 'live', sampler: { type: 'const', param: 1 } }, { env: {}, reporter });
  const t = tracer.getTracer('live-scope');
  t.startActiveSpan('parent', (p) => {
    const c = t.startSpan('child', { attributes: { a: 1, b: 'x' } });
    c.addEvent('e', { k: true });
    c.setStatus({ code: 2, message: 'bad' });
    c.end();
    p.end();
  });
  await tracer.close();
  assert.equal(live.length, 2);
  assert.ok(!Object.prototype.hasOwnProperty.call(live[0], 'toModel') && live[0] !== copies[0], 'the live span itself was reported');
  assert.deepEqual(Buffer.from(new OtlpTraceEncoder().encode(live)), Buffer.from(encodeOtlpProtobuf(copies)));
});
