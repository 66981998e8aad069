/**
 * Suppression of auto-instrumentation for the tracer's own I/O (exporting spans, polling sampling
 * strategies): a synchronous global flag, set only around the call that creates the request.
 */
const SUPPRESS = Symbol.for('ariadne.tracer.suppressInstrumentation');
type G = { [SUPPRESS]?: boolean };

export function isInstrumentationSuppressed(): boolean {
  return (globalThis as G)[SUPPRESS] === true;
}

/** Runs `fn` (synchronously) with HTTP/fetch instrumentation turned off. */
export function withoutInstrumentation<T>(fn: () => T): T {
  const g = globalThis as G;
  const prev = g[SUPPRESS];
  g[SUPPRESS] = true;
  try {
    return fn();
  } finally {
    g[SUPPRESS] = prev;
  }
}
