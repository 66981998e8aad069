#!/usr/bin/env node
/** The `ariadne` command. */
import { FLAGS, helpText, parseFlags, UsageError, type Command } from './flags.js';
import { createLogger, type Level } from './log.js';
import { startServices } from './services.js';
import { startAgent } from './agent.js';
import { startIngester } from './ingester.js';

const COMMANDS: readonly Command[] = ['all-in-one', 'collector', 'query', 'agent', 'ingester'];

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(helpText());
    return cmd ? 0 : 2;
  }
  if (!COMMANDS.includes(cmd as Command)) {
    process.stderr.write(`ariadne: unknown command ${JSON.stringify(cmd)}\n\n${helpText()}`);
    return 2;
  }
  const command = cmd as Command;
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(helpText(command));
    return 0;
  }
  let opts;
  try {
    opts = parseFlags(command, rest, process.env);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`ariadne ${command}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const log = createLogger(opts['log-level'] as Level);
  let services;
  try {
    services = command === 'agent' ? await startAgent(opts, log) : command === 'ingester' ? await startIngester(opts, log) : await startServices(command, opts, log);
  } catch (err) {
    log.error('failed to start', { err: (err as Error).message });
    return 1;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        log.warn('second signal: exiting without waiting', { signal });
        resolve(1);
        return;
      }
      stopping = true;
      log.info('shutting down', { signal });
      services.close().then(
        () => {
          log.info('stopped');
          resolve(0);
        },
        (err: unknown) => {
          log.error('error during shutdown', { err: (err as Error).message });
          resolve(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}

export { FLAGS };

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`ariadne: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
