export * from './types.js';
export * from './filters.js';
export * from './memory.js';
export * from './open.js';
