import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createGunzip, createInflate } from 'node:zlib';
import type { Transform } from 'node:stream';

/** Shared HTTP plumbing for every receiver: bounded body reading with decompression, listeners. */

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** The body (or its decompressed form) is larger than the limit. */
export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
  constructor(
    readonly limit: number,
    what: string,
  ) {
    super(`${what} exceeds the limit of ${limit} bytes`);
  }
}

/** The body cannot be decompressed. */
export class BadBodyError extends Error {
  override name = 'BadBodyError';
}

/** The client went away before the body was complete. */
export class ClientAbortError extends Error {
  override name = 'ClientAbortError';
  constructor() {
    super('client aborted the request');
  }
}

/** Too many request bodies are being read at once (the shared `ByteBudget` is spent): retry later. */
export class BusyError extends Error {
  override name = 'BusyError';
  constructor(readonly limit: number) {
    super(`too many request bytes in flight (limit ${limit} bytes across concurrent requests): retry later`);
  }
}

/**
 * Bytes of request bodies held at once across the requests of a receiver, so that many concurrent
 * large uploads cannot exhaust memory before their spans ever reach the (bounded) pipeline queue.
 */
export class ByteBudget {
  used = 0;
  constructor(readonly limit: number) {
    if (!Number.isFinite(limit) || limit <= 0) throw new RangeError(`byte budget must be a positive number, got ${limit}`);
  }
  tryTake(n: number): boolean {
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }
  release(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
}

export type ContentCoding = 'identity' | 'gzip' | 'deflate';

/**
 * Parse `Content-Encoding`: undefined/'identity' → identity; 'gzip'/'x-gzip' → gzip; 'deflate' →
 * deflate; anything else (including stacked codings) → undefined.
 */
export function parseContentEncoding(header: string | undefined): ContentCoding | undefined {
  const v = (header ?? '').trim().toLowerCase();
  if (v === '' || v === 'identity') return 'identity';
  if (v === 'gzip' || v === 'x-gzip') return 'gzip';
  if (v === 'deflate') return 'deflate';
  return undefined;
}

/** The media type of a Content-Type header, lower-cased, without parameters ('' when absent). */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * Read a request body, decompressing `coding`, never holding more than `limit` bytes of either the
 * wire body or the decompressed body. Rejects with `BodyTooLargeError`, `BadBodyError` (corrupt
 * compressed data) or `ClientAbortError`. After a rejection the rest of the body is read and
 * discarded (up to `drainLimit` more bytes, then the connection is destroyed) so that the client
 * can read the error response on a healthy connection.
 */
export function readBody(
  req: IncomingMessage,
  coding: ContentCoding,
  limit: number,
  drainLimit = 64 * 1024 * 1024,
  /** When given, buffered (decompressed) bytes are taken from it; on success the caller releases `body.length`. */
  budget?: ByteBudget,
): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let wire = 0;
    let drained = 0;
    let done = false;
    let inflater: Transform | undefined;

    const finish = (err: Error | undefined, body?: Buffer) => {
      if (done) return;
      done = true;
      if (err) {
        chunks.length = 0; // release what was buffered
        budget?.release(size);
      }
      if (inflater) {
        req.unpipe(inflater);
        inflater.removeAllListeners('data');
        inflater.on('error', () => {});
        inflater.destroy();
      }
      if (err) {
        if (!(err instanceof ClientAbortError)) req.resume();
        reject(err);
      } else resolve(body!);
    };

    const onPlain = (chunk: Buffer) => {
      if (done) return;
      if (size + chunk.length > limit) return finish(new BodyTooLargeError(limit, coding === 'identity' ? 'request body' : 'decompressed request body'));
      if (budget && !budget.tryTake(chunk.length)) return finish(new BusyError(budget.limit));
      size += chunk.length;
      chunks.push(chunk);
    };

