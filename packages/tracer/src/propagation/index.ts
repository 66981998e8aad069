export * from './w3c.js';
export * from './jaeger.js';
export * from './b3.js';
export * from './composite.js';
export { getHeader } from './util.js';
