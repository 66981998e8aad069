import { MemoryStore } from './memory.js';
import { StoreArgumentError } from './types.js';
import type { SpanStore } from './types.js';

export interface OpenStoreOptions {
  backend: 'memory' | 'duckdb';
  /** Directory for durable backends (DuckDB keeps `<dataDir>/ariadne.duckdb`); created if absent. */
  dataDir?: string;
}

/** Open a store by backend name. DuckDB's native module is loaded only when asked for. */
export async function openStore(opts: OpenStoreOptions): Promise<SpanStore> {
  switch (opts?.backend) {
    case 'memory':
      return new MemoryStore();
    case 'duckdb': {
      if (!opts.dataDir) throw new StoreArgumentError('the duckdb backend needs a dataDir');
      const { DuckDBStore } = await import('./duckdb.js');
      return DuckDBStore.open({ dataDir: opts.dataDir });
    }
    default:
      throw new StoreArgumentError(`unknown storage backend ${JSON.stringify(opts?.backend)}; expected 'memory' or 'duckdb'`);
  }
}
