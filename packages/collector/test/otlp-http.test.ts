import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { deflateSync, gzipSync } from 'node:zlib';
import { MemoryStore } from '@ariadne/storage';
import type { SpanStore } from '@ariadne/storage';
import { createOtlpHttpHandler, rejectionMessage, SpanPipeline, startHttpServer } from '../src/index.js';
import type { HttpListener, OtlpHttpOptions, PipelineOptions } from '../src/index.js';
import { ControlledStore } from './helpers.js';
import { decodeExportResponseProto, decodeStatusProto, send, split } from './http-client.js';
import type { Reply, SendOptions } from './http-client.js';

const FIXTURES = process.env.ARIADNE_FIXTURES_DIR || fileURLToPath(new URL('../../../../shared/fixtures', import.meta.url));
const PROTO_BODY = readFileSync(`${FIXTURES}/otlp-http-protobuf.bin`);
const JSON_BODY = readFileSync(`${FIXTURES}/otlp-http.json`);
const PROTO_TRACE = '5827fb2d5092bc246e70cccdf6fcb590';
const JSON_TRACE = '8c8fde74e6f06cd3fb793722cde5cda0';

/** The headers the OTel JS exporters sent in the captures (Host and chunked framing come from node:http). */
const PROTO_HEADERS = { 'Content-Type': 'application/x-protobuf', 'User-Agent': 'OTel-OTLP-Exporter-JavaScript/0.223.0', Connection: 'keep-alive' };
const JSON_HEADERS = { 'Content-Type': 'application/json', 'User-Agent': 'OTel-OTLP-Exporter-JavaScript/0.223.0', Connection: 'keep-alive' };

interface Harness {
  store: SpanStore;
  pipeline: SpanPipeline;
  listener: HttpListener;
  port: number;
  agent: Agent;
  post(opts: SendOptions): Promise<Reply>;
  close(): Promise<void>;
}

async function harness(store: SpanStore = new MemoryStore(), handlerOpts: OtlpHttpOptions = {}, pipelineOpts: PipelineOptions = {}): Promise<Harness> {
  const pipeline = new SpanPipeline(store, { maxBatchDelayMs: 1, ...pipelineOpts });
  const listener = await startHttpServer(createOtlpHttpHandler(pipeline, handlerOpts), { host: '127.0.0.1', port: 0, name: 'otlp-http' });
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const port = listener.address.port;
  return {
    store,
    pipeline,
    listener,
    port,
    agent,
    post: (opts) => send(port, { agent, ...opts }),
    async close() {
      agent.destroy();
      await listener.close();
      await pipeline.close();
      await store.close();
    },
  };
}

/** OTLP JSON with one span per [traceId, spanId]. */
function otlpJson(ids: Array<[string, string]>, service = 'json-svc'): Buffer {
  return Buffer.from(
    JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
          scopeSpans: [
            {
              scope: { name: 'test' },
              spans: ids.map(([traceId, spanId]) => ({
                traceId,
                spanId,
                name: 'op',
                kind: 2,
                startTimeUnixNano: '1700000000000000000',
                endTimeUnixNano: '1700000000001000000',
                status: { code: 0 },
              })),
            },
          ],
        },
      ],
    }),
  );
}

