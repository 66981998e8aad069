export * from './model.js';
export * from './json.js';
export * from './proto3.js';
