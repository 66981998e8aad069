/**
 * Buffered ingestion through NATS JetStream, CLI side:
 * - `ariadne collector --queue nats://…`: the collector's pipeline writes to the stream instead of
 *   a store (`startQueueWriter`), so a request is acknowledged once its spans are in the stream;
 * - `ariadne ingester --queue nats://… --storage …`: reads the stream and writes to storage
 *   (`startIngester`).
 */
import { resolve } from 'node:path';
import { NatsIngester, NatsSpanPublisher, parseDuration, startHttpServer, type Registry, type StreamSettings } from '@ariadne/collector';
import type { Span } from '@ariadne/model';
import { openStore, type SpanStore } from '@ariadne/storage';
import type { Options } from './flags.js';
import type { Logger } from './log.js';
import { startRetention } from './retention.js';

export interface Services {
  close(): Promise<void>;
}

/** Passwords in URLs replaced by *** (for logs). */
function redact(urls: string): string {
  return urls.replace(/\/\/([^@/]*)@/g, (_, info: string) => `//${info.includes(':') ? `${info.slice(0, info.indexOf(':'))}:***` : '***'}@`);
}

function durationFlag(opts: Options, name: string): number {
  const v = opts[name];
  if (typeof v === 'number') return v;
  try {
    return parseDuration(String(v));
  } catch (err) {
    throw new Error(`--${name}: ${(err as Error).message}`);
  }
}

/** The stream settings from the `--queue*` flags. */
export function streamSettings(opts: Options, log: Logger): StreamSettings {
  const servers = opts.queue as string | undefined;
  if (!servers) throw new Error('--queue is required: the NATS server URL(s), e.g. nats://127.0.0.1:4222');
  return {
    servers,
    stream: opts['queue-stream'] as string,
    subject: opts['queue-subject'] as string,
    maxBytes: opts['queue-stream-max-bytes'] as number,
    maxAgeMs: durationFlag(opts, 'queue-stream-max-age'),
    replicas: opts['queue-stream-replicas'] as number,
    log,
  };
}

/**
 * The collector's write side with `--queue`: a `SpanStore` stand-in whose `writeSpans` publishes
 * to the stream (the pipeline needs only that) and whose `close` flushes and disconnects. It
 * stores nothing itself: reads are refused (query the store the ingesters write to).
 */
export class QueueWriter implements SpanStore {
  readonly capabilities = { name: 'nats-jetstream', durable: true, tagOperators: [] as const };
  private constructor(readonly publisher: NatsSpanPublisher) {}

  static async start(opts: Options, log: Logger): Promise<QueueWriter> {
    if (opts['multi-tenancy-enabled']) throw new Error('--queue cannot be combined with --multi-tenancy-enabled yet: the stream does not carry the tenant');
    if (opts.retention) throw new Error('--retention applies to the store: give it to the ingesters\' storage, not to a collector with --queue');
    const settings = streamSettings(opts, log);
    const publisher = await NatsSpanPublisher.start({ ...settings, connectionName: 'ariadne-collector' });
    log.info('writing spans to the stream', { queue: redact(settings.servers), stream: publisher.stream, subject: publisher.subject, maxBytes: settings.maxBytes, limitEnforcedBy: publisher.softLimit ? 'collectors' : 'nats-server' });
    return new QueueWriter(publisher);
  }

  /** Add the publisher's metrics to the collector's registry (its /metrics). */
  bindMetrics(registry: Registry): void {
    this.publisher.metrics.bindTo(registry);
  }

  writeSpans(spans: readonly Span[]): Promise<void> {
    return this.publisher.writeSpans(spans);
  }

  close(): Promise<void> {
    return this.publisher.close();
  }

  private refuse(): never {
    throw new Error('this collector writes to a NATS stream (--queue) and stores nothing: query the store the ingesters write to');
  }
  getTrace(): Promise<Span[]> {
    this.refuse();
  }
  getTraces(): Promise<Map<string, Span[]>> {
    this.refuse();
  }
  findTraceIds(): Promise<string[]> {
    this.refuse();
  }
  getServices(): Promise<string[]> {
    this.refuse();
  }
  getOperations(): Promise<never[]> {
    this.refuse();
  }
  getDependencies(): Promise<never[]> {
    this.refuse();
  }
  purgeBefore(): Promise<number | undefined> {
    this.refuse();
  }
}

/** `ariadne ingester`: stream → storage, with /health and /metrics on the admin port. */
export async function startIngester(opts: Options, log: Logger): Promise<Services> {
  const settings = streamSettings(opts, log);
  const backend = opts.storage as 'duckdb' | 'memory' | 'clickhouse';
  const store = await openStore({
    backend,
    dataDir: resolve(opts['data-dir'] as string),
    clickhouseUrl: opts['clickhouse-url'] as string | undefined,
    clickhouseDatabase: opts['clickhouse-database'] as string | undefined,
    clickhouseCluster: opts['clickhouse-cluster'] as string | undefined,
  });
  log.info('store opened', {
    backend: store.capabilities.name,
    dataDir: backend === 'duckdb' ? resolve(opts['data-dir'] as string) : undefined,
    ...(backend === 'clickhouse' ? { clickhouseUrl: redact(String(opts['clickhouse-url'])), database: opts['clickhouse-database'], cluster: opts['clickhouse-cluster'] } : {}),
  });
  let ingester: NatsIngester | undefined;
  let admin: Awaited<ReturnType<typeof startHttpServer>> | undefined;
  let stopRetention: (() => Promise<void>) | undefined;
  try {
    ingester = await NatsIngester.start({
      ...settings,
      store,
      consumer: opts['queue-consumer'] as string,
      ackWaitMs: durationFlag(opts, 'queue-ack-wait'),
      maxMessages: opts['queue-fetch-messages'] as number,
      connectionName: 'ariadne-ingester',
    });
    log.info('ingesting from the stream', { queue: redact(settings.servers), stream: ingester.stream, consumer: ingester.consumerNameInUse, backend: store.capabilities.name });
    const ing = ingester;
    admin = await startHttpServer(
      (req, res) => {
        const url = (req.url ?? '/').split('?')[0];
        if (url === '/health' || url === '/') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: ing.storeUp ? 'ok' : 'degraded', store: store.capabilities.name, storeUp: ing.storeUp, lastStoreError: ing.storeUp ? undefined : ing.lastStoreError, stream: ing.stream, consumer: ing.consumerNameInUse }));
        } else if (url === '/metrics') {
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
          res.end(ing.metrics.toPrometheus());
        } else {
          res.writeHead(404, { 'content-type': 'text/plain' });
          res.end('not found\n');
        }
      },
      { host: opts.host as string, port: opts['admin-port'] as number, name: 'admin' },
    );
    log.info('listening', { listener: 'admin', transport: 'http', address: `${admin.address.host}:${admin.address.port}`, host: admin.address.host, port: admin.address.port });
    // With several ingesters each purges; purging is idempotent.
    if (opts.retention) stopRetention = startRetention(() => [store], { retentionMs: opts.retention as number }, log);
  } catch (err) {
    await stopRetention?.().catch(() => {});
    await admin?.close().catch(() => {});
    await ingester?.close().catch(() => {});
    await store.close().catch(() => {});
    throw err;
  }
  const running = ingester;
  const server = admin;
  return {
    async close() {
      // Stop taking messages, finish (or hand back) the batch in hand, then close the store.
      await stopRetention?.();
      await running.close();
      await server.close();
      await store.close();
    },
  };
}
