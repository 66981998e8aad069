import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attr, makeResource, makeSpan, SpanKind, StatusCode } from '@ariadne/model';
import type { InstrumentationScope, Span } from '@ariadne/model';
import { CodecError, decodeJaegerQueryJson, jaegerTraceToSpans, spansToJaegerTrace, stringifyJaegerJson } from '@ariadne/codec';

const T64 = '00000000000000002165cd8171cef678';
const T128 = '5827fb2d5092bc246e70cccdf6fcb590';
const BASE = 1_700_000_000_000_000n * 1000n;
const us = (n: number) => BASE + BigInt(n) * 1000n;

const frontend = makeResource('frontend', [attr('service.name', 'frontend'), attr('host.name', 'web-1')]);
const backend = makeResource('backend', [attr('service.name', 'backend')]);
const scope: InstrumentationScope = { name: 'fixture-frontend', version: '1.2.3', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };

function otlpLikeTrace(traceId = T128): Span[] {
  return [
    makeSpan({
      traceId,
      spanId: 'aaaaaaaaaaaaaaa1',
      name: 'GET /dispatch',
      kind: SpanKind.SERVER,
      startTimeUnixNano: us(0),
      endTimeUnixNano: us(100500),
      attributes: [attr('http.method', 'GET'), attr('n', 42), attr('pi', 3.5), attr('ok', true), attr('arr', ['a', 'b']), attr('bin', new Uint8Array([0xde, 0xad, 0xbe, 0xef]))],
      events: [{ timeUnixNano: us(1250), name: 'dispatch.received', attributes: [attr('customer.id', '123')], droppedAttributesCount: 0 }],
      status: { code: StatusCode.OK, message: '' },
      flags: 0x301,
      resource: frontend,
      scope,
      traceState: 'rojo=1',
    }),
    makeSpan({
      traceId,
      spanId: 'aaaaaaaaaaaaaaa2',
      parentSpanId: 'aaaaaaaaaaaaaaa1',
      name: 'SQL SELECT',
      kind: SpanKind.CLIENT,
      startTimeUnixNano: us(20500),
      endTimeUnixNano: us(50500),
      status: { code: StatusCode.ERROR, message: 'deadlock detected' },
      resource: backend,
      flags: 1,
      warnings: ['clock skew adjusted'],
    }),
    makeSpan({
      traceId,
      spanId: 'aaaaaaaaaaaaaaa3',
      parentSpanId: 'aaaaaaaaaaaaaaa1',
      name: 'notify',
      kind: SpanKind.PRODUCER,
      startTimeUnixNano: us(95000),
      endTimeUnixNano: us(102750),
      links: [
        { traceId, spanId: 'aaaaaaaaaaaaaaa2', traceState: '', flags: 0, attributes: [], droppedAttributesCount: 0 },
        { traceId, spanId: 'aaaaaaaaaaaaaaa4', traceState: '', flags: 0, attributes: [attr('opentracing.ref_type', 'child_of')], droppedAttributesCount: 0 },
        { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceState: '', flags: 0, attributes: [], droppedAttributesCount: 0, refType: 'CHILD_OF' },
      ],
      // same content as `frontend` but another object: must share the process id
      resource: makeResource('frontend', [attr('service.name', 'frontend'), attr('host.name', 'web-1')]),
    }),
  ];
}

