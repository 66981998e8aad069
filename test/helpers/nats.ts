/**
 * Start a real `nats-server -js` for a test: a free port (the server picks it: `listen: -1`), its
 * JetStream store in a temp dir, stopped whatever the outcome (the process group is killed on
 * `stop()`, and on process exit as a last resort).
 *
 * Under CI=true a missing `nats-server` is an error, not a skip (`.ci/run` installs it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NatsServer {
  /** nats://127.0.0.1:PORT */
  url: string;
  port: number;
  /** The JetStream store directory (kept across `restart()`). */
  storeDir: string;
  proc: ChildProcess;
  /** SIGTERM (then SIGKILL after 10 s) the server; removes the temp dir unless `keepStore`. */
  stop(opts?: { keepStore?: boolean }): Promise<void>;
  /** Stop and start again on the same port with the same store (a server restart). */
  restart(): Promise<void>;
}

export interface NatsOptions {
  /** JetStream file storage limit. Default 1 GiB. */
  maxFileStore?: number;
  /** Largest message payload. Default the server's (1 MiB). */
  maxPayload?: number;
  /** Require this user and password from clients. */
  auth?: { user: string; password: string };
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) killGroup(p, 'SIGKILL');
});

function killGroup(p: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-p.pid!, signal);
  } catch {
    try {
      p.kill(signal);
    } catch {
      /* gone */
    }
  }
}

/** Whether `nats-server` can run here. */
export function natsServerAvailable(): boolean {
  const r = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

/**
 * A skip reason for `test(..., { skip })` when nats-server is missing, or `false`. Under CI=true it
 * throws instead: CI must run these tests.
 */
export function natsSkipReason(): string | false {
  if (natsServerAvailable()) return false;
  if (process.env.CI === 'true') throw new Error('nats-server is not installed (CI=true: .ci/run must install it)');
  return 'nats-server not installed (apt-get install nats-server)';
}

export async function startNats(opts: NatsOptions = {}): Promise<NatsServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ariadne-nats-'));
  const storeDir = join(dir, 'jetstream');
  const conf = join(dir, 'nats.conf');
  const writeConf = (port: number) =>
    writeFileSync(
      conf,
      [
        `listen: "127.0.0.1:${port}"`,
        'http: "127.0.0.1:-1"',
        opts.maxPayload ? `max_payload: ${opts.maxPayload}` : '',
        opts.auth ? `authorization { user: ${JSON.stringify(opts.auth.user)}, password: ${JSON.stringify(opts.auth.password)} }` : '',
        'jetstream {',
        `  store_dir: ${JSON.stringify(storeDir)}`,
        '  max_memory_store: 64MB',
        `  max_file_store: ${opts.maxFileStore ?? 1024 * 1024 * 1024}`,
        '}',
        '',
      ].join('\n'),
    );

  let proc!: ChildProcess;
  let port = -1;
  const launch = async () => {
    writeConf(port);
    proc = spawn('nats-server', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    live.add(proc);
    proc.on('exit', () => live.delete(proc));
    port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => {
        killGroup(proc, 'SIGKILL');
        reject(new Error(`nats-server did not start in time:\n${out}`));
      }, 20000);
      const onData = (d: Buffer) => {
        out += d;
        const m = /Listening for client connections on [^\s]*:(\d+)/.exec(out);
        if (m && /Server is ready/.test(out)) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server exited with ${code} before starting:\n${out}`));
      });
    });
  };
  const halt = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    killGroup(proc, 'SIGTERM');
    const t = setTimeout(() => killGroup(proc, 'SIGKILL'), 10000);
    await exited;
    clearTimeout(t);
  };

  try {
    await launch();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const server: NatsServer = {
    get url() {
      return `nats://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    storeDir,
    get proc() {
      return proc;
    },
    async stop({ keepStore = false } = {}) {
      await halt();
      if (!keepStore) rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      await halt();
      await launch();
    },
  };
  return server;
}
