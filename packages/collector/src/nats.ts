/**
 * Buffered ingestion through NATS JetStream (the role Kafka plays in Jaeger):
 *
 *   receivers → SpanPipeline → NatsSpanPublisher ─▶ JetStream stream ─▶ NatsIngester → SpanStore
 *                              (ack = in the stream)   (work queue)      (ack = committed)
 *
 * - The stream has work-queue retention (a message is deleted once an ingester acknowledged it) and
 *   discard-new: when it holds `maxBytes` it refuses new messages, the publisher rejects with a
 *   `QueueFullError` and the receivers answer 503 + Retry-After / UNAVAILABLE. So the stream
 *   absorbs a storage outage up to its byte limit and never silently drops what it acknowledged
 *   (only a `maxAge`, if set, removes messages no ingester took in time).
 * - Ingesters share one durable pull consumer: each fetches a batch of messages, writes their spans
 *   with one `writeSpans`, and acknowledges the messages only after the write committed. While a
 *   write fails it retries with backoff, telling the server it is still working on the messages,
 *   so they are not handed to another ingester meanwhile. A crashed ingester's unacknowledged
 *   messages are redelivered after the ack wait; re-writing them is harmless because a store never
 *   shows the same (traceId, spanId) twice (the `SpanStore` contract).
 *
 * The message format is in `queue-format.ts`.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { headers as natsHeaders } from '@nats-io/transport-node';
import {
  AckPolicy, DeliverPolicy, DiscardPolicy, JetStreamApiError, jetstream, jetstreamManager, RetentionPolicy, StorageType,
  type Consumer, type ConsumerInfo, type JetStreamClient, type JetStreamManager, type JsMsg, type StreamConfig, type StreamInfo,
} from '@nats-io/jetstream';
import type { Span } from '@ariadne/model';
import { Counter, Gauge, Histogram, Registry } from './metrics.js';
import { QueueFullError, type SpanWriter } from './pipeline.js';
import { decodeSpanMessage, encodeSpanMessages, SPAN_COUNT_HEADER, STREAM_FORMAT, STREAM_FORMAT_HEADER } from './queue-format.js';

export interface QueueLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const silent: QueueLogger = { info() {}, warn() {}, error() {} };

/** Where the stream is and how it is shaped. Collectors and ingesters should agree on these. */
export interface StreamSettings {
  /** NATS server URL(s), comma-separated: `nats://host:4222,nats://host2:4222`. */
  servers: string;
  /** JetStream stream name. Default 'ARIADNE_SPANS'. */
  stream?: string;
  /** Subject span messages are published to. Default 'ariadne.spans'. */
  subject?: string;
  /** The stream's byte limit (the backlog it absorbs). Default 1 GiB. */
  maxBytes?: number;
  /** Messages older than this are removed even if no ingester took them; 0 = never. Default 0. */
  maxAgeMs?: number;
  /** Stream replicas in a NATS cluster. Default 1. */
  replicas?: number;
  /** Connection name shown by the server. */
  connectionName?: string;
  log?: QueueLogger;
}

export const DEFAULT_STREAM = 'ARIADNE_SPANS';
export const DEFAULT_SUBJECT = 'ariadne.spans';
export const DEFAULT_STREAM_MAX_BYTES = 1024 * 1024 * 1024;

/** A duration: '0', '500ms', '30s', '15m', '72h', '7d' (a bare number is seconds). Milliseconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m) throw new RangeError(`invalid duration ${JSON.stringify(text)}: use e.g. 500ms, 30s, 15m, 72h, 7d or 0`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(m[1]) * unit);
}

function resolved(s: StreamSettings) {
  const r = {
    servers: s.servers.split(',').map((x) => x.trim()).filter(Boolean),
    stream: s.stream ?? DEFAULT_STREAM,
    subject: s.subject ?? DEFAULT_SUBJECT,
    maxBytes: s.maxBytes ?? DEFAULT_STREAM_MAX_BYTES,
    maxAgeMs: s.maxAgeMs ?? 0,
    replicas: s.replicas ?? 1,
    log: s.log ?? silent,
  };
  if (r.servers.length === 0) throw new RangeError('no NATS server URL given');
  if (!/^[^.*>\s]+$/.test(r.stream)) throw new RangeError(`invalid stream name ${JSON.stringify(r.stream)}`);
  if (!/^[^*>\s]+$/.test(r.subject)) throw new RangeError(`invalid subject ${JSON.stringify(r.subject)} (no wildcards)`);
  if (!(r.maxBytes > 0)) throw new RangeError(`maxBytes must be positive, got ${r.maxBytes}`);
  if (!(r.maxAgeMs >= 0)) throw new RangeError(`maxAgeMs must be >= 0, got ${r.maxAgeMs}`);
  return r;
}
type Resolved = ReturnType<typeof resolved>;

const nanos = (ms: number) => ms * 1_000_000;

/**
 * Credentials in the server URLs (`nats://user:password@host:4222`, or `nats://token@host:4222`)
 * as connect options; the URLs without them (the client takes none from the URL itself).
 */
