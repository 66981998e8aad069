export * from './model.js';
export * from './json.js';
