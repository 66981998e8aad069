import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attr, makeResource, makeSpan, SpanKind } from '@ariadne/model';
import { MemoryStore } from '@ariadne/storage';
import { spansToJaegerTrace } from '@ariadne/codec';
import { moveLibraryAttributesToResource, sortJaegerTrace } from '@ariadne/query';
import { MS, startServer, T0 } from './helpers.js';

const TRACE = '1234567890abcdef1234567890abcdef';
const resource = makeResource('svc', [attr('zone', 'b'), attr('host.name', 'h1'), attr('arch', 'x86')]);
const spans = () => [
  makeSpan({
    traceId: TRACE,
    spanId: '0000000000000001',
    name: 'op',
    kind: SpanKind.SERVER,
    startTimeUnixNano: T0,
    endTimeUnixNano: T0 + 10n * MS,
    attributes: [attr('z', 1), attr('telemetry.sdk.language', 'nodejs'), attr('a', 2)],
    events: [
      { timeUnixNano: T0 + MS, name: 'ev', attributes: [attr('zeta', 1), attr('alpha', 'x')], droppedAttributesCount: 0 },
      { timeUnixNano: T0 + 2n * MS, name: '', attributes: [attr('msg', 'm'), attr('level', 'info')], droppedAttributesCount: 0 },
    ],
    resource,
  }),
  makeSpan({ traceId: TRACE, spanId: '0000000000000002', parentSpanId: '0000000000000001', name: 'child', startTimeUnixNano: T0 + MS, endTimeUnixNano: T0 + 2n * MS, resource }),
];

test('SDK attributes move from the span to its process; other spans keep theirs', () => {
  const input = spans();
  const out = moveLibraryAttributesToResource(input);
  assert.deepEqual(out[0].attributes.map((a) => a.key), ['z', 'a']);
  assert.deepEqual(out[0].resource.attributes.map((a) => a.key), ['zone', 'host.name', 'arch', 'telemetry.sdk.language']);
  assert.equal(out[1], input[1]);
  assert.equal(input[0].attributes.length, 3, 'input not modified');
});

test('process tags sorted; log fields: event first, the rest sorted', () => {
  const j = sortJaegerTrace(spansToJaegerTrace(spans()));
  assert.deepEqual(j.processes.p1.tags.map((t) => t.key), ['arch', 'host.name', 'zone']);
  assert.deepEqual(j.spans[0].logs[0].fields.map((f) => f.key), ['event', 'alpha', 'zeta']);
  assert.deepEqual(j.spans[0].logs[1].fields.map((f) => f.key), ['level', 'msg']);
  assert.deepEqual(j.spans[0].tags.map((t) => t.key), ['z', 'telemetry.sdk.language', 'a', 'span.kind'], 'span tags keep their order');
});

test('the API applies the adjusters, raw=true does not', async () => {
  const store = new MemoryStore();
  await store.writeSpans(spans());
  const s = await startServer({ store });
  try {
    const adjusted = (await s.get(`/api/traces/${TRACE}`)).json.data[0];
    assert.equal(Object.keys(adjusted.processes).length, 2, 'the span with SDK tags now has its own process');
    const root = adjusted.spans[0];
    assert.deepEqual(root.tags.map((t: any) => t.key), ['z', 'a', 'span.kind']);
    assert.deepEqual(adjusted.processes[root.processID].tags.map((t: any) => t.key), ['arch', 'host.name', 'telemetry.sdk.language', 'zone']);
    assert.deepEqual(root.logs[0].fields.map((f: any) => f.key), ['event', 'alpha', 'zeta']);
    for (const raw of ['true', '1', 'TRUE']) {
      const r = (await s.get(`/api/traces/${TRACE}?raw=${raw}`)).json.data[0];
      assert.equal(Object.keys(r.processes).length, 1, raw);
      assert.deepEqual(r.spans[0].logs[0].fields.map((f: any) => f.key), ['event', 'zeta', 'alpha']);
    }
    const search = (await s.get('/api/traces?service=svc&start=0&end=' + (T0 / 1000n + 1n))).json.data[0];
    assert.deepEqual(search.spans[0].logs[0].fields.map((f: any) => f.key), ['event', 'alpha', 'zeta']);
  } finally {
    await s.close();
    await store.close();
  }
});