export function natsCredentials(servers: readonly string[]): { servers: string[]; user?: string; pass?: string; token?: string } {
  const out: { servers: string[]; user?: string; pass?: string; token?: string } = { servers: [] };
  for (const s of servers) {
    const m = /^([a-z]+:\/\/)?([^@/]*)@(.+)$/i.exec(s);
    if (!m) {
      out.servers.push(s);
      continue;
    }
    out.servers.push((m[1] ?? '') + m[3]);
    if (out.user !== undefined || out.token !== undefined) continue;
    const colon = m[2].indexOf(':');
    if (colon >= 0) {
      out.user = decodeURIComponent(m[2].slice(0, colon));
      out.pass = decodeURIComponent(m[2].slice(colon + 1));
    } else if (m[2]) out.token = decodeURIComponent(m[2]);
  }
  return out;
}

/** `nats://user:***@host` for logs and errors. */
function redactServers(servers: readonly string[]): string {
  return servers.map((s) => s.replace(/\/\/[^@/]*@/, '//***@')).join(',');
}

/** Connect, reconnecting forever after the first connection; logs connection status changes. */
async function connectNats(r: Resolved, name: string): Promise<NatsConnection> {
  let nc: NatsConnection;
  try {
    nc = await connect({ ...natsCredentials(r.servers), name, maxReconnectAttempts: -1, reconnectTimeWait: 500, timeout: 5000 });
  } catch (err) {
    throw new Error(`cannot connect to NATS at ${redactServers(r.servers)}: ${(err as Error).message}`, { cause: err });
  }
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') r.log.warn('nats disconnected', { server: (s as { server?: string }).server });
      else if (s.type === 'reconnect') r.log.info('nats reconnected', { server: (s as { server?: string }).server });
      else if (s.type === 'error') r.log.warn('nats error', { err: String((s as { error?: unknown }).error) });
    }
  })().catch(() => {});
  return nc;
}

/**
 * Whether this nats-server enforces a stream's `max_bytes` with discard=new exactly. Before
 * 2.10.5 the admission check leaves out each message's storage overhead, and a message admitted
 * near the limit makes the server delete the OLDEST message to fit it (nats-server issue 4771,
 * fixed by pull request 4772): in a work queue that is an acknowledged, not yet ingested batch
 * lost. Debian bookworm ships 2.9.10.
 */
export function serverEnforcesMaxBytes(version: string | undefined): boolean {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version ?? '');
  if (!m) return false;
  const [maj, min, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return maj > 2 || (maj === 2 && (min > 10 || (min === 10 && patch >= 5)));
}

/**
 * Create the stream if it is missing; bring its limits to the settings if it exists. Refuses a
 * stream that is not a work queue (it would keep ingested messages and fill up).
 *
 * On a server that enforces `max_bytes` exactly (`serverEnforcesMaxBytes`) the stream gets
 * `max_bytes` = `maxBytes`. On an older server the stream gets no byte limit (a limit there would
 * lose data, see above): the publishers enforce `maxBytes` themselves, and the server's JetStream
 * storage limit (`max_file_store`, which refuses and never deletes) is the hard limit.
 */
