// The fixture comparator must catch every kind of difference (otherwise the fixture tests prove nothing).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Span } from '@ariadne/model';
import { decodeOtlpProtobuf } from '../src/otlp/index.js';
import { assertSpansMatchExpect, readExpect, readFixture } from './helpers/expect.js';

const exp = readExpect('otlp-http-protobuf');
const fresh = (): Span[] => decodeOtlpProtobuf(readFixture('otlp-http-protobuf.bin'));
const root = (spans: Span[]): Span => spans.find((s) => s.name === 'GET /dispatch')!;
const notify = (spans: Span[]): Span => spans.find((s) => s.name === 'notify-driver')!;

const mutations: Array<[string, (spans: Span[]) => void]> = [
  ['drop a span', (s) => s.pop()],
  ['trace id', (s) => (root(s).traceId = '0'.repeat(32))],
  ['parent', (s) => (notify(s).parentSpanId = '')],
  ['name', (s) => (root(s).name = 'x')],
  ['kind', (s) => (root(s).kind = 3)],
  ['start ns', (s) => (root(s).startTimeUnixNano += 1n)],
  ['end ns', (s) => (root(s).endTimeUnixNano -= 1n)],
  ['flags', (s) => (root(s).flags = 1)],
  ['int attr as double', (s) => (root(s).attributes[2].value = { type: 'double', value: 200 })],
  ['int attr value', (s) => (root(s).attributes[2].value = { type: 'int', value: 201 })],
  ['array element', (s) => ((root(s).attributes.find((a) => a.key === 'fixture.int_array')!.value as { value: unknown[] }).value[1] = { type: 'int', value: 5 })],
  ['extra attribute', (s) => root(s).attributes.push({ key: 'x', value: { type: 'empty' } })],
  ['event attr', (s) => (root(s).events[0].attributes[0].value = { type: 'string', value: '124' })],
  ['event time', (s) => (root(s).events[0].timeUnixNano += 1000n)],
  ['status', (s) => (root(s).status = { code: 0, message: '' })],
  ['link flags', (s) => (notify(s).links[1].flags = 0)],
  ['link tracestate', (s) => (notify(s).links[1].traceState = '')],
  ['service', (s) => (root(s).resource = { ...root(s).resource, serviceName: 'x' })],
  ['resource attr', (s) => (root(s).resource = { ...root(s).resource, attributes: [] })],
  ['scope version', (s) => (root(s).scope = { ...root(s).scope, version: '9' })],
  ['scope schema', (s) => (root(s).scope = { ...root(s).scope, schemaUrl: '' })],
];

test('the comparator accepts the correct decode', () => {
  assertSpansMatchExpect(fresh(), exp.spans);
});

for (const [what, mutate] of mutations) {
  test(`the comparator rejects a wrong ${what}`, () => {
    const spans = fresh();
    mutate(spans);
    assert.throws(() => assertSpansMatchExpect(spans, exp.spans), assert.AssertionError);
  });
}

test('format-only fields must be skipped or checked explicitly; overrides run', () => {
  const spans = fresh();
  const withEndpoint = exp.spans.map((e) => ({ ...e, localEndpoint: { serviceName: e.serviceName } }));
  assert.throws(() => assertSpansMatchExpect(spans, withEndpoint), /localEndpoint has no model counterpart/);
  assertSpansMatchExpect(spans, withEndpoint, { fields: { localEndpoint: 'skip' } });
  let calls = 0;
  assertSpansMatchExpect(spans, withEndpoint, {
    fields: { localEndpoint: (s, e) => (calls++, assert.equal(s.resource.serviceName, (e.localEndpoint as { serviceName: string }).serviceName)) },
  });
  assert.equal(calls, 4);
});

test('jaeger-style references and process are checked against links and resource', () => {
  const spans = fresh();
  const n = notify(spans);
  const jexp = {
    spanId: n.spanId,
    name: n.name,
    parentSpanId: n.parentSpanId,
    references: [
      { refType: 'CHILD_OF', traceId: n.traceId, spanId: n.parentSpanId },
      { refType: 'FOLLOWS_FROM', traceId: n.traceId, spanId: n.links[0].spanId },
    ],
    process: { serviceName: 'frontend', tags: { 'service.name': { type: 'string', value: 'frontend' }, 'service.version': { type: 'string', value: '1.0.0' }, 'deployment.environment.name': { type: 'string', value: 'fixtures' } } },
  };
  const jspan: Span = { ...n, links: [{ ...n.links[0], refType: 'FOLLOWS_FROM' }] };
  assertSpansMatchExpect([jspan], [jexp]);
  assert.throws(() => assertSpansMatchExpect([{ ...jspan, links: [n.links[0]] }], [jexp]), /refType/);
  assert.throws(() => assertSpansMatchExpect([{ ...jspan, links: [] }], [jexp]), /links count/);
});
