/**
 * Bearer-token auth and TLS on a real all-in-one process: every HTTP and gRPC ingest protocol
 * refuses requests without the ingest token (401 / UNAUTHENTICATED, with a message) and stores what
 * carries it; the query API wants its own token, the UI files and /health stay open; the token files
 * are reloaded when they change; with --tls-cert/--tls-key every HTTP and gRPC listener speaks TLS.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { encodeJaegerProtoPostSpans, encodeJaegerThriftBatch, encodeOtlpProtobuf, encodeZipkinV2Json } from '@ariadne/codec';
import { makeResource, makeSpan, randomSpanId, randomTraceId, type Span } from '@ariadne/model';
import { startAriadne, tempDir, type Running } from './helpers.js';
import { grpcCall, JAEGER_POST_SPANS, OTLP_EXPORT, req, selfSignedCert } from './security-helpers.js';

const span = (service: string): Span => {
  const t = BigInt(Date.now()) * 1_000_000n;
  return makeSpan({ traceId: randomTraceId(), spanId: randomSpanId(), name: 'op', startTimeUnixNano: t, endTimeUnixNano: t + 1000n, resource: makeResource(service) });
};

/** Send one span by `protocol` with `headers`; returns the HTTP status or gRPC code name. */
async function send(app: Running, protocol: string, s: Span, headers: Record<string, string>, ca?: Buffer): Promise<{ code: string; text: string }> {
  const scheme = ca ? 'https' : 'http';
  const url = (l: string, p: string) => `${scheme}://${app.addresses.get(l)!.host}:${app.addresses.get(l)!.port}${p}`;
  const http = async (l: string, p: string, body: Uint8Array | string, type: string) => {
    const r = await req(url(l, p), { body, headers: { 'content-type': type, ...headers }, ca });
    return { code: String(r.status), text: r.text };
  };
  switch (protocol) {
    case 'otlp-http':
      return http('otlp-http', '/v1/traces', encodeOtlpProtobuf([s]), 'application/x-protobuf');
    case 'jaeger-http':
      return http('jaeger-http', '/api/traces', encodeJaegerThriftBatch([s], 'binary')[0], 'application/x-thrift');
    case 'zipkin':
      return http('zipkin', '/api/v2/spans', JSON.stringify(encodeZipkinV2Json([s])), 'application/json');
    case 'otlp-grpc':
    case 'jaeger-grpc': {
      const err = await grpcCall(app.addresses.get(protocol)!, protocol === 'otlp-grpc' ? OTLP_EXPORT : JAEGER_POST_SPANS, protocol === 'otlp-grpc' ? encodeOtlpProtobuf([s]) : encodeJaegerProtoPostSpans([s]), headers, ca);
      return { code: err ? grpc.status[err.code] : 'OK', text: err?.details ?? '' };
    }
    default:
      throw new Error(protocol);
  }
}

const PROTOCOLS = ['otlp-http', 'jaeger-http', 'zipkin', 'otlp-grpc', 'jaeger-grpc'];
const OK = new Set(['200', '202', 'OK']);

