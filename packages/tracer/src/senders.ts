/**
 * Senders: deliver one batch of finished model spans over one wire protocol. They never throw
 * into their caller: every outcome (including network errors) is a `SendOutcome` saying whether a
 * retry makes sense and how long the server asked us to wait. Retrying is the RemoteReporter's job.
 */
import dgram from 'node:dgram';
import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import { constants as zlibConstants, gzip as gzipCb } from 'node:zlib';
import type { Span } from '@ariadne/model';
import { withoutInstrumentation } from './instrument/suppress.js';
import { encodeJaegerAgentMessage, encodeJaegerThriftBatch, encodeOtlpJson, encodeZipkinV2Json } from '@ariadne/codec';
import { OtlpTraceEncoder } from './otlp-encoder.js';

const gzip = promisify(gzipCb);

export type SendOutcome =
  /** Delivered; `dropped` spans could not be sent at all (e.g. a span too large for a UDP packet). */
  | { ok: true; dropped?: number }
  | { ok: false; retryable: boolean; retryAfterMs?: number; message: string };

export interface Sender {
  /** A short name for logs: 'otlp-proto', 'jaeger-udp', … */
  readonly name: string;
  send(spans: Span[]): Promise<SendOutcome>;
  close(): Promise<void>;
  /**
   * Optional, with `sendEncoded`: an encoder that turns spans into wire bytes one at a time, so
   * the RemoteReporter can encode spans as they are reported and queue bytes instead of objects.
   */
  newEncoder?(): SpanEncoder;
  /** Sends a body made by an encoder from `newEncoder` (`count` spans). */
  sendEncoded?(body: Uint8Array, count: number): Promise<SendOutcome>;
}

/** Encodes spans one at a time into an open batch (see `Sender.newEncoder`). */
export interface SpanEncoder {
  /** Encodes one span now; throws on a malformed span, keeping nothing of it. */
  append(span: Span): void;
  /** Spans in the open batch. */
  readonly count: number;
  /** The open batch as one request body (a fresh buffer); starts a new batch. */
  take(): Uint8Array;
  /** Drops the open batch. */
  reset(): void;
}

/** 429, 502, 503, 504 (OTLP's retryable HTTP codes). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504;
}

/** `Retry-After` as delta-seconds or an HTTP date → milliseconds (undefined when absent/invalid). */
export function parseRetryAfter(v: string | string[] | undefined, now = Date.now()): number | undefined {
  if (Array.isArray(v)) v = v[0];
  if (!v) return undefined;
  const s = v.trim();
  if (/^\d+$/.test(s)) return Math.min(Number(s) * 1000, 3_600_000);
  const t = Date.parse(s);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, Math.min(t - now, 3_600_000));
}

/** TLS material for `https://` endpoints (PEM); without `ca` the system's trusted roots are used. */
export interface TlsOptions {
  /** Trusted CA certificate(s) for the server's certificate, e.g. a private CA or a self-signed cert. */
  ca?: string | Buffer;
  /** Client certificate (chain) and its private key, for servers that require mutual TLS. */
  cert?: string | Buffer;
  key?: string | Buffer;
}

export interface HttpSenderOptions {
  url: string;
  /** Sent with every request (HTTP headers; gRPC metadata), e.g. `authorization`, `x-tenant`. */
  headers?: Record<string, string>;
  /** For `https://` URLs. */
  tls?: TlsOptions;
  /**
   * 'none' (default, as the OpenTelemetry exporters) or 'gzip' (level 1). gzip costs about as much
   * CPU as encoding the spans (bench/tracer-export.bench.ts) and pays only on slow or metered links.
   */
  compression?: 'gzip' | 'none';
  /** Per-request timeout in ms (default 10000). */
  timeoutMs?: number;
}

/** POSTs bodies over one keep-alive agent (http or https by the URL). */
export class HttpPoster {
  readonly url: URL;
  private readonly agent: http.Agent;
  private readonly mod: typeof http | typeof https;
  private readonly headers: Record<string, string>;
  private readonly compression: 'gzip' | 'none';
  private readonly timeoutMs: number;
  private readonly inflight = new Set<http.ClientRequest>();

  constructor(opts: HttpSenderOptions) {
    this.url = new URL(opts.url);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') throw new Error(`not an http(s) URL: ${opts.url}`);
    this.mod = this.url.protocol === 'https:' ? https : http;
    const tls = opts.tls ?? {};
    this.agent =
      this.url.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, maxSockets: 4, ca: tls.ca, cert: tls.cert, key: tls.key })
        : new http.Agent({ keepAlive: true, maxSockets: 4 });
    this.headers = { ...opts.headers };
    this.compression = opts.compression ?? 'none';
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  async post(body: Uint8Array | string, contentType: string): Promise<SendOutcome> {
    let payload: Uint8Array = typeof body === 'string' ? Buffer.from(body) : body;
    const headers: Record<string, string> = { ...this.headers, 'content-type': contentType };
    if (this.compression === 'gzip') {
      // level 1: ~3× cheaper than the default 6 on span batches, a few % larger
      payload = await gzip(payload, { level: zlibConstants.Z_BEST_SPEED });
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = String(payload.length);
    return new Promise<SendOutcome>((resolve) => {
      let done = false;
      const finish = (o: SendOutcome) => {
        if (!done) {
          done = true;
          this.inflight.delete(req);
          resolve(o);
        }
      };
      const req = withoutInstrumentation(() => this.mod.request(this.url, { method: 'POST', agent: this.agent, headers }, (res) => {
        const status = res.statusCode ?? 0;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          if (text.length < 512) text += d;
        });
        res.on('error', (e) => finish({ ok: false, retryable: true, message: String(e) }));
        res.on('end', () => {
          if (status >= 200 && status < 300) finish({ ok: true });
          else
            finish({
              ok: false,
              retryable: isRetryableStatus(status),
              retryAfterMs: parseRetryAfter(res.headers['retry-after']),
              message: `HTTP ${status}: ${text.slice(0, 200)}`,
            });
        });
      }));
      this.inflight.add(req);
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`timeout after ${this.timeoutMs} ms`)));
      req.on('error', (e) => finish({ ok: false, retryable: true, message: e.message }));
      req.end(payload);
    });
  }

  close(): void {
    for (const r of this.inflight) r.destroy(new Error('sender closed'));
    this.agent.destroy();
  }
}

