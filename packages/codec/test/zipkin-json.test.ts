import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { SpanKind, StatusCode, findAttribute, makeResource, makeSpan, shortTraceId } from '@ariadne/model';
import type { Attribute, Span } from '@ariadne/model';
import { CodecError, decodeZipkinV1Json, decodeZipkinV2Json, encodeZipkinV2Json, sharedServerSpanId } from '../src/index.js';
import { zipkinModelSpan } from './zipkin-arbitrary.js';
import { assertAttributesMatch, assertSpansMatchExpect, readExpect, readFixture } from './helpers/expect.js';
import type { ExpectAttributes, ExpectSpan } from './helpers/expect.js';

interface Ep {
  serviceName?: string;
  ipv4?: string;
  ipv6?: string;
  port?: number;
}

/** The attributes our decoder derives from a remote endpoint (when no tag of that key exists). */
function remoteDerived(ep: Ep | null | undefined): Record<string, { type: string; value: unknown }> {
  const out: Record<string, { type: string; value: unknown }> = {};
  if (!ep) return out;
  if (ep.serviceName) out['peer.service'] = { type: 'string', value: ep.serviceName };
  if (ep.ipv4) out['net.peer.ip'] = { type: 'string', value: ep.ipv4 };
  if (ep.ipv6) out['net.peer.ipv6'] = { type: 'string', value: ep.ipv6 };
  if (ep.port) out['net.peer.port'] = { type: 'int', value: ep.port };
  return out;
}

const ZIPKIN_FIELDS = {
  wireTraceId: (s: Span, e: ExpectSpan, w: string) => assert.equal(shortTraceId(s.traceId), e.wireTraceId, `${w}.wireTraceId`),
  localEndpoint: (s: Span, e: ExpectSpan, w: string) => {
    const ep = e.localEndpoint as Ep;
    assert.equal(s.resource.serviceName, ep.serviceName ?? '', `${w}.localEndpoint.serviceName`);
    const exp: ExpectAttributes = {};
    if (ep.ipv4) exp['net.host.ip'] = { type: 'string', value: ep.ipv4 };
    if (ep.ipv6) exp['net.host.ipv6'] = { type: 'string', value: ep.ipv6 };
    if (ep.port) exp['net.host.port'] = { type: 'int', value: ep.port };
    assertAttributesMatch(s.resource.attributes, exp, `${w}.localEndpoint`);
  },
  // wire tags exactly, plus only the attributes derived from remoteEndpoint
  attributes: (s: Span, e: ExpectSpan, w: string) => {
    const tags = e.attributes as ExpectAttributes;
    const derived = remoteDerived(e.remoteEndpoint as Ep | null);
    const exp: ExpectAttributes = { ...tags };
    for (const [k, v] of Object.entries(derived)) if (!(k in tags)) exp[k] = v;
    assertAttributesMatch(s.attributes, exp, `${w}.attributes`);
    // wire order of the tags is kept, derived ones come after
    assert.deepEqual(s.attributes.slice(0, Object.keys(tags).length).map((a) => a.key), Object.keys(tags), `${w}: tag order`);
  },
  remoteEndpoint: (s: Span, e: ExpectSpan, w: string) => {
    const tags = e.attributes as ExpectAttributes;
    for (const [k, v] of Object.entries(remoteDerived(e.remoteEndpoint as Ep | null))) {
      const a = findAttribute(s.attributes, k);
      assert.ok(a, `${w}.remoteEndpoint → ${k} missing`);
      if (!(k in tags)) assert.deepEqual(a, v, `${w}.remoteEndpoint → ${k}`);
    }
  },
  shared: (s: Span, e: ExpectSpan, w: string) => assert.equal(findAttribute(s.attributes, 'zipkin.shared') !== undefined, e.shared, `${w}.shared`),
  debug: (s: Span, e: ExpectSpan, w: string) => assert.equal(findAttribute(s.attributes, 'zipkin.debug') !== undefined, e.debug, `${w}.debug`),
};