test('model → Jaeger query JSON: trace, span and process shapes', () => {
  const j = spansToJaegerTrace(otlpLikeTrace());
  assert.equal(j.traceID, T128);
  assert.equal(j.warnings, null);
  assert.deepEqual(Object.keys(j.processes), ['p1', 'p2']);
  assert.deepEqual(j.processes.p1, { serviceName: 'frontend', tags: [{ key: 'host.name', type: 'string', value: 'web-1' }] });
  assert.deepEqual(j.processes.p2, { serviceName: 'backend', tags: [] });
  assert.deepEqual(j.spans.map((s) => s.processID), ['p1', 'p2', 'p1']);

  const [root, sql, notify] = j.spans;
  assert.deepEqual(Object.keys(root).sort(), ['duration', 'flags', 'logs', 'operationName', 'processID', 'references', 'spanID', 'startTime', 'tags', 'traceID', 'warnings']);
  assert.equal(root.traceID, T128);
  assert.equal(root.spanID, 'aaaaaaaaaaaaaaa1');
  assert.equal(root.operationName, 'GET /dispatch');
  assert.equal(root.startTime, 1_700_000_000_000_000);
  assert.equal(root.duration, 100500);
  assert.equal(root.flags, 1, 'OTLP parent-is-remote bits are not Jaeger flags');
  assert.deepEqual(root.references, []);
  assert.equal(root.warnings, null);
  assert.deepEqual(root.tags, [
    { key: 'http.method', type: 'string', value: 'GET' },
    { key: 'n', type: 'int64', value: 42 },
    { key: 'pi', type: 'float64', value: 3.5 },
    { key: 'ok', type: 'bool', value: true },
    { key: 'arr', type: 'string', value: '["a","b"]' },
    { key: 'bin', type: 'binary', value: '3q2+7w==' },
    { key: 'otel.scope.name', type: 'string', value: 'fixture-frontend' },
    { key: 'otel.scope.version', type: 'string', value: '1.2.3' },
    { key: 'span.kind', type: 'string', value: 'server' },
    { key: 'otel.status_code', type: 'string', value: 'OK' },
    { key: 'w3c.tracestate', type: 'string', value: 'rojo=1' },
  ]);
  assert.deepEqual(root.logs, [
    {
      timestamp: 1_700_000_000_001_250,
      fields: [
        { key: 'event', type: 'string', value: 'dispatch.received' },
        { key: 'customer.id', type: 'string', value: '123' },
      ],
    },
  ]);

  assert.deepEqual(sql.references, [{ refType: 'CHILD_OF', traceID: T128, spanID: 'aaaaaaaaaaaaaaa1' }]);
  assert.deepEqual(sql.tags, [
    { key: 'span.kind', type: 'string', value: 'client' },
    { key: 'otel.status_code', type: 'string', value: 'ERROR' },
    { key: 'error', type: 'bool', value: true },
    { key: 'otel.status_description', type: 'string', value: 'deadlock detected' },
  ]);
  assert.deepEqual(sql.warnings, ['clock skew adjusted']);

  assert.deepEqual(notify.references, [
    { refType: 'CHILD_OF', traceID: T128, spanID: 'aaaaaaaaaaaaaaa1' },
    { refType: 'FOLLOWS_FROM', traceID: T128, spanID: 'aaaaaaaaaaaaaaa2' },
    { refType: 'CHILD_OF', traceID: T128, spanID: 'aaaaaaaaaaaaaaa4' },
    { refType: 'CHILD_OF', traceID: '4bf92f3577b34da6a3ce929d0e0e4736', spanID: '00f067aa0ba902b7' },
  ]);
  assert.deepEqual(notify.tags, [{ key: 'span.kind', type: 'string', value: 'producer' }]);
});

test('64-bit trace ids print as 16 hex chars, also in references', () => {
  const j = spansToJaegerTrace(otlpLikeTrace(T64));
  assert.equal(j.traceID, '2165cd8171cef678');
  assert.equal(j.spans[1].traceID, '2165cd8171cef678');
  assert.equal(j.spans[1].references[0].traceID, '2165cd8171cef678');
});

test('Jaeger-native spans keep their own span.kind / error tags without duplicates', () => {
  const span = makeSpan({
    traceId: T64,
    spanId: '2165cd8171cef678',
    name: 'op',
    kind: SpanKind.CLIENT,
    startTimeUnixNano: us(0),
    endTimeUnixNano: us(10),
    attributes: [attr('span.kind', 'client'), attr('error', true), attr('sampler.type', 'const')],
    status: { code: StatusCode.ERROR, message: '' },
    events: [{ timeUnixNano: us(5), name: 'baggage', attributes: [attr('event', 'baggage'), attr('key', 'customer.tier')], droppedAttributesCount: 0 }],
    resource: makeResource('svc', [attr('jaeger.version', 'Node-3.19.0')]),
  });
  const j = spansToJaegerTrace([span]);
  assert.deepEqual(j.spans[0].tags.map((t) => t.key), ['span.kind', 'error', 'sampler.type']);
  assert.deepEqual(j.spans[0].logs[0].fields.map((f) => f.key), ['event', 'key']);
  assert.deepEqual(j.processes.p1.tags, [{ key: 'jaeger.version', type: 'string', value: 'Node-3.19.0' }]);
});