export async function ensureStream(jsm: JetStreamManager, s: StreamSettings, serverVersion?: string): Promise<StreamInfo> {
  const r = resolved(s);
  const exact = serverEnforcesMaxBytes(serverVersion);
  const want: Partial<StreamConfig> & { name: string } = {
    name: r.stream,
    subjects: [r.subject],
    retention: RetentionPolicy.Workqueue,
    discard: DiscardPolicy.New,
    storage: StorageType.File,
    max_bytes: exact ? r.maxBytes : -1,
    max_age: nanos(r.maxAgeMs),
    num_replicas: r.replicas,
  };
  for (let attempt = 0; ; attempt++) {
    let info: StreamInfo;
    try {
      info = await jsm.streams.info(r.stream);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        const created = await jsm.streams.add(want);
        r.log.info('stream created', { stream: r.stream, subject: r.subject, maxBytes: r.maxBytes, enforcedBy: exact ? 'server' : 'publishers', maxAgeMs: r.maxAgeMs, replicas: r.replicas });
        return created;
      } catch (addErr) {
        // Another collector or ingester created it first: read it again.
        if (attempt < 3 && /already in use|exists/i.test((addErr as Error).message)) continue;
        if (addErr instanceof JetStreamApiError && (addErr.code === 10023 || addErr.code === 10047)) {
          throw new Error(
            `cannot create stream ${r.stream} with max_bytes ${r.maxBytes}: ${addErr.message} (the server's JetStream max_file_store must hold every stream's max_bytes; lower --queue-stream-max-bytes or raise it)`,
            { cause: addErr },
          );
        }
        throw addErr;
      }
    }
    const c = info.config;
    if (c.retention !== RetentionPolicy.Workqueue) {
      throw new Error(`stream ${r.stream} exists with ${c.retention} retention; Ariadne needs a workqueue stream (delete it or choose another --queue-stream)`);
    }
    const subjects = c.subjects ?? [];
    const update: Partial<StreamConfig> = {};
    if (!subjects.includes(r.subject)) update.subjects = [...subjects, r.subject];
    if (c.max_bytes !== want.max_bytes) update.max_bytes = want.max_bytes;
    if ((c.max_age ?? 0) !== nanos(r.maxAgeMs)) update.max_age = nanos(r.maxAgeMs);
    if (c.discard !== DiscardPolicy.New) update.discard = DiscardPolicy.New;
    if (c.num_replicas !== r.replicas) update.num_replicas = r.replicas;
    if (Object.keys(update).length === 0) return info;
    const updated = await jsm.streams.update(r.stream, update);
    r.log.info('stream updated', { stream: r.stream, ...update });
    return updated;
  }
}

function isNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && (err.code === 10059 || err.code === 10014);
}

/** Retry hints (seconds) for clients refused because the stream is full or unreachable. */
const FULL_RETRY_AFTER = 5;
const UNAVAILABLE_RETRY_AFTER = 2;

/** The stream cannot take spans now (unreachable, no JetStream); nothing of the batch is acknowledged. */
export class StreamUnavailableError extends QueueFullError {
  override name = 'StreamUnavailableError';
  constructor(retryAfterSeconds: number, detail: string) {
    super(retryAfterSeconds, detail);
    this.message = `span stream unavailable (${detail}): retry after ${retryAfterSeconds}s`;
  }
}

export interface PublisherOptions extends StreamSettings {
  /** Registry to add the publisher's metrics to (the collector's), prefix `ariadne_collector_stream_`. */
  registry?: Registry;
  /** Publish acknowledgement timeout. Default 5 s. */
  publishTimeoutMs?: number;
  /**
   * How often the stream's size is read (gauges; on servers before 2.10.5 also the byte limit the
   * publishers enforce). Default 5 s, or 250 ms when the publishers enforce the limit.
   */
  statsIntervalMs?: number;
}

/**
 * The collector side: a `SpanWriter` whose `writeSpans` resolves once every span is in the stream
 * (JetStream publish acknowledgements), to be given to the `SpanPipeline`.
 */
