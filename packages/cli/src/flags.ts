/**
 * Every flag of every command, in one table. The table drives argument parsing, the `ARIADNE_*`
 * environment variables, `--help` and the configuration reference in docs (a test checks that
 * docs/configuration.md lists every flag here). Precedence: flag > environment variable > default.
 */

export type Command = 'all-in-one' | 'collector' | 'query' | 'agent' | 'ingester';

export interface FlagSpec {
  name: string;
  type: 'string' | 'port' | 'int' | 'bool' | 'enum' | 'duration' | 'number';
  default: string | number | boolean | undefined;
  values?: readonly string[];
  help: string;
  commands: readonly Command[];
}

const ALL: Command[] = ['all-in-one', 'collector', 'query', 'agent', 'ingester'];
const STORED: Command[] = ['all-in-one', 'collector', 'query'];
/** The storage backend flags: also the ingester's. */
const STORAGE: Command[] = [...STORED, 'ingester'];
const QUEUE: Command[] = ['collector', 'ingester'];
const UDP: Command[] = ['all-in-one', 'collector', 'agent'];
const INGEST: Command[] = ['all-in-one', 'collector'];
const READ: Command[] = ['all-in-one', 'query'];

export const FLAGS: readonly FlagSpec[] = [
  { name: 'host', type: 'string', default: '127.0.0.1', help: 'Address every listener binds to (0.0.0.0 for all interfaces).', commands: ALL },
  { name: 'query-port', type: 'port', default: 16686, help: 'Query HTTP API (/api/*) and web UI.', commands: READ },
  { name: 'otlp-http-port', type: 'port', default: 4318, help: 'OTLP/HTTP receiver (POST /v1/traces, protobuf and JSON).', commands: INGEST },
  { name: 'otlp-grpc-port', type: 'port', default: 4317, help: 'OTLP/gRPC receiver (TraceService/Export, gzip).', commands: INGEST },
  { name: 'jaeger-grpc-port', type: 'port', default: 14250, help: 'Jaeger collector gRPC: jaeger.api_v2.CollectorService/PostSpans.', commands: INGEST },
  { name: 'jaeger-http-port', type: 'port', default: 14268, help: 'Jaeger collector HTTP: POST /api/traces with a binary Thrift Batch.', commands: INGEST },
  { name: 'agent-compact-port', type: 'port', default: 6831, help: 'Jaeger agent: Thrift compact emitBatch over UDP.', commands: UDP },
  { name: 'agent-binary-port', type: 'port', default: 6832, help: 'Jaeger agent: Thrift binary emitBatch over UDP.', commands: UDP },
  { name: 'zipkin-port', type: 'port', default: 9411, help: 'Zipkin receiver: POST /api/v2/spans (JSON, proto3) and /api/v1/spans (JSON).', commands: INGEST },
  { name: 'sampling-port', type: 'port', default: 5778, help: 'Remote sampling strategies for tracers (GET /sampling?service=), as the Jaeger agent serves them.', commands: UDP },
  { name: 'sampling-strategies-file', type: 'string', default: undefined, help: 'Jaeger strategies file (JSON), reloaded when it changes. Without one, all-in-one samples everything (probabilistic 1.0) so a newcomer sees every trace, and collector uses Jaeger\'s default (probabilistic 0.001).', commands: INGEST },
  { name: 'sampling-adaptive', type: 'bool', default: false, help: 'Adaptive sampling: count the root spans received per service and operation and serve per-operation probabilities (operationSampling) that make each operation yield --sampling-target-tps traces per second, to every service the strategies file does not name. Counts and probabilities go through the storage backend, so collectors sharing ClickHouse serve the same probabilities. See docs/sampling.md.', commands: INGEST },
  { name: 'sampling-target-tps', type: 'number', default: 1, help: 'Adaptive sampling: traces per second wanted from each operation.', commands: INGEST },
  { name: 'sampling-min-probability', type: 'number', default: 0.00001, help: 'Adaptive sampling: no operation\'s probability goes below this.', commands: INGEST },
  { name: 'sampling-lower-bound-tps', type: 'number', default: 1 / 60, help: 'Adaptive sampling: traces per second each tracer keeps of every operation whatever its probability, so rare operations are seen (served as defaultLowerBoundTracesPerSecond).', commands: INGEST },
  { name: 'sampling-initial-probability', type: 'number', default: 0.001, help: 'Adaptive sampling: probability of operations without a computed one yet (served as the default probability).', commands: INGEST },
  { name: 'sampling-calculation-interval', type: 'duration', default: 60_000, help: 'Adaptive sampling: how often probabilities are recomputed, and the length of a counting bucket (e.g. 1m, 30s; ms in the default).', commands: INGEST },
  { name: 'sampling-calculation-buckets', type: 'int', default: 3, help: 'Adaptive sampling: buckets of counts each calculation averages over.', commands: INGEST },
  { name: 'tail-sampling', type: 'bool', default: false, help: 'Tail-based sampling: hold each trace\'s spans for --tail-sampling-decision-wait, then keep the whole trace if a policy matches (default policies: any error, longer than --tail-sampling-latency-threshold, a --tail-sampling-probability share of the rest) and drop it otherwise. Ingest is acknowledged once spans are held, not stored. See docs/sampling.md.', commands: INGEST },
  { name: 'tail-sampling-policies-file', type: 'string', default: undefined, help: 'Tail sampling policies (JSON: {"policies": [...]}; error, latency, attribute, probabilistic, rate_limiting) instead of the default ones.', commands: INGEST },
  { name: 'tail-sampling-decision-wait', type: 'duration', default: 5000, help: 'Tail sampling: how long after its first span a trace is decided (e.g. 5s, 30s; ms in the default).', commands: INGEST },
  { name: 'tail-sampling-max-spans', type: 'int', default: 100000, help: 'Tail sampling: spans held at most; beyond it the oldest traces are decided early, and while kept spans wait to be stored beyond it ingest answers 503.', commands: INGEST },
  { name: 'tail-sampling-latency-threshold', type: 'duration', default: 1000, help: 'Tail sampling, default policies: keep traces at least this long (e.g. 500ms, 2s; 0 = no latency policy).', commands: INGEST },
  { name: 'tail-sampling-probability', type: 'number', default: 0.1, help: 'Tail sampling, default policies: the share of the other traces kept (0-1).', commands: INGEST },
  { name: 'collector-url', type: 'string', default: 'http://127.0.0.1:4318/v1/traces', help: 'Agent: the collector\'s OTLP/HTTP traces URL that received spans are forwarded to (gzip protobuf, with retries).', commands: ['agent'] },
  { name: 'collector-headers', type: 'string', default: undefined, help: 'Agent: headers sent with every forwarded request, as key=value pairs separated by commas (values URL-encoded), e.g. "authorization=Bearer%20<token>,x-tenant=acme" for a collector with ingest auth or multi-tenancy. Prefer the environment variable for secrets.', commands: ['agent'] },
  { name: 'collector-sampling-url', type: 'string', default: 'http://127.0.0.1:14269/api/sampling', help: 'Agent: the collector\'s sampling strategies URL that /sampling is proxied to.', commands: ['agent'] },
  { name: 'admin-port', type: 'port', default: 14269, help: 'Admin endpoints: /health and /metrics (Prometheus text).', commands: ALL },
  { name: 'storage', type: 'enum', values: ['duckdb', 'memory', 'clickhouse'], default: 'duckdb', help: 'Storage backend: duckdb (embedded file in --data-dir), memory (lost on exit) or clickhouse (a ClickHouse server or cluster, see --clickhouse-url; several collectors and query processes can share it).', commands: STORAGE },
  { name: 'data-dir', type: 'string', default: '.ariadne/data', help: 'Directory of the embedded DuckDB store (created if missing).', commands: STORAGE },
  { name: 'clickhouse-url', type: 'string', default: 'http://127.0.0.1:8123', help: 'ClickHouse HTTP URL (user and password may be in it). With --clickhouse-cluster: the URL of every node, comma-separated (the schema and purges are applied on each; reads and writes go through the first).', commands: STORAGE },
  { name: 'clickhouse-database', type: 'string', default: 'ariadne', help: 'ClickHouse database for Ariadne\'s tables, created with them on start if missing.', commands: STORAGE },
  { name: 'clickhouse-cluster', type: 'string', default: undefined, help: 'ClickHouse cluster (a remote_servers name): spans are sharded by trace id over Distributed tables.', commands: STORAGE },
  { name: 'retention', type: 'duration', default: 0, help: 'Delete spans older than this (e.g. 7d, 12h, 90m), checked on start and then every 24th of the retention (at most hourly); 0 keeps them forever. ClickHouse drops whole day partitions (the rest of the cutoff day is hidden at once and dropped a day later); DuckDB deletes the rows.', commands: [...INGEST, 'ingester'] },
  { name: 'max-request-bytes', type: 'int', default: 16 * 1024 * 1024, help: 'Largest accepted ingest request body, after decompression (larger: 413).', commands: INGEST },
  { name: 'ui-dir', type: 'string', default: undefined, help: 'Directory of the built web UI (default: the @ariadne/ui build next to this package).', commands: READ },
  { name: 'demo', type: 'bool', default: false, help: 'Also run the image-gallery demo: four traced Node services as child processes (load generator, gallery API, DuckDB image catalog, image store) exporting to this all-in-one; see packages/demo.', commands: ['all-in-one'] },
  { name: 'max-spans-per-request', type: 'int', default: 100_000, help: 'Most spans accepted in one ingest request, after decoding (more: 413 / INVALID_ARGUMENT, nothing stored).', commands: INGEST },
  { name: 'queue-max-spans', type: 'int', default: 100_000, help: 'Ingest queue bound in spans (queued + being written). Past it receivers answer 503 + Retry-After (HTTP) or UNAVAILABLE with RetryInfo (gRPC); UDP datagrams are dropped and counted. Nothing acknowledged is dropped.', commands: INGEST },
  { name: 'queue-max-bytes', type: 'int', default: 256 * 1024 * 1024, help: 'Ingest queue bound in estimated bytes of decoded spans (queued + being written), as --queue-max-spans. Request bodies being read are bounded separately, by 4 × --max-request-bytes (at least 64 MiB) across the HTTP receivers.', commands: INGEST },
  { name: 'query-max-trace-spans', type: 'int', default: 100_000, help: 'Most spans the query API returns for one trace; a larger trace is returned cut to its first spans by start time, with a warning on the first.', commands: READ },
  { name: 'ingest-auth-tokens-file', type: 'string', default: undefined, help: 'File of bearer tokens (one per line, # comments), reloaded when it changes. When set, every HTTP and gRPC ingest request needs "Authorization: Bearer <token>" (401 / UNAUTHENTICATED otherwise). UDP agent ports cannot carry a token: bind them to localhost or firewall them.', commands: INGEST },
  { name: 'query-auth-tokens-file', type: 'string', default: undefined, help: 'File of bearer tokens for the query API (/api/*, /zipkin/api/*), reloaded when it changes. The UI files stay open; the UI asks for a token once and keeps it in the browser. /health (admin port) stays open.', commands: READ },
  { name: 'tls-cert', type: 'string', default: undefined, help: 'PEM certificate (chain) file: every HTTP and gRPC listener of this process serves TLS (https, grpcs). Needs --tls-key.', commands: STORED },
  { name: 'tls-key', type: 'string', default: undefined, help: 'PEM private key file for --tls-cert.', commands: STORED },
  { name: 'multi-tenancy-enabled', type: 'bool', default: false, help: 'Every ingest and query request must name its tenant in the tenant header (missing: 401, invalid or not allowed: 403); each tenant gets its own store (DuckDB: <data-dir>/tenants/<tenant>/, memory: its own) and sees only its own data.', commands: STORED },
  { name: 'multi-tenancy-header', type: 'string', default: 'x-tenant', help: 'HTTP header / gRPC metadata key carrying the tenant.', commands: STORED },
  { name: 'multi-tenancy-tenants', type: 'string', default: undefined, help: 'Comma-separated list of allowed tenants (others: 403). Without it any valid name (1-63 of A-Z a-z 0-9 _ -) is accepted, up to --multi-tenancy-max-tenants.', commands: STORED },
  { name: 'multi-tenancy-max-tenants', type: 'int', default: 100, help: 'Most tenant stores open at once when no allowed list is given (more tenants: 403).', commands: STORED },
  { name: 'queue', type: 'string', default: undefined, help: 'NATS server URL(s) with JetStream (nats://host:4222, comma-separated for a cluster; nats://user:password@host:4222 or nats://token@host:4222 to authenticate). Collector: publish spans to the stream and acknowledge a request once its spans are in it, instead of writing storage. Ingester (required): read the stream and write to storage.', commands: QUEUE },
  { name: 'queue-stream', type: 'string', default: 'ARIADNE_SPANS', help: 'JetStream stream of span batches (work-queue retention, created if missing).', commands: QUEUE },
  { name: 'queue-subject', type: 'string', default: 'ariadne.spans', help: 'Subject span batches are published to.', commands: QUEUE },
  { name: 'queue-stream-max-bytes', type: 'int', default: 1024 * 1024 * 1024, help: 'The stream\'s byte limit: the backlog it absorbs while storage is slow or down; when it is full collectors answer 503 + Retry-After (gRPC UNAVAILABLE). Enforced by nats-server from 2.10.5, by the collectors on older servers.', commands: QUEUE },
  { name: 'queue-stream-max-age', type: 'duration', default: 0, help: 'Remove stream messages older than this even if no ingester took them (e.g. 72h, 7d); 0 keeps them until ingested. Spans removed this way are lost.', commands: QUEUE },
  { name: 'queue-stream-replicas', type: 'int', default: 1, help: 'Stream replicas in a NATS cluster (3 survives the loss of a server).', commands: QUEUE },
  { name: 'queue-consumer', type: 'string', default: 'ariadne-ingester', help: 'Ingester: the durable consumer every ingester shares (each message goes to one of them).', commands: ['ingester'] },
  { name: 'queue-ack-wait', type: 'duration', default: 30_000, help: 'Ingester: a message not acknowledged this long after delivery (its ingester died) is redelivered to another ingester.', commands: ['ingester'] },
  { name: 'queue-fetch-messages', type: 'int', default: 100, help: 'Ingester: most stream messages (collector batches) fetched and written to storage together.', commands: ['ingester'] },
  { name: 'log-level', type: 'enum', values: ['debug', 'info', 'warn', 'error'], default: 'info', help: 'Least severe log level written (JSON lines on stdout).', commands: ALL },
];

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** Milliseconds of a duration such as `7d`, `12h`, `30m`, `45s`, `500ms`, `1w` (or a bare `0`); undefined if malformed. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (!m[2]) return n === 0 ? 0 : undefined;
  const ms = Math.round(n * DURATION_UNITS[m[2]]);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

