/**
 * The walking skeleton, end to end: a real `ariadne all-in-one` process on a real DuckDB file
 * receives the real-client fixtures over real sockets, and the Jaeger-compatible query API returns
 * them whole — also after a restart. Bad bodies get the right 4xx and the server keeps serving.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { fixture, fixtureExpect, getJson, startAriadne, tempDir, type FixtureExpect, type Running } from './helpers.js';

/** POST like the OTel JS exporters do: chunked, no Content-Length. */
function postChunked(url: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'transfer-encoding': 'chunked' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    // two chunks, to exercise reassembly
    const mid = Math.floor(body.length / 2);
    req.write(body.subarray(0, mid));
    req.end(body.subarray(mid));
  });
}

async function post(url: string, body: Buffer | string, contentType: string, extra: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType, ...extra }, body });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Jaeger JSON tag value for an expected model attribute, as Jaeger's query service renders it. */
function expectedTag(a: { type: string; value: unknown }): { type: string; value: unknown } {
  switch (a.type) {
    case 'string':
      return { type: 'string', value: a.value };
    case 'bool':
      return { type: 'bool', value: a.value };
    case 'int':
      return { type: 'int64', value: a.value };
    case 'double':
      return { type: 'float64', value: a.value };
    case 'bytes':
      return { type: 'binary', value: a.value };
    default:
      return { type: 'string', value: JSON.stringify((a.value as Array<{ value: unknown }>).map((x) => x.value)) };
  }
}

/** Assert that a Jaeger-JSON trace holds every expected span with its parent, service, times, tags and logs. */
function assertTraceMatches(trace: any, exp: FixtureExpect, label: string) {
  assert.equal(trace.spans.length, exp.spanCount, `${label}: span count`);
  for (const e of exp.spans) {
    const s = trace.spans.find((x: any) => x.spanID === e.spanId);
    assert.ok(s, `${label}: span ${e.spanId} (${e.name}) present`);
    const where = `${label} span ${e.name}`;
    assert.equal(s.operationName, e.name, `${where}: operation`);
    assert.equal(trace.processes[s.processID].serviceName, e.serviceName, `${where}: service`);
    assert.equal(s.startTime, e.startTimeUnixMicro, `${where}: start`);
    assert.equal(s.duration, e.durationMicro, `${where}: duration`);
    const parentRef = s.references.find((r: any) => r.refType === 'CHILD_OF' && r.spanID === e.parentSpanId);
    if (e.parentSpanId) assert.ok(parentRef, `${where}: CHILD_OF reference to parent ${e.parentSpanId}`);
    else assert.equal(s.references.filter((r: any) => r.refType === 'CHILD_OF').length, 0, `${where}: root has no CHILD_OF reference`);
    for (const [key, a] of Object.entries(e.attributes)) {
      const tag = s.tags.find((t: any) => t.key === key);
      assert.ok(tag, `${where}: tag ${key} present`);
      const want = expectedTag(a);
      assert.equal(tag.type, want.type, `${where}: tag ${key} type`);
      assert.deepEqual(tag.value, want.value, `${where}: tag ${key} value`);
    }
    if (e.kind !== 'INTERNAL') {
      assert.ok(s.tags.some((t: any) => t.key === 'span.kind' && t.value === e.kind.toLowerCase()), `${where}: span.kind tag`);
    }
    if (e.status.code === 'ERROR' && !('error' in e.attributes)) assert.ok(s.tags.some((t: any) => t.key === 'error' && t.value === true), `${where}: error tag`);
    assert.equal(s.logs.length, e.events.length, `${where}: log count`);
    for (const ev of e.events) {
      const log = s.logs.find((l: any) => l.timestamp === ev.timeUnixMicro && (ev.name == null || l.fields.some((f: any) => f.key === 'event' && f.value === ev.name)));
      assert.ok(log, `${where}: log "${ev.name}" at ${ev.timeUnixMicro}`);
      for (const [key, a] of Object.entries(ev.attributes)) {
        const f = log.fields.find((x: any) => x.key === key);
        assert.ok(f, `${where}: log field ${key}`);
        assert.deepEqual(f.value, expectedTag(a).value, `${where}: log field ${key} value`);
      }
    }
  }
}