test('edge values: big int64 printed exactly, non-finite doubles, negative durations, empty and kvlist values', () => {
  const span = makeSpan({
    traceId: T128,
    spanId: '0000000000000001',
    name: 'x',
    kind: SpanKind.UNSPECIFIED,
    startTimeUnixNano: us(10) + 999n,
    endTimeUnixNano: us(5),
    attributes: [
      { key: 'big', value: { type: 'int', value: 9223372036854775807n } },
      { key: 'smallbig', value: { type: 'int', value: 7n } },
      { key: 'nan', value: { type: 'double', value: NaN } },
      { key: 'none', value: { type: 'empty' } },
      { key: 'map', value: { type: 'kvlist', value: [attr('a', 1)] } },
    ],
  });
  const j = spansToJaegerTrace([span]);
  const s = j.spans[0];
  assert.equal(s.startTime, 1_700_000_000_000_010, 'sub-microsecond part truncated');
  assert.equal(s.duration, 0);
  assert.deepEqual(s.tags, [
    { key: 'big', type: 'int64', value: 9223372036854775807n },
    { key: 'smallbig', type: 'int64', value: 7 },
    { key: 'nan', type: 'float64', value: 'NaN' },
    { key: 'none', type: 'string', value: '' },
    { key: 'map', type: 'string', value: '{"a":1}' },
  ]);
  const text = stringifyJaegerJson(j);
  assert.match(text, /"value":9223372036854775807\}/);
  assert.doesNotThrow(() => JSON.parse(text));
  assert.equal(stringifyJaegerJson({ a: 1 }), '{"a":1}');
  // decoding the exact text keeps the value when it is given as a string
  const back = jaegerTraceToSpans({ ...j, spans: [{ ...s, tags: [{ key: 'big', type: 'int64', value: '9223372036854775807' }] }] });
  assert.deepEqual(back[0].attributes[0].value, { type: 'int', value: 9223372036854775807n });
});

test('round trip model → Jaeger JSON → model keeps everything Jaeger JSON can carry', () => {
  const spans = otlpLikeTrace();
  const back = decodeJaegerQueryJson(stringifyJaegerJson({ data: [spansToJaegerTrace(spans)], total: 1, limit: 0, offset: 0, errors: null }));
  assert.equal(back.length, 3);
  for (let i = 0; i < spans.length; i++) {
    const a = spans[i];
    const b = back[i];
    assert.equal(b.traceId, a.traceId);
    assert.equal(b.spanId, a.spanId);
    assert.equal(b.parentSpanId, a.parentSpanId);
    assert.equal(b.name, a.name);
    assert.equal(b.kind, a.kind);
    assert.equal(b.startTimeUnixNano, a.startTimeUnixNano);
    assert.equal(b.endTimeUnixNano, a.endTimeUnixNano);
    assert.deepEqual(b.status, a.status);
    assert.equal(b.traceState, a.traceState);
    assert.equal(b.flags, a.flags & 0xff);
    assert.deepEqual(b.warnings, a.warnings);
    assert.equal(b.scope.name, a.scope.name);
    assert.equal(b.scope.version, a.scope.version);
    assert.equal(b.resource.serviceName, a.resource.serviceName);
    assert.deepEqual(b.resource.attributes, a.resource.attributes.filter((x) => x.key !== 'service.name'));
    // arrays become JSON text in Jaeger; everything else keeps its type
    // (a span without any otel.* tag reads as Jaeger-native: its span.kind tag stays an attribute)
    assert.deepEqual(
      b.attributes.filter((x) => !(i === 2 && x.key === 'span.kind')),
      a.attributes.map((x) => (x.value.type === 'array' ? { key: x.key, value: { type: 'string', value: JSON.stringify(['a', 'b']) } } : x)),
    );
    if (i === 2) assert.deepEqual(b.attributes, [attr('span.kind', 'producer')]);
    assert.deepEqual(
      b.links.map((l) => [l.traceId, l.spanId, l.refType]),
      a.links.map((l) => [l.traceId, l.spanId, l.refType ?? (l.attributes.length ? 'CHILD_OF' : 'FOLLOWS_FROM')]),
    );
    assert.deepEqual(
      b.events.map((e) => [e.timeUnixNano, e.name, e.attributes.filter((x) => x.key !== 'event')]),
      a.events.map((e) => [e.timeUnixNano, e.name, e.attributes]),
    );
  }
  // and Jaeger JSON → model → Jaeger JSON is the identity
  const j1 = spansToJaegerTrace(spans);
  assert.deepEqual(spansToJaegerTrace(back), j1);
});

