export * from './span.js';
export * from './ids.js';
export * from './attributes.js';
export * from './validate.js';
export * from './assemble.js';
export * from './analytics.js';
