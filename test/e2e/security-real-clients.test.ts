/**
 * The official OpenTelemetry JS exporters, unchanged, against an all-in-one with ingest tokens,
 * multi-tenancy and TLS on: they carry the token and tenant as their standard `headers` /
 * `metadata` option and trust our certificate through their standard TLS options. Without the
 * token the collector refuses their exports; with it the spans are stored for that tenant.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startAriadne, tempDir, type Running } from './helpers.js';
import { req, selfSignedCert } from './security-helpers.js';

const require = createRequire(import.meta.url);
const dir = tempDir('ariadne-sec-clients-');
let app: Running;
let ca: Buffer;
before(async () => {
  const c = selfSignedCert(dir.path);
  ca = c.cert;
  writeFileSync(join(dir.path, 'ingest'), 'otel-token\n');
  writeFileSync(join(dir.path, 'query'), 'read-token\n');
  app = await startAriadne({
    args: ['--storage', 'memory', '--tls-cert', c.certFile, '--tls-key', c.keyFile, '--ingest-auth-tokens-file', join(dir.path, 'ingest'), '--query-auth-tokens-file', join(dir.path, 'query'), '--multi-tenancy-enabled'],
  });
});
after(async () => {
  await app?.stop();
  dir.remove();
});

async function exportOne(exporter: any, service: string): Promise<{ traceId: string; result: number[] }> {
  const { BasicTracerProvider } = require('@opentelemetry/sdk-trace-base');
  const { resourceFromAttributes } = require('@opentelemetry/resources');
  const results: number[] = [];
  // a processor that records the export result code (0 SUCCESS, 1 FAILED)
  const spans: unknown[] = [];
  const processor = {
    onStart() {},
    onEnd(s: unknown) {
      spans.push(s);
    },
    async forceFlush() {
      if (!spans.length) return;
      await new Promise<void>((resolve) => exporter.export(spans.splice(0), (r: { code: number }) => (results.push(r.code), resolve())));
    },
    async shutdown() {
      await this.forceFlush();
      await exporter.shutdown();
    },
  };
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), spanProcessors: [processor] });
  const span = provider.getTracer('sec').startSpan('op');
  span.end();
  await provider.forceFlush();
  await provider.shutdown();
  return { traceId: span.spanContext().traceId, result: results };
}

const https = (l: string, p: string) => `https://127.0.0.1:${app.addresses.get(l)!.port}${p}`;
const read = (path: string) => req(https('query', path), { ca, headers: { authorization: 'Bearer read-token', 'x-tenant': 'acme' } });

for (const variant of ['http-json', 'http-proto', 'grpc'] as const) {
  test(`exporter-trace-otlp-${variant} over TLS: refused without the token, stored for the tenant with it`, async () => {
    const make = (headers: Record<string, string>) => {
      if (variant === 'grpc') {
        const grpc = require('@grpc/grpc-js');
        const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-grpc');
        const metadata = new grpc.Metadata();
        for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
        return new OTLPTraceExporter({ url: `https://localhost:${app.addresses.get('otlp-grpc')!.port}`, credentials: grpc.credentials.createSsl(ca), metadata });
      }
      const { OTLPTraceExporter } = require(variant === 'http-json' ? '@opentelemetry/exporter-trace-otlp-http' : '@opentelemetry/exporter-trace-otlp-proto');
      return new OTLPTraceExporter({ url: https('otlp-http', '/v1/traces'), headers, httpAgentOptions: { ca } });
    };
    const refused = await exportOne(make({ 'x-tenant': 'acme' }), `refused-${variant}`);
    assert.deepEqual(refused.result, [1], 'export without the token fails');
    const ok = await exportOne(make({ authorization: 'Bearer otel-token', 'x-tenant': 'acme' }), `sec-${variant}`);
    assert.deepEqual(ok.result, [0], 'export with the token succeeds');
    const r = await read(`/api/traces/${ok.traceId}`);
    assert.equal(r.status, 200, r.text);
    assert.equal((await read(`/api/traces/${refused.traceId}`)).status, 404);
    const other = await req(https('query', `/api/traces/${ok.traceId}`), { ca, headers: { authorization: 'Bearer read-token', 'x-tenant': 'globex' } });
    assert.equal(other.status, 404, 'another tenant does not see it');
  });
}
