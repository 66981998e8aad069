import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { decodeOtlpProtobuf } from '@ariadne/codec';
import { makeResource, makeSpan, randomSpanId, randomTraceId, type Span } from '@ariadne/model';
import { OtlpForwarder, QueueFullError } from '@ariadne/collector';

const spans = (n: number): Span[] =>
  Array.from({ length: n }, () => makeSpan({ traceId: randomTraceId(), spanId: randomSpanId(), name: 'op', startTimeUnixNano: 1_700_000_000_000_000_000n, endTimeUnixNano: 1_700_000_000_001_000_000n, resource: makeResource('svc') }));

/** A real collector stand-in that answers from a script of statuses, recording what it received. */
async function server(script: (n: number) => { status: number; headers?: Record<string, string> }) {
  const received: Span[] = [];
  let calls = 0;
  const s = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const { status, headers } = script(calls++);
      if (status === 200) received.push(...decodeOtlpProtobuf(gunzipSync(Buffer.concat(chunks))));
      res.writeHead(status, headers).end();
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/v1/traces`, received, calls: () => calls, close: () => new Promise((r) => s.close(r)) };
}

test('503 with Retry-After is retried and delivered; batches respect the size', async () => {
  const srv = await server((n) => (n < 2 ? { status: 503, headers: { 'retry-after': '0' } } : { status: 200 }));
  const f = new OtlpForwarder({ url: srv.url, maxBatchSpans: 50, maxBatchDelayMs: 5, initialBackoffMs: 5 });
  try {
    await f.ingest(spans(120), 'test');
    await f.close();
    assert.equal(srv.received.length, 120);
    assert.equal(f.delivered, 120);
    assert.equal(f.dropped, 0);
    assert.equal(srv.calls(), 2 + 3, 'two refusals, then three batches of ≤50');
  } finally {
    await srv.close();
  }
});

test('a 400 is not retried: the batch is dropped and counted', async () => {
  const srv = await server(() => ({ status: 400 }));
  const drops: string[] = [];
  const f = new OtlpForwarder({ url: srv.url, maxBatchDelayMs: 1, onDrop: (n, reason) => drops.push(`${n}:${reason}`) });
  try {
    await f.ingest(spans(3), 'test');
    await f.close();
    assert.equal(srv.calls(), 1);
    assert.equal(f.dropped, 3);
    assert.match(drops[0], /^3:rejected by collector: HTTP 400/);
  } finally {
    await srv.close();
  }
});

test('a dead collector: bounded attempts, bounded queue, drops counted, never throws into ingest callers beyond QueueFullError', async () => {
  const f = new OtlpForwarder({ url: 'http://127.0.0.1:1/v1/traces', maxQueueSpans: 10, maxAttempts: 2, initialBackoffMs: 1, maxBatchDelayMs: 1000 });
  await f.ingest(spans(10), 'test');
  await assert.rejects(f.ingest(spans(1), 'test'), QueueFullError);
  await f.close();
  assert.equal(f.dropped, 11);
  assert.equal(f.delivered, 0);
});
