export { startDemo } from './launch.js';
export type { DemoOptions, DemoLogger, DemoService, RunningDemo } from './launch.js';
export { parseFaults, faultsFromEnv, FAULT_ENV, NO_FAULTS, FaultError } from './common.js';
export type { Faults } from './common.js';
