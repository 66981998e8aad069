import { fixturesDir } from './helpers/expect.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJaegerAgentMessage, decodeJaegerQueryJson, decodeOtlpJson, spansToJaegerTrace, stringifyJaegerJson } from '@ariadne/codec';
import type { JaegerJsonKeyValue, JaegerJsonSpan } from '@ariadne/codec';
import type { Span } from '@ariadne/model';

const FIXTURES = fixturesDir();
const expectOf = (name: string) => JSON.parse(readFileSync(join(FIXTURES, `${name}.expect.json`), 'utf8'));
const byStart = (a: Span, b: Span) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : a.startTimeUnixNano > b.startTimeUnixNano ? 1 : 0);

/** The Jaeger JSON tag an expect.json attribute becomes. */
function expectedTag(key: string, a: { type: string; value: any }): JaegerJsonKeyValue {
  switch (a.type) {
    case 'string':
      return { key, type: 'string', value: a.value };
    case 'bool':
      return { key, type: 'bool', value: a.value };
    case 'int':
      return { key, type: 'int64', value: a.value };
    case 'double':
      return { key, type: 'float64', value: a.value };
    case 'bytes':
      return { key, type: 'binary', value: a.value };
    case 'array':
      return { key, type: 'string', value: JSON.stringify(a.value.map((x: any) => x.value)) };
    default:
      throw new Error(`unexpected type ${a.type}`);
  }
}
const expectedTags = (attrs: Record<string, any>) => Object.entries(attrs).map(([k, v]) => expectedTag(k, v));

test('OTLP/HTTP JSON fixture → Jaeger query JSON as Jaeger translates OTLP', () => {
  const exp = expectOf('otlp-http');
  const spans = decodeOtlpJson(readFileSync(join(FIXTURES, 'otlp-http.json'), 'utf8')).sort(byStart);
  const j = spansToJaegerTrace(spans);
  assert.equal(j.traceID, exp.traceIds[0]);
  assert.equal(j.spans.length, exp.spanCount);
  // processes: frontend first (the root starts first), service.name not repeated as a tag
  assert.deepEqual(
    Object.entries(j.processes).map(([id, p]) => [id, p.serviceName, p.tags.map((t) => t.key)]),
    [
      ['p1', 'frontend', ['service.version', 'deployment.environment.name']],
      ['p2', 'backend', ['service.version', 'deployment.environment.name']],
    ],
  );
  const kindTag: Record<string, string> = { SERVER: 'server', CLIENT: 'client', PRODUCER: 'producer', CONSUMER: 'consumer', INTERNAL: 'internal' };
  for (const e of exp.spans) {
    const s = j.spans.find((x) => x.spanID === e.spanId) as JaegerJsonSpan;
    assert.ok(s, e.spanId);
    assert.equal(s.traceID, e.traceId);
    assert.equal(s.operationName, e.name);
    assert.equal(s.startTime, e.startTimeUnixMicro);
    assert.equal(s.duration, e.durationMicro);
    assert.equal(s.flags, e.flags & 0xff);
    assert.equal(j.processes[s.processID].serviceName, e.serviceName);
    const tags: JaegerJsonKeyValue[] = [
      ...expectedTags(e.attributes),
      { key: 'otel.scope.name', type: 'string', value: e.scope.name },
      { key: 'otel.scope.version', type: 'string', value: e.scope.version },
      { key: 'span.kind', type: 'string', value: kindTag[e.kind] },
    ];
    if (e.status.code !== 'UNSET') tags.push({ key: 'otel.status_code', type: 'string', value: e.status.code });
    if (e.status.code === 'ERROR') tags.push({ key: 'error', type: 'bool', value: true });
    if (e.status.message) tags.push({ key: 'otel.status_description', type: 'string', value: e.status.message });
    assert.deepEqual(s.tags, tags, e.name);
    assert.deepEqual(
      s.logs,
      e.events.map((ev: any) => ({ timestamp: ev.timeUnixMicro, fields: [{ key: 'event', type: 'string', value: ev.name }, ...expectedTags(ev.attributes)] })),
    );
    const refs = [
      ...(e.parentSpanId ? [{ refType: 'CHILD_OF', traceID: e.traceId, spanID: e.parentSpanId }] : []),
      ...e.links.map((l: any) => ({ refType: 'FOLLOWS_FROM', traceID: l.traceId, spanID: l.spanId })),
    ];
    assert.deepEqual(s.references, refs, e.name);
    assert.equal(s.warnings, null);
  }
  // and back: what Jaeger JSON carries survives
  const back = decodeJaegerQueryJson(stringifyJaegerJson(j));
  assert.deepEqual(
    back.map((s) => [s.spanId, s.parentSpanId, s.kind, s.status.code, s.status.message, s.scope.name, s.startTimeUnixNano, s.endTimeUnixNano]),
    spans.map((s) => [s.spanId, s.parentSpanId, s.kind, s.status.code, s.status.message, s.scope.name, s.startTimeUnixNano, s.endTimeUnixNano]),
  );
});

test('Jaeger UDP compact fixture → Jaeger query JSON is exactly what the client sent', () => {
  const exp = expectOf('jaeger-udp-compact');
  const spans = ['frontend', 'backend']
    .flatMap((p) => decodeJaegerAgentMessage(new Uint8Array(readFileSync(join(FIXTURES, `jaeger-udp-compact-${p}.bin`))), 'compact'))
    .sort(byStart);
  const j = spansToJaegerTrace(spans);
  assert.equal(j.traceID, '2165cd8171cef678', '64-bit ids print as 16 hex chars');
  assert.equal(Object.keys(j.processes).length, 2);
  for (const e of exp.spans) {
    const s = j.spans.find((x) => x.spanID === e.spanId) as JaegerJsonSpan;
    assert.ok(s, e.spanId);
    assert.equal(s.traceID, '2165cd8171cef678');
    assert.equal(s.startTime, e.startTimeUnixMicro);
    assert.equal(s.duration, e.durationMicro);
    assert.equal(s.flags, e.flags);
    // tags exactly as on the wire: no second span.kind / error, no otel.* additions
    assert.deepEqual(s.tags, expectedTags(e.attributes), e.name);
    assert.deepEqual(
      s.logs,
      e.events.map((ev: any) => ({ timestamp: ev.timeUnixMicro, fields: expectedTags(ev.attributes) })),
      e.name,
    );
    const refs = e.references.length
      ? e.references
      : e.parentSpanId
        ? [{ refType: 'CHILD_OF', traceId: e.traceId, spanId: e.parentSpanId }]
        : [];
    assert.deepEqual(
      s.references,
      refs.map((r: any) => ({ refType: r.refType, traceID: r.traceId.replace(/^0{16}/, ''), spanID: r.spanId })),
      e.name,
    );
    const p = j.processes[s.processID];
    assert.equal(p.serviceName, e.process.serviceName);
    assert.deepEqual(p.tags, expectedTags(e.process.tags));
  }
  // Jaeger JSON → model gives the model the Thrift decoder gives, and back to the same JSON
  const back = decodeJaegerQueryJson(JSON.parse(stringifyJaegerJson(j)));
  const view = (s: Span) => [s.traceId, s.spanId, s.parentSpanId, s.name, s.kind, s.status, s.startTimeUnixNano, s.endTimeUnixNano, s.attributes, s.events, s.links.map((l) => [l.traceId, l.spanId, l.refType]), s.resource.serviceName, s.resource.attributes, s.flags];
  assert.deepEqual(back.map(view), spans.map(view));
  assert.deepEqual(spansToJaegerTrace(back), j);
});
