/** fast-check arbitrary of model spans that Zipkin can carry losslessly (shared by the zipkin tests). */
import { SocketAddress } from 'node:net';
import fc from 'fast-check';
import { SpanKind, StatusCode, makeResource, makeSpan } from '@ariadne/model';
import type { Attribute, Span } from '@ariadne/model';
import { sharedServerSpanId } from '../src/index.js';

const hex = (n: number) => fc.uint8Array({ minLength: n / 2, maxLength: n / 2 }).map((b) => Buffer.from(b).toString('hex')).filter((h) => /[^0]/.test(h));
const reserved = new Set(['error', 'otel.status_code', 'peer.service', 'net.peer.ip', 'net.peer.ipv6', 'net.peer.port', 'zipkin.shared', 'zipkin.debug', 'zipkin.span_id', 'zipkin.parent_id']);
// integer-like keys are reordered by every JS object (tags is a JSON object), so they cannot keep wire order
const tagKey = fc.string({ minLength: 1, maxLength: 10 }).filter((k) => !reserved.has(k) && !/^(0|[1-9][0-9]*)$/.test(k));
const lower = fc.string({ maxLength: 12 }).map((s) => s.toLowerCase()).filter((s) => s === s.toLowerCase());
const micros = fc.integer({ min: 1, max: 2 ** 52 });

export const zipkinModelSpan: fc.Arbitrary<Span> = fc
  .record({
    traceId: hex(32),
    spanId: hex(16),
    parent: fc.option(hex(16), { nil: undefined }),
    name: lower,
    kind: fc.constantFrom(SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER),
    start: micros,
    dur: fc.integer({ min: 0, max: 2 ** 30 }),
    tags: fc.uniqueArray(fc.tuple(tagKey, fc.string()), { selector: (t) => t[0], maxLength: 5 }),
    events: fc.array(fc.tuple(micros, fc.string()), { maxLength: 3 }),
    error: fc.option(fc.string(), { nil: undefined }),
    service: lower,
    ip: fc.option(fc.ipV4(), { nil: undefined }),
    port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
    remote: fc.option(fc.record({ svc: lower.filter((s) => s !== ''), ip: fc
        .ipV6()
        .map((a) => new SocketAddress({ address: a, family: 'ipv6' }).address) /* canonical text (RFC 5952) */
        .filter((a) => !a.includes('.') || a.startsWith('::ffff:')) /* not the deprecated ::a.b.c.d form */, port: fc.integer({ min: 1, max: 65535 }) }), { nil: undefined }),
    shared: fc.boolean(),
    debug: fc.boolean(),
  })
  .map((r) => {
    const attributes: Attribute[] = r.tags.map(([k, v]) => ({ key: k, value: { type: 'string', value: v } }));
    if (r.error !== undefined) attributes.push({ key: 'error', value: { type: 'string', value: r.error } });
    if (r.remote) {
      attributes.push({ key: 'peer.service', value: { type: 'string', value: r.remote.svc } });
      attributes.push({ key: 'net.peer.ipv6', value: { type: 'string', value: r.remote.ip } });
      attributes.push({ key: 'net.peer.port', value: { type: 'int', value: r.remote.port } });
    }
    if (r.shared) attributes.push({ key: 'zipkin.shared', value: { type: 'bool', value: true } });
    if (r.debug) attributes.push({ key: 'zipkin.debug', value: { type: 'bool', value: true } });
    // a shared SERVER span is what the decoder makes of one: its own id, under the wire id
    const sharedServer = r.shared && r.kind === SpanKind.SERVER;
    if (sharedServer) {
      attributes.push({ key: 'zipkin.span_id', value: { type: 'string', value: r.spanId } });
      if (r.parent && r.parent !== '0000000000000000') attributes.push({ key: 'zipkin.parent_id', value: { type: 'string', value: r.parent } });
    }
    const res: Attribute[] = [];
    if (r.ip) res.push({ key: 'net.host.ip', value: { type: 'string', value: r.ip } });
    if (r.port) res.push({ key: 'net.host.port', value: { type: 'int', value: r.port } });
    return makeSpan({
      traceId: r.traceId,
      spanId: sharedServer ? sharedServerSpanId(r.spanId) : r.spanId,
      parentSpanId: sharedServer ? r.spanId : (r.parent ?? ''),
      name: r.name,
      kind: r.kind,
      startTimeUnixNano: BigInt(r.start) * 1000n,
      endTimeUnixNano: BigInt(r.start + r.dur) * 1000n,
      attributes,
      events: r.events.map(([t, n]) => ({ timeUnixNano: BigInt(t) * 1000n, name: n, attributes: [], droppedAttributesCount: 0 })),
      status: r.error !== undefined ? { code: StatusCode.ERROR, message: r.error } : { code: StatusCode.UNSET, message: '' },
      flags: 1,
      resource: makeResource(r.service, res),
    });
  });

