/**
 * Exporter headers and TLS, against real servers with certificates made by the openssl CLI here:
 * - a real all-in-one serving TLS on every listener, requiring a bearer token for ingest and a
 *   tenant header: every HTTP/gRPC sender (OTLP protobuf, OTLP JSON, OTLP gRPC, Zipkin, Jaeger
 *   Thrift HTTP) delivers with `headers` + `caFile`, and the spans are stored under the tenant;
 *   without the token nothing is stored and the failure is counted, not thrown;
 * - a node:https server and a grpc-js server that require a client certificate (mutual TLS),
 *   configured only through the standard OTEL_EXPORTER_OTLP_* variables.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo, TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { decodeOtlpProtobuf } from '@ariadne/codec';
import type { Span } from '@ariadne/model';
import { ConfigError, initTracer, type AriadneTracer, type ReporterConfig } from '../src/index.js';
import { startAriadne, tempDir, type Running } from '../../../test/e2e/helpers.js';

const dir = tempDir('ariadne-tracer-tls-');
const f = (n: string) => join(dir.path, n);

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

/** A private CA, a server certificate for 127.0.0.1/localhost and a client certificate, all signed by the CA. */
function makeCerts(): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', '/CN=ariadne-test-ca');
  writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, cn] of [
    ['server', 'localhost'],
    ['client', 'tracer-client'],
  ]) {
    openssl('req', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`);
    openssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${name}.crt`), '-days', '1', '-extfile', f(`${name}.ext`));
  }
}

function httpsGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca: readFileSync(f('ca.crt')), headers, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      })
      .on('error', reject);
  });
}

async function oneSpan(tracer: AriadneTracer, name: string): Promise<void> {
  const s = tracer.getTracer('tls-test').startSpan(name, { attributes: { 'test.case': name } });
  s.end();
  await tracer.close();
}

before(() => makeCerts());
after(() => dir.remove());

describe('headers + TLS against a real all-in-one (TLS listeners, ingest token, tenants)', () => {
  let app: Running;
  const TOKEN = 'tracer-test-token-0123456789';
  before(async () => {
    writeFileSync(f('tokens'), `${TOKEN}\n`);
    app = await startAriadne({
      args: ['--storage', 'memory', '--tls-cert', f('server.crt'), '--tls-key', f('server.key'), '--ingest-auth-tokens-file', f('tokens'), '--multi-tenancy-enabled'],
    });
  });
  after(async () => {
    await app?.stop();
  });
  const endpoint = (listener: string, path: string) => {
    const a = app.addresses.get(listener)!;
    return `https://${a.host}:${a.port}${path}`;
  };
  const SENDERS: [string, string, string][] = [
    ['http/protobuf', 'otlp-http', '/v1/traces'],
    ['http/json', 'otlp-http', '/v1/traces'],
    ['grpc', 'otlp-grpc', ''],
    ['zipkin', 'zipkin', '/api/v2/spans'],
    ['jaeger-http', 'jaeger-http', '/api/traces'],
  ];

  for (const [protocol, listener, path] of SENDERS) {
    test(`${protocol}: https + caFile + Authorization and x-tenant headers → stored under the tenant`, async () => {
      const service = `tls-${protocol.replace('/', '-')}`;
      const reporter: ReporterConfig = {
        type: 'remote',
        protocol,
        endpoint: endpoint(listener, path),
        headers: { Authorization: `Bearer ${TOKEN}`, 'x-tenant': 'acme' },
        caFile: f('ca.crt'),
        handleProcessExit: false,
        maxRetryTimeMs: 0,
      };
      const tracer = initTracer({ serviceName: service, sampler: { type: 'const', param: 1 }, reporter }, { env: {} });
      await oneSpan(tracer, `op-${protocol}`);
      assert.equal(tracer.metrics.reporterSpansSent, 1, `delivered (failed: ${tracer.metrics.reporterSpansFailed})`);
      assert.equal(tracer.metrics.reporterSpansFailed, 0);
      const q = (tenant: string) => httpsGet(endpoint('query', `/api/traces?service=${service}&lookback=1h`), { 'x-tenant': tenant });
      let r = await q('acme');
      for (let i = 0; i < 50 && !(r.body?.data?.length > 0); i++) {
        await new Promise((res) => setTimeout(res, 100));
        r = await q('acme');
      }
      assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 200));
      assert.equal(r.body.data.length, 1, 'the trace is stored for tenant acme');
      assert.equal(r.body.data[0].spans[0].operationName, `op-${protocol}`);
      const other = await q('other');
      assert.equal(other.body?.data?.length ?? 0, 0, 'another tenant does not see it');
    });
  }

  test('without the bearer token nothing is stored; the failure is counted, never thrown', async () => {
    const tracer = initTracer(
      {
        serviceName: 'tls-no-token',
        sampler: { type: 'const', param: 1 },
        reporter: { type: 'remote', endpoint: endpoint('otlp-http', '/v1/traces'), headers: { 'x-tenant': 'acme' }, caFile: f('ca.crt'), handleProcessExit: false, maxRetryTimeMs: 0 },
      },
      { env: {} },
    );
    await oneSpan(tracer, 'no-token');
    assert.equal(tracer.metrics.reporterSpansSent, 0);
    assert.equal(tracer.metrics.reporterSpansFailed, 1);
  });

  test("without the CA the server's self-signed chain is refused: counted as failed, never thrown", async () => {
    const tracer = initTracer(
      {
        serviceName: 'tls-no-ca',
        sampler: { type: 'const', param: 1 },
        reporter: { type: 'remote', endpoint: endpoint('otlp-http', '/v1/traces'), headers: { authorization: `Bearer ${TOKEN}`, 'x-tenant': 'acme' }, handleProcessExit: false, maxRetryTimeMs: 0, closeTimeoutMs: 3000 },
      },
      { env: {} },
    );
    await oneSpan(tracer, 'no-ca');
    assert.equal(tracer.metrics.reporterSpansSent, 0);
    assert.equal(tracer.metrics.reporterSpansFailed, 1);
  });
});