const FIXTURE_WINDOW = 'start=1699999990000000&end=1700000010000000';

describe('all-in-one on DuckDB: fixtures in, Jaeger JSON out, across a restart', () => {
  const dir = tempDir();
  let app: Running;
  const expects = {
    'otlp-http-protobuf': fixtureExpect('otlp-http-protobuf.expect.json'),
    'otlp-http': fixtureExpect('otlp-http.expect.json'),
    'jaeger-udp-compact': fixtureExpect('jaeger-udp-compact.expect.json'),
    'zipkin-v2': fixtureExpect('zipkin-v2.expect.json'),
  };
  const start = () => startAriadne({ args: ['--data-dir', dir.path] });

  before(async () => {
    app = await start();
  });
  after(async () => {
    await app?.stop();
    dir.remove();
  });

  test('OTLP/HTTP protobuf fixture, posted chunked like the OTel exporter, is acknowledged', async () => {
    const res = await postChunked(app.url('otlp-http', '/v1/traces'), fixture('otlp-http-protobuf.bin'), { 'content-type': 'application/x-protobuf', 'user-agent': 'OTel-OTLP-Exporter-JavaScript/0.223.0' });
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /application\/x-protobuf/);
    assert.equal(res.body.length, 0, 'empty ExportTraceServiceResponse: nothing rejected');
  });

  test('OTLP/HTTP JSON fixture is acknowledged with a JSON response', async () => {
    const res = await postChunked(app.url('otlp-http', '/v1/traces'), fixture('otlp-http.json'), { 'content-type': 'application/json' });
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body.toString()), {});
  });

  test('Jaeger Thrift compact datagrams to the agent port are stored', async () => {
    const sock = createSocket('udp4');
    const a = app.addresses.get('agent-compact')!;
    for (const f of ['jaeger-udp-compact-frontend.bin', 'jaeger-udp-compact-backend.bin']) {
      await new Promise<void>((res, rej) => sock.send(fixture(f), a.port, a.host, (err) => (err ? rej(err) : res())));
    }
    sock.close();
    // UDP has no acknowledgement: poll until the agent has forwarded and the store committed.
    const id = expects['jaeger-udp-compact'].traceIds[0];
    const deadline = Date.now() + 10000;
    for (;;) {
      const r = await getJson(app.url('query', `/api/traces/${id}`));
      if (r.status === 200 && r.body.data[0].spans.length === 4) break;
      assert.ok(Date.now() < deadline, `jaeger trace stored in time (last status ${r.status})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  test('Zipkin v2 JSON fixture is accepted with 202', async () => {
    const res = await post(app.url('zipkin', '/api/v2/spans'), fixture('zipkin-v2.json'), 'application/json');
    assert.equal(res.status, 202, res.text);
  });

  test('every fixture trace reads back whole from /api/traces/{id}', async () => {
    for (const [name, exp] of Object.entries(expects)) {
      const r = await getJson(app.url('query', `/api/traces/${exp.traceIds[0]}`));
      assert.equal(r.status, 200, `${name}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.data.length, 1);
      assertTraceMatches(r.body.data[0], exp, name);
    }
  });

  test('short (64-bit) and upper-case trace ids find the same trace', async () => {
    const id = expects['zipkin-v2'].traceIds[0];
    const r = await getJson(app.url('query', `/api/traces/${id.slice(16).toUpperCase()}`));
    assert.equal(r.status, 200);
    assert.equal(r.body.data[0].spans.length, 4);
  });

  test('services and operations list what was ingested', async () => {
    const s = await getJson(app.url('query', '/api/services'));
    assert.equal(s.status, 200);
    for (const svc of ['frontend', 'backend']) assert.ok(s.body.data.includes(svc), `service ${svc}`);
    const ops = await getJson(app.url('query', '/api/services/frontend/operations'));
    assert.ok(ops.body.data.includes('GET /dispatch'));
    assert.ok(ops.body.data.includes('notify-driver'));
    const kinds = await getJson(app.url('query', '/api/operations?service=frontend&spanKind=server'));
    assert.deepEqual(
      kinds.body.data.map((o: any) => o.name).sort(),
      [...new Set(kinds.body.data.map((o: any) => o.name))].sort(),
    );
    assert.ok(kinds.body.data.every((o: any) => o.spanKind === 'server'));
    assert.ok(kinds.body.data.some((o: any) => o.name === 'GET /dispatch'));
  });

  test('search by service, operation, tag and duration', async () => {
    const ids = (body: any) => body.data.map((t: any) => t.traceID.padStart(32, '0')).sort();
    const otlpIds = [expects['otlp-http-protobuf'].traceIds[0], expects['otlp-http'].traceIds[0]];

    const bySvc = await getJson(app.url('query', `/api/traces?service=backend&${FIXTURE_WINDOW}&limit=20`));
    assert.equal(bySvc.status, 200);
    assert.equal(bySvc.body.data.length, 4, 'every fixture trace has a backend span');

    const byOp = await getJson(app.url('query', `/api/traces?service=backend&operation=${encodeURIComponent('SQL SELECT')}&${FIXTURE_WINDOW}`));
    assert.ok(byOp.body.data.length >= 2);
    for (const id of otlpIds) assert.ok(ids(byOp.body).includes(id));

    const tags = encodeURIComponent(JSON.stringify({ 'db.system': 'mysql' }));
    const byTag = await getJson(app.url('query', `/api/traces?service=backend&tags=${tags}&${FIXTURE_WINDOW}`));
    assert.ok(byTag.body.data.length >= 2);
    const none = await getJson(app.url('query', `/api/traces?service=backend&tags=${encodeURIComponent(JSON.stringify({ 'db.system': 'oracle' }))}&${FIXTURE_WINDOW}`));
    assert.equal(none.body.data.length, 0);

    // root spans last 100.5 ms: only they pass minDuration=100ms on service frontend
    const slow = await getJson(app.url('query', `/api/traces?service=frontend&minDuration=100ms&${FIXTURE_WINDOW}`));
    assert.equal(slow.body.data.length, 4, 'every fixture trace has the 100.5 ms root');
    const tooSlow = await getJson(app.url('query', `/api/traces?service=frontend&minDuration=101ms&${FIXTURE_WINDOW}`));
    assert.equal(tooSlow.body.data.length, 0);
    const fast = await getJson(app.url('query', `/api/traces?service=frontend&operation=notify-driver&maxDuration=8ms&${FIXTURE_WINDOW}`));
    assert.ok(fast.body.data.length >= 2, 'notify-driver lasts 7.75 ms');
    const outside = await getJson(app.url('query', `/api/traces?service=frontend&start=1600000000000000&end=1600000001000000`));
    assert.equal(outside.body.data.length, 0, 'time range excludes the fixtures');
  });

  test('sampling strategies: all-in-one samples everything by default, on the agent and admin ports', async () => {
    for (const url of [app.url('sampling', '/sampling?service=frontend'), app.url('admin', '/api/sampling?service=frontend')]) {
      const r = await getJson(url);
      assert.equal(r.status, 200, url);
      assert.deepEqual(r.body, { strategyType: 'PROBABILISTIC', probabilisticSampling: { samplingRate: 1 } });
    }
  });

  test('unknown trace id: 404 in Jaeger\'s error envelope', async () => {
    const r = await getJson(app.url('query', '/api/traces/0123456789abcdef0123456789abcdef'));
    assert.equal(r.status, 404);
    assert.equal(r.body.errors[0].code, 404);
    assert.equal(r.body.data, null);
  });

  test('bad bodies get the right 4xx and the server keeps serving', async () => {
    const url = app.url('otlp-http', '/v1/traces');
    const pb = fixture('otlp-http-protobuf.bin');
    const truncated = await post(url, pb.subarray(0, pb.length - 7), 'application/x-protobuf');
    assert.equal(truncated.status, 400, 'truncated protobuf');
    const garbage = await post(url, Buffer.from('definitely not protobuf \xff\xff\xff\xff'), 'application/x-protobuf');
    assert.equal(garbage.status, 400, 'garbage protobuf');
    const badJson = await post(url, '{"resourceSpans": [', 'application/json');
    assert.equal(badJson.status, 400);
    assert.match(JSON.parse(badJson.text).message, /\S/, 'a google.rpc.Status with a message');
    const wrongType = await post(url, 'hello', 'text/plain');
    assert.equal(wrongType.status, 415);
    const big = Buffer.alloc(17 * 1024 * 1024, 0x0a);
    const tooBig = await post(url, big, 'application/x-protobuf');
    assert.equal(tooBig.status, 413);
    const bomb = gzipSync(Buffer.alloc(40 * 1024 * 1024));
    const bombRes = await post(url, bomb, 'application/x-protobuf', { 'content-encoding': 'gzip' });
    assert.equal(bombRes.status, 413, 'decompressed size is limited too');
    const get = await fetch(url);
    assert.equal(get.status, 405);
    await get.text();
    // still serving, and still accepting good data
    const ok = await post(url, gzipSync(pb), 'application/x-protobuf', { 'content-encoding': 'gzip' });
    assert.equal(ok.status, 200);
    const health = await getJson(app.url('admin', '/health'));
    assert.equal(health.status, 200);
  });

  test('after a clean stop and a start on the same data dir, every trace is still there', async () => {
    assert.equal(await app.stop(), 0, 'clean exit on SIGTERM');
    app = await start();
    for (const [name, exp] of Object.entries(expects)) {
      const r = await getJson(app.url('query', `/api/traces/${exp.traceIds[0]}`));
      assert.equal(r.status, 200, name);
      assertTraceMatches(r.body.data[0], exp, `${name} after restart`);
    }
  });
});