async function waitFor(what: string, check: () => Promise<boolean>, ms = 10000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('bearer tokens for ingest and query', () => {
  const dir = tempDir('ariadne-auth-');
  const ingestFile = join(dir.path, 'ingest-tokens');
  const queryFile = join(dir.path, 'query-tokens');
  let app: Running;
  const stored: Span[] = [];
  const query = (path: string, token?: string) => req(app.url('query', path), { headers: token ? { authorization: `Bearer ${token}` } : {} });

  before(async () => {
    writeFileSync(ingestFile, '# ingest tokens\ningest-secret-1\n\n  ingest-secret-2  \n');
    writeFileSync(queryFile, 'query-secret\n');
    app = await startAriadne({ args: ['--storage', 'memory', '--ingest-auth-tokens-file', ingestFile, '--query-auth-tokens-file', queryFile] });
  });
  after(async () => {
    await app?.stop();
    dir.remove();
  });

  for (const protocol of PROTOCOLS) {
    test(`${protocol}: no token, a wrong token, a query token → refused with a message; an ingest token → stored`, async () => {
      for (const [headers, why] of [
        [{}, /bearer token/i],
        [{ authorization: 'Bearer nope' }, /invalid bearer token/],
        [{ authorization: 'Basic aW5nZXN0LXNlY3JldC0xOg==' }, /malformed Authorization/],
        [{ authorization: 'Bearer query-secret' }, /invalid bearer token/],
      ] as const) {
        const r = await send(app, protocol, span(`refused-${protocol}`), headers);
        assert.ok(r.code === '401' || r.code === 'UNAUTHENTICATED', `${protocol} ${JSON.stringify(headers)} → ${r.code}`);
        assert.match(r.text, why);
      }
      for (const token of ['ingest-secret-1', 'ingest-secret-2']) {
        const s = span(`auth-${protocol}`);
        const r = await send(app, protocol, s, { authorization: `Bearer ${token}` });
        assert.ok(OK.has(r.code), `${protocol} with ${token} → ${r.code} ${r.text}`);
        stored.push(s);
      }
    });
  }

  test('the OTLP/HTTP 401 is a google.rpc.Status with WWW-Authenticate', async () => {
    const r = await req(app.url('otlp-http', '/v1/traces'), { body: encodeOtlpProtobuf([span('x')]), headers: { 'content-type': 'application/x-protobuf' } });
    assert.equal(r.status, 401);
    assert.equal(r.headers['www-authenticate'], 'Bearer');
    assert.equal(JSON.parse(r.text).code, 16);
  });

  test('query API: 401 without its token (the ingest token does not open it); every accepted span is readable with it', async () => {
    for (const path of ['/api/services', '/api/traces?service=x', '/api/dependencies?endTs=1&lookback=1', '/api/v3/services', '/zipkin/api/v2/services', '/api/metrics/calls?service=x']) {
      const r = await query(path);
      assert.equal(r.status, 401, `${path} → ${r.status}`);
      assert.match(r.text, /requires a bearer token/);
      assert.equal((await query(path, 'ingest-secret-1')).status, 401, `${path} with an ingest token`);
    }
    const services = JSON.parse((await query('/api/services', 'query-secret')).text).data as string[];
    for (const p of PROTOCOLS) assert.ok(services.includes(`auth-${p}`), `auth-${p} stored`);
    assert.ok(!services.some((s) => s.startsWith('refused-')), 'nothing refused was stored');
    for (const s of stored) {
      const r = await query(`/api/traces/${s.traceId}`, 'query-secret');
      assert.equal(r.status, 200, `trace of ${s.resource.serviceName}`);
    }
  });

  test('the UI files and /health stay open', async () => {
    const ui = await query('/');
    assert.ok(ui.status === 200 || (ui.status === 404 && /no UI/.test(ui.text)), `UI → ${ui.status}`);
    assert.equal((await query('/search')).status === 401, false);
    const health = await req(app.url('admin', '/health'));
    assert.equal(health.status, 200);
  });

  test('token files are reloaded when they change; an emptied file keeps the last good tokens', async () => {
    writeFileSync(queryFile, 'query-secret-rotated\n');
    await waitFor('the rotated query token', async () => (await query('/api/services', 'query-secret-rotated')).status === 200);
    assert.equal((await query('/api/services', 'query-secret')).status, 401, 'the old token is refused after the reload');

    writeFileSync(ingestFile, 'ingest-secret-3\n');
    await waitFor('the new ingest token', async () => OK.has((await send(app, 'otlp-http', span('auth-reloaded'), { authorization: 'Bearer ingest-secret-3' })).code));
    assert.equal((await send(app, 'otlp-grpc', span('x'), { authorization: 'Bearer ingest-secret-1' })).code, 'UNAUTHENTICATED');

    writeFileSync(queryFile, '# nothing\n');
    await waitFor('the reload warning', async () => app.logs.some((l) => l.msg === 'auth tokens file invalid: keeping the last good tokens'));
    assert.equal((await query('/api/services', 'query-secret-rotated')).status, 200, 'a file without tokens does not lock everyone out');
  });
});

describe('TLS on every HTTP and gRPC listener', () => {
  const dir = tempDir('ariadne-tls-');
  let app: Running;
  let ca: Buffer;
  before(async () => {
    const c = selfSignedCert(dir.path);
    ca = c.cert;
    writeFileSync(join(dir.path, 'tokens'), 't0ken\n');
    app = await startAriadne({ args: ['--storage', 'memory', '--tls-cert', c.certFile, '--tls-key', c.keyFile, '--ingest-auth-tokens-file', join(dir.path, 'tokens')] });
  });
  after(async () => {
    await app?.stop();
    dir.remove();
  });

  test('every ingest protocol over TLS, with the token; stored spans are read back over https', async () => {
    const sent: Span[] = [];
    for (const protocol of PROTOCOLS) {
      const s = span(`tls-${protocol}`);
      const r = await send(app, protocol, s, { authorization: 'Bearer t0ken' }, ca);
      assert.ok(OK.has(r.code), `${protocol} over TLS → ${r.code} ${r.text}`);
      assert.ok(!OK.has((await send(app, protocol, span('x'), {}, ca)).code), `${protocol} over TLS without the token is refused`);
      sent.push(s);
    }
    const a = app.addresses.get('query')!;
    const services = JSON.parse((await req(`https://${a.host}:${a.port}/api/services`, { ca })).text).data as string[];
    for (const p of PROTOCOLS) assert.ok(services.includes(`tls-${p}`));
    for (const l of ['admin', 'sampling']) {
      const b = app.addresses.get(l)!;
      const r = await req(`https://${b.host}:${b.port}${l === 'admin' ? '/health' : '/sampling?service=x'}`, { ca });
      assert.equal(r.status, 200, `${l} over https`);
    }
  });

  test('plain text is not served; a client that does not trust the certificate is refused', async () => {
    for (const l of ['query', 'otlp-http', 'zipkin', 'jaeger-http', 'admin']) {
      await assert.rejects(req(app.url(l, '/')), `${l} does not answer plain HTTP`);
      const a = app.addresses.get(l)!;
      await assert.rejects(req(`https://${a.host}:${a.port}/`), /self.signed|certificate/i, `${l}: the default trust store refuses the self-signed certificate`);
    }
    const err = await grpcCall(app.addresses.get('otlp-grpc')!, OTLP_EXPORT, encodeOtlpProtobuf([span('x')]), { authorization: 'Bearer t0ken' });
    assert.equal(err?.code, grpc.status.UNAVAILABLE, 'a plain-text gRPC client cannot talk to the TLS listener');
  });
});
