import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { demoExportEnv, reachableHost } from '../src/demo-traffic.ts';
import { parseFlags } from '../src/flags.ts';

test('the demo exports past TLS, ingest auth and multi-tenancy of its all-in-one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ariadne-demo-env-'));
  try {
    writeFileSync(join(dir, 'tokens'), '# ingest tokens\n\n  s3cret token  \nsecond\n');
    const opts = parseFlags('all-in-one', ['--demo', '--tls-cert', join(dir, 'c.pem'), '--tls-key', join(dir, 'k.pem'), '--ingest-auth-tokens-file', join(dir, 'tokens'), '--multi-tenancy-enabled', '--multi-tenancy-tenants', 'acme,globex'], {});
    const { scheme, env } = demoExportEnv(opts);
    assert.equal(scheme, 'https');
    assert.equal(env.NODE_EXTRA_CA_CERTS, join(dir, 'c.pem'));
    // OTEL_EXPORTER_OTLP_HEADERS: k=v pairs, values percent-encoded; the first token, the first allowed tenant
    assert.equal(env.OTEL_EXPORTER_OTLP_HEADERS, 'authorization=Bearer%20s3cret%20token,x-tenant=acme');

    const plain = demoExportEnv(parseFlags('all-in-one', ['--demo'], {}));
    assert.deepEqual(plain, { scheme: 'http', env: {} });
    assert.equal(demoExportEnv(parseFlags('all-in-one', ['--multi-tenancy-enabled'], {})).env.OTEL_EXPORTER_OTLP_HEADERS, 'x-tenant=demo');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('wildcard listen addresses are reached on loopback', () => {
  assert.equal(reachableHost('0.0.0.0'), '127.0.0.1');
  assert.equal(reachableHost('::'), '::1');
  assert.equal(reachableHost('10.1.2.3'), '10.1.2.3');
});
