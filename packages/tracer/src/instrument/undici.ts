/**
 * Global `fetch` / undici auto-instrumentation through `diagnostics_channel`: a CLIENT span per
 * request (`undici:request:create`, parented on the caller's active context, headers injected with
 * `request.addHeader`), status from `undici:request:headers`, ended on `undici:request:trailers`,
 * ERROR on `undici:request:error`. No patching: undici publishes these itself.
 */
import dc from 'node:diagnostics_channel';
import type { Span, Tracer } from '@opentelemetry/api';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { isInstrumentationSuppressed } from './suppress.js';

interface UndiciRequest {
  method?: string;
  origin?: string | URL;
  path?: string;
  addHeader?: (k: string, v: string) => unknown;
}

export interface UndiciInstrumentationOptions {
  tracer?: Tracer;
  ignoreOutgoing?: (url: string) => boolean;
}

const spans = new WeakMap<object, Span>();
let active: (() => void) | undefined;

/** Subscribes to undici's channels (idempotent); returns the unsubscribe function. */
export function instrumentUndici(options: UndiciInstrumentationOptions = {}): () => void {
  if (active) return active;
  const getTracer = () => options.tracer ?? trace.getTracer('@ariadne/tracer/fetch');
  const onCreate = (msg: unknown) => {
    try {
      if (isInstrumentationSuppressed()) return;
      const request = (msg as { request: UndiciRequest }).request;
      const origin = String(request.origin ?? '');
      const url = origin + (request.path ?? '');
      if (options.ignoreOutgoing?.(url)) return;
      const method = (request.method ?? 'GET').toUpperCase();
      let host = '';
      let port = 0;
      try {
        const u = new URL(origin);
        host = u.hostname.replace(/^\[|\]$/g, '');
        port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
      } catch {
        // keep empty
      }
      const parent = context.active();
      const span = getTracer().startSpan(
        method,
        { kind: SpanKind.CLIENT, attributes: { 'http.request.method': method, 'url.full': url, 'server.address': host, 'server.port': port } },
        parent,
      );
      spans.set(request, span);
      const carrier: Record<string, string> = {};
      propagation.inject(trace.setSpan(parent, span), carrier);
      for (const k of Object.keys(carrier)) request.addHeader?.(k, carrier[k]);
    } catch {
      // never throw into the app
    }
  };
  const onHeaders = (msg: unknown) => {
    try {
      const { request, response } = msg as { request: object; response: { statusCode: number } };
      const span = spans.get(request);
      if (!span) return;
      span.setAttribute('http.response.status_code', response.statusCode);
      if (response.statusCode >= 400) {
        span.setAttribute('error.type', String(response.statusCode));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
    } catch {
      // ignore
    }
  };
  const onTrailers = (msg: unknown) => {
    try {
      const { request } = msg as { request: object };
      const span = spans.get(request);
      if (!span) return;
      spans.delete(request);
      span.end();
    } catch {
      // ignore
    }
  };
  const onError = (msg: unknown) => {
    try {
      const { request, error } = msg as { request: object; error: Error };
      const span = spans.get(request);
      if (!span) return;
      spans.delete(request);
      span.recordException(error);
      span.setAttribute('error.type', (error as NodeJS.ErrnoException).code ?? error.name);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      span.end();
    } catch {
      // ignore
    }
  };
  const subs: [string, (m: unknown) => void][] = [
    ['undici:request:create', onCreate],
    ['undici:request:headers', onHeaders],
    ['undici:request:trailers', onTrailers],
    ['undici:request:error', onError],
  ];
  for (const [name, fn] of subs) dc.subscribe(name, fn);
  active = () => {
    for (const [name, fn] of subs) dc.unsubscribe(name, fn);
    active = undefined;
  };
  return active;
}