test('zipkin-v2.json fixture decodes to exactly what the expect file says', () => {
  const exp = readExpect('zipkin-v2');
  const body = readFixture('zipkin-v2.json').toString('utf8');
  const spans = decodeZipkinV2Json(body);
  assertSpansMatchExpect(spans, exp.spans, { fields: ZIPKIN_FIELDS });
  assert.deepEqual(spans.map((s) => s.spanId), exp.requests[0].spanIds);
  // parsed value and bytes are accepted too
  assert.deepStrictEqual(decodeZipkinV2Json(JSON.parse(body)), spans);
  assert.deepStrictEqual(decodeZipkinV2Json(readFixture('zipkin-v2.json')), spans);
  // spans of one local endpoint share a resource object
  const fe = spans.filter((s) => s.resource.serviceName === 'frontend');
  assert.equal(fe.length, 3);
  assert.ok(fe.every((s) => s.resource === fe[0].resource));
});

test('zipkin v2 JSON → model → JSON keeps the wire spans (bar the peer.service tag from remoteEndpoint)', () => {
  const wire = JSON.parse(readFixture('zipkin-v2.json').toString('utf8')) as Array<Record<string, unknown>>;
  const encoded = JSON.parse(JSON.stringify(encodeZipkinV2Json(decodeZipkinV2Json(wire)))) as Array<Record<string, unknown>>;
  const expected = wire.map((s) => {
    const c = structuredClone(s) as Record<string, unknown> & { tags: Record<string, string>; remoteEndpoint?: Ep };
    if (c.remoteEndpoint?.serviceName && !('peer.service' in c.tags)) c.tags['peer.service'] = c.remoteEndpoint.serviceName;
    return c;
  });
  assert.deepEqual(encoded, expected);
  // and model → JSON → model is the identity
  const model = decodeZipkinV2Json(wire);
  assert.deepStrictEqual(decodeZipkinV2Json(JSON.stringify(encodeZipkinV2Json(model))), model);
});

test('model → zipkin v2 mapping: kind, status, ids, endpoints, shared/debug, lower-cased names', () => {
  const span = makeSpan({
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    name: 'GET /Users',
    kind: SpanKind.SERVER,
    startTimeUnixNano: 1_700_000_000_000_001_999n,
    endTimeUnixNano: 1_700_000_000_500_001_999n,
    status: { code: StatusCode.ERROR, message: 'bad thing' },
    attributes: [
      { key: 'n', value: { type: 'int', value: 7 } },
      { key: 'arr', value: { type: 'array', value: [{ type: 'bool', value: true }] } },
      { key: 'net.peer.ip', value: { type: 'string', value: '2001:db8::1' } },
      { key: 'net.peer.port', value: { type: 'int', value: 5555 } },
      { key: 'zipkin.shared', value: { type: 'bool', value: true } },
      { key: 'zipkin.debug', value: { type: 'bool', value: true } },
    ],
    events: [{ timeUnixNano: 1_700_000_000_100_000_000n, name: 'ws', attributes: [{ key: 'x', value: { type: 'int', value: 1 } }], droppedAttributesCount: 0 }],
    resource: makeResource('Front-End', [
      { key: 'net.host.ip', value: { type: 'string', value: '10.0.0.1' } },
      { key: 'net.host.port', value: { type: 'int', value: 8080 } },
      { key: 'host.name', value: { type: 'string', value: 'h' } },
    ]),
  });
  assert.deepEqual(JSON.parse(JSON.stringify(encodeZipkinV2Json([span]))), [
    {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      id: 'b7ad6b7169203331',
      kind: 'SERVER',
      name: 'get /users',
      timestamp: 1_700_000_000_000_001,
      duration: 500_000,
      localEndpoint: { serviceName: 'front-end', ipv4: '10.0.0.1', port: 8080 },
      remoteEndpoint: { ipv6: '2001:db8::1', port: 5555 },
      annotations: [{ timestamp: 1_700_000_000_100_000, value: 'ws' }],
      tags: { n: '7', arr: '[true]', error: 'bad thing' },
      shared: true,
      debug: true,
    },
  ]);
  const [back] = decodeZipkinV2Json(encodeZipkinV2Json([span]));
  assert.equal(back.traceId, span.traceId);
  assert.equal(back.kind, SpanKind.SERVER);
  assert.deepEqual(back.status, { code: StatusCode.ERROR, message: 'bad thing' });
  assert.equal(back.name, 'get /users');
  assert.equal(back.resource.serviceName, 'front-end');
  assert.equal(findAttribute(back.attributes, 'zipkin.shared')?.type, 'bool');
  // a 64-bit trace id goes out short and comes back padded
  const s64 = makeSpan({ traceId: '00000000000000000000000000000abc', spanId: '0000000000000001', name: 'x', parentSpanId: '0000000000000002' });
  const [z] = encodeZipkinV2Json([s64]) as Array<{ traceId: string; parentId: string; kind?: string }>;
  assert.equal(z.traceId, '0000000000000abc');
  assert.equal(z.parentId, '0000000000000002');
  assert.equal(z.kind, undefined);
  const [b64] = decodeZipkinV2Json([z]);
  assert.equal(b64.traceId, s64.traceId);
  assert.equal(b64.kind, SpanKind.INTERNAL);
  // status OK travels as otel.status_code
  const ok = decodeZipkinV2Json(encodeZipkinV2Json([{ ...s64, status: { code: StatusCode.OK, message: '' } }]));
  assert.equal(ok[0].status.code, StatusCode.OK);
});

