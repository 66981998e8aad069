export * from './thrift.js';
export * from './model.js';
