/**
 * A load generator for the overload and crash tests, run as its own process so the server under
 * test and the test's own checks (queries, metrics) are not slowed by encoding load:
 *
 *   node --conditions=source --import tsx test/e2e/ingest-load.ts '<json options>'
 *
 * Workers post 100-span requests (10 traces of 10 spans, fresh ids every time) over OTLP/HTTP
 * protobuf, Zipkin v2 JSON and OTLP/gRPC for `seconds`, retrying refusals after `retryMs` (they
 * ignore Retry-After on purpose: a hostile client). Each acknowledged request's trace ids are
 * written at once as a JSON line `{"acked":[…]}` on stdout, so a parent that kill -9s the server
 * knows exactly what was acknowledged. The last line is `{"done":true,…}` with every answer
 * counted by protocol and status.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { encodeOtlpProtobuf, encodeZipkinV2Json } from '@ariadne/codec';
import { attr, makeResource, makeSpan, randomSpanId, randomTraceId, SpanKind, type Span } from '@ariadne/model';

export interface LoadOptions {
  otlpUrl: string;
  zipkinUrl?: string;
  /** host:port of the OTLP/gRPC receiver. */
  grpcAddress?: string;
  seconds: number;
  otlpWorkers: number;
  zipkinWorkers?: number;
  grpcWorkers?: number;
  /** Pause after a refusal or a connection error, ms. Default 5. */
  retryMs?: number;
}

export interface LoadSummary {
  done: true;
  status: Record<string, number>;
  /** 503s without a Retry-After of at least one second. */
  badRetryAfter: number;
  /** gRPC UNAVAILABLE answers carrying a grpc-status-details-bin (RetryInfo). */
  grpcRetryInfo: number;
}

export const SPANS_PER_TRACE = 10;

/** 100 spans: 10 traces of 10, a few attributes each. */
export function requestSpans(service: string): Span[] {
  const res = makeResource(service, [attr('service.name', service), attr('host.name', 'load')]);
  const now = BigInt(Date.now()) * 1_000_000n;
  const out: Span[] = [];
  let traceId = '';
  let root = '';
  for (let i = 0; i < 100; i++) {
    if (i % SPANS_PER_TRACE === 0) {
      traceId = randomTraceId();
      root = '';
    }
    const spanId = randomSpanId();
    out.push(
      makeSpan({
        traceId,
        spanId,
        parentSpanId: root,
        name: `op-${i % 7}`,
        kind: root ? SpanKind.CLIENT : SpanKind.SERVER,
        startTimeUnixNano: now + BigInt(i) * 1000n,
        endTimeUnixNano: now + BigInt(i) * 1000n + 5_000_000n,
        resource: res,
        attributes: [attr('http.route', `/items/${i % 13}`), attr('http.response.status_code', 200), attr('user.id', `u-${i}`)],
      }),
    );
    if (!root) root = spanId;
  }
  return out;
}

function post(agent: Agent, url: string, body: Buffer, contentType: string): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': contentType, 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined }));
      res.on('error', () => resolve({ status: 0 }));
    });
    req.on('error', () => resolve({ status: 0 }));
    req.end(body);
  });
}

async function run(o: LoadOptions): Promise<LoadSummary> {
  const status: Record<string, number> = {};
  const count = (k: string) => (status[k] = (status[k] ?? 0) + 1);
  let badRetryAfter = 0;
  let grpcRetryInfo = 0;
  const acked = (spans: Span[]) => process.stdout.write(JSON.stringify({ acked: [...new Set(spans.map((s) => s.traceId))] }) + '\n');
  const end = Date.now() + o.seconds * 1000;
  const retryMs = o.retryMs ?? 5;
  const pause = () => new Promise((r) => setTimeout(r, retryMs));
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const checkRetryAfter = (v: string | undefined) => {
    if (!/^\d+$/.test(v ?? '') || Number(v) < 1) badRetryAfter++;
  };

  const http = async (url: string, name: string, okStatus: number, encode: (s: Span[]) => Buffer, type: string) => {
    while (Date.now() < end) {
      const spans = requestSpans(`load-${name}`);
      const r = await post(agent, url, encode(spans), type);
      count(`${name} ${r.status}`);
      if (r.status === okStatus) acked(spans);
      else {
        if (r.status === 503) checkRetryAfter(r.retryAfter);
        await pause();
      }
    }
  };
  const client = o.grpcAddress ? new grpc.Client(o.grpcAddress, grpc.credentials.createInsecure()) : undefined;
  const rpc = async () => {
    while (Date.now() < end) {
      const spans = requestSpans('load-grpc');
      const err = await new Promise<grpc.ServiceError | null>((resolve) =>
        client!.makeUnaryRequest(
          '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from(encodeOtlpProtobuf(spans)),
          new grpc.Metadata(),
          { deadline: Date.now() + 30_000 },
          (e) => resolve(e),
        ),
      );
      count(`otlp-grpc ${err ? grpc.status[err.code] : 'OK'}`);
      if (!err) acked(spans);
      else {
        if (err.code === grpc.status.UNAVAILABLE && err.metadata.get('grpc-status-details-bin').length > 0) grpcRetryInfo++;
        await pause();
      }
    }
  };
  const otlp = (s: Span[]) => Buffer.from(encodeOtlpProtobuf(s));
  const zipkin = (s: Span[]) => Buffer.from(JSON.stringify(encodeZipkinV2Json(s)));
  await Promise.all([
    ...Array.from({ length: o.otlpWorkers }, () => http(o.otlpUrl, 'otlp-http', 200, otlp, 'application/x-protobuf')),
    ...Array.from({ length: o.zipkinUrl ? (o.zipkinWorkers ?? 0) : 0 }, () => http(o.zipkinUrl!, 'zipkin', 202, zipkin, 'application/json')),
    ...Array.from({ length: client ? (o.grpcWorkers ?? 0) : 0 }, rpc),
  ]);
  client?.close();
  agent.destroy();
  return { done: true, status, badRetryAfter, grpcRetryInfo };
}

export interface RunningLoad {
  proc: ChildProcess;
  /** Trace ids of every acknowledged request so far (each of SPANS_PER_TRACE spans). */
  acked: string[];
  /** The summary once the generator finished (rejects if it exited without one). */
  done: Promise<LoadSummary>;
}

/** Start the generator in its own process. */
export function startLoad(o: LoadOptions): RunningLoad {
  const proc = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', new URL(import.meta.url).pathname, JSON.stringify(o)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acked: string[] = [];
  let summary: LoadSummary | undefined;
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    const m = JSON.parse(line) as { acked?: string[] } & Partial<LoadSummary>;
    if (m.acked) acked.push(...m.acked);
    if (m.done) summary = m as LoadSummary;
  });
  const done = new Promise<LoadSummary>((resolve, reject) =>
    proc.on('close', (code) => (summary ? resolve(summary) : reject(new Error(`load generator exited ${code} without a summary`)))),
  );
  return { proc, acked, done };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const summary = await run(JSON.parse(process.argv[2]) as LoadOptions);
  process.stdout.write(JSON.stringify(summary) + '\n', () => process.exit(0));
}