test('decoding Jaeger-native JSON: embedded process, legacy parentSpanID, error tag kept, string bool', () => {
  const spans = decodeJaegerQueryJson({
    traceID: 'ABC',
    spans: [
      {
        traceID: 'abc',
        spanID: '1',
        parentSpanID: '2',
        operationName: 'op',
        references: [
          { refType: 'CHILD_OF', traceID: 'abc', spanID: '2' },
          { refType: 'CHILD_OF', traceID: 'abc', spanID: '3' },
        ],
        startTime: 1000,
        duration: 5,
        tags: [
          { key: 'span.kind', type: 'string', value: 'server' },
          { key: 'error', type: 'string', value: 'true' },
          { key: 'custom.kind', type: 'string', value: 'x' },
          { key: 'untyped', value: 3 },
        ],
        logs: [{ timestamp: 1001, fields: [{ key: 'message', type: 'string', value: 'hi' }] }],
        process: { serviceName: 'svc', tags: [] },
      },
    ],
  });
  assert.equal(spans.length, 1);
  const s = spans[0];
  assert.equal(s.traceId, '00000000000000000000000000000abc');
  assert.equal(s.spanId, '0000000000000001');
  assert.equal(s.parentSpanId, '0000000000000002');
  assert.deepEqual(s.links.map((l) => [l.spanId, l.refType]), [['0000000000000003', 'CHILD_OF']]);
  assert.equal(s.kind, SpanKind.SERVER);
  assert.equal(s.status.code, StatusCode.ERROR);
  // Jaeger-native (no otel.* tags): span.kind and error stay among the attributes, as from Thrift
  assert.deepEqual(s.attributes, [attr('span.kind', 'server'), attr('error', 'true'), attr('custom.kind', 'x'), { key: 'untyped', value: { type: 'int', value: 3 } }]);
  assert.deepEqual(spansToJaegerTrace(spans).spans[0].tags.map((t) => t.key), ['span.kind', 'error', 'custom.kind', 'untyped']);
  assert.equal(s.startTimeUnixNano, 1_000_000n);
  assert.equal(s.endTimeUnixNano, 1_005_000n);
  assert.deepEqual(s.events, [{ timeUnixNano: 1_001_000n, name: '', attributes: [attr('message', 'hi')], droppedAttributesCount: 0 }]);
  assert.equal(s.resource.serviceName, 'svc');
});

test('bad input gets a CodecError naming the field', () => {
  const good = spansToJaegerTrace(otlpLikeTrace());
  const cases: [unknown, RegExp][] = [
    ['{', /not valid JSON/],
    [42, /expected a trace object/],
    [{ data: 'x' }, /data: expected an array/],
    [{ spans: 'x' }, /spans: expected an array/],
    [{ ...good, spans: [{ ...good.spans[0], traceID: 'xyz' }] }, /spans\[0\]\.traceID: invalid trace id/],
    [{ ...good, spans: [{ ...good.spans[0], spanID: '0000' }] }, /spans\[0\]\.spanID: invalid span id/],
    [{ ...good, spans: [{ ...good.spans[0], startTime: -1 }] }, /spans\[0\]\.startTime/],
    [{ ...good, spans: [{ ...good.spans[0], startTime: 1e300 }] }, /spans\[0\]\.startTime/],
    [{ ...good, spans: [{ ...good.spans[0], duration: '99999999999999999999' }] }, /spans\[0\]\.duration/],
    [{ ...good, spans: [{ ...good.spans[0], processID: 'p9' }] }, /processID: process "p9" is not/],
    [{ ...good, spans: [{ ...good.spans[0], tags: [{ key: 'a', type: 'int64', value: 'x' }] }] }, /tags\[0\]\.value: int64 tag "a"/],
    [{ ...good, spans: [{ ...good.spans[0], tags: [{ key: 'a', type: 'weird', value: 1 }] }] }, /tags\[0\]\.type: unknown tag type/],
    [{ ...good, spans: [{ ...good.spans[0], references: [{ refType: 'PARENT', spanID: '1' }] }] }, /references\[0\]\.refType/],
    [{ ...good, spans: [{ ...good.spans[0], operationName: 5 }] }, /operationName: expected a string/],
  ];
  for (const [input, re] of cases) {
    assert.throws(
      () => decodeJaegerQueryJson(typeof input === 'string' ? input : JSON.parse(stringifyJaegerJson(input))),
      (e: unknown) => e instanceof CodecError && re.test(e.message),
      `expected ${re} for ${String(stringifyJaegerJson(input)).slice(0, 80)}`,
    );
  }
});

test('property: any JSON value anywhere in a trace decodes or fails with a CodecError', async () => {
  const fc = (await import('fast-check')).default;
  const base = JSON.parse(stringifyJaegerJson(spansToJaegerTrace(otlpLikeTrace())));
  // every path to a value in the base document
  const paths: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]) => {
    paths.push(path);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(base, []);
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom(...paths), fc.oneof(fc.jsonValue(), fc.constant(undefined))), { minLength: 1, maxLength: 3 }), (edits) => {
      const doc = structuredClone(base);
      for (const [path, value] of edits) {
        if (path.length === 0) continue;
        let parent: any = doc;
        for (const k of path.slice(0, -1)) parent = parent?.[k];
        if (parent && typeof parent === 'object') parent[path[path.length - 1]] = value;
      }
      try {
        const spans = decodeJaegerQueryJson(doc);
        // whatever decoded must convert back without throwing
        spansToJaegerTrace(spans);
      } catch (e) {
        if (!(e instanceof CodecError)) throw e;
      }
    }),
    { numRuns: 400 },
  );
});
