import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeOtlpProtobuf } from '@ariadne/codec';
import { makeResource, makeSpan, type Attribute, type AttributeValue, type Span } from '@ariadne/model';
import { decodeSpanMessage, encodeSpanMessages, SpanTooLargeError } from '../src/queue-format.js';

const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n }).filter((s) => /[1-9a-f]/.test(s));
const value: fc.Arbitrary<AttributeValue> = fc.letrec<{ v: AttributeValue; kv: Attribute[] }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text.map((value) => ({ type: 'string' as const, value })),
    fc.boolean().map((value) => ({ type: 'bool' as const, value })),
    fc.maxSafeInteger().map((value) => ({ type: 'int' as const, value })),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).filter((v) => v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)).map((value) => ({ type: 'int' as const, value })),
    fc.double().map((value) => ({ type: 'double' as const, value })),
    fc.uint8Array({ maxLength: 12 }).map((value) => ({ type: 'bytes' as const, value })),
    fc.constant({ type: 'empty' as const }),
    fc.array(tie('v'), { maxLength: 3 }).map((value) => ({ type: 'array' as const, value })),
    tie('kv').map((value) => ({ type: 'kvlist' as const, value })),
  ) as fc.Arbitrary<AttributeValue>,
  kv: fc.array(fc.record({ key: text, value: tie('v') as fc.Arbitrary<AttributeValue> }), { maxLength: 3 }),
})).v;
const attrs = fc.array(fc.record({ key: text, value }), { maxLength: 4 });
const count = fc.nat({ max: 1000 });
const time = fc.bigInt({ min: 1n, max: 2n ** 64n - 1n });

const resourceArb = fc.record({ serviceName: text.filter((s) => s !== ''), attributes: attrs, droppedAttributesCount: count, schemaUrl: text });
const spanArb = (resource: fc.Arbitrary<Span['resource']>): fc.Arbitrary<Span> =>
  fc.record({
    traceId: hex(32),
    spanId: hex(16),
    parentSpanId: fc.oneof(fc.constant(''), hex(16)),
    name: text,
    kind: fc.constantFrom(0, 1, 2, 3, 4, 5) as fc.Arbitrary<Span['kind']>,
    startTimeUnixNano: time,
    endTimeUnixNano: time,
    attributes: attrs,
    droppedAttributesCount: count,
    events: fc.array(fc.record({ timeUnixNano: time, name: text, attributes: attrs, droppedAttributesCount: count }), { maxLength: 2 }),
    droppedEventsCount: count,
    links: fc.array(
      fc.record(
        { traceId: hex(32), spanId: hex(16), traceState: text, flags: fc.nat(), attributes: attrs, droppedAttributesCount: count, refType: fc.constantFrom('CHILD_OF' as const, 'FOLLOWS_FROM' as const) },
        { requiredKeys: ['traceId', 'spanId', 'traceState', 'flags', 'attributes', 'droppedAttributesCount'] },
      ),
      { maxLength: 2 },
    ),
    droppedLinksCount: count,
    status: fc.record({ code: fc.constantFrom(0, 1, 2) as fc.Arbitrary<Span['status']['code']>, message: text }),
    traceState: text,
    flags: fc.nat({ max: 0xffff }),
    resource,
    scope: fc.record({ name: text, version: text, attributes: attrs, droppedAttributesCount: count, schemaUrl: text }),
    warnings: fc.array(text, { maxLength: 2 }),
  });

/** The model's equality, ignoring object identity (decoded spans share resource objects). */
const plain = (spans: Span[]) => structuredClone(spans);