test('bad zipkin JSON → CodecError saying what is wrong', () => {
  const base = { traceId: 'a1', id: 'b2' };
  const cases: [unknown, RegExp][] = [
    ['{not json', /invalid JSON/],
    ['{}', /must be a JSON array/],
    [[1], /span\[0\]: expected an object, got number/],
    [[{ id: 'b2' }], /traceId: missing/],
    [[{ traceId: 'a1' }], /\.id: missing/],
    [[{ ...base, traceId: 'xyz' }], /traceId "xyz" is not 1-32 hex/],
    [[{ ...base, traceId: 'a'.repeat(33) }], /is not 1-32 hex/],
    [[{ ...base, id: 'a'.repeat(17) }], /id "a+" is not 1-16 hex/],
    [[{ ...base, parentId: 'zz' }], /parentId "zz"/],
    [[{ ...base, traceId: 5 }], /traceId: expected a string, got number/],
    [[{ ...base, kind: 'SIDEWAYS' }], /kind: unknown kind "SIDEWAYS"/],
    [[{ ...base, timestamp: '1' }], /timestamp: expected a non-negative number/],
    [[{ ...base, duration: -1 }], /duration: expected a non-negative number/],
    [[{ ...base, localEndpoint: [] }], /localEndpoint: expected an object, got array/],
    [[{ ...base, remoteEndpoint: { port: 70000 } }], /port: expected an integer 0-65535/],
    [[{ ...base, annotations: {} }], /annotations: expected an array/],
    [[{ ...base, annotations: [{ value: 'x' }] }], /annotations\[0\]\.timestamp: missing/],
    [[{ ...base, tags: { a: { b: 1 } } }], /tags\.a: tag values must be strings, got object/],
    [[{ ...base, tags: [] }], /tags: expected an object, got array/],
    [[{ ...base, debug: 'yes' }], /debug: expected a boolean/],
  ];
  for (const [input, re] of cases) {
    assert.throws(() => decodeZipkinV2Json(input), (e: unknown) => e instanceof CodecError && re.test(e.message), `${JSON.stringify(input)} → ${re}`);
  }
  // numbers/booleans as tag values are taken as their text
  const [s] = decodeZipkinV2Json([{ ...base, tags: { n: 5, b: false } }]);
  assert.deepEqual(s.attributes, [
    { key: 'n', value: { type: 'string', value: '5' } },
    { key: 'b', value: { type: 'string', value: 'false' } },
  ]);
  // a "__proto__" tag is an ordinary key
  const [p] = decodeZipkinV2Json('[{"traceId":"a1","id":"b2","tags":{"__proto__":"x"}}]');
  assert.deepEqual(p.attributes, [{ key: '__proto__', value: { type: 'string', value: 'x' } }]);
  assert.deepEqual(JSON.parse(JSON.stringify(encodeZipkinV2Json([p])))[0].tags, JSON.parse('{"__proto__":"x"}'));
});