describe('ariadne command line', () => {
  test('--help lists the commands; all-in-one --help lists flags with env vars', async () => {
    const { spawnSync } = await import('node:child_process');
    const { CLI_SRC, ROOT } = await import('./helpers.js');
    const run = (...a: string[]) => spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', CLI_SRC, ...a], { cwd: ROOT, encoding: 'utf8' });
    const top = run('--help');
    assert.equal(top.status, 0);
    assert.match(top.stdout, /all-in-one/);
    const aio = run('all-in-one', '--help');
    assert.equal(aio.status, 0);
    assert.match(aio.stdout, /--query-port VALUE/);
    assert.match(aio.stdout, /ARIADNE_QUERY_PORT/);
    const bad = run('all-in-one', '--query-port', 'seventy');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--query-port: expected a port number/);
    const unknown = run('all-in-one', '--nope');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown flag --nope/);
  });

  test('environment variables configure like flags (ARIADNE_STORAGE=memory)', async () => {
    const app = await startAriadne({ env: { ARIADNE_STORAGE: 'memory' } });
    try {
      const opened = app.logs.find((l) => l.msg === 'store opened');
      assert.equal(opened?.backend, 'memory');
      for (const name of ['otlp-http', 'query', 'admin']) {
        const line = app.logs.find((l) => l.msg === 'listening' && l.listener === name);
        assert.ok(line, `one JSON line for listener ${name}`);
        assert.match(String(line!.address), /^127\.0\.0\.1:\d+$/);
      }
    } finally {
      await app.stop();
    }
  });
});
