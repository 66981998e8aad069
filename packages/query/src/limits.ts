import type { Span } from '@ariadne/model';
import type { SpanStore } from '@ariadne/storage';

/**
 * The largest trace the query API returns. A trace of more spans is answered with its first
 * `max` spans by start time and a warning on the first of them (Jaeger JSON shows span warnings),
 * rather than building a response that could exhaust the server's or the browser's memory.
 */
export const DEFAULT_MAX_TRACE_SPANS = 100_000;

export function truncationWarning(total: number, max: number): string {
  return `trace truncated: ${total} spans stored, only the first ${max} by start time are returned (the query service's limit of spans per trace)`;
}

/** The first `max` spans (stores return them in start-time order), the first carrying the warning. */
export function limitTraceSpans(spans: Span[], max: number): Span[] {
  if (spans.length <= max) return spans;
  const kept = spans.slice(0, max);
  // spans are shared and immutable: the warning goes on a copy
  kept[0] = { ...kept[0], warnings: [...kept[0].warnings, truncationWarning(spans.length, max)] };
  return kept;
}

/** `store` whose trace reads return at most `max` spans per trace (with the warning). */
export function limitTraceSize(store: SpanStore, max: number): SpanStore {
  if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`maxTraceSpans must be a positive integer, got ${max}`);
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'getTrace') return async (...args: Parameters<SpanStore['getTrace']>) => limitTraceSpans(await target.getTrace(...args), max);
      if (prop === 'getTraces')
        return async (...args: Parameters<SpanStore['getTraces']>) => {
          const m = await target.getTraces(...args);
          for (const [id, spans] of m) if (spans.length > max) m.set(id, limitTraceSpans(spans, max));
          return m;
        };
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