describe('stream message format (otlp-proto/1)', () => {
  it('round-trips arbitrary spans exactly: warnings, link refTypes and Jaeger-style resources included', () => {
    fc.assert(
      fc.property(fc.array(spanArb(resourceArb), { minLength: 1, maxLength: 4 }), (raw) => {
        const spans = structuredClone(raw);
        const msgs = encodeSpanMessages(spans, 1 << 20);
        assert.equal(msgs.length, 1);
        assert.equal(msgs[0].spans, spans.length);
        const back = decodeSpanMessage(msgs[0].data);
        // OTLP groups spans by resource and scope; compare as sets keyed by span id + position.
        const key = (s: Span) => JSON.stringify([s.traceId, s.spanId, s.name, String(s.startTimeUnixNano)]);
        const sort = (xs: Span[]) => [...xs].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
        assert.deepStrictEqual(plain(sort(back)), plain(sort(spans)));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a Jaeger process (service name without a service.name attribute) as it was', () => {
    const resource = makeResource('frontend', [{ key: 'hostname', value: { type: 'string', value: 'h1' } }]);
    const s = makeSpan({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), name: 'GET /', resource, startTimeUnixNano: 1n, endTimeUnixNano: 2n, warnings: ['clock skew'] });
    s.links.push({ traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), traceState: '', flags: 0, attributes: [], droppedAttributesCount: 0, refType: 'FOLLOWS_FROM' });
    const [msg] = encodeSpanMessages([s], 1 << 20);
    // Plain OTLP readers see an ordinary request: service.name first, the extras as attributes.
    const otlp = decodeOtlpProtobuf(msg.data);
    assert.equal(otlp[0].resource.serviceName, 'frontend');
    assert.equal(otlp[0].resource.attributes[0].key, 'service.name');
    const [back] = decodeSpanMessage(msg.data);
    assert.deepEqual(back.resource.attributes, resource.attributes);
    assert.equal(back.resource.serviceName, 'frontend');
    assert.deepEqual(back.warnings, ['clock skew']);
    assert.equal(back.links[0].refType, 'FOLLOWS_FROM');
    assert.deepEqual(back.attributes, []);
    // The input spans were not modified.
    assert.deepEqual(s.attributes, []);
    assert.deepEqual(s.links[0].attributes, []);
    assert.equal(resource.attributes.length, 1);
  });

  it('splits a batch into messages under the size limit, every span exactly once', () => {
    const resource = makeResource('svc');
    const spans = Array.from({ length: 500 }, (_, i) =>
      makeSpan({ traceId: (i + 1).toString(16).padStart(32, '0'), spanId: (i + 1).toString(16).padStart(16, '0'), name: 'op ' + 'x'.repeat(200), resource, startTimeUnixNano: 1n, endTimeUnixNano: 2n }),
    );
    const msgs = encodeSpanMessages(spans, 16 * 1024);
    assert.ok(msgs.length > 5, `${msgs.length} messages`);
    for (const m of msgs) assert.ok(m.data.byteLength <= 16 * 1024);
    const ids = msgs.flatMap((m) => decodeSpanMessage(m.data).map((s) => s.spanId));
    assert.deepEqual(ids, spans.map((s) => s.spanId));
    assert.equal(msgs.reduce((n, m) => n + m.spans, 0), 500);
  });

  it('cuts a single span larger than a message down to fit (with warnings) instead of failing the batch', () => {
    const big = makeSpan({
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      name: 'upload',
      startTimeUnixNano: 1n,
      endTimeUnixNano: 2n,
      attributes: [
        { key: 'body', value: { type: 'string', value: 'x'.repeat(60_000) } },
        { key: 'small', value: { type: 'int', value: 7 } },
      ],
    });
    const small = makeSpan({ traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), name: 'ok', startTimeUnixNano: 1n, endTimeUnixNano: 2n });
    const msgs = encodeSpanMessages([small, big], 20_000);
    for (const m of msgs) assert.ok(m.data.byteLength <= 20_000);
    const back = msgs.flatMap((m) => decodeSpanMessage(m.data));
    assert.deepEqual(back.map((s) => s.spanId).sort(), ['b'.repeat(16), 'd'.repeat(16)]);
    const cut = back.find((s) => s.spanId === 'b'.repeat(16))!;
    const body = cut.attributes.find((a) => a.key === 'body')!.value;
    assert.ok(body.type === 'string' && body.value.length === 16 * 1024);
    assert.deepEqual(cut.attributes.find((a) => a.key === 'small')!.value, { type: 'int', value: 7 });
    assert.match(cut.warnings.join('\n'), /more than a stream message holds.*truncated to 16384/);
    assert.equal(big.attributes[0].value.type === 'string' && big.attributes[0].value.value.length, 60_000, 'the input span was not modified');
    // Many events: dropped (and counted) when truncation is not enough.
    const evented = makeSpan({ traceId: 'e'.repeat(32), spanId: 'f'.repeat(16), name: 'chatty', startTimeUnixNano: 1n, endTimeUnixNano: 2n });
    for (let i = 0; i < 500; i++) evented.events.push({ timeUnixNano: 1n, name: `event ${i}`, attributes: [{ key: 'i', value: { type: 'int', value: i } }], droppedAttributesCount: 0 });
    const [m2] = encodeSpanMessages([evented], 2000);
    const [e2] = decodeSpanMessage(m2.data);
    assert.equal(e2.events.length, 0);
    assert.equal(e2.droppedEventsCount, 500);
    assert.match(e2.warnings.join('\n'), /dropped/);
  });

  it('refuses a span that cannot be cut down to fit (its resource alone is too large)', () => {
    const resource = makeResource('svc', [{ key: 'blob', value: { type: 'string', value: 'x'.repeat(5000) } }]);
    const s = makeSpan({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), name: 'x', startTimeUnixNano: 1n, endTimeUnixNano: 2n, resource });
    assert.throws(() => encodeSpanMessages([s], 1000), SpanTooLargeError);
  });
});

describe('stream settings', () => {
  it('parses durations for --queue-stream-max-age / --queue-ack-wait', async () => {
    const { parseDuration } = await import('../src/nats.js');
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('45'), 45_000);
    assert.equal(parseDuration('15m'), 900_000);
    assert.equal(parseDuration('72h'), 259_200_000);
    assert.equal(parseDuration('7d'), 604_800_000);
    assert.throws(() => parseDuration('soon'), /invalid duration/);
    assert.throws(() => parseDuration('-1s'), /invalid duration/);
  });

  it('trusts the server with max_bytes only from nats-server 2.10.5 on (nats-server#4771)', async () => {
    const { serverEnforcesMaxBytes } = await import('../src/nats.js');
    for (const v of ['2.9.10', '2.9.25', '2.10.4', '1.4.1', '', undefined]) assert.equal(serverEnforcesMaxBytes(v), false, String(v));
    for (const v of ['2.10.5', '2.10.29', '2.11.0', '2.12.1', '3.0.0']) assert.equal(serverEnforcesMaxBytes(v), true, v);
  });
});