export class NatsSpanPublisher implements SpanWriter {
  readonly metrics: PublisherMetrics;
  private closed = false;
  private statsTimer: NodeJS.Timeout | undefined;
  private stats = { bytes: 0, messages: 0, maxBytes: 0 };
  /** Bytes this publisher stored since the stream's size was last read (soft limit). */
  private sinceRead = 0;
  /** Stored size of a message beyond its payload: record framing, subject, headers. */
  private readonly overhead: number;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly r: Resolved,
    private readonly settings: PublisherOptions,
    private readonly maxPayload: number,
    /** The server does not enforce max_bytes safely: this publisher refuses past it. */
    readonly softLimit: boolean,
  ) {
    this.metrics = new PublisherMetrics(settings.registry ?? new Registry(), () => this.stats);
    this.stats.maxBytes = r.maxBytes;
    this.overhead = 34 + r.subject.length + 96;
    const every = settings.statsIntervalMs ?? (softLimit ? 250 : 5000);
    this.statsTimer = setInterval(() => void this.readStats(), every);
    this.statsTimer.unref();
    void this.readStats();
  }

  /** Connect, make sure the stream exists with these limits, and return the publisher. */
  static async start(opts: PublisherOptions): Promise<NatsSpanPublisher> {
    const r = resolved(opts);
    const nc = await connectNats(r, opts.connectionName ?? 'ariadne-collector');
    try {
      const jsm = await jetstreamManager(nc);
      const version = nc.info?.version;
      await ensureStream(jsm, opts, version);
      const js = jetstream(nc, { timeout: opts.publishTimeoutMs ?? 5000 });
      // Leave room for the subject and headers in the server's max_payload.
      const maxPayload = Math.max(1024, (nc.info?.max_payload ?? 1024 * 1024) - 1024);
      const soft = !serverEnforcesMaxBytes(version);
      if (soft) {
        r.log.warn('nats-server before 2.10.5: the collectors enforce the stream byte limit themselves', {
          serverVersion: version,
          maxBytes: r.maxBytes,
          why: 'with discard=new these servers delete the oldest message when one is admitted near max_bytes (nats-server#4771); the server\'s JetStream max_file_store stays the hard limit',
        });
      }
      const pub = new NatsSpanPublisher(nc, js, jsm, r, opts, maxPayload, soft);
      await pub.readStats();
      return pub;
    } catch (err) {
      await nc.close().catch(() => {});
      throw err;
    }
  }

  get stream(): string {
    return this.r.stream;
  }

  get subject(): string {
    return this.r.subject;
  }

  async writeSpans(spans: readonly Span[]): Promise<void> {
    if (this.closed) throw new StreamUnavailableError(UNAVAILABLE_RETRY_AFTER, 'the publisher is closed');
    const messages = encodeSpanMessages(spans, this.maxPayload);
    let size = 0;
    for (const m of messages) size += m.data.byteLength + this.overhead;
    if (this.softLimit && this.stats.bytes + this.sinceRead + size > this.r.maxBytes) {
      this.metrics.refusedSpans.inc({ reason: 'stream_full' }, spans.length);
      throw new QueueFullError(FULL_RETRY_AFTER, `stream ${this.r.stream} is full (about ${this.stats.bytes + this.sinceRead} of ${this.r.maxBytes} bytes)`);
    }
    const started = performance.now();
    const results = await Promise.allSettled(
      messages.map((m) => {
        const h = natsHeaders();
        h.set(STREAM_FORMAT_HEADER, STREAM_FORMAT);
        h.set(SPAN_COUNT_HEADER, String(m.spans));
        return this.js.publish(this.r.subject, m.data, { headers: h, expect: { streamName: this.r.stream } });
      }),
    );
    this.metrics.publishSeconds.observe((performance.now() - started) / 1000);
    let failure: unknown;
    for (let i = 0; i < results.length; i++) {
      const res = results[i];
      if (res.status === 'fulfilled') {
        this.sinceRead += messages[i].data.byteLength + this.overhead;
        this.metrics.messages.inc();
        this.metrics.spans.inc({}, messages[i].spans);
        this.metrics.bytes.inc({}, messages[i].data.byteLength);
      } else {
        failure ??= res.reason;
        this.metrics.refusedSpans.inc({ reason: isStreamFull(res.reason) ? 'stream_full' : 'unavailable' }, messages[i].spans);
      }
    }
    if (failure === undefined) return;
    // Messages of this batch that did get in stay in the stream; the client retries the whole
    // request and the store keeps one copy of each (traceId, spanId).
    if (isStreamFull(failure)) {
      throw new QueueFullError(FULL_RETRY_AFTER, `stream ${this.r.stream} is full (${(failure as Error).message}; limit ${this.r.maxBytes} bytes)`);
    }
    throw new StreamUnavailableError(UNAVAILABLE_RETRY_AFTER, `publish to ${this.r.subject} failed: ${(failure as Error)?.message ?? String(failure)}`);
  }

  /** Flush what is in flight and close the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.statsTimer) clearInterval(this.statsTimer);
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
  }

  private async readStats(): Promise<void> {
    try {
      // Publishes acknowledged while the request is out may or may not be in the answer: keep
      // counting them (an overestimate refuses a little early, never late).
      const before = this.sinceRead;
      const info = await this.jsm.streams.info(this.r.stream);
      this.sinceRead = Math.max(0, this.sinceRead - before);
      this.stats = { bytes: info.state.bytes, messages: info.state.messages, maxBytes: this.r.maxBytes };
    } catch (err) {
      if (isNotFound(err) && !this.closed) {
        // Someone deleted the stream: recreate it so publishing resumes.
        await ensureStream(this.jsm, this.settings, this.nc.info?.version).catch(() => {});
      }
    }
  }
}

function isStreamFull(err: unknown): boolean {
  if (!(err instanceof JetStreamApiError)) return false;
  // 10077 JSStreamStoreFailedF ("maximum bytes/messages exceeded"), 10023 insufficient resources,
  // 10047 JSStorageResourcesExceededErr.
  return err.code === 10023 || err.code === 10047 || (err.code === 10077 && /maximum|exceed|limit/i.test(err.message));
}

class PublisherMetrics {
  private readonly all: Array<Counter | Gauge | Histogram> = [];
  readonly messages: Counter;
  readonly spans: Counter;
  readonly bytes: Counter;
  readonly refusedSpans: Counter;
  readonly publishSeconds: Histogram;
  constructor(registry: Registry, stats: () => { bytes: number; messages: number; maxBytes: number }) {
    const p = 'ariadne_collector_stream';
    const r = { register: <M extends Counter | Gauge | Histogram>(m: M): M => (this.all.push(m), registry.register(m)) };
    this.messages = r.register(new Counter(`${p}_messages_published_total`, 'Messages published to the span stream and acknowledged by JetStream.', []));
    this.spans = r.register(new Counter(`${p}_spans_published_total`, 'Spans published to the span stream and acknowledged by JetStream.', []));
    this.bytes = r.register(new Counter(`${p}_bytes_published_total`, 'Payload bytes published to the span stream.', []));
    this.refusedSpans = r.register(
      new Counter(`${p}_spans_refused_total`, 'Spans the stream did not take (stream_full: at its byte limit; unavailable: unreachable or timed out); their requests got 503/UNAVAILABLE.', ['reason']),
    );
    this.publishSeconds = r.register(new Histogram(`${p}_publish_seconds`, 'Time from publishing a batch to the last JetStream acknowledgement.', [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]));
    r.register(new Gauge(`${p}_bytes`, 'Bytes in the span stream (not yet ingested), read every few seconds.', () => stats().bytes));
    r.register(new Gauge(`${p}_messages`, 'Messages in the span stream (not yet ingested), read every few seconds.', () => stats().messages));
    r.register(new Gauge(`${p}_max_bytes`, 'The span stream\'s byte limit (--queue-stream-max-bytes); publishing is refused past it.', () => stats().maxBytes));
  }

  /** Expose these metrics in another registry too (e.g. the collector's /metrics). */
  bindTo(registry: Registry): void {
    for (const m of this.all) registry.register(m);
  }
}