describe('OTLP/HTTP receiver (MemoryStore)', () => {
  let h: Harness;
  before(async () => {
    h = await harness(new MemoryStore(), { maxBodyBytes: 64 * 1024 });
  });
  after(async () => {
    await h.close();
  });

  /** After every bad request: the same server (and keep-alive pool) still stores a good one. */
  async function assertStillServing(): Promise<void> {
    const traceId = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
    const r = await h.post({ headers: JSON_HEADERS, chunks: [otlpJson([[traceId, '00f067aa0ba902b7']])] });
    assert.equal(r.status, 200, r.body.toString());
    assert.equal((await h.store.getTrace(traceId)).length, 1);
  }

  it('stores the real exporter protobuf capture posted chunked with the same headers, 200 after commit', async () => {
    const r = await h.post({ headers: PROTO_HEADERS, chunks: split(PROTO_BODY, 4) });
    assert.equal(r.status, 200, r.body.toString());
    assert.equal(r.headers['content-type'], 'application/x-protobuf');
    assert.equal(decodeExportResponseProto(r.body), undefined, 'full success must leave partialSuccess unset');
    const trace = await h.store.getTrace(PROTO_TRACE);
    assert.deepEqual(trace.map((s) => s.spanId).sort(), ['5984b938590056ce', '5c31bf89a4de221c', 'a26560b56780e6c2', 'd42db3c11ad6ca9e']);
    const services = new Set(trace.map((s) => s.resource.serviceName));
    assert.deepEqual([...services].sort(), ['backend', 'frontend']);
    assert.equal(h.pipeline.metrics.spansStored.value({ protocol: 'otlp-http', service: 'frontend' }) >= 3, true);
  });

  it('stores the real exporter JSON capture (chunked), answering JSON', async () => {
    const r = await h.post({ headers: JSON_HEADERS, chunks: split(JSON_BODY, 3) });
    assert.equal(r.status, 200, r.body.toString());
    assert.match(String(r.headers['content-type']), /^application\/json/);
    const parsed = JSON.parse(r.body.toString()) as { partialSuccess?: { rejectedSpans?: unknown } };
    assert.ok(!parsed.partialSuccess || Number(parsed.partialSuccess.rejectedSpans ?? 0) === 0);
    const trace = await h.store.getTrace(JSON_TRACE);
    assert.equal(trace.length, 4);
    assert.ok(trace.some((s) => s.name === 'SQL SELECT' && s.resource.serviceName === 'backend'));
  });

  it('accepts a charset parameter and a Content-Length body', async () => {
    const body = otlpJson([['11111111111111111111111111111111', '2222222222222222']]);
    const r = await h.post({ headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': String(body.length) }, chunks: [body] });
    assert.equal(r.status, 200, r.body.toString());
    assert.equal((await h.store.getTrace('11111111111111111111111111111111')).length, 1);
  });

  it('accepts gzip (protobuf and JSON) and deflate bodies', async () => {
    const proto = await h.post({ headers: { ...PROTO_HEADERS, 'Content-Encoding': 'gzip' }, chunks: split(gzipSync(PROTO_BODY)) });
    assert.equal(proto.status, 200, proto.body.toString());
    const body = otlpJson([['33333333333333333333333333333333', '4444444444444444']]);
    const json = await h.post({ headers: { ...JSON_HEADERS, 'Content-Encoding': 'gzip' }, chunks: [gzipSync(body)] });
    assert.equal(json.status, 200, json.body.toString());
    assert.equal((await h.store.getTrace('33333333333333333333333333333333')).length, 1);
    const body2 = otlpJson([['55555555555555555555555555555555', '6666666666666666']]);
    const defl = await h.post({ headers: { ...JSON_HEADERS, 'Content-Encoding': 'deflate' }, chunks: [deflateSync(body2)] });
    assert.equal(defl.status, 200, defl.body.toString());
    assert.equal((await h.store.getTrace('55555555555555555555555555555555')).length, 1);
  });

  it('zero ids → 200 with partialSuccess (rejected count and reason), valid spans stored', async () => {
    const body = otlpJson([
      ['00000000000000000000000000000000', '1111111111111111'],
      ['77777777777777777777777777777777', '0000000000000000'],
      ['77777777777777777777777777777777', '8888888888888888'],
    ]);
    const r = await h.post({ headers: JSON_HEADERS, chunks: [body] });
    assert.equal(r.status, 200, r.body.toString());
    const res = JSON.parse(r.body.toString()) as { partialSuccess: { rejectedSpans: string | number; errorMessage: string } };
    assert.equal(Number(res.partialSuccess.rejectedSpans), 2);
    assert.match(res.partialSuccess.errorMessage, /trace id/);
    assert.match(res.partialSuccess.errorMessage, /span id/);
    const stored = await h.store.getTrace('77777777777777777777777777777777');
    assert.deepEqual(
      stored.map((s) => s.spanId),
      ['8888888888888888'],
    );

    // The same in protobuf: the capture with the first span's trace id zeroed.
    const patched = Buffer.from(PROTO_BODY);
    const at = patched.indexOf(Buffer.from(PROTO_TRACE, 'hex'));
    assert.ok(at > 0);
    patched.fill(0, at, at + 16);
    const p = await h.post({ headers: PROTO_HEADERS, chunks: [patched] });
    assert.equal(p.status, 200, p.body.toString());
    const ps = decodeExportResponseProto(p.body);
    assert.equal(ps?.rejectedSpans, 1);
    assert.match(ps?.errorMessage ?? '', /invalid trace id/);
    await assertStillServing();
  });

  it('malformed protobuf → 400 with a google.rpc.Status saying what is wrong', async () => {
    const r = await h.post({ headers: PROTO_HEADERS, chunks: [Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01])] });
    assert.equal(r.status, 400);
    assert.equal(r.headers['content-type'], 'application/x-protobuf');
    const st = decodeStatusProto(r.body);
    assert.equal(st.code, 3);
    assert.match(st.message, /malformed ExportTraceServiceRequest \(protobuf\): .+/);
    await assertStillServing();
  });

  it('truncated protobuf → 400', async () => {
    const r = await h.post({ headers: PROTO_HEADERS, chunks: [PROTO_BODY.subarray(0, PROTO_BODY.length - 7)] });
    assert.equal(r.status, 400);
    assert.match(decodeStatusProto(r.body).message, /malformed/);
    await assertStillServing();
  });

  it('malformed and truncated JSON → 400 with a JSON Status', async () => {
    for (const body of ['{"resourceSpans": [', 'not json', JSON_BODY.subarray(0, 100).toString(), '{"resourceSpans":"x"}']) {
      const r = await h.post({ headers: JSON_HEADERS, chunks: [Buffer.from(body)] });
      assert.equal(r.status, 400, body);
      assert.match(String(r.headers['content-type']), /application\/json/);
      const st = JSON.parse(r.body.toString()) as { code: number; message: string };
      assert.equal(st.code, 3);
      assert.match(st.message, /malformed ExportTraceServiceRequest \(json\): .+/);
    }
    const bad = await h.post({ headers: JSON_HEADERS, chunks: [Buffer.from([0x7b, 0xff, 0xfe, 0x7d])] });
    assert.equal(bad.status, 400);
    assert.match(bad.body.toString(), /not valid UTF-8/);
    await assertStillServing();
  });

  it('corrupt gzip → 400', async () => {
    const gz = gzipSync(PROTO_BODY);
    gz[20] ^= 0xff;
    gz[30] ^= 0xff;
    const r = await h.post({ headers: { ...PROTO_HEADERS, 'Content-Encoding': 'gzip' }, chunks: [gz] });
    assert.equal(r.status, 400);
    assert.match(decodeStatusProto(r.body).message, /invalid gzip body/);
    await assertStillServing();
  });

  it('oversized body → 413, chunked and with Content-Length', async () => {
    const big = Buffer.alloc(200 * 1024, 0x41);
    const chunked = await h.post({ headers: PROTO_HEADERS, chunks: split(big, 20) });
    assert.equal(chunked.status, 413);
    assert.match(decodeStatusProto(chunked.body).message, /exceeds the limit of 65536 bytes/);
    const declared = await h.post({ headers: { ...PROTO_HEADERS, 'content-length': String(big.length) }, chunks: [big] });
    assert.equal(declared.status, 413);
    assert.match(decodeStatusProto(declared.body).message, /204800 bytes exceeds the limit/);
    await assertStillServing();
  });

  it('gzip bomb (small on the wire, huge decompressed) → 413', async () => {
    const bomb = gzipSync(Buffer.alloc(32 * 1024 * 1024));
    assert.ok(bomb.length < 64 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    const r = await h.post({ headers: { ...PROTO_HEADERS, 'Content-Encoding': 'gzip' }, chunks: [bomb] });
    assert.equal(r.status, 413);
    assert.match(decodeStatusProto(r.body).message, /decompressed request body exceeds the limit/);
    assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 1024 * 1024, 'buffered the decompressed bomb');
    await assertStillServing();
  });

  it('unsupported content type → 415, unsupported content encoding → 415', async () => {
    const ct = await h.post({ headers: { 'content-type': 'text/plain' }, chunks: [Buffer.from('hello')] });
    assert.equal(ct.status, 415);
    assert.match(JSON.parse(ct.body.toString()).message, /unsupported Content-Type "text\/plain"/);
    const none = await h.post({ headers: {}, chunks: [PROTO_BODY] });
    assert.equal(none.status, 415);
    const ce = await h.post({ headers: { ...PROTO_HEADERS, 'content-encoding': 'br' }, chunks: [PROTO_BODY] });
    assert.equal(ce.status, 415);
    assert.match(decodeStatusProto(ce.body).message, /unsupported Content-Encoding "br"/);
    await assertStillServing();
  });

  it('other methods → 405 with Allow, other paths → 404', async () => {
    const get = await h.post({ method: 'GET', headers: {} });
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'POST');
    const put = await h.post({ method: 'PUT', headers: JSON_HEADERS, chunks: [JSON_BODY] });
    assert.equal(put.status, 405);
    const nf = await h.post({ path: '/v1/metrics', headers: PROTO_HEADERS, chunks: [PROTO_BODY] });
    assert.equal(nf.status, 404);
    assert.equal(decodeStatusProto(nf.body).code, 5);
    const q = await h.post({ path: '/v1/traces?x=1', headers: JSON_HEADERS, chunks: [otlpJson([['99999999999999999999999999999999', '1111111111111111']])] });
    assert.equal(q.status, 200);
    await assertStillServing();
  });

  it('survives clients that abort mid-body and malformed HTTP', async () => {
    await new Promise<void>((resolve, reject) => {
      const s = connect(h.port, '127.0.0.1', () => {
        s.write('POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n');
        s.write(PROTO_BODY.subarray(0, 100));
        setTimeout(() => {
          s.destroy();
          resolve();
        }, 30);
      });
      s.on('error', reject);
    });
    const garbage = await new Promise<string>((resolve, reject) => {
      const s = connect(h.port, '127.0.0.1', () => s.write('BLAH\r\n\r\n'));
      let out = '';
      s.on('data', (d) => (out += d.toString()));
      s.on('end', () => resolve(out));
      s.on('error', reject);
    });
    assert.match(garbage, /^HTTP\/1.1 400/);
    await assertStillServing();
  });

  it('counts requests by status code in the metrics', () => {
    const text = h.pipeline.metrics.toPrometheus();
    assert.match(text, /ariadne_collector_requests_total\{receiver="otlp-http",code="200"\} \d+/);
    assert.match(text, /ariadne_collector_requests_total\{receiver="otlp-http",code="413"\} \d+/);
  });
});