test('hostile zipkin JSON (random values, deep nesting) → CodecError only', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
      for (const dec of [decodeZipkinV2Json, decodeZipkinV1Json]) {
        try {
          dec([v]);
          dec(v);
          dec(JSON.stringify(v).slice(0, 7));
        } catch (e) {
          if (!(e instanceof CodecError)) throw e;
        }
      }
    }),
    { numRuns: 300 },
  );
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  assert.throws(() => decodeZipkinV2Json(deep), CodecError);
});

// ------------------------------------------------------------------ v1

test('zipkin v1: shared client+server span splits into CLIENT and shared SERVER halves', () => {
  const fe = { serviceName: 'Frontend', ipv4: '10.0.0.1', port: 8080 };
  const be = { serviceName: 'backend', ipv4: '10.0.0.2', port: 9000 };
  const v1 = [
    {
      traceId: '0000000000000001',
      id: '0000000000000002',
      parentId: '0000000000000001',
      name: 'GET',
      timestamp: 1000,
      duration: 500,
      debug: true,
      annotations: [
        { timestamp: 1000, value: 'cs', endpoint: fe },
        { timestamp: 1100, value: 'sr', endpoint: be },
        { timestamp: 1200, value: 'cache.miss', endpoint: be },
        { timestamp: 1300, value: 'ss', endpoint: be },
        { timestamp: 1500, value: 'cr', endpoint: fe },
      ],
      binaryAnnotations: [
        { key: 'http.path', value: '/x', endpoint: fe },
        { key: 'db.rows', value: 3, type: 'I32', endpoint: be },
        { key: 'sa', value: true, type: 'BOOL', endpoint: be },
        { key: 'ca', value: true, type: 'BOOL', endpoint: fe },
      ],
    },
  ];
  const [c, s] = decodeZipkinV1Json(JSON.stringify(v1));
  assert.equal(c.kind, SpanKind.CLIENT);
  assert.equal(c.resource.serviceName, 'frontend');
  assert.equal(c.name, 'get');
  assert.equal(c.startTimeUnixNano, 1_000_000n);
  assert.equal(c.endTimeUnixNano, 1_500_000n);
  assert.equal(c.parentSpanId, '0000000000000001');
  const attrs = (sp: Span) => Object.fromEntries(sp.attributes.map((a: Attribute) => [a.key, a.value.type === 'string' || a.value.type === 'int' || a.value.type === 'bool' ? a.value.value : null]));
  assert.deepEqual(attrs(c), { 'http.path': '/x', 'peer.service': 'backend', 'net.peer.ip': '10.0.0.2', 'net.peer.port': 9000, 'zipkin.debug': true });
  assert.equal(s.kind, SpanKind.SERVER);
  assert.equal(s.spanId, sharedServerSpanId(c.spanId), 'the shared server half gets its own stable id');
  assert.equal(s.parentSpanId, c.spanId, 'under its client half');
  assert.equal(s.resource.serviceName, 'backend');
  assert.equal(s.startTimeUnixNano, 1_100_000n);
  assert.equal(s.endTimeUnixNano, 1_300_000n);
  assert.deepEqual(attrs(s), {
    'db.rows': '3', 'peer.service': 'frontend', 'net.peer.ip': '10.0.0.1', 'net.peer.port': 8080, 'zipkin.shared': true, 'zipkin.debug': true,
    'zipkin.span_id': '0000000000000002', 'zipkin.parent_id': '0000000000000001',
  });
  assert.deepEqual(s.events.map((e) => [e.name, e.timeUnixNano]), [['cache.miss', 1_200_000n]]);
  assert.equal(c.events.length, 0);
});

