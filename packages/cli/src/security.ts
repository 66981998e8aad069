import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  admit, denyOtlp, denyPlainText, discardBody, grpcServerCredentials, guardHttp, headerValue, isDenial, loadTls, SpanPipeline, Tenancy, TokenFile,
  type OtlpGrpcOptions, type RequestGate, type RequestHandler, type TlsMaterial,
} from '@ariadne/collector';
import { denyQueryRequest, isOpenQueryPath } from '@ariadne/query';
import { isValidTenant, lazyTenantStore, MemoryStore, openStore, tenantDatabaseName, TenantStores, TooManyTenantsError, type SpanStore } from '@ariadne/storage';
import type { Command, Options } from './flags.js';
import type { Logger } from './log.js';

/**
 * Auth (bearer token files), TLS and multi-tenancy for the listeners `startServices` opens: one
 * place that turns the flags into gates in front of the receivers and the query API.
 */
export interface Security {
  tls: TlsMaterial | undefined;
  tenancy: Tenancy | undefined;
  /** An ingest HTTP handler behind the ingest gate; `make` builds the handler of one pipeline (one per tenant). */
  ingestHttp(make: (p: SpanPipeline) => RequestHandler, base: SpanPipeline, style: 'otlp' | 'plain'): RequestHandler;
  /** Options for a gRPC receiver: TLS credentials and the per-call gate. */
  grpcOptions(base: SpanPipeline): Pick<OtlpGrpcOptions, 'credentials' | 'route'>;
  /** The query handler behind the query gate; `make` builds the handler over one store (one per tenant). */
  queryHttp(make: (s: SpanStore) => RequestHandler, base: SpanStore): RequestHandler;
  /** The tenants' open stores (for retention), [] without multi-tenancy. */
  tenantStores(): Promise<SpanStore[]>;
  /** The tenants' pipelines: commit what they hold (after the listeners stopped). */
  closePipelines(): Promise<void>;
  /** Tenant stores and token-file watchers (after the pipelines). */
  close(): Promise<void>;
}

