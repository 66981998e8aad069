import { StoreArgumentError } from './types.js';
import type { SpanStore } from './types.js';

export interface DuckDBStoreOptions {
  dataDir: string;
}

/** Placeholder until the DuckDB backend lands. */
export class DuckDBStore {
  static async open(_opts: DuckDBStoreOptions): Promise<SpanStore> {
    throw new StoreArgumentError('the duckdb backend is not available yet');
  }
}