test('zipkin v1: local span (lc), lone server span, producer', () => {
  const ep = { serviceName: 'svc', ipv4: '10.0.0.9' };
  const spans = decodeZipkinV1Json([
    { traceId: 'a', id: 'b', name: 'compute', timestamp: 10, duration: 5, binaryAnnotations: [{ key: 'lc', value: 'worker', endpoint: ep }] },
    { traceId: 'a', id: 'c', parentId: 'b', name: 'rpc', annotations: [{ timestamp: 20, value: 'sr', endpoint: ep }, { timestamp: 29, value: 'ss', endpoint: ep }] },
    { traceId: 'a', id: 'd', name: 'send', timestamp: 40, annotations: [{ timestamp: 40, value: 'ms', endpoint: ep }], binaryAnnotations: [{ key: 'ma', value: true, endpoint: { serviceName: 'kafka' } }] },
    { traceId: 'a', id: 'e', name: 'error', binaryAnnotations: [{ key: 'error', value: 'oops', endpoint: ep }] },
  ]);
  assert.deepEqual(spans.map((s) => [s.spanId, s.kind, s.resource.serviceName, s.startTimeUnixNano, s.endTimeUnixNano]), [
    ['000000000000000b', SpanKind.INTERNAL, 'svc', 10_000n, 15_000n],
    [sharedServerSpanId('000000000000000c'), SpanKind.SERVER, 'svc', 20_000n, 29_000n],
    ['000000000000000d', SpanKind.PRODUCER, 'svc', 40_000n, 40_000n],
    ['000000000000000e', SpanKind.INTERNAL, 'svc', 0n, 0n],
  ]);
  assert.deepEqual(spans[0].attributes, [{ key: 'lc', value: { type: 'string', value: 'worker' } }]);
  assert.deepEqual(spans[2].attributes, [{ key: 'peer.service', value: { type: 'string', value: 'kafka' } }]);
  assert.deepEqual(spans[3].status, { code: StatusCode.ERROR, message: 'oops' });
  assert.equal(spans[1].traceId, '0000000000000000000000000000000a');
  assert.throws(() => decodeZipkinV1Json([{ traceId: 'a', id: 'b', binaryAnnotations: [{ value: 'x' }] }]), /binaryAnnotations\[0\]\.key: missing/);
  assert.throws(() => decodeZipkinV1Json([{ traceId: 'a', id: 'b', annotations: [{ timestamp: 1 }] }]), /annotations\[0\]\.value: missing/);
});