/** OTLP/HTTP, binary protobuf (`application/x-protobuf`) or JSON. */
export class OtlpHttpSender implements Sender {
  readonly name: string;
  private readonly poster: HttpPoster;
  private readonly encoder = new OtlpTraceEncoder();
  readonly newEncoder: (() => SpanEncoder) | undefined;
  constructor(
    opts: HttpSenderOptions,
    readonly encoding: 'protobuf' | 'json' = 'protobuf',
  ) {
    this.poster = new HttpPoster(opts);
    this.name = encoding === 'json' ? 'otlp-json' : 'otlp-proto';
    this.newEncoder = encoding === 'protobuf' ? () => new OtlpTraceEncoder() : undefined;
  }
  send(spans: Span[]): Promise<SendOutcome> {
    if (this.encoding === 'json') return this.poster.post(JSON.stringify(encodeOtlpJson(spans)), 'application/json');
    let body: Uint8Array;
    try {
      body = this.encoder.encode(spans);
    } catch (e) {
      this.encoder.reset();
      return Promise.resolve({ ok: false, retryable: false, message: `encoding failed: ${String(e)}` });
    }
    return this.poster.post(body, 'application/x-protobuf');
  }
  sendEncoded(body: Uint8Array): Promise<SendOutcome> {
    return this.poster.post(body, 'application/x-protobuf');
  }
  async close(): Promise<void> {
    this.poster.close();
  }
}

/** Zipkin v2 JSON to `/api/v2/spans`. */
export class ZipkinSender implements Sender {
  readonly name = 'zipkin';
  private readonly poster: HttpPoster;
  constructor(opts: HttpSenderOptions) {
    this.poster = new HttpPoster(opts);
  }
  send(spans: Span[]): Promise<SendOutcome> {
    return this.poster.post(JSON.stringify(encodeZipkinV2Json(spans)), 'application/json');
  }
  async close(): Promise<void> {
    this.poster.close();
  }
}

/** Jaeger Thrift binary `Batch` to the collector's `POST /api/traces` (one request per process). */
export class JaegerHttpSender implements Sender {
  readonly name = 'jaeger-http';
  private readonly poster: HttpPoster;
  constructor(opts: HttpSenderOptions) {
    this.poster = new HttpPoster({ compression: 'none', ...opts });
  }
  async send(spans: Span[]): Promise<SendOutcome> {
    for (const body of encodeJaegerThriftBatch(spans, 'binary')) {
      const o = await this.poster.post(body, 'application/x-thrift');
      if (!o.ok) return o;
    }
    return { ok: true };
  }
  async close(): Promise<void> {
    this.poster.close();
  }
}

export interface UdpSenderOptions {
  host?: string;
  port?: number;
  /** Largest datagram (default 65000, the Jaeger agent's limit). */
  maxPacketSize?: number;
}

/** Jaeger Thrift compact `Agent.emitBatch` over UDP; batches are split to fit the packet limit. */
export class JaegerUdpSender implements Sender {
  readonly name = 'jaeger-udp';
  readonly host: string;
  readonly port: number;
  readonly maxPacketSize: number;
  private socket: dgram.Socket | undefined;
  private seq = 0;
  constructor(opts: UdpSenderOptions = {}) {
    this.host = opts.host ?? 'localhost';
    this.port = opts.port ?? 6831;
    this.maxPacketSize = opts.maxPacketSize ?? 65_000;
  }
  private sock(): dgram.Socket {
    if (!this.socket) {
      const s = dgram.createSocket(this.host.includes(':') ? 'udp6' : 'udp4');
      s.on('error', () => {});
      s.unref();
      this.socket = s;
    }
    return this.socket;
  }
  private encode(spans: Span[]): Uint8Array[] {
    return encodeJaegerAgentMessage(spans, 'compact', (this.seq = (this.seq + 1) | 0), this.maxPacketSize);
  }
  async send(spans: Span[]): Promise<SendOutcome> {
    let packets: Uint8Array[];
    let dropped = 0;
    try {
      packets = this.encode(spans);
    } catch {
      // some span does not fit a packet alone: find and drop those, send the rest
      const fit = spans.filter((s) => {
        try {
          this.encode([s]);
          return true;
        } catch {
          return false;
        }
      });
      dropped = spans.length - fit.length;
      try {
        packets = fit.length ? this.encode(fit) : [];
      } catch (e) {
        return { ok: false, retryable: false, message: String(e) };
      }
    }
    const s = this.sock();
    for (const p of packets) {
      const err = await new Promise<Error | null>((resolve) => s.send(p, this.port, this.host, (e) => resolve(e ?? null)));
      if (err) return { ok: false, retryable: true, message: err.message };
    }
    return { ok: true, dropped };
  }
  async close(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}
