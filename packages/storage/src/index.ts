export * from './types.js';
export * from './filters.js';
export * from './memory.js';
export * from './open.js';
export * from './serialize.js';
export { DuckDBStore, DUCKDB_FILE_NAME, DUCKDB_FORMAT_VERSION } from './duckdb.js';
export type { DuckDBStoreOptions } from './duckdb.js';
