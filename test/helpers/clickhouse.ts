/**
 * Start real `clickhouse-server` processes for tests: each in its own temp dir with a generated
 * config on free local ports (HTTP, native TCP, interserver), in its own process group, with a
 * `remote_servers` cluster over all of them (one shard per server). `stop()` kills the process
 * groups and removes the temp dirs; they are also killed if the test process exits first.
 *
 *   const ch = await startClickHouse({ shards: 2 });
 *   try { … ch.urls, ch.cluster … } finally { await ch.stop(); }
 *
 * The binary is `/usr/sbin/clickhouse-server` (Debian's `clickhouse-server` package, 18.16) unless
 * `CLICKHOUSE_SERVER_BIN` names another. Without a binary, `startClickHouse` rejects with a message
 * saying what to install (tests must not skip under CI=true).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ClickHouseServer {
  /** HTTP URL of this server, e.g. http://127.0.0.1:41234 */
  url: string;
  httpPort: number;
  tcpPort: number;
  dir: string;
  proc: ChildProcess;
}

export interface ClickHouseCluster {
  /** HTTP URL of every server (one per shard), in shard order. */
  urls: string[];
  /** The first server's URL. */
  url: string;
  /** Name of the `remote_servers` cluster (one shard per server) every server knows. */
  cluster: string;
  servers: ClickHouseServer[];
  /** Run one SQL statement over HTTP on server `i` (default 0); returns the response text. */
  sql(query: string, i?: number): Promise<string>;
  /** Kill every server (its process group) and remove its temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartClickHouseOptions {
  shards?: 1 | 2;
  /** Cluster name in the generated `remote_servers` (default 'ariadne_test'). */
  cluster?: string;
  timeoutMs?: number;
}

export const CLICKHOUSE_SERVER_BIN = process.env.CLICKHOUSE_SERVER_BIN || '/usr/sbin/clickhouse-server';

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) killGroup(p, 'SIGKILL');
});
// Interrupted (Ctrl-C, a runner's timeout): kill the servers, then die of the signal as before.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  const onSignal = () => {
    for (const p of live) killGroup(p, 'SIGKILL');
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  };
  process.on(signal, onSignal);
}

function killGroup(p: ChildProcess, signal: NodeJS.Signals): void {
  if (p.exitCode !== null || p.signalCode !== null || p.pid === undefined) return;
  try {
    process.kill(-p.pid, signal);
  } catch {
    try {
      p.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** A port that was free a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function configXml(dir: string, ports: { http: number; tcp: number; interserver: number }, cluster: string, shards: { tcp: number }[]): string {
  const d = xmlEscape(dir);
  const shardXml = shards.map((s) => `<shard><replica><host>127.0.0.1</host><port>${s.tcp}</port></replica></shard>`).join('');
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>${d}/log/server.log</log><errorlog>${d}/log/error.log</errorlog><console>0</console></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${ports.http}</http_port>
  <tcp_port>${ports.tcp}</tcp_port>
  <interserver_http_port>${ports.interserver}</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <path>${d}/data/</path>
  <tmp_path>${d}/tmp/</tmp_path>
  <user_files_path>${d}/user_files/</user_files_path>
  <format_schema_path>${d}/format_schemas/</format_schema_path>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <users>
    <default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default>
  </users>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <quotas><default></default></quotas>
  <remote_servers><${cluster}>${shardXml}</${cluster}></remote_servers>
</yandex>
`;
}

async function ping(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
    return res.ok && (await res.text()).startsWith('Ok');
  } catch {
    return false;
  }
}

/** Start `shards` servers (default 1) that share one cluster definition; resolves once every one answers /ping. */
export async function startClickHouse(opts: StartClickHouseOptions = {}): Promise<ClickHouseCluster> {
  if (!existsSync(CLICKHOUSE_SERVER_BIN)) {
    throw new Error(`${CLICKHOUSE_SERVER_BIN} not found: install Debian's clickhouse-server (apt-get install clickhouse-server clickhouse-client), or set CLICKHOUSE_SERVER_BIN`);
  }
  const n = opts.shards ?? 1;
  const cluster = opts.cluster ?? 'ariadne_test';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(cluster)) throw new Error(`bad cluster name ${cluster}`);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const ports: { http: number; tcp: number; interserver: number }[] = [];
  const taken = new Set<number>();
  const pick = async () => {
    for (;;) {
      const p = await freePort();
      if (!taken.has(p)) {
        taken.add(p);
        return p;
      }
    }
  };
  for (let i = 0; i < n; i++) ports.push({ http: await pick(), tcp: await pick(), interserver: await pick() });

  const servers: ClickHouseServer[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(
      servers.map(async (s) => {
        const exited = new Promise<void>((r) => (s.proc.exitCode !== null || s.proc.signalCode !== null ? r() : s.proc.once('exit', () => r())));
        killGroup(s.proc, 'SIGTERM');
        const t = setTimeout(() => killGroup(s.proc, 'SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
        live.delete(s.proc);
      }),
    );
    for (const s of servers) rmSync(s.dir, { recursive: true, force: true });
  };

  try {
    for (let i = 0; i < n; i++) {
      const dir = mkdtempSync(join(tmpdir(), `ariadne-clickhouse-${i}-`));
      for (const sub of ['log', 'data', 'tmp', 'user_files', 'format_schemas']) mkdirSync(join(dir, sub), { recursive: true });
      const configPath = join(dir, 'config.xml');
      writeFileSync(configPath, configXml(dir, ports[i], cluster, ports));
      const proc = spawn(CLICKHOUSE_SERVER_BIN, [`--config-file=${configPath}`], { cwd: dir, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
      live.add(proc);
      let stderr = '';
      proc.stderr!.on('data', (d: Buffer) => {
        if (stderr.length < 10_000) stderr += d.toString();
      });
      proc.on('error', () => {});
      servers.push({ url: `http://127.0.0.1:${ports[i].http}`, httpPort: ports[i].http, tcpPort: ports[i].tcp, dir, proc });
      (proc as ChildProcess & { stderrText?: () => string }).stderrText = () => stderr;
    }
    const deadline = Date.now() + timeoutMs;
    for (const s of servers) {
      for (;;) {
        if (s.proc.exitCode !== null || s.proc.signalCode !== null) {
          let log = '';
          try {
            log = readFileSync(join(s.dir, 'log', 'error.log'), 'utf8').slice(-3000);
          } catch {
            // no log yet
          }
          throw new Error(`clickhouse-server on ${s.url} exited with ${s.proc.exitCode ?? s.proc.signalCode} before it was ready\n${log}`);
        }
        if (await ping(s.url)) break;
        if (Date.now() > deadline) throw new Error(`clickhouse-server on ${s.url} not ready after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (e) {
    await stop();
    throw e;
  }

  const urls = servers.map((s) => s.url);
  return {
    urls,
    url: urls[0],
    cluster,
    servers,
    async sql(query: string, i = 0) {
      const res = await fetch(urls[i], { method: 'POST', body: query });
      const text = await res.text();
      if (!res.ok) throw new Error(`ClickHouse ${urls[i]}: ${text.trim()}`);
      return text;
    },
    stop,
  };
}