// ------------------------------------------------------------------------------------ ingester

export interface IngesterOptions extends StreamSettings {
  /** Where spans go. */
  store: SpanWriter;
  /** The durable consumer the ingesters share. Default 'ariadne-ingester'. */
  consumer?: string;
  /** How long a delivered message may stay unacknowledged before it is redelivered. Default 30 s. */
  ackWaitMs?: number;
  /** Most messages fetched at once (each is one collector batch of up to ~1000 spans). Default 100. */
  maxMessages?: number;
  /**
   * Most spans per storage write: the fetched messages are written in groups of whole messages up
   * to this many spans (a message larger than it is written alone). Default 10 000.
   */
  maxBatchSpans?: number;
  /** Backoff between failed store writes: first and largest delay. Default 200 ms … 10 s. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** How often consumer and stream state is read for the lag gauges. Default 2 s. */
  statsIntervalMs?: number;
  /** Registry for the metrics (prefix `ariadne_ingester_`); a fresh one by default. */
  registry?: Registry;
}

export const DEFAULT_CONSUMER = 'ariadne-ingester';

/** Fetch waits at most this long for a full batch (the client's minimum). */
const FETCH_EXPIRES_MS = 1000;
/** How long an ingester that met a message in a format it does not know leaves it to others. */
const UNKNOWN_FORMAT_DELAY_MS = 30_000;

/**
 * The ingester: reads the stream through the shared durable consumer and writes to storage,
 * acknowledging each message only after its spans are committed.
 */