export function setupSecurity(command: Exclude<Command, 'agent'>, opts: Options, log: Logger): Security {
  const cert = opts['tls-cert'] as string | undefined;
  const key = opts['tls-key'] as string | undefined;
  if (!!cert !== !!key) throw new Error('--tls-cert and --tls-key go together: give both or neither');
  const tls = cert && key ? loadTls({ cert, key }) : undefined;

  const watchers: TokenFile[] = [];
  const tokenFile = (flag: string): TokenFile | undefined => {
    const file = opts[flag] as string | undefined;
    if (!file) return undefined;
    const t = new TokenFile(resolve(file), {
      onReload: (ok, err, count) => (ok ? log.info('auth tokens reloaded', { flag, tokens: count }) : log.warn('auth tokens file invalid: keeping the last good tokens', { flag, err: err?.message })),
    });
    watchers.push(t);
    log.info('auth enabled', { flag, tokens: t.size });
    return t;
  };
  const ingestTokens = command !== 'query' ? tokenFile('ingest-auth-tokens-file') : undefined;
  const queryTokens = command !== 'collector' ? tokenFile('query-auth-tokens-file') : undefined;

  let tenancy: Tenancy | undefined;
  let tenants: TenantStores | undefined;
  let allowedTenants: string[] = [];
  if (opts['multi-tenancy-enabled']) {
    // Each tenant gets a plain pipeline into its own store: the NATS queue (no tenant in its
    // messages) and the sampling stages (one shared state) would be bypassed, so refuse them.
    for (const flag of ['queue', 'tail-sampling', 'sampling-adaptive']) {
      if (opts[flag] && command !== 'query') throw new Error(`--multi-tenancy-enabled cannot be combined with --${flag} (not supported per tenant yet)`);
    }
    const allowed = ((opts['multi-tenancy-tenants'] as string | undefined) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    allowedTenants = allowed;
    tenancy = new Tenancy({ enabled: true, header: opts['multi-tenancy-header'] as string, allowed });
    const backend = opts.storage as string;
    const dataDir = resolve(opts['data-dir'] as string);
    tenants = new TenantStores({
      maxTenants: allowed.length ? allowed.length : (opts['multi-tenancy-max-tenants'] as number),
      open: async (tenant) => {
        if (backend === 'memory') return new MemoryStore();
        if (backend === 'duckdb') return openStore({ backend: 'duckdb', dataDir: join(dataDir, 'tenants', tenant) });
        return openTenantStore(backend, opts, tenant);
      },
      onOpen: (tenant) => log.info('tenant store opened', { tenant, backend }),
    });
    log.info('multi-tenancy enabled', { header: tenancy.header, allowed: allowed.length ? allowed : 'any' });
  }

  const ingestGate: RequestGate = { tokens: ingestTokens, tenancy, what: 'ingest' };
  const queryGate: RequestGate = { tokens: queryTokens, tenancy, what: 'query' };

  const pipelines = new Map<string, SpanPipeline>();
  const pipelineFor = (base: SpanPipeline, tenant: string | undefined): SpanPipeline => {
    if (tenant === undefined || !tenants) return base;
    let p = pipelines.get(tenant);
    if (!p) {
      p = new SpanPipeline(lazyTenantStore(tenants, tenant, { name: 'tenant', durable: false, tagOperators: [] }), {
        limits: base.limits,
        maxBatchSpans: base.maxBatchSpans,
        maxBatchDelayMs: base.maxBatchDelayMs,
        maxQueueSpans: base.maxQueueSpans,
        maxQueueBytes: base.maxQueueBytes,
        metrics: base.metrics,
      });
      pipelines.set(tenant, p);
    }
    return p;
  };
  /** Past the tenant limit a new tenant is refused before anything is read. */
  const admitted = new Set<string>();
  const tenantRoomFor = (tenant: string | undefined) => {
    if (tenant === undefined || !tenants || admitted.has(tenant)) return true;
    if (admitted.size >= tenants.maxTenants) return false;
    admitted.add(tenant);
    return true;
  };
  const tooMany = () => ({ status: 403 as const, grpcCode: 'PERMISSION_DENIED' as const, message: new TooManyTenantsError(tenants!.maxTenants).message });

  const plainTextGate = (gate: RequestGate, deny: typeof denyPlainText, handlerFor: (tenant: string | undefined) => RequestHandler, open?: (path: string) => boolean): RequestHandler => {
    if (!gate.tokens && !gate.tenancy) return handlerFor(undefined);
    const inner = guardHttp(gate, handlerFor, deny, open);
    return (req, res) => {
      if (tenancy && !(open && open((req.url ?? '/').split('?')[0]))) {
        // only an authenticated request may take a tenant slot
        const r = admit(gate, (name) => headerValue(req.headers, name));
        if (!isDenial(r) && !tenantRoomFor(r.tenant)) {
          discardBody(req, 1024 * 1024);
          return deny(req, res, tooMany());
        }
      }
      inner(req, res);
    };
  };

  // In tenancy mode the store behind the open (static) paths of the query listener holds nothing.
  let emptyStore: SpanStore | undefined;

  return {
    tls,
    tenancy,
    ingestHttp(make, base, style) {
      return plainTextGate(ingestGate, style === 'otlp' ? denyOtlp : denyPlainText, (tenant) => make(pipelineFor(base, tenant)));
    },
    grpcOptions(base) {
      const credentials = grpcServerCredentials(tls);
      if (!ingestGate.tokens && !ingestGate.tenancy) return { credentials };
      return {
        credentials,
        route: (md) => {
          const r = admit(ingestGate, (name) => {
            const v = md.get(name)[0];
            return v === undefined ? undefined : String(v);
          });
          if (isDenial(r)) return r;
          if (!tenantRoomFor(r.tenant)) return tooMany();
          return pipelineFor(base, r.tenant);
        },
      };
    },
    queryHttp(make, base) {
      return plainTextGate(
        queryGate,
        denyQueryRequest,
        (tenant) => {
          if (tenant === undefined) return make(tenants ? (emptyStore ??= new MemoryStore()) : base);
          return make(lazyTenantStore(tenants!, tenant, base.capabilities));
        },
        isOpenQueryPath,
      );
    },
    async tenantStores() {
      if (!tenants) return [];
      // every tenant known to have data, not only those seen since start: the allowed list and,
      // for DuckDB, the tenant directories on disk
      const names = new Set([...tenants.tenants(), ...allowedTenants]);
      if (opts.storage === 'duckdb') {
        try {
          for (const d of readdirSync(join(resolve(opts['data-dir'] as string), 'tenants'))) if (isValidTenant(d)) names.add(d);
        } catch {
          /* no tenant yet */
        }
      }
      const out: SpanStore[] = [];
      for (const t of names) {
        try {
          out.push(await tenants.get(t));
        } catch (err) {
          log.warn('retention: cannot open the store of a tenant', { tenant: t, err: (err as Error).message });
        }
      }
      return out;
    },
    async closePipelines() {
      await Promise.allSettled([...pipelines.values()].map((p) => p.close()));
    },
    async close() {
      for (const w of watchers) w.close();
      await tenants?.close();
      await emptyStore?.close();
    },
  };
}

/** Backends other than memory and DuckDB: one database (or equivalent) per tenant. */
async function openTenantStore(backend: string, opts: Options, tenant: string): Promise<SpanStore> {
  if (backend === 'clickhouse') {
    const url = (opts['clickhouse-url'] as string | undefined) ?? '';
    return openStore({
      backend: 'clickhouse',
      clickhouseUrl: url.split(',').map((u) => u.trim()).filter(Boolean),
      clickhouseDatabase: tenantDatabaseName((opts['clickhouse-database'] as string | undefined) || 'ariadne', tenant),
      clickhouseCluster: (opts['clickhouse-cluster'] as string | undefined) || undefined,
    });
  }
  throw new Error(`multi-tenancy is not supported with --storage ${backend} (tenant ${tenant})`);
}
