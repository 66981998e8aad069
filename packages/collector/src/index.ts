export * from './metrics.js';
export * from './pipeline.js';
export * from './http.js';
export * from './otlp-http.js';
