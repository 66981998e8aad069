export * from './types.js';
export * from './encode.js';
export * from './decode.js';
