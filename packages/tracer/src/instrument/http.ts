/**
 * node:http / node:https auto-instrumentation through the global OpenTelemetry API (whatever
 * tracer and propagators are registered — `initTracer` registers ours):
 * - server: a SERVER span per request, parented on the extracted incoming context, active while
 *   the request's listeners run; method, path, query, host/port, peer, user agent and status
 *   attributes; ERROR status on 5xx or when the connection closes before the response finished.
 * - client: a CLIENT span per `request`/`get`, headers injected; ERROR on failures and >= 400.
 * ESM named imports see the patched functions (`syncBuiltinESMExports`).
 */
import http from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { isInstrumentationSuppressed } from './suppress.js';

const PATCHED = Symbol.for('ariadne.tracer.httpPatched');
const serverSpans = new WeakMap<Span, string>();

export interface HttpInstrumentationOptions {
  /** Default: `trace.getTracer('@ariadne/tracer/http')` at call time. */
  tracer?: Tracer;
  /** Skip server requests for which this returns true (e.g. health checks). */
  ignoreIncoming?: (req: http.IncomingMessage) => boolean;
  /** Skip outgoing requests to URLs for which this returns true. */
  ignoreOutgoing?: (url: string) => boolean;
}

interface Saved {
  mod: typeof http | typeof https;
  request: typeof http.request;
  get: typeof http.get;
  emit: (...a: unknown[]) => boolean;
  proto: { emit: (...a: unknown[]) => boolean };
}
let saved: Saved[] | undefined;

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Names the active server span `METHOD route` and sets `http.route` (call it from your router). */
export function setHttpRoute(route: string): void {
  const span = trace.getActiveSpan();
  if (!span) return;
  const method = serverSpans.get(span);
  if (method === undefined) return;
  span.setAttribute('http.route', route);
  span.updateName(`${method} ${route}`);
}

function serverEmit(origEmit: (...a: unknown[]) => boolean, getTracer: () => Tracer, opts: HttpInstrumentationOptions, scheme: string) {
  return function emit(this: unknown, event: unknown, ...args: unknown[]): boolean {
    if (event !== 'request') return origEmit.call(this, event, ...args);
    const req = args[0] as http.IncomingMessage;
    const res = args[1] as http.ServerResponse;
    let ctx;
    try {
      if (opts.ignoreIncoming?.(req)) return origEmit.call(this, event, ...args);
      const parent = propagation.extract(ROOT_CONTEXT, req.headers);
      const method = (req.method ?? 'GET').toUpperCase();
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const host = headerValue(req.headers.host) ?? '';
      const colon = host.lastIndexOf(':');
      const attrs: Attributes = {
        'http.request.method': method,
        'url.path': q >= 0 ? url.slice(0, q) : url,
        'url.scheme': scheme,
        'network.protocol.version': req.httpVersion,
      };
      if (q >= 0) attrs['url.query'] = url.slice(q + 1);
      if (host) {
        attrs['server.address'] = colon > 0 && !host.endsWith(']') ? host.slice(0, colon) : host;
        if (colon > 0 && !host.endsWith(']')) attrs['server.port'] = Number(host.slice(colon + 1));
      }
      const sock = req.socket;
      if (sock?.remoteAddress) {
        attrs['client.address'] = sock.remoteAddress;
        attrs['network.peer.address'] = sock.remoteAddress;
        if (sock.remotePort) attrs['network.peer.port'] = sock.remotePort;
      }
      const ua = headerValue(req.headers['user-agent']);
      if (ua) attrs['user_agent.original'] = ua;
      const span = getTracer().startSpan(method, { kind: SpanKind.SERVER, attributes: attrs }, parent);
      serverSpans.set(span, method);
      ctx = trace.setSpan(parent, span);
      let ended = false;
      const end = (aborted: boolean) => {
        if (ended) return;
        ended = true;
        try {
          const status = res.statusCode;
          span.setAttribute('http.response.status_code', status);
          if (aborted) {
            span.setAttribute('error.type', 'aborted');
            span.setStatus({ code: SpanStatusCode.ERROR, message: 'connection closed before the response was sent' });
          } else if (status >= 500) {
            span.setAttribute('error.type', String(status));
            span.setStatus({ code: SpanStatusCode.ERROR });
          }
          span.end();
        } catch {
          // never throw into the app
        }
      };
      res.once('finish', () => end(false));
      res.once('close', () => end(!res.writableFinished));
    } catch {
      return origEmit.call(this, event, ...args);
    }
    return context.with(ctx, () => origEmit.call(this, event, ...args));
  };
}

interface ReqInfo {
  method: string;
  url: string;
  host: string;
  port: number;
}