export class NatsIngester {
  readonly metrics: IngesterMetrics;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private readonly held = new Set<JsMsg>();
  private workingTimer: NodeJS.Timeout | undefined;
  private statsTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private storeOk = true;
  private lastWriteError = '';
  private consumer!: Consumer;
  private stats = { pending: 0, ackPending: 0, redelivered: 0, streamBytes: 0, streamMessages: 0 };
  private readonly maxMessages: number;
  private readonly maxBatchSpans: number;
  private readonly ackWaitMs: number;
  private readonly consumerName: string;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly r: Resolved,
    private readonly opts: IngesterOptions,
  ) {
    this.maxMessages = opts.maxMessages ?? 100;
    this.maxBatchSpans = opts.maxBatchSpans ?? 10_000;
    this.ackWaitMs = opts.ackWaitMs ?? 30_000;
    this.consumerName = opts.consumer ?? DEFAULT_CONSUMER;
    this.metrics = new IngesterMetrics(opts.registry ?? new Registry(), () => this.stats, () => (this.storeOk ? 1 : 0), () => this.held.size);
  }

  static async start(opts: IngesterOptions): Promise<NatsIngester> {
    const r = resolved(opts);
    const maxMessages = opts.maxMessages ?? 100;
    if (!Number.isInteger(maxMessages) || maxMessages <= 0) throw new RangeError(`maxMessages must be a positive integer, got ${maxMessages}`);
    const ackWait = opts.ackWaitMs ?? 30_000;
    if (!(ackWait >= 1000)) throw new RangeError(`ackWaitMs must be at least 1000, got ${ackWait}`);
    const nc = await connectNats(r, opts.connectionName ?? 'ariadne-ingester');
    try {
      const jsm = await jetstreamManager(nc);
      await ensureStream(jsm, opts, nc.info?.version);
      const ing = new NatsIngester(nc, jsm, r, opts);
      await ing.ensureConsumer();
      ing.consumer = await jetstream(nc).consumers.get(r.stream, ing.consumerName);
      ing.workingTimer = setInterval(() => ing.keepAlive(), Math.max(500, Math.floor(ing.ackWaitMs / 3)));
      ing.workingTimer.unref();
      ing.statsTimer = setInterval(() => void ing.readStats(), opts.statsIntervalMs ?? 2000);
      ing.statsTimer.unref();
      await ing.readStats();
      ing.loop = ing.run();
      return ing;
    } catch (err) {
      await nc.close().catch(() => {});
      throw err;
    }
  }

  get stream(): string {
    return this.r.stream;
  }

  get consumerNameInUse(): string {
    return this.consumerName;
  }

  /** The last store write succeeded (or none failed yet). */
  get storeUp(): boolean {
    return this.storeOk;
  }

  get lastStoreError(): string {
    return this.lastWriteError;
  }

  /**
   * Stop fetching, finish the batch being written (when the store takes it), hand back what is
   * not written (nak: redelivered to another ingester at once), flush acknowledgements and close
   * the connection. Does not close the store.
   */
  async close(): Promise<void> {
    if (this.stopping) return this.loop?.then(() => {});
    this.stopping = true;
    this.wake?.();
    await this.loop;
    if (this.workingTimer) clearInterval(this.workingTimer);
    if (this.statsTimer) clearInterval(this.statsTimer);
    for (const m of this.held) m.nak();
    this.held.clear();
    if (!this.nc.isClosed()) await this.nc.drain().catch(() => this.nc.close());
  }

  private async ensureConsumer(): Promise<ConsumerInfo> {
    const name = this.consumerName;
    let info: ConsumerInfo | undefined;
    try {
      info = await this.jsm.consumers.info(this.r.stream, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!info) {
      try {
        info = await this.jsm.consumers.add(this.r.stream, {
          durable_name: name,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          ack_wait: nanos(this.ackWaitMs),
          max_deliver: -1,
          filter_subject: this.r.subject,
          max_ack_pending: 10_000,
        });
        this.r.log.info('consumer created', { stream: this.r.stream, consumer: name, ackWaitMs: this.ackWaitMs });
        return info;
      } catch (err) {
        const msg = (err as Error).message;
        if (/workqueue|overlap|unique/i.test(msg)) {
          throw new Error(`cannot create consumer ${name} on stream ${this.r.stream}: ${msg} (all ingesters must share one --queue-consumer)`, { cause: err });
        }
        // A concurrent ingester created it: use that one.
        return this.jsm.consumers.info(this.r.stream, name);
      }
    }
    if (info.config.ack_wait !== nanos(this.ackWaitMs)) {
      info = await this.jsm.consumers.update(this.r.stream, name, { ack_wait: nanos(this.ackWaitMs) });
      this.r.log.info('consumer updated', { stream: this.r.stream, consumer: name, ackWaitMs: this.ackWaitMs });
    }
    return info;
  }

  private async run(): Promise<void> {
    let failures = 0;
    let next: Promise<JsMsg[]> | undefined;
    while (!this.stopping) {
      let msgs: JsMsg[];
      try {
        msgs = await (next ?? this.fetchBatch());
        next = undefined;
        failures = 0;
      } catch (err) {
        next = undefined;
        if (this.stopping) break;
        failures++;
        if (failures === 1 || failures % 20 === 0) this.r.log.warn('fetch from the stream failed; retrying', { err: (err as Error).message, failures });
        this.metrics.fetchErrors.inc();
        if (isNotFound(err) || /consumer.*(not found|deleted)/i.test((err as Error).message)) {
          await this.ensureConsumer().catch(() => {});
        }
        await this.sleep(backoff(failures, 200, 5000));
        continue;
      }
      if (msgs.length === 0) continue;
      if (this.stopping) {
        for (const m of msgs) this.release(m, 'nak');
        break;
      }
      // Fetch the next batch while this one is written.
      next = this.fetchBatch();
      next.catch(() => {}); // handled when awaited
      await this.process(msgs);
    }
    if (next) {
      const rest = await next.catch(() => [] as JsMsg[]);
      for (const m of rest) this.release(m, 'nak');
    }
  }

  private async fetchBatch(): Promise<JsMsg[]> {
    const out: JsMsg[] = [];
    const iter = await this.consumer.fetch({ max_messages: this.maxMessages, expires: FETCH_EXPIRES_MS });
    try {
      for await (const m of iter) {
        this.held.add(m);
        out.push(m);
      }
    } catch (err) {
      // Messages received before the error are processed; none: report the error.
      if (out.length === 0) throw err;
    }
    return out;
  }

  /** Decode the fetched messages and write them in groups of at most `maxBatchSpans` spans. */
  private async process(msgs: JsMsg[]): Promise<void> {
    let spans: Span[] = [];
    let good: JsMsg[] = [];
    for (const m of msgs) {
      if (m.info.deliveryCount > 1) this.metrics.redeliveries.inc();
      const format = m.headers?.get(STREAM_FORMAT_HEADER) ?? '';
      if (format !== STREAM_FORMAT) {
        // Perhaps a newer collector's format: leave it for an ingester that knows it.
        this.metrics.deferred.inc({ reason: 'unknown_format' });
        if (this.metrics.deferred.total() % 100 === 1) this.r.log.warn('message in an unknown format left in the stream', { format, seq: m.seq, expected: STREAM_FORMAT });
        this.release(m, 'nak', UNKNOWN_FORMAT_DELAY_MS);
        continue;
      }
      let decoded: Span[];
      try {
        decoded = decodeSpanMessage(m.data);
      } catch (err) {
        // A malformed payload will never decode: remove it from the stream, and count it.
        this.metrics.dropped.inc({ reason: 'undecodable' });
        this.r.log.error('undecodable message dropped from the stream', { seq: m.seq, err: (err as Error).message });
        this.release(m, 'term');
        continue;
      }
      if (good.length > 0 && spans.length + decoded.length > this.maxBatchSpans) {
        if (!(await this.write(spans, good))) return;
        spans = [];
        good = [];
      }
      for (const s of decoded) spans.push(s);
      good.push(m);
    }
    if (good.length) await this.write(spans, good);
  }

  /**
   * Write `spans` (retrying with backoff while the store fails), then acknowledge `good`.
   * Resolves false when the ingester is stopping and handed the messages back instead.
   */
  private async write(spans: Span[], good: JsMsg[]): Promise<boolean> {
    let attempt = 0;
    for (;;) {
      const started = performance.now();
      try {
        if (spans.length) await this.opts.store.writeSpans(spans);
        this.metrics.writeSeconds.observe((performance.now() - started) / 1000);
        if (!this.storeOk) this.r.log.info('store writes succeed again', { afterAttempts: attempt + 1 });
        this.storeOk = true;
        break;
      } catch (err) {
        attempt++;
        this.storeOk = false;
        this.lastWriteError = (err as Error).message;
        this.metrics.writeFailures.inc();
        if (attempt === 1 || attempt % 10 === 0) {
          this.r.log.warn('store write failed; retrying (messages stay in the stream)', { err: this.lastWriteError, attempt, spans: spans.length, messages: good.length });
        }
        if (!this.stopping) await this.sleep(backoff(attempt, this.opts.retryInitialMs ?? 200, this.opts.retryMaxMs ?? 10_000));
        if (this.stopping) {
          // Hand back this batch and every message still held (the rest of the fetch).
          for (const m of [...this.held]) this.release(m, 'nak');
          return false;
        }
      }
    }
    let oldest = Infinity;
    for (const m of good) {
      oldest = Math.min(oldest, m.info.timestampNanos / 1e6);
      this.release(m, 'ack');
    }
    this.metrics.messagesAcked.inc({}, good.length);
    this.metrics.spansStored.inc({}, spans.length);
    this.metrics.batchSpans.observe(spans.length);
    if (Number.isFinite(oldest)) this.metrics.lastBatchAge = Math.max(0, (Date.now() - oldest) / 1000);
    return true;
  }

  private release(m: JsMsg, how: 'ack' | 'nak' | 'term', delayMs?: number): void {
    this.held.delete(m);
    try {
      if (how === 'ack') m.ack();
      else if (how === 'nak') m.nak(delayMs);
      else m.term();
    } catch {
      // The connection is gone: the server redelivers after the ack wait.
    }
  }

  /** Tell the server the held messages are being worked on, so they are not redelivered. */
  private keepAlive(): void {
    for (const m of this.held) {
      try {
        m.working();
      } catch {
        /* disconnected: redelivery will happen, which is safe */
      }
    }
  }

  private async readStats(): Promise<void> {
    try {
      const [ci, si] = await Promise.all([this.jsm.consumers.info(this.r.stream, this.consumerName), this.jsm.streams.info(this.r.stream)]);
      this.stats = {
        pending: ci.num_pending,
        ackPending: ci.num_ack_pending,
        redelivered: ci.num_redelivered,
        streamBytes: si.state.bytes,
        streamMessages: si.state.messages,
      };
    } catch {
      /* keep the last values; the fetch loop reports connection problems */
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }
}

/** Exponential backoff with full jitter in [d/2, d]. */
function backoff(attempt: number, initialMs: number, maxMs: number): number {
  const d = Math.min(maxMs, initialMs * 2 ** Math.min(20, attempt - 1));
  return d / 2 + Math.random() * (d / 2);
}

class IngesterMetrics {
  readonly registry: Registry;
  readonly spansStored: Counter;
  readonly messagesAcked: Counter;
  readonly redeliveries: Counter;
  readonly dropped: Counter;
  readonly deferred: Counter;
  readonly writeFailures: Counter;
  readonly fetchErrors: Counter;
  readonly writeSeconds: Histogram;
  readonly batchSpans: Histogram;
  lastBatchAge = 0;
  constructor(
    r: Registry,
    stats: () => { pending: number; ackPending: number; redelivered: number; streamBytes: number; streamMessages: number },
    storeUp: () => number,
    held: () => number,
  ) {
    this.registry = r;
    const p = 'ariadne_ingester';
    this.spansStored = r.register(new Counter(`${p}_spans_stored_total`, 'Spans written to storage (their messages then acknowledged).', []));
    this.messagesAcked = r.register(new Counter(`${p}_messages_acked_total`, 'Stream messages acknowledged after their spans were committed.', []));
    this.redeliveries = r.register(new Counter(`${p}_redeliveries_total`, 'Messages this ingester received that had been delivered before (e.g. to an ingester that crashed).', []));
    this.dropped = r.register(new Counter(`${p}_messages_dropped_total`, 'Messages removed from the stream without being stored (undecodable payload).', ['reason']));
    this.deferred = r.register(new Counter(`${p}_messages_deferred_total`, 'Messages left in the stream for another ingester (a format this one does not know).', ['reason']));
    this.writeFailures = r.register(new Counter(`${p}_store_write_failures_total`, 'Failed storage writes (retried with backoff; the messages stay in the stream).', []));
    this.fetchErrors = r.register(new Counter(`${p}_fetch_errors_total`, 'Failed fetches from the stream (NATS unreachable, consumer missing).', []));
    this.writeSeconds = r.register(new Histogram(`${p}_store_write_seconds`, 'Latency of successful storage writes.', [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]));
    this.batchSpans = r.register(new Histogram(`${p}_batch_spans`, 'Spans per storage write.', [1, 10, 100, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000]));
    r.register(new Gauge(`${p}_lag_messages`, 'Messages in the stream not yet acknowledged by the ingesters: not yet delivered plus delivered and unacknowledged (consumer state, read every few seconds).', () => stats().pending + stats().ackPending));
    r.register(new Gauge(`${p}_pending_messages`, 'Messages not yet delivered to any ingester.', () => stats().pending));
    r.register(new Gauge(`${p}_ack_pending_messages`, 'Messages delivered to ingesters and not yet acknowledged.', () => stats().ackPending));
    r.register(new Gauge(`${p}_consumer_redelivered_messages`, 'Messages currently redelivered at least once (the consumer\'s count, over all ingesters).', () => stats().redelivered));
    r.register(new Gauge(`${p}_stream_bytes`, 'Bytes in the span stream.', () => stats().streamBytes));
    r.register(new Gauge(`${p}_stream_messages`, 'Messages in the span stream.', () => stats().streamMessages));
    r.register(new Gauge(`${p}_last_batch_age_seconds`, 'Age of the oldest message of the last stored batch when it was acknowledged (end-to-end delay through the stream).', () => this.lastBatchAge));
    r.register(new Gauge(`${p}_store_up`, '1 when the last storage write succeeded, 0 while writes fail.', storeUp));
    r.register(new Gauge(`${p}_held_messages`, 'Messages this ingester fetched and has not yet acknowledged (being written, or fetched ahead).', held));
  }

  toPrometheus(): string {
    return this.registry.toPrometheus();
  }
}
