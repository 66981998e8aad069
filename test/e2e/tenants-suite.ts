/**
 * Multi-tenancy on real processes: every ingest protocol carries the tenant (HTTP header, gRPC
 * metadata), every query is answered from the tenant's own store. Two tenants write services,
 * traces (one trace id even written by both), dependencies; neither sees anything of the other
 * through any read API (Jaeger, api_v3, Zipkin, analytics, RED metrics). Missing tenant → 401,
 * unknown or malformed (path traversal) → 403, nothing stored. DuckDB: data survives a restart,
 * each tenant in <data-dir>/tenants/<tenant>/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { encodeJaegerProtoPostSpans, encodeJaegerThriftBatch, encodeOtlpProtobuf, encodeZipkinV2Json } from '@ariadne/codec';
import { makeResource, makeSpan, randomSpanId, randomTraceId, type Span } from '@ariadne/model';
import type { Running } from './helpers.js';
import { grpcCall, JAEGER_POST_SPANS, OTLP_EXPORT, req } from './security-helpers.js';

export const TENANTS = ['acme', 'globex'] as const;
const PROTOCOLS = ['otlp-http', 'jaeger-http', 'zipkin', 'otlp-grpc', 'jaeger-grpc'] as const;
const OK = new Set(['200', '202', 'OK']);

function spanOf(service: string, traceId = randomTraceId(), parentSpanId?: string, name = 'op'): Span {
  const t = BigInt(Date.now()) * 1_000_000n;
  return makeSpan({ traceId, spanId: randomSpanId(), ...(parentSpanId ? { parentSpanId } : {}), name, kind: 2, startTimeUnixNano: t, endTimeUnixNano: t + 5_000_000n, resource: makeResource(service) });
}

async function send(ingest: Running, protocol: string, spans: Span[], headers: Record<string, string>): Promise<{ code: string; text: string }> {
  const http = async (l: string, p: string, body: Uint8Array | string, type: string) => {
    const r = await req(ingest.url(l, p), { body, headers: { 'content-type': type, ...headers } });
    return { code: String(r.status), text: r.text };
  };
  switch (protocol) {
    case 'otlp-http':
      return http('otlp-http', '/v1/traces', encodeOtlpProtobuf(spans), 'application/x-protobuf');
    case 'jaeger-http':
      return http('jaeger-http', '/api/traces', encodeJaegerThriftBatch(spans, 'binary')[0], 'application/x-thrift');
    case 'zipkin':
      return http('zipkin', '/api/v2/spans', JSON.stringify(encodeZipkinV2Json(spans)), 'application/json');
    default: {
      const err = await grpcCall(ingest.addresses.get(protocol)!, protocol === 'otlp-grpc' ? OTLP_EXPORT : JAEGER_POST_SPANS, protocol === 'otlp-grpc' ? encodeOtlpProtobuf(spans) : encodeJaegerProtoPostSpans(spans), headers);
      return { code: err ? grpc.status[err.code] : 'OK', text: err?.details ?? '' };
    }
  }
}

export interface TenantSetup {
  name: string;
  /** Start the processes; `ingest` receives, `query` answers (the same process for all-in-one). */
  start(extra: string[]): Promise<{ ingest: Running; query: Running }>;
  stop(): Promise<void>;
  /** Stop and start again (durable backends), or undefined. */
  restart?: () => Promise<{ ingest: Running; query: Running }>;
  /** Checks after the run (e.g. on-disk layout). */
  afterChecks?: () => void;
}