    req.on('data', (chunk: Buffer) => {
      if (done) {
        drained += chunk.length;
        if (drained > drainLimit) req.destroy();
        return;
      }
      wire += chunk.length;
      if (wire > limit) return finish(new BodyTooLargeError(limit, 'request body'));
      if (!inflater) onPlain(chunk);
    });
    req.on('error', () => finish(new ClientAbortError()));
    req.on('close', () => {
      if (!req.complete) finish(new ClientAbortError());
    });

    if (coding === 'identity') {
      req.on('end', () => finish(undefined, Buffer.concat(chunks, size)));
    } else {
      inflater = coding === 'gzip' ? createGunzip() : createInflate();
      inflater.on('data', onPlain);
      inflater.on('end', () => finish(undefined, Buffer.concat(chunks, size)));
      inflater.on('error', (e) => finish(new BadBodyError(`invalid ${coding} body: ${e.message}`)));
      req.pipe(inflater);
    }
  });
}

/** Read and throw away the rest of a request body; destroy the connection past `cap` bytes. */
export function discardBody(req: IncomingMessage, cap = 64 * 1024 * 1024): void {
  let n = 0;
  req.on('data', (chunk: Buffer) => {
    n += chunk.length;
    if (n > cap) req.destroy();
  });
  req.resume();
}

export interface HttpListenOptions {
  /** Interface to bind ('0.0.0.0' for all IPv4, '::' for all). Default '127.0.0.1'. */
  host?: string;
  /** Port; 0 picks a free one. */
  port: number;
  /** The listener's name (for logs and errors), e.g. 'otlp-http'. */
  name: string;
  /** Idle keep-alive connections are kept this long. Default 65 s (longer than common client idle timeouts). */
  keepAliveTimeoutMs?: number;
  /** On close(), connections still busy after this long are cut. Default 5 s. */
  closeGraceMs?: number;
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { cert: Buffer | string; key: Buffer | string };
}

export interface HttpListener {
  name: string;
  server: Server;
  address: { host: string; port: number };
  /** Stop accepting, end idle keep-alive sockets, let requests in flight finish (cut after the grace period). */
  close(): Promise<void>;
}

/** Start an HTTP/1.1 server for `handler`; resolves once it is listening. */
export function startHttpServer(handler: RequestHandler, opts: HttpListenOptions): Promise<HttpListener> {
  const server: Server = opts.tls ? (createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) as unknown as Server) : createServer(handler);
  server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 65_000;
  server.headersTimeout = server.keepAliveTimeout + 1000;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // Malformed HTTP or a broken socket: answer 400 when we still can, never throw.
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const msg = `bad request: ${err.message}\n`;
    socket.end(`HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(msg)}\r\n\r\n${msg}`);
  });
  // Once close() was called, connections finishing a response are not kept alive: close them as
  // soon as they turn idle instead of waiting for the grace period.
  let stopping = false;
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    res.on('finish', () => {
      if (stopping) setImmediate(() => server.closeIdleConnections());
    });
  });
  const host = opts.host ?? '127.0.0.1';
  return new Promise<HttpListener>((resolve, reject) => {
    const onError = (err: Error) => reject(new Error(`${opts.name}: cannot listen on ${host}:${opts.port}: ${err.message}`));
    server.once('error', onError);
    server.listen(opts.port, host, () => {
      server.off('error', onError);
      server.on('error', () => {});
      const a = server.address() as AddressInfo;
      let closing: Promise<void> | undefined;
      resolve({
        name: opts.name,
        server,
        address: { host: a.address, port: a.port },
        close() {
          stopping = true;
          closing ??= new Promise<void>((done) => {
            const cut = setTimeout(() => server.closeAllConnections(), opts.closeGraceMs ?? 5000);
            cut.unref();
            server.close(() => {
              clearTimeout(cut);
              done();
            });
            server.closeIdleConnections();
          });
          return closing;
        },
      });
    });
  });
}
