import { StoreArgumentError } from './types.js';
import type { SpanMetricsQuery, SpanStore } from './types.js';

/**
 * Multi-tenancy without a schema change: one `SpanStore` per tenant, opened lazily on first use.
 * Memory: an instance each; DuckDB: `<dataDir>/tenants/<tenant>/`; ClickHouse: a database each.
 * A tenant's reads go to its own store, so no query of one tenant can see another's services,
 * traces, dependencies or metrics, whatever the backend's query code does.
 */

/**
 * Tenant names: 1-63 characters from `[A-Za-z0-9_-]`, starting with a letter or digit. They become
 * directory and database names, so nothing else is allowed (no dots, slashes or spaces: no path
 * traversal, no quoting).
 */
export const TENANT_NAME_RULE = 'a tenant is 1-63 characters of A-Z a-z 0-9 _ -, starting with a letter or digit';
const TENANT_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

export function isValidTenant(name: unknown): name is string {
  return typeof name === 'string' && TENANT_RE.test(name);
}

export function assertValidTenant(name: unknown): string {
  if (!isValidTenant(name)) throw new StoreArgumentError(`invalid tenant ${JSON.stringify(String(name).slice(0, 80))}: ${TENANT_NAME_RULE}`);
  return name;
}

export class TooManyTenantsError extends Error {
  override name = 'TooManyTenantsError';
  constructor(readonly limit: number) {
    super(`too many tenants: at most ${limit} can be open (configure an allowed list or raise the limit)`);
  }
}

export interface TenantStoresOptions {
  /** Opens the store of a (validated) tenant. */
  open: (tenant: string) => Promise<SpanStore>;
  /** Most tenants open at once; past it `get` rejects with `TooManyTenantsError`. Default 1000. */
  maxTenants?: number;
  /** Called once per tenant store opened. */
  onOpen?: (tenant: string, store: SpanStore) => void;
}

export class TenantStores {
  private readonly stores = new Map<string, Promise<SpanStore>>();
  private closed = false;
  readonly maxTenants: number;

  constructor(private readonly opts: TenantStoresOptions) {
    this.maxTenants = opts.maxTenants ?? 1000;
  }

  /** The tenants whose store was opened (or is opening). */
  tenants(): string[] {
    return [...this.stores.keys()];
  }

  /** The store of `tenant`, opened on first use (concurrent callers share the one open). */
  get(tenant: string): Promise<SpanStore> {
    if (!isValidTenant(tenant)) return Promise.reject(new StoreArgumentError(`invalid tenant ${JSON.stringify(String(tenant).slice(0, 80))}: ${TENANT_NAME_RULE}`));
    if (this.closed) return Promise.reject(new Error('tenant stores are closed'));
    let p = this.stores.get(tenant);
    if (!p) {
      if (this.stores.size >= this.maxTenants) return Promise.reject(new TooManyTenantsError(this.maxTenants));
      p = this.opts.open(tenant).then((s) => {
        this.opts.onOpen?.(tenant, s);
        return s;
      });
      this.stores.set(tenant, p);
      // a failed open is retried by the next request
      p.catch(() => {
        if (this.stores.get(tenant) === p) this.stores.delete(tenant);
      });
    }
    return p;
  }

  /** Every opened store (for retention and other maintenance). */
  async all(): Promise<Array<[string, SpanStore]>> {
    const out: Array<[string, SpanStore]> = [];
    for (const [t, p] of this.stores) {
      try {
        out.push([t, await p]);
      } catch {
        /* not open */
      }
    }
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.stores.values()];
    this.stores.clear();
    await Promise.allSettled(all.map(async (p) => (await p).close()));
  }
}

/**
 * A `SpanStore` that resolves its real store per call: the query handler and the ingest pipeline
 * of one tenant are given `lazyTenantStore(stores, tenant)`, which opens the tenant's store on the
 * first call. `close()` is a no-op: `TenantStores.close()` closes the real stores.
 */
export function lazyTenantStore(stores: TenantStores, tenant: string, capabilities: SpanStore['capabilities']): SpanStore {
  assertValidTenant(tenant);
  const s = () => stores.get(tenant);
  return {
    capabilities,
    writeSpans: async (spans) => (await s()).writeSpans(spans),
    getTrace: async (id, hint) => (await s()).getTrace(id, hint),
    getTraces: async (ids, hint) => (await s()).getTraces(ids, hint),
    findTraceIds: async (q) => (await s()).findTraceIds(q),
    getServices: async () => (await s()).getServices(),
    getOperations: async (q) => (await s()).getOperations(q),
    getDependencies: async (q) => (await s()).getDependencies(q),
    ...(capabilities.spanMetrics
      ? {
          getSpanMetrics: async (q: SpanMetricsQuery) => {
            const store = await s();
            if (!store.getSpanMetrics) throw new Error(`the ${store.capabilities.name} store of tenant ${tenant} cannot compute span metrics`);
            return store.getSpanMetrics(q);
          },
        }
      : {}),
    purgeBefore: async (cutoff) => (await s()).purgeBefore(cutoff),
    close: async () => {},
  };
}

/**
 * The ClickHouse database of a tenant: `<base>_t_<tenant>` with `_` written `__` and `-` written
 * `_h`, so that distinct tenants always get distinct plain identifiers (`a-b` → `…_t_a_hb`,
 * `a_hb` → `…_t_a__hb`).
 */
export function tenantDatabaseName(base: string, tenant: string): string {
  assertValidTenant(tenant);
  return `${base}_t_${tenant.replace(/_/g, '__').replace(/-/g, '_h')}`;
}
