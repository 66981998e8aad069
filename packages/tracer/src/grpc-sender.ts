/**
 * OTLP/gRPC sender: `TraceService/Export` with our own protobuf encoding (no generated code).
 * `@grpc/grpc-js` is loaded lazily on first send, so tracers that do not use gRPC never load it.
 * Retryable: UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, CANCELLED, OUT_OF_RANGE, DATA_LOSS, and
 * RESOURCE_EXHAUSTED when the server sends a RetryInfo; RetryInfo's delay is honoured.
 */
import type { Span } from '@ariadne/model';
import { OtlpTraceEncoder } from './otlp-encoder.js';
import type { HttpSenderOptions, SendOutcome, Sender, SpanEncoder } from './senders.js';

type Grpc = typeof import('@grpc/grpc-js');
type GrpcClient = import('@grpc/grpc-js').Client;

const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
// grpc status codes
const RETRYABLE = new Set([1, 4, 10, 11, 14, 15]);
const RESOURCE_EXHAUSTED = 8;

function varint(b: Uint8Array, pos: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 10 && pos < b.length; i++) {
    const x = b[pos++];
    v += (x & 0x7f) * mul;
    mul *= 128;
    if (x < 0x80) return [v, pos];
  }
  throw new Error('bad varint');
}

/** Walks one protobuf message: calls fn(field, wireType, value|bytes). */
function fields(b: Uint8Array, fn: (field: number, v: number | Uint8Array) => void): void {
  let pos = 0;
  while (pos < b.length) {
    let tag: number;
    [tag, pos] = varint(b, pos);
    const wt = tag & 7;
    const f = tag >>> 3;
    if (wt === 0) {
      let v: number;
      [v, pos] = varint(b, pos);
      fn(f, v);
    } else if (wt === 2) {
      let len: number;
      [len, pos] = varint(b, pos);
      fn(f, b.subarray(pos, pos + len));
      pos += len;
    } else if (wt === 5) pos += 4;
    else if (wt === 1) pos += 8;
    else throw new Error('bad wire type');
  }
}

/** google.rpc.Status bytes → RetryInfo delay in ms (undefined when absent or malformed). */
export function retryDelayFromStatusDetails(details: Uint8Array | undefined): number | undefined {
  if (!details) return undefined;
  try {
    let ms: number | undefined;
    fields(details, (f, v) => {
      if (f !== 3 || typeof v === 'number') return;
      let typeUrl = '';
      let value: Uint8Array | undefined;
      fields(v, (af, av) => {
        if (af === 1 && typeof av !== 'number') typeUrl = Buffer.from(av).toString('utf8');
        if (af === 2 && typeof av !== 'number') value = av;
      });
      if (!typeUrl.endsWith('google.rpc.RetryInfo') || !value) return;
      fields(value, (rf, rv) => {
        if (rf !== 1 || typeof rv === 'number') return;
        let s = 0;
        let n = 0;
        fields(rv, (df, dv) => {
          if (df === 1 && typeof dv === 'number') s = dv;
          if (df === 2 && typeof dv === 'number') n = dv;
        });
        ms = Math.min(s * 1000 + Math.floor(n / 1e6), 3_600_000);
      });
    });
    return ms;
  } catch {
    return undefined;
  }
}

export class OtlpGrpcSender implements Sender {
  readonly name = 'otlp-grpc';
  private client: Promise<{ grpc: Grpc; client: GrpcClient }> | undefined;
  private readonly target: string;
  private readonly secure: boolean;
  private readonly timeoutMs: number;
  constructor(private readonly opts: HttpSenderOptions) {
    const u = new URL(opts.url);
    this.secure = u.protocol === 'https:';
    this.target = u.host;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }
  private connect(): Promise<{ grpc: Grpc; client: GrpcClient }> {
    this.client ??= import('@grpc/grpc-js').then((grpc) => {
      const tls = this.opts.tls ?? {};
      const buf = (v: string | Buffer | undefined) => (v === undefined ? null : Buffer.from(v));
      const creds = this.secure ? grpc.credentials.createSsl(buf(tls.ca), buf(tls.key), buf(tls.cert)) : grpc.credentials.createInsecure();
      const options: Record<string, number> = {};
      if (this.opts.compression === 'gzip') options['grpc.default_compression_algorithm'] = 2;
      return { grpc, client: new grpc.Client(this.target, creds, options) };
    });
    return this.client;
  }
  private readonly encoder = new OtlpTraceEncoder();
  newEncoder(): SpanEncoder {
    return new OtlpTraceEncoder();
  }
  send(spans: Span[]): Promise<SendOutcome> {
    let body: Uint8Array;
    try {
      body = this.encoder.encode(spans);
    } catch (e) {
      this.encoder.reset();
      return Promise.resolve({ ok: false, retryable: false, message: `encoding failed: ${String(e)}` });
    }
    return this.sendEncoded(body);
  }
  async sendEncoded(body: Uint8Array): Promise<SendOutcome> {
    const { grpc, client } = await this.connect();
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(this.opts.headers ?? {})) md.set(k.toLowerCase(), v);
    return new Promise<SendOutcome>((resolve) => {
      client.makeUnaryRequest(
        EXPORT_PATH,
        (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength),
        (b: Buffer) => b,
        body,
        md,
        { deadline: Date.now() + this.timeoutMs },
        (err) => {
          if (!err) return resolve({ ok: true });
          const details = err.metadata?.get('grpc-status-details-bin')[0];
          const retryAfterMs = retryDelayFromStatusDetails(typeof details === 'string' ? Buffer.from(details, 'base64') : details);
          const retryable = RETRYABLE.has(err.code) || (err.code === RESOURCE_EXHAUSTED && retryAfterMs !== undefined);
          resolve({ ok: false, retryable, retryAfterMs, message: `gRPC ${err.code}: ${err.details}` });
        },
      );
    });
  }
  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) (await c).client.close();
  }
}
