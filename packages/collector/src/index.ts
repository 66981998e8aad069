export * from './metrics.js';
export * from './pipeline.js';
export * from './http.js';
export * from './otlp-http.js';
export * from './grpc.js';
export * from './jaeger-udp.js';
export * from './jaeger-http.js';
export * from './zipkin-http.js';