describe('OTLP/HTTP receiver back-pressure and store failures', () => {
  it('queue full → 503 with Retry-After; nothing acked until the write commits', async () => {
    const store = new ControlledStore();
    const h = await harness(store.asStore(), {}, { maxQueueSpans: 6, maxBatchDelayMs: 0 });
    try {
      const first = h.post({ headers: PROTO_HEADERS, chunks: [PROTO_BODY] });
      await store.waitForWrites(1);
      const second = await h.post({ headers: PROTO_HEADERS, chunks: [PROTO_BODY] });
      assert.equal(second.status, 503);
      assert.match(String(second.headers['retry-after']), /^\d+$/);
      assert.ok(Number(second.headers['retry-after']) >= 1);
      const st = decodeStatusProto(second.body);
      assert.equal(st.code, 14);
      assert.match(st.message, /queue full/);
      store.writes[0].resolve();
      assert.equal((await first).status, 200);
      // Drained: accepted again.
      const third = h.post({ headers: PROTO_HEADERS, chunks: [PROTO_BODY] });
      await store.waitForWrites(2);
      store.writes[1].resolve();
      assert.equal((await third).status, 200);
    } finally {
      store.auto = true;
      for (const w of store.writes) w.resolve();
      await h.close().catch(() => {});
    }
  });

  it('too many body bytes in flight across requests → 503 with Retry-After, released afterwards', async () => {
    const h = await harness(new MemoryStore(), { maxBodyBytes: 5000, maxInflightBodyBytes: 6000 });
    try {
      const s = connect(h.port, '127.0.0.1');
      await new Promise<void>((r) => s.on('connect', () => r()));
      let reply = '';
      s.on('data', (d) => (reply += d.toString()));
      const head = JSON_BODY.subarray(0, 4000);
      const rest = JSON_BODY.subarray(4000);
      s.write(`POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
      s.write(`${head.length.toString(16)}\r\n`);
      s.write(head);
      s.write('\r\n');
      await new Promise((r) => setTimeout(r, 50));
      const busy = await h.post({ headers: JSON_HEADERS, chunks: [JSON_BODY] });
      assert.equal(busy.status, 503);
      assert.equal(busy.headers['retry-after'], '1');
      assert.match(JSON.parse(busy.body.toString()).message, /too many request bytes in flight/);
      s.write(`${rest.length.toString(16)}\r\n`);
      s.write(rest);
      s.write('\r\n0\r\n\r\n');
      const deadline = Date.now() + 3000;
      while (!/\r\n\r\n\{\}/.test(reply) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.match(reply, /^HTTP\/1.1 200/);
      s.destroy();
      assert.equal((await h.store.getTrace(JSON_TRACE)).length, 4);
      // Budget released after each request (including the failed ones): a full-size request fits again.
      for (let i = 0; i < 3; i++) assert.equal((await h.post({ headers: JSON_HEADERS, chunks: [JSON_BODY] })).status, 200);
      assert.throws(() => createOtlpHttpHandler(h.pipeline, { maxBodyBytes: 5000, maxInflightBodyBytes: 100 }), /must be at least maxBodyBytes/);
    } finally {
      await h.close();
    }
  });

  it('store write failure → 500 with the reason, and the server keeps serving', async () => {
    const store = new ControlledStore();
    const h = await harness(store.asStore(), {}, { maxBatchDelayMs: 0 });
    try {
      const r = h.post({ headers: JSON_HEADERS, chunks: [JSON_BODY] });
      await store.waitForWrites(1);
      store.writes[0].reject(new Error('disk on fire'));
      const res = await r;
      assert.equal(res.status, 500);
      const st = JSON.parse(res.body.toString()) as { code: number; message: string };
      assert.equal(st.code, 13);
      assert.match(st.message, /disk on fire/);
      store.auto = true;
      assert.equal((await h.post({ headers: JSON_HEADERS, chunks: [JSON_BODY] })).status, 200);
    } finally {
      await h.close().catch(() => {});
    }
  });

  it('a client that disconnects while its spans are being written does not break the server', async () => {
    const store = new ControlledStore();
    const h = await harness(store.asStore(), {}, { maxBatchDelayMs: 0 });
    try {
      const s = connect(h.port, '127.0.0.1');
      await new Promise<void>((r) => s.on('connect', () => r()));
      s.write(`POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: ${PROTO_BODY.length}\r\n\r\n`);
      s.write(PROTO_BODY);
      await store.waitForWrites(1);
      s.destroy();
      await new Promise((r) => setTimeout(r, 20));
      store.writes[0].resolve();
      store.auto = true;
      assert.equal((await h.post({ headers: JSON_HEADERS, chunks: [JSON_BODY] })).status, 200);
    } finally {
      await h.close().catch(() => {});
    }
  });

  it('closing the pipeline answers 503 (shutting down)', async () => {
    const h = await harness();
    try {
      await h.pipeline.close();
      const r = await h.post({ headers: JSON_HEADERS, chunks: [JSON_BODY] });
      assert.equal(r.status, 503);
      assert.match(JSON.parse(r.body.toString()).message, /shutting down/);
    } finally {
      await h.close().catch(() => {});
    }
  });

  it('CORS: preflight and allowed origin when configured', async () => {
    const h = await harness(new MemoryStore(), { corsAllowedOrigins: ['http://app.example'] });
    try {
      const pre = await h.post({ method: 'OPTIONS', headers: { origin: 'http://app.example', 'access-control-request-headers': 'content-type' } });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers['access-control-allow-origin'], 'http://app.example');
      assert.match(String(pre.headers['access-control-allow-methods']), /POST/);
      const r = await h.post({ headers: { ...JSON_HEADERS, origin: 'http://app.example' }, chunks: [JSON_BODY] });
      assert.equal(r.status, 200);
      assert.equal(r.headers['access-control-allow-origin'], 'http://app.example');
      const other = await h.post({ headers: { ...JSON_HEADERS, origin: 'http://evil.example' }, chunks: [JSON_BODY] });
      assert.equal(other.headers['access-control-allow-origin'], undefined);
    } finally {
      await h.close();
    }
  });
});

describe('rejectionMessage', () => {
  it('lists at most maxReasons reasons and counts the rest', () => {
    const rejected = Array.from({ length: 13 }, (_, i) => ({ traceId: '', spanId: String(i), reason: `reason ${i}` }));
    const m = rejectionMessage(rejected, 10);
    assert.match(m, /^13 span\(s\) rejected: reason 0; reason 1; .*reason 9; and 3 more$/);
    assert.doesNotMatch(m, /reason 10/);
    assert.equal(rejectionMessage([]), '');
  });
});