export function envName(flag: string): string {
  return 'ARIADNE_' + flag.toUpperCase().replace(/-/g, '_');
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export type Options = Record<string, string | number | boolean | undefined>;

/** Parse `argv` (after the command) for `command`, filling from `env` then defaults. */
export function parseFlags(command: Command, argv: readonly string[], env: NodeJS.ProcessEnv): Options {
  const specs = FLAGS.filter((f) => f.commands.includes(command));
  const raw = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = specs.find((f) => f.name === name);
    if (!spec) throw new UsageError(`unknown flag --${name} for "${command}" (see ariadne ${command} --help)`);
    if (eq >= 0) raw.set(name, arg.slice(eq + 1));
    else if (spec.type === 'bool') raw.set(name, true);
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      raw.set(name, next);
      i++;
    }
  }
  const out: Options = {};
  for (const spec of specs) {
    let source = `--${spec.name}`;
    let value: string | true | undefined = raw.get(spec.name);
    if (value === undefined && env[envName(spec.name)] !== undefined) {
      value = env[envName(spec.name)];
      source = envName(spec.name);
    }
    out[spec.name] = value === undefined ? spec.default : convert(spec, value, source);
  }
  return out;
}

function convert(spec: FlagSpec, value: string | true, source: string): string | number | boolean {
  if (spec.type === 'bool') {
    if (value === true) return true;
    if (/^(1|true|yes|on)$/i.test(value)) return true;
    if (/^(0|false|no|off)$/i.test(value)) return false;
    throw new UsageError(`${source}: expected true or false, got ${JSON.stringify(value)}`);
  }
  if (value === true) throw new UsageError(`${source} needs a value`);
  switch (spec.type) {
    case 'port': {
      const n = Number(value);
      if (!/^\d+$/.test(value) || n > 65535) throw new UsageError(`${source}: expected a port number 0-65535 (0 = any free port), got ${JSON.stringify(value)}`);
      return n;
    }
    case 'int': {
      const n = Number(value);
      if (!/^\d+$/.test(value) || n <= 0 || !Number.isSafeInteger(n)) throw new UsageError(`${source}: expected a positive integer, got ${JSON.stringify(value)}`);
      return n;
    }
    case 'number': {
      const n = Number(value);
      if (!/^\d*\.?\d+(e-?\d+)?$/i.test(value) || !Number.isFinite(n)) throw new UsageError(`${source}: expected a non-negative number, got ${JSON.stringify(value)}`);
      return n;
    }
    case 'duration': {
      const ms = parseDuration(value);
      if (ms === undefined) throw new UsageError(`${source}: expected a duration such as 7d, 12h, 30m or 45s (0 = forever), got ${JSON.stringify(value)}`);
      return ms;
    }
    case 'enum':
      if (!spec.values!.includes(value)) throw new UsageError(`${source}: expected one of ${spec.values!.join(', ')}, got ${JSON.stringify(value)}`);
      return value;
    default:
      return value;
  }
}

