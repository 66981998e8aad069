export * from './errors.js';
export * from './otlp/index.js';
export * from './jaeger/index.js';
export * from './zipkin/index.js';
export * from './jaeger-json/index.js';
export { ProtoReader, ProtoWriter, WireType } from './protobuf.js';