test('zipkin v1: loopback, incomplete RPCs, inferred start, address-only and messaging spans (V1SpanConverter rules)', () => {
  const a = { serviceName: 'a' };
  const b = { serviceName: 'b' };
  const kinds = (spans: Span[]) =>
    spans.map((s) => ({
      svc: s.resource.serviceName,
      kind: s.kind,
      start: Number(s.startTimeUnixNano / 1000n),
      dur: Number((s.endTimeUnixNano - s.startTimeUnixNano) / 1000n),
      events: s.events.map((e) => e.name),
      shared: findAttribute(s.attributes, 'zipkin.shared') !== undefined,
      peer: (findAttribute(s.attributes, 'peer.service') as { value?: string } | undefined)?.value,
    }));
  const base = { traceId: '1', id: '2' };
  // loopback: cs and sr from the same service are forked into client + shared server
  assert.deepEqual(
    kinds(decodeZipkinV1Json([{ ...base, annotations: [
      { timestamp: 10, value: 'cs', endpoint: a }, { timestamp: 11, value: 'sr', endpoint: a },
      { timestamp: 19, value: 'ss', endpoint: a }, { timestamp: 20, value: 'cr', endpoint: a }] }])),
    [
      { svc: 'a', kind: SpanKind.CLIENT, start: 10, dur: 10, events: [], shared: false, peer: undefined },
      { svc: 'a', kind: SpanKind.SERVER, start: 11, dur: 8, events: [], shared: true, peer: undefined },
    ],
  );
  // incomplete client RPC: starts at cs, cr is kept as an annotation when the span is incomplete
  assert.deepEqual(kinds(decodeZipkinV1Json([{ ...base, annotations: [{ timestamp: 10, value: 'cs', endpoint: a }] }])), [
    { svc: 'a', kind: SpanKind.CLIENT, start: 10, dur: 0, events: [], shared: false, peer: undefined },
  ]);
  // the missing cs is inferred from timestamp + duration == cr
  assert.deepEqual(
    kinds(decodeZipkinV1Json([{ ...base, timestamp: 100, duration: 50, annotations: [{ timestamp: 150, value: 'cr', endpoint: a }] }])),
    [{ svc: 'a', kind: SpanKind.CLIENT, start: 100, dur: 50, events: [], shared: false, peer: undefined }],
  );
  // a server side without the v1 timestamp is shared; with it, it is not
  assert.equal(kinds(decodeZipkinV1Json([{ ...base, annotations: [{ timestamp: 5, value: 'sr', endpoint: b }, { timestamp: 9, value: 'ss', endpoint: b }] }]))[0].shared, true);
  assert.equal(kinds(decodeZipkinV1Json([{ ...base, timestamp: 5, duration: 4, annotations: [{ timestamp: 5, value: 'sr', endpoint: b }, { timestamp: 9, value: 'ss', endpoint: b }] }]))[0].shared, false);
  // address annotations only: ca alone makes a SERVER span, sa alone just a remote endpoint
  assert.deepEqual(kinds(decodeZipkinV1Json([{ ...base, binaryAnnotations: [{ key: 'ca', value: true, endpoint: b }] }]))[0].kind, SpanKind.SERVER);
  assert.deepEqual(kinds(decodeZipkinV1Json([{ ...base, binaryAnnotations: [{ key: 'sa', value: true, endpoint: b }] }]))[0], {
    svc: '', kind: SpanKind.INTERNAL, start: 0, dur: 0, events: [], shared: false, peer: 'b',
  });
  // an empty "lc" marker is not a tag; a core annotation without endpoint is a plain annotation
  const [l] = decodeZipkinV1Json([{ ...base, annotations: [{ timestamp: 3, value: 'cs' }], binaryAnnotations: [{ key: 'lc', value: '', endpoint: a }] }]);
  assert.deepEqual(l.attributes, []);
  assert.deepEqual(l.events.map((e) => e.name), ['cs']);
  assert.equal(l.resource.serviceName, 'a');
  // ms + mr in one span: producer + shared consumer, both with the broker as remote
  assert.deepEqual(
    kinds(decodeZipkinV1Json([{ ...base, annotations: [
      { timestamp: 1, value: 'ms', endpoint: a }, { timestamp: 2, value: 'ws', endpoint: a },
      { timestamp: 5, value: 'wr', endpoint: b }, { timestamp: 7, value: 'mr', endpoint: b }],
      binaryAnnotations: [{ key: 'ma', value: true, type: 'BOOL', endpoint: { serviceName: 'kafka' } }] }])),
    [
      { svc: 'a', kind: SpanKind.PRODUCER, start: 1, dur: 1, events: [], shared: false, peer: 'kafka' },
      { svc: 'b', kind: SpanKind.CONSUMER, start: 5, dur: 2, events: [], shared: true, peer: 'kafka' },
    ],
  );
});

// ------------------------------------------------------------------ property

test('property: model → zipkin v2 JSON text → model is the identity', () => {
  fc.assert(
    fc.property(fc.array(zipkinModelSpan, { maxLength: 4 }), (spans) => {
      const back = decodeZipkinV2Json(JSON.stringify(encodeZipkinV2Json(spans)));
      // resources are shared per endpoint after decoding: compare by value
      assert.deepStrictEqual(
        back.map((s) => ({ ...s, resource: { ...s.resource } })),
        spans.map((s) => ({ ...s, resource: { ...s.resource } })),
      );
    }),
    { numRuns: 200 },
  );
});

// ------------------------------------------------------------------ real zipkin-js client