function describeRequest(args: unknown[], defaultProtocol: string): ReqInfo {
  let url: URL | undefined;
  let opts: http.RequestOptions = {};
  let i = 0;
  if (typeof args[0] === 'string' || args[0] instanceof URL) {
    url = new URL(args[0] as string | URL);
    i = 1;
  }
  if (args[i] && typeof args[i] === 'object') opts = args[i] as http.RequestOptions;
  const protocol = opts.protocol ?? url?.protocol ?? defaultProtocol;
  const host = (opts.hostname ?? (typeof opts.host === 'string' ? opts.host.replace(/:\d+$/, '') : undefined) ?? url?.hostname ?? 'localhost').replace(/^\[|\]$/g, '');
  const port = Number(opts.port ?? (url?.port || (protocol === 'https:' ? 443 : 80)));
  const path = opts.path ?? (url ? url.pathname + url.search : '/');
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return { method: (opts.method ?? 'GET').toUpperCase(), url: `${protocol}//${hostPart}:${port}${path}`, host, port };
}

function clientRequest(orig: typeof http.request, getTracer: () => Tracer, opts: HttpInstrumentationOptions, defaultProtocol: string): typeof http.request {
  return function request(this: unknown, ...args: unknown[]): http.ClientRequest {
    const call = () => (orig as (...a: unknown[]) => http.ClientRequest).apply(this, args);
    if (isInstrumentationSuppressed()) return call();
    let span: Span;
    let ctx;
    try {
      const info = describeRequest(args, defaultProtocol);
      if (opts.ignoreOutgoing?.(info.url)) return call();
      const parent = context.active();
      span = getTracer().startSpan(
        info.method,
        { kind: SpanKind.CLIENT, attributes: { 'http.request.method': info.method, 'url.full': info.url, 'server.address': info.host, 'server.port': info.port } },
        parent,
      );
      ctx = trace.setSpan(parent, span);
    } catch {
      return call();
    }
    let ended = false;
    const end = (err?: Error) => {
      if (ended) return;
      ended = true;
      try {
        if (err) {
          span.recordException(err);
          span.setAttribute('error.type', (err as NodeJS.ErrnoException).code ?? err.name);
          span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
        }
        span.end();
      } catch {
        // ignore
      }
    };
    let req: http.ClientRequest;
    try {
      req = context.with(ctx, call);
    } catch (e) {
      end(e as Error);
      throw e;
    }
    try {
      const carrier: Record<string, string> = {};
      propagation.inject(ctx, carrier);
      if (!req.headersSent) for (const k of Object.keys(carrier)) req.setHeader(k, carrier[k]);
      req.prependListener('response', (res: http.IncomingMessage) => {
        try {
          const status = res.statusCode ?? 0;
          span.setAttribute('http.response.status_code', status);
          if (status >= 400) {
            span.setAttribute('error.type', String(status));
            span.setStatus({ code: SpanStatusCode.ERROR });
          }
        } catch {
          // ignore
        }
        // nobody else listens: Node would dump the body; keep that behaviour
        if (req.listenerCount('response') === 1) res.resume();
        res.once('end', () => end());
        res.once('close', () => end());
      });
      req.once('error', (e) => end(e));
      req.once('close', () => end());
    } catch {
      // ignore
    }
    return req;
  } as typeof http.request;
}

/** Patches node:http and node:https (idempotent); returns a function that restores them. */
export function instrumentHttp(options: HttpInstrumentationOptions = {}): () => void {
  const g = globalThis as { [PATCHED]?: boolean };
  if (g[PATCHED]) return uninstrumentHttp;
  g[PATCHED] = true;
  const getTracer = () => options.tracer ?? trace.getTracer('@ariadne/tracer/http');
  saved = [];
  for (const [mod, proto, scheme] of [
    [http, http.Server.prototype, 'http'],
    [https, https.Server.prototype, 'https'],
  ] as const) {
    const p = proto as unknown as { emit: (...a: unknown[]) => boolean };
    const s: Saved = { mod, request: mod.request, get: mod.get, emit: p.emit, proto: p };
    saved.push(s);
    const req = clientRequest(s.request, getTracer, options, `${scheme}:`);
    (mod as { request: unknown }).request = req;
    (mod as { get: unknown }).get = function get(this: unknown, ...args: unknown[]) {
      const r = (req as (...a: unknown[]) => http.ClientRequest).apply(this, args);
      r.end();
      return r;
    };
    p.emit = serverEmit(s.emit, getTracer, options, scheme);
  }
  syncBuiltinESMExports();
  return uninstrumentHttp;
}

export function uninstrumentHttp(): void {
  if (!saved) return;
  for (const s of saved) {
    (s.mod as { request: unknown }).request = s.request;
    (s.mod as { get: unknown }).get = s.get;
    s.proto.emit = s.emit;
  }
  saved = undefined;
  (globalThis as { [PATCHED]?: boolean })[PATCHED] = false;
  syncBuiltinESMExports();
}
