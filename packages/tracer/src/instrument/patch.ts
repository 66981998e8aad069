/**
 * Trace any library by patching one method: a span per call (active while the original runs),
 * tags from the call's arguments, and on failure (throw, rejected promise or error-first callback)
 * the OpenTracing `error=true` tag, an `error` log (event/error.kind/message/stack), ERROR status,
 * and the error rethrown unchanged.
 */
import type { Attributes, Span, SpanKind, Tracer } from '@opentelemetry/api';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';

export interface TraceMethodOptions<A extends unknown[] = unknown[]> {
  /** Span name: a string or computed from the call (default `Class.method`). */
  name?: string | ((self: unknown, args: A) => string);
  kind?: SpanKind;
  /** Tags for the span, from the receiver and arguments (exceptions here are ignored). */
  tags?: (self: unknown, args: A) => Attributes;
  /** Static tags, e.g. `{ component: 'es-js', 'span.kind': 'client' }`. */
  staticTags?: Attributes;
  /** The last argument is a Node error-first callback: end the span when it is called. */
  callback?: boolean;
  tracer?: Tracer;
}

function fail(span: Span, err: unknown): void {
  try {
    const e = err instanceof Error ? err : new Error(String(err));
    span.setAttribute('error', true);
    span.addEvent('error', { event: 'error', 'error.kind': e.name, 'error.object': String(e), message: e.message, stack: e.stack ?? '' });
    span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
  } catch {
    // ignore
  }
}

/**
 * Replaces `target[method]` with a traced wrapper; returns a function restoring the original.
 * Works on prototypes (`traceMethod(Transport.prototype, 'request', …)`) and plain objects.
 */
export function traceMethod<T extends object, K extends keyof T & string>(target: T, method: K, options: TraceMethodOptions = {}): () => void {
  const original = target[method] as unknown as (...a: unknown[]) => unknown;
  if (typeof original !== 'function') throw new TypeError(`traceMethod: ${method} is not a function`);
  const owner = (target as { constructor?: { name?: string } }).constructor?.name;
  const defaultName = owner && owner !== 'Object' ? `${owner}.${method}` : method;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    let span: Span;
    try {
      const name = typeof options.name === 'function' ? options.name(this, args) : (options.name ?? defaultName);
      let attrs: Attributes = { ...options.staticTags };
      if (options.tags) {
        try {
          attrs = { ...attrs, ...options.tags(this, args) };
        } catch {
          // bad tag function: keep the static tags
        }
      }
      span = (options.tracer ?? trace.getTracer('@ariadne/tracer/patch')).startSpan(name, { kind: options.kind, attributes: attrs });
    } catch {
      return original.apply(this, args);
    }
    const ctx = trace.setSpan(context.active(), span);
    if (options.callback && typeof args[args.length - 1] === 'function') {
      const cb = args[args.length - 1] as (...a: unknown[]) => unknown;
      args[args.length - 1] = function (this: unknown, err: unknown, ...rest: unknown[]) {
        if (err) fail(span, err);
        span.end();
        return cb.call(this, err, ...rest);
      };
    }
    let rv: unknown;
    try {
      rv = context.with(ctx, () => original.apply(this, args));
    } catch (e) {
      fail(span, e);
      span.end();
      throw e;
    }
    if (options.callback) return rv;
    if (rv && typeof (rv as PromiseLike<unknown>).then === 'function') {
      return (rv as Promise<unknown>).then(
        (v) => {
          span.end();
          return v;
        },
        (e) => {
          fail(span, e);
          span.end();
          throw e;
        },
      );
    }
    span.end();
    return rv;
  };
  Object.defineProperty(wrapped, 'name', { value: original.name });
  (target as Record<string, unknown>)[method] = wrapped;
  return () => {
    if ((target as Record<string, unknown>)[method] === wrapped) (target as Record<string, unknown>)[method] = original;
  };
}
