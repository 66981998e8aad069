import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attr, makeResource, makeSpan, SpanKind } from '@ariadne/model';
import type { Span } from '@ariadne/model';
import { MemoryStore } from '@ariadne/storage';
import { adjustClockSkew, formatGoDuration } from '@ariadne/query';
import { MS, startServer, T0 } from './helpers.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const hostA = makeResource('web', [attr('ip', '10.0.0.1')]);
const hostB = makeResource('api', [attr('ip', '10.0.0.2')]);

/** web CLIENT 0–100 ms → api SERVER whose clock is 500 ms ahead (starts at +520 ms, 60 ms) → api child. */
function skewed(): Span[] {
  return [
    makeSpan({ traceId: TRACE, spanId: '0000000000000001', name: 'call', kind: SpanKind.CLIENT, startTimeUnixNano: T0, endTimeUnixNano: T0 + 100n * MS, resource: hostA }),
    makeSpan({
      traceId: TRACE,
      spanId: '0000000000000002',
      parentSpanId: '0000000000000001',
      name: 'handle',
      kind: SpanKind.SERVER,
      startTimeUnixNano: T0 + 520n * MS,
      endTimeUnixNano: T0 + 580n * MS,
      events: [{ timeUnixNano: T0 + 530n * MS, name: 'e', attributes: [], droppedAttributesCount: 0 }],
      resource: hostB,
    }),
    makeSpan({
      traceId: TRACE,
      spanId: '0000000000000003',
      parentSpanId: '0000000000000002',
      name: 'db',
      kind: SpanKind.CLIENT,
      startTimeUnixNano: T0 + 530n * MS,
      endTimeUnixNano: T0 + 570n * MS,
      resource: hostB,
    }),
  ];
}

test('formatGoDuration prints like Go', () => {
  assert.equal(formatGoDuration(0n), '0s');
  assert.equal(formatGoDuration(750n), '750ns');
  assert.equal(formatGoDuration(1500n), '1.5µs');
  assert.equal(formatGoDuration(12_250_000n), '12.25ms');
  assert.equal(formatGoDuration(-500_000_000n), '-500ms');
  assert.equal(formatGoDuration(1_500_000_000n), '1.5s');
  assert.equal(formatGoDuration(123_000_000_000n), '2m3s');
  assert.equal(formatGoDuration(3_600_500_000_000n), '1h0m0.5s');
});

test('a child on another host outside its parent is centred in it, descendants follow', () => {
  const input = skewed();
  const out = adjustClockSkew(input, { maxDeltaNano: 3_600_000n * MS });
  // centred: parent 100 ms, child 60 ms → starts at +20 ms: delta = 20 - 520 = -500 ms
  assert.equal(out[1].startTimeUnixNano, T0 + 20n * MS);
  assert.equal(out[1].endTimeUnixNano, T0 + 80n * MS);
  assert.equal(out[1].events[0].timeUnixNano, T0 + 30n * MS);
  assert.deepEqual(out[1].warnings, ["This span's timestamps were adjusted by -500ms"]);
  assert.equal(out[2].startTimeUnixNano, T0 + 30n * MS, 'same host as its parent: inherits the shift');
  assert.equal(out[0], input[0], 'untouched spans are returned as they are');
  assert.equal(input[1].startTimeUnixNano, T0 + 520n * MS, 'input not modified');
});

test('default (max delta 0, as Jaeger): nothing shifted, warnings say what would be', () => {
  const out = adjustClockSkew(skewed());
  assert.equal(out[1].startTimeUnixNano, T0 + 520n * MS);
  assert.deepEqual(out[1].warnings, ['clock skew adjustment disabled; not applying calculated delta of -500ms']);
  assert.deepEqual(out[0].warnings, []);
  const limited = adjustClockSkew(skewed(), { maxDeltaNano: 100n * MS });
  assert.match(limited[1].warnings[0], /max clock skew adjustment delta of 100ms exceeded; not applying calculated delta of -500ms/);
});

test('no change when the child fits, is on the same host, or hosts are unknown; cycles terminate', () => {
  const fits = skewed();
  fits[1] = { ...fits[1], startTimeUnixNano: T0 + 20n * MS, endTimeUnixNano: T0 + 80n * MS, events: [] };
  fits[2] = { ...fits[2], startTimeUnixNano: T0 + 30n * MS, endTimeUnixNano: T0 + 70n * MS };
  assert.deepEqual(adjustClockSkew(fits), fits);
  const sameHost = skewed().map((s) => ({ ...s, resource: hostA }));
  assert.deepEqual(adjustClockSkew(sameHost), sameHost);
  const cyc = skewed();
  cyc[0] = { ...cyc[0], parentSpanId: '0000000000000003' };
  assert.equal(adjustClockSkew(cyc).length, 3);
});

test('the API reports skew warnings; raw=true skips the adjuster; a configured max delta shifts', async () => {
  const store = new MemoryStore();
  await store.writeSpans(skewed());
  const s1 = await startServer({ store });
  const s2 = await startServer({ store, maxClockSkewAdjustNano: 3_600_000n * MS });
  try {
    const warned = (await s1.get(`/api/traces/${TRACE}`)).json.data[0].spans[1];
    assert.deepEqual(warned.warnings, ['clock skew adjustment disabled; not applying calculated delta of -500ms']);
    assert.equal((await s1.get(`/api/traces/${TRACE}?raw=true`)).json.data[0].spans[1].warnings, null);
    const shifted = (await s2.get(`/api/traces/${TRACE}`)).json.data[0].spans[1];
    assert.equal(shifted.startTime, Number((T0 + 20n * MS) / 1000n));
  } finally {
    await s1.close();
    await s2.close();
    await store.close();
  }
});