describe('mutual TLS, configured by the standard environment variables', () => {
  interface Got {
    headers: Record<string, unknown>;
    clientCN: string;
    spans: Span[];
  }
  const got: Got[] = [];
  let server: https.Server;
  let grpcServer: grpc.Server;
  let httpsUrl = '';
  let grpcUrl = '';
  before(async () => {
    server = https.createServer(
      { key: readFileSync(f('server.key')), cert: readFileSync(f('server.crt')), ca: readFileSync(f('ca.crt')), requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const peer = (req.socket as TLSSocket).getPeerCertificate();
          const body = Buffer.concat(chunks);
          got.push({ headers: req.headers, clientCN: String(peer.subject?.CN), spans: decodeOtlpProtobuf(req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body) });
          res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        });
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    httpsUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

    grpcServer = new grpc.Server();
    grpcServer.addService(
      {
        Export: {
          path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
          requestStream: false,
          responseStream: false,
          requestSerialize: (b: Buffer) => b,
          requestDeserialize: (b: Buffer) => b,
          responseSerialize: (b: Buffer) => b,
          responseDeserialize: (b: Buffer) => b,
        },
      },
      {
        Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
          const peer = (call as unknown as { getAuthContext?: () => { sslPeerCertificate?: { subject?: { CN?: string } } } }).getAuthContext?.();
          got.push({ headers: call.metadata.getMap(), clientCN: String(peer?.sslPeerCertificate?.subject?.CN), spans: decodeOtlpProtobuf(call.request) });
          cb(null, Buffer.alloc(0));
        },
      },
    );
    const creds = grpc.ServerCredentials.createSsl(readFileSync(f('ca.crt')), [{ private_key: readFileSync(f('server.key')), cert_chain: readFileSync(f('server.crt')) }], true);
    const port = await new Promise<number>((res, rej) => grpcServer.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? rej(e) : res(p))));
    grpcUrl = `https://127.0.0.1:${port}`;
  });
  after(async () => {
    server?.closeAllConnections();
    server?.close();
    await new Promise<void>((r) => (grpcServer ? grpcServer.tryShutdown(() => r()) : r()));
  });

  const mtlsEnv = (): Record<string, string> => ({
    OTEL_SERVICE_NAME: 'mtls-svc',
    OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20abc,x-tenant=t1',
    OTEL_EXPORTER_OTLP_CERTIFICATE: f('ca.crt'),
    OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: f('client.crt'),
    OTEL_EXPORTER_OTLP_CLIENT_KEY: f('client.key'),
  });

  test('OTLP/HTTP: client certificate presented, headers arrive', async () => {
    got.length = 0;
    const tracer = initTracer({}, { env: { ...mtlsEnv(), OTEL_EXPORTER_OTLP_ENDPOINT: httpsUrl } });
    await oneSpan(tracer, 'mtls-http');
    assert.equal(got.length, 1);
    assert.equal(got[0].clientCN, 'tracer-client');
    assert.equal(got[0].headers.authorization, 'Bearer abc');
    assert.equal(got[0].headers['x-tenant'], 't1');
    assert.equal(got[0].spans[0].name, 'mtls-http');
    assert.equal(got[0].spans[0].resource.serviceName, 'mtls-svc');
  });

  test('OTLP/gRPC: TRACES_-specific variables win; client certificate and metadata arrive', async () => {
    got.length = 0;
    const env = {
      ...mtlsEnv(),
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://127.0.0.1:1',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=wrong',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: grpcUrl,
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'authorization=Bearer%20grpc,x-tenant=t2',
      OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: f('ca.crt'),
      OTEL_EXPORTER_OTLP_CERTIFICATE: f('missing.crt'),
    };
    const tracer = initTracer({}, { env });
    await oneSpan(tracer, 'mtls-grpc');
    assert.equal(got.length, 1, `delivered (failed: ${tracer.metrics.reporterSpansFailed})`);
    assert.equal(got[0].clientCN, 'tracer-client');
    assert.equal(got[0].headers.authorization, 'Bearer grpc');
    assert.equal(got[0].headers['x-tenant'], 't2');
    assert.equal(got[0].spans[0].name, 'mtls-grpc');
  });

  test('without the client certificate the server refuses the handshake: counted, never thrown', async () => {
    got.length = 0;
    const env = mtlsEnv();
    delete env.OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE;
    delete env.OTEL_EXPORTER_OTLP_CLIENT_KEY;
    const tracer = initTracer({ reporter: { type: 'remote', maxRetryTimeMs: 0, handleProcessExit: false } }, { env: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: httpsUrl } });
    await oneSpan(tracer, 'no-client-cert');
    assert.equal(got.length, 0);
    assert.equal(tracer.metrics.reporterSpansFailed, 1);
  });

  test('configuration errors name the key: unreadable CA file, a client certificate without its key', () => {
    assert.throws(
      () => initTracer({}, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: httpsUrl, OTEL_EXPORTER_OTLP_CERTIFICATE: f('nope.crt') } }),
      (e: unknown) => e instanceof ConfigError && e.key === 'reporter.caFile' && /nope\.crt/.test(e.message),
    );
    assert.throws(
      () => initTracer({ reporter: { type: 'remote', endpoint: httpsUrl, clientCertFile: f('client.crt'), handleProcessExit: false } }, { env: {} }),
      (e: unknown) => e instanceof ConfigError && e.key === 'reporter.clientKeyFile',
    );
  });
});
