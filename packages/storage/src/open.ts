import { MemoryStore } from './memory.js';
import { StoreArgumentError } from './types.js';
import type { SpanStore } from './types.js';

export interface OpenStoreOptions {
  backend: 'memory' | 'duckdb' | 'clickhouse';
  /** Directory for durable backends (DuckDB keeps `<dataDir>/ariadne.duckdb`); created if absent. */
  dataDir?: string;
  /** ClickHouse: HTTP URL of the server, or of every node of `clickhouseCluster` (comma-separated or an array). */
  clickhouseUrl?: string | readonly string[];
  /** ClickHouse: database for Ariadne's tables (created if absent). Default 'ariadne'. */
  clickhouseDatabase?: string;
  /** ClickHouse: a `remote_servers` cluster name; spans are sharded over it through Distributed tables. */
  clickhouseCluster?: string;
}

/** Open a store by backend name. DuckDB's native module and the ClickHouse client are loaded only when asked for. */
export async function openStore(opts: OpenStoreOptions): Promise<SpanStore> {
  switch (opts?.backend) {
    case 'memory':
      return new MemoryStore();
    case 'duckdb': {
      if (!opts.dataDir) throw new StoreArgumentError('the duckdb backend needs a dataDir');
      const { DuckDBStore } = await import('./duckdb.js');
      return DuckDBStore.open({ dataDir: opts.dataDir });
    }
    case 'clickhouse': {
      if (!opts.clickhouseUrl || opts.clickhouseUrl.length === 0) throw new StoreArgumentError('the clickhouse backend needs a url (e.g. http://127.0.0.1:8123)');
      const { ClickHouseStore } = await import('./clickhouse.js');
      return ClickHouseStore.open({ url: opts.clickhouseUrl, database: opts.clickhouseDatabase || undefined, cluster: opts.clickhouseCluster || undefined });
    }
    default:
      throw new StoreArgumentError(`unknown storage backend ${JSON.stringify(opts?.backend)}; expected 'memory', 'duckdb' or 'clickhouse'`);
  }
}
