/**
 * Helpers for the security end-to-end tests: a self-signed certificate made with the openssl CLI,
 * HTTP(S) requests with custom headers and CA, and unary gRPC calls with metadata.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';

export interface SelfSigned {
  certFile: string;
  keyFile: string;
  cert: Buffer;
}

/** A P-256 self-signed certificate for 127.0.0.1/localhost, valid for a day, written into `dir`. */
export function selfSignedCert(dir: string): SelfSigned {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: 'ignore' });
  return { certFile, keyFile, cert: readFileSync(certFile) };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request; `ca` given → https with that trust root. Rejects on connection/TLS errors. */
export function req(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: Uint8Array | string; ca?: Buffer } = {},
): Promise<Reply> {
  const u = new URL(url);
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const r = send(
      u,
      { method: opts.method ?? (opts.body !== undefined ? 'POST' : 'GET'), headers: opts.headers, ca: opts.ca, agent: false } as never,
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    r.setTimeout(15000, () => r.destroy(new Error('timeout')));
    r.end(opts.body);
  });
}

/** A unary gRPC call with raw bytes and metadata; resolves with the error (null when OK). */
export function grpcCall(
  address: { host: string; port: number },
  path: string,
  body: Uint8Array,
  metadata: Record<string, string> = {},
  ca?: Buffer,
): Promise<grpc.ServiceError | null> {
  const creds = ca ? grpc.credentials.createSsl(ca) : grpc.credentials.createInsecure();
  const client = new grpc.Client(`${address.host}:${address.port}`, creds, ca ? { 'grpc.ssl_target_name_override': 'localhost' } : {});
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  return new Promise((resolve) =>
    client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(body), md, { deadline: Date.now() + 15000 }, (err) => {
      client.close();
      resolve(err);
    }),
  );
}

export const OTLP_EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
export const JAEGER_POST_SPANS = '/jaeger.api_v2.CollectorService/PostSpans';