const COMMAND_HELP: Record<Command, string> = {
  'all-in-one': 'Collector, query API and web UI in one process on the embedded store.',
  collector: 'Receive spans and write them to storage.',
  query: 'Serve the query API and web UI from storage.',
  agent: 'Jaeger agent: receive Thrift over UDP, forward to a collector; proxy sampling strategies.',
  ingester: 'Read span batches from the NATS JetStream stream that collectors with --queue write, and write them to storage.',
};

/** The configuration reference (docs/configuration.md), generated from the table. */
export function configurationMarkdown(): string {
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated from packages/cli/src/flags.ts by `npm run docs:config`; a test checks it is current. -->',
    '',
    'Every flag can also be set by its environment variable. Precedence: flag, then environment',
    'variable, then default. Port `0` picks a free port; each listener logs one JSON line',
    '(`{"msg":"listening","listener":…,"address":"host:port"}`) with its actual address.',
    '',
  ];
  for (const command of Object.keys(COMMAND_HELP) as Command[]) {
    lines.push(`## \`ariadne ${command}\``, '', COMMAND_HELP[command], '', '| flag | env | default | what |', '| --- | --- | --- | --- |');
    for (const f of FLAGS.filter((x) => x.commands.includes(command))) {
      const def = f.default === undefined ? '—' : `\`${f.default}\``;
      const vals = f.values ? ` One of: ${f.values.map((v) => `\`${v}\``).join(', ')}.` : '';
      lines.push(`| \`--${f.name}\` | \`${envName(f.name)}\` | ${def} | ${f.help}${vals} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

export function helpText(command?: Command): string {
  if (!command) {
    return [
      'Usage: ariadne <command> [flags]',
      '',
      'Commands:',
      ...(Object.keys(COMMAND_HELP) as Command[]).map((c) => `  ${c.padEnd(12)} ${COMMAND_HELP[c]}`),
      '',
      'Run "ariadne <command> --help" for the flags of a command. Every flag can also be set by an',
      'environment variable: --query-port → ARIADNE_QUERY_PORT. Port 0 picks a free port; each',
      'listener logs one JSON line with its actual address on start.',
      '',
    ].join('\n');
  }
  const lines = [`Usage: ariadne ${command} [flags]`, '', COMMAND_HELP[command], '', 'Flags:'];
  for (const f of FLAGS.filter((x) => x.commands.includes(command))) {
    const def = f.default === undefined ? '' : ` (default: ${f.default})`;
    const vals = f.values ? ` [${f.values.join('|')}]` : '';
    lines.push(`  --${f.name}${f.type === 'bool' ? '' : ' VALUE'}${vals}`);
    lines.push(`      ${f.help}${def}  env: ${envName(f.name)}`);
  }
  lines.push('  --help', '      Show this help.', '');
  return lines.join('\n');
}