/** The isolation suite, run against one deployment. */
export function tenantSuite(setup: TenantSetup): void {
  describe(`tenant isolation: ${setup.name}`, () => {
    let ingest: Running;
    let query: Running;
    const sharedTraceId = randomTraceId();
    const mine: Record<string, Span[]> = { acme: [], globex: [] };
    const q = async (tenant: string | undefined, path: string) => {
      const r = await req(query.url('query', path), { headers: tenant ? { 'x-tenant': tenant } : {} });
      let body: any = r.text;
      try {
        body = JSON.parse(r.text);
      } catch {
        /* text */
      }
      return { status: r.status, body, text: r.text };
    };

    before(async () => {
      ({ ingest, query } = await setup.start(['--multi-tenancy-enabled', '--multi-tenancy-tenants', TENANTS.join(',')]));
    });
    after(async () => {
      await setup.stop();
    });

    test('each tenant writes through every protocol; a shared trace id and a cross-service call per tenant', async () => {
      for (const tenant of TENANTS) {
        for (const protocol of PROTOCOLS) {
          const s = spanOf(`${tenant}-${protocol}`);
          const r = await send(ingest, protocol, [s], { 'x-tenant': tenant });
          assert.ok(OK.has(r.code), `${tenant} ${protocol} → ${r.code} ${r.text}`);
          mine[tenant].push(s);
        }
        // the same trace id in both tenants, and a dependency frontend → backend of this tenant
        const root = spanOf(`${tenant}-frontend`, sharedTraceId, undefined, `${tenant}-root`);
        const child = spanOf(`${tenant}-backend`, sharedTraceId, root.spanId, `${tenant}-child`);
        const r = await send(ingest, 'otlp-http', [root, child], { 'x-tenant': tenant });
        assert.equal(r.code, '200');
        mine[tenant].push(root, child);
      }
    });

    test('missing tenant → 401, unknown or malformed tenant → 403, on every protocol; nothing stored', async () => {
      for (const protocol of PROTOCOLS) {
        const cases: Array<[Record<string, string>, string[], RegExp]> = [
          [{}, ['401', 'UNAUTHENTICATED'], /missing tenant/],
          [{ 'x-tenant': 'initech' }, ['403', 'PERMISSION_DENIED'], /unknown tenant/],
          [{ 'x-tenant': '../acme' }, ['403', 'PERMISSION_DENIED'], /invalid tenant/],
          [{ 'x-tenant': 'acme/../../globex' }, ['403', 'PERMISSION_DENIED'], /invalid tenant/],
          [{ 'x-tenant': '.' }, ['403', 'PERMISSION_DENIED'], /invalid tenant/],
        ];
        for (const [headers, codes, why] of cases) {
          const r = await send(ingest, protocol, [spanOf('refused')], headers);
          assert.ok(codes.includes(r.code), `${protocol} ${JSON.stringify(headers)} → ${r.code}`);
          assert.match(r.text, why);
        }
      }
      for (const [tenant, status] of [[undefined, 401], ['initech', 403], ['..', 403]] as const) {
        const r = await q(tenant, '/api/services');
        assert.equal(r.status, status, `query as ${tenant}`);
        assert.ok(r.body.errors[0].msg.length > 0);
      }
    });

    test('each tenant sees exactly its own services, traces, operations, dependencies and metrics', async () => {
      for (const tenant of TENANTS) {
        const other = tenant === 'acme' ? 'globex' : 'acme';
        const services = (await q(tenant, '/api/services')).body.data as string[];
        assert.deepEqual(services, [...new Set(mine[tenant].map((s) => s.resource.serviceName))].sort(), `${tenant}'s services`);
        assert.ok(!services.includes('refused'));

        for (const s of mine[tenant]) assert.equal((await q(tenant, `/api/traces/${s.traceId}`)).status, 200, `${tenant} reads its trace`);
        for (const s of mine[other].filter((x) => x.traceId !== sharedTraceId)) {
          assert.equal((await q(tenant, `/api/traces/${s.traceId}`)).status, 404, `${tenant} cannot read ${other}'s trace`);
          assert.equal((await q(tenant, `/api/v3/traces/${s.traceId}`)).status, 404, `api_v3: ${tenant} cannot read ${other}'s trace`);
          assert.equal((await q(tenant, `/zipkin/api/v2/trace/${s.traceId}`)).status, 404, `zipkin: ${tenant} cannot read ${other}'s trace`);
        }
        // the shared trace id: only this tenant's two spans
        const shared = (await q(tenant, `/api/traces/${sharedTraceId}`)).body.data[0];
        assert.deepEqual(shared.spans.map((s: any) => s.operationName).sort(), [`${tenant}-child`, `${tenant}-root`]);

        // searching for the other tenant's service finds nothing
        const search = await q(tenant, `/api/traces?service=${other}-otlp-http&lookback=1h`);
        assert.equal(search.status, 200);
        assert.deepEqual(search.body.data, []);
        assert.deepEqual((await q(tenant, `/api/services/${other}-frontend/operations`)).body.data, []);
        const ops = (await q(tenant, `/api/services/${tenant}-frontend/operations`)).body.data;
        assert.deepEqual(ops, [`${tenant}-root`]);

        const deps = (await q(tenant, `/api/dependencies?endTs=${Date.now() + 60_000}&lookback=3600000`)).body.data as Array<{ parent: string; child: string }>;
        assert.deepEqual(deps.map((d) => `${d.parent}>${d.child}`), [`${tenant}-frontend>${tenant}-backend`]);

        const v3 = (await q(tenant, '/api/v3/services')).body.services as string[];
        assert.ok(v3.every((s) => s.startsWith(`${tenant}-`)), `api_v3 services of ${tenant}: ${v3}`);
        const zk = (await q(tenant, '/zipkin/api/v2/services')).body as string[];
        assert.ok(zk.length > 0 && zk.every((s) => s.startsWith(`${tenant}-`)), `zipkin services of ${tenant}: ${zk}`);

        const mine2 = await q(tenant, `/api/metrics/calls?service=${tenant}-frontend&lookback=3600000&step=60000&ratePer=60000`);
        assert.equal(mine2.status, 200, mine2.text);
        const theirs = await q(tenant, `/api/metrics/calls?service=${other}-frontend&lookback=3600000&step=60000&ratePer=60000`);
        assert.equal(theirs.status, 200);
        const points = (r: any) => JSON.stringify(r.body).match(/"gaugeValue"/g)?.length ?? 0;
        assert.ok(points(mine2) > 0, `${tenant} has call-rate points for its own service`);
        const values = JSON.stringify(theirs.body).match(/"doubleValue":\s*([0-9.e+-]+)/g) ?? [];
        assert.ok(values.every((v) => Number(v.split(':')[1]) === 0), `${tenant} sees no calls of ${other}'s service: ${values.slice(0, 3)}`);
      }
    });

    if (setup.restart) {
      test('after a restart every tenant still has exactly its spans', async () => {
        ({ ingest, query } = await setup.restart!());
        for (const tenant of TENANTS) {
          for (const s of mine[tenant]) {
            const r = await q(tenant, `/api/traces/${s.traceId}`);
            assert.equal(r.status, 200, `${tenant} ${s.resource.serviceName} after restart`);
            assert.ok(r.body.data[0].spans.every((x: any) => r.body.data[0].processes[x.processID].serviceName.startsWith(`${tenant}-`)));
          }
        }
      });
    }

    if (setup.afterChecks) test('storage layout', () => setup.afterChecks!());
  });
}

