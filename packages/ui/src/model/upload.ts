// Reading a trace file the user dropped: Jaeger JSON (as `/api/traces` answers, an array of
// traces, or one trace) or OTLP JSON (`{resourceSpans}`, or api_v3's `{result: {resourceSpans}}`).
import type { JaegerTrace } from './jaeger';

export type ParsedUpload = { kind: 'jaeger'; traces: JaegerTrace[] } | { kind: 'otlp'; body: string };

function isTrace(x: unknown): x is JaegerTrace {
  if (!x || typeof x !== 'object') return false;
  const t = x as Partial<JaegerTrace>;
  return Array.isArray(t.spans) && !!t.processes && typeof t.processes === 'object';
}

/** Classify parsed JSON; throws an Error naming what is wrong. */
export function classifyUpload(json: unknown): ParsedUpload {
  if (json && typeof json === 'object' && !Array.isArray(json)) {
    const o = json as Record<string, unknown>;
    if (Array.isArray(o.resourceSpans)) return { kind: 'otlp', body: JSON.stringify(o) };
    const r = o.result as Record<string, unknown> | undefined;
    if (r && typeof r === 'object' && Array.isArray(r.resourceSpans)) return { kind: 'otlp', body: JSON.stringify(r) };
    if (isTrace(o)) return { kind: 'jaeger', traces: [o] };
    if (Array.isArray(o.data)) return { kind: 'jaeger', traces: checkTraces(o.data) };
  }
  if (Array.isArray(json)) return { kind: 'jaeger', traces: checkTraces(json) };
  throw new Error('not a trace file: expected Jaeger JSON ({"data": [trace…]}) or OTLP JSON ({"resourceSpans": […]})');
}

function checkTraces(xs: unknown[]): JaegerTrace[] {
  xs.forEach((t, i) => {
    if (!isTrace(t)) throw new Error(`trace ${i + 1} is not a Jaeger trace (needs "spans" and "processes")`);
  });
  return xs as JaegerTrace[];
}

/** A trace as Jaeger JSON text, in the envelope `/api/traces/{id}` answers with (re-uploadable). */
export function jaegerJsonText(trace: JaegerTrace): string {
  return JSON.stringify({ data: [trace] }, null, 2);
}

/** Save text as a file (a temporary object URL on an `a[download]`). */
export function downloadText(filename: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