test('decodes what a real zipkin-js@0.22 HttpLogger posts, in v1 (its default) and v2 JSON', async () => {
  const require = createRequire(import.meta.url);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const zipkin = require('zipkin') as any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const { HttpLogger } = require('zipkin-transport-http') as any;
  const bodies: { path: string; body: string }[] = [];
  let gotBody: () => void = () => {};
  const server = createServer((req, res) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (data += c));
    req.on('end', () => {
      bodies.push({ path: req.url ?? '', body: data });
      res.writeHead(202).end();
      gotBody();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    for (const version of ['v1', 'v2'] as const) {
      const logger = new HttpLogger({
        endpoint: `http://127.0.0.1:${port}/api/${version}/spans`,
        jsonEncoder: version === 'v1' ? zipkin.jsonEncoder.JSON_V1 : zipkin.jsonEncoder.JSON_V2,
        httpInterval: 20,
      });
      const tracer = new zipkin.Tracer({
        ctxImpl: new zipkin.ExplicitContext(),
        recorder: new zipkin.BatchRecorder({ logger }),
        localServiceName: 'Interop-Svc',
      });
      const arrived = new Promise<void>((resolve) => (gotBody = resolve));
      let traceId = '';
      tracer.scoped(() => {
        tracer.setId(tracer.createRootId());
        traceId = tracer.id.traceId;
        tracer.recordServiceName('Interop-Svc');
        tracer.recordRpc('GET /Thing');
        tracer.recordAnnotation(new zipkin.Annotation.ClientSend());
        tracer.recordAnnotation(new zipkin.Annotation.ServerAddr({ serviceName: 'db', host: new zipkin.InetAddress('10.1.2.3'), port: 5432 }));
        tracer.recordBinary('k', 'v');
        tracer.recordBinary('error', 'it broke');
        tracer.recordMessage('halfway');
        tracer.recordAnnotation(new zipkin.Annotation.ClientRecv());
      });
      await Promise.race([arrived, new Promise((_, rej) => setTimeout(() => rej(new Error('zipkin-js sent nothing')), 5000))]);
      logger.removeAllListeners?.();
      clearInterval(logger.timer);
      const { path, body } = bodies[bodies.length - 1];
      assert.equal(path, `/api/${version}/spans`);
      const spans = version === 'v1' ? decodeZipkinV1Json(body) : decodeZipkinV2Json(body);
      assert.equal(spans.length, 1, body);
      const [s] = spans;
      assert.equal(shortTraceId(s.traceId), traceId.padStart(16, '0'));
      assert.equal(s.traceId.slice(16), s.spanId);
      assert.equal(s.kind, SpanKind.CLIENT);
      assert.equal(s.name, 'get /thing');
      assert.equal(s.resource.serviceName, 'interop-svc');
      assert.deepEqual(s.status, { code: StatusCode.ERROR, message: 'it broke' });
      assert.deepEqual(findAttribute(s.attributes, 'k'), { type: 'string', value: 'v' });
      assert.deepEqual(findAttribute(s.attributes, 'peer.service'), { type: 'string', value: 'db' });
      assert.deepEqual(findAttribute(s.attributes, 'net.peer.ip'), { type: 'string', value: '10.1.2.3' });
      assert.deepEqual(findAttribute(s.attributes, 'net.peer.port'), { type: 'int', value: 5432 });
      assert.deepEqual(s.events.map((e) => e.name), ['halfway']);
      assert.ok(s.startTimeUnixNano > 0n && s.endTimeUnixNano >= s.startTimeUnixNano);
    }
  } finally {
    server.close();
    server.closeAllConnections();
  }
});

test('shared client/server RPC spans (same wire id) become two spans, server under client, and encode back to the wire ids', async () => {
  const { decodeZipkinV2Json, encodeZipkinV2Json, sharedServerSpanId } = await import('@ariadne/codec');
  const wire = [
    { traceId: '463ac35c9f6413ad', parentId: 'a2fb4a1d1a96d312', id: '72485a3953bb6124', kind: 'CLIENT', name: 'get', timestamp: 1472470996199000, duration: 207000, localEndpoint: { serviceName: 'frontend' } },
    { traceId: '463ac35c9f6413ad', parentId: 'a2fb4a1d1a96d312', id: '72485a3953bb6124', kind: 'SERVER', name: 'get', timestamp: 1472470996238000, duration: 151000, shared: true, localEndpoint: { serviceName: 'backend' } },
  ];
  const [client, server] = decodeZipkinV2Json(wire);
  assert.equal(client.spanId, '72485a3953bb6124');
  assert.notEqual(server.spanId, client.spanId, 'distinct ids, so no store collapses the two halves');
  assert.equal(server.spanId, sharedServerSpanId('72485a3953bb6124'), 'deterministic: re-delivery maps to the same id');
  assert.equal(server.parentSpanId, client.spanId);
  const back = encodeZipkinV2Json([client, server]) as Array<Record<string, unknown>>;
  assert.equal(back[1].id, '72485a3953bb6124');
  assert.equal(back[1].parentId, 'a2fb4a1d1a96d312');
  assert.equal(back[1].shared, true);
  assert.equal((back[1].tags as Record<string, string> | undefined)?.['zipkin.span_id'], undefined);
});
