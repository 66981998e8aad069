import { createServer, request } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { attr, makeResource, makeSpan, SpanKind, StatusCode } from '@ariadne/model';
import type { Span } from '@ariadne/model';
import { createQueryHandler } from '@ariadne/query';
import type { QueryHandlerOptions } from '@ariadne/query';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json: any;
}

export interface TestServer {
  server: Server;
  port: number;
  /** A raw request: the path is sent exactly as given (no client-side normalisation). */
  get(path: string, opts?: { method?: string; headers?: Record<string, string> }): Promise<Reply>;
  close(): Promise<void>;
}

export async function startServer(opts: QueryHandlerOptions): Promise<TestServer> {
  const server = createServer(createQueryHandler(opts));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const get = (path: string, o: { method?: string; headers?: Record<string, string> } = {}) =>
    new Promise<Reply>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method: o.method ?? 'GET', headers: o.headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          let body = Buffer.concat(chunks);
          if (res.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
          const text = body.toString('utf8');
          let json: any;
          if (String(res.headers['content-type']).startsWith('application/json') && text) json = JSON.parse(text);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json });
        });
      });
      req.on('error', reject);
      req.end();
    });
  return {
    server,
    port,
    get,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

/** 2023-11-14T22:13:20Z in ns. */
export const T0 = 1_700_000_000_000_000_000n;
export const MS = 1_000_000n;
export const HOUR = 3_600_000n * MS;
/** "now" for the tests: two hours after T0. */
export const NOW = T0 + 2n * HOUR;

export const TRACE_A = '5827fb2d5092bc246e70cccdf6fcb590';
/** A 64-bit trace id (Jaeger prints it as 16 hex chars). */
export const TRACE_B = '00000000000000002165cd8171cef678';
export const TRACE_C = 'c0ffee00c0ffee00c0ffee00c0ffee00';

const frontend = makeResource('frontend', [attr('service.name', 'frontend'), attr('host.name', 'web-1')]);
const backend = makeResource('backend', [attr('service.name', 'backend')]);
const worker = makeResource('worker queue', [attr('service.name', 'worker queue')]);

/**
 * Three traces:
 * - A at T0 (100 ms): frontend SERVER "GET /dispatch" → frontend CLIENT "HTTP GET /customer" →
 *   backend SERVER "/customer" → backend CLIENT "SQL SELECT" (ERROR, db.system=mysql, 30 ms)
 * - B at T0+1h (2 ms, 64-bit id): frontend SERVER "GET /health", http.status_code=200
 * - C three days before T0: "worker queue" CONSUMER "process job"
 */
export function sampleSpans(): Span[] {
  return [
    makeSpan({
      traceId: TRACE_A,
      spanId: 'a000000000000001',
      name: 'GET /dispatch',
      kind: SpanKind.SERVER,
      startTimeUnixNano: T0,
      endTimeUnixNano: T0 + 100n * MS,
      attributes: [attr('http.method', 'GET'), attr('http.status_code', 200)],
      resource: frontend,
      flags: 1,
    }),
    makeSpan({
      traceId: TRACE_A,
      spanId: 'a000000000000002',
      parentSpanId: 'a000000000000001',
      name: 'HTTP GET /customer',
      kind: SpanKind.CLIENT,
      startTimeUnixNano: T0 + 10n * MS,
      endTimeUnixNano: T0 + 60n * MS,
      resource: frontend,
      flags: 1,
    }),
    makeSpan({
      traceId: TRACE_A,
      spanId: 'a000000000000003',
      parentSpanId: 'a000000000000002',
      name: '/customer',
      kind: SpanKind.SERVER,
      startTimeUnixNano: T0 + 15n * MS,
      endTimeUnixNano: T0 + 58n * MS,
      resource: backend,
      flags: 1,
    }),
    makeSpan({
      traceId: TRACE_A,
      spanId: 'a000000000000004',
      parentSpanId: 'a000000000000003',
      name: 'SQL SELECT',
      kind: SpanKind.CLIENT,
      startTimeUnixNano: T0 + 20n * MS,
      endTimeUnixNano: T0 + 50n * MS,
      attributes: [attr('db.system', 'mysql'), attr('db.statement', 'SELECT * FROM customer WHERE id = ?')],
      events: [{ timeUnixNano: T0 + 49n * MS, name: 'exception', attributes: [attr('exception.type', 'DeadlockError')], droppedAttributesCount: 0 }],
      status: { code: StatusCode.ERROR, message: 'deadlock detected' },
      resource: backend,
      flags: 1,
    }),
    makeSpan({
      traceId: TRACE_B,
      spanId: '2165cd8171cef678',
      name: 'GET /health',
      kind: SpanKind.SERVER,
      startTimeUnixNano: T0 + HOUR,
      endTimeUnixNano: T0 + HOUR + 2n * MS,
      attributes: [attr('http.method', 'GET'), attr('http.status_code', 200)],
      resource: frontend,
      flags: 1,
    }),
    makeSpan({
      traceId: TRACE_C,
      spanId: 'c000000000000001',
      name: 'process job',
      kind: SpanKind.CONSUMER,
      startTimeUnixNano: T0 - 72n * HOUR,
      endTimeUnixNano: T0 - 72n * HOUR + 5n * MS,
      resource: worker,
      flags: 1,
    }),
  ];
}
