export { FLAGS, parseFlags, helpText, envName } from './flags.js';
