import type { Attribute, Resource, Span } from '@ariadne/model';
import type { JaegerJsonKeyValue, JaegerJsonTrace } from '@ariadne/codec';

/** SDK identity attributes that Jaeger's query service moves from span tags to the process. */
const OTEL_LIBRARY_KEYS = new Set([
  'telemetry.sdk.language',
  'telemetry.sdk.name',
  'telemetry.sdk.version',
  'telemetry.distro.name',
  'telemetry.distro.version',
]);

/**
 * Jaeger's OTel tag adjuster on model spans: `telemetry.sdk.*` / `telemetry.distro.*` span
 * attributes belong to the process, so they move to the span's resource. Spans without such
 * attributes are returned as they are; the input is not modified.
 */
export function moveLibraryAttributesToResource(spans: readonly Span[]): Span[] {
  const moved = new Map<Resource, Map<string, Resource>>();
  return spans.map((span) => {
    if (!span.attributes.some((a) => OTEL_LIBRARY_KEYS.has(a.key))) return span;
    const keep: Attribute[] = [];
    const lib: Attribute[] = [];
    for (const a of span.attributes) (OTEL_LIBRARY_KEYS.has(a.key) ? lib : keep).push(a);
    // spans of one resource moving the same attributes keep sharing one resource
    const sig = lib.map((a) => `${a.key}\u0000${JSON.stringify(a.value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`).join('\u0001');
    let bySig = moved.get(span.resource);
    if (!bySig) moved.set(span.resource, (bySig = new Map()));
    let resource = bySig.get(sig);
    if (!resource) bySig.set(sig, (resource = { ...span.resource, attributes: [...span.resource.attributes, ...lib] }));
    return { ...span, attributes: keep, resource };
  });
}

const TYPE_RANK: Record<string, number> = { string: 0, bool: 1, int64: 2, float64: 3, binary: 4 };

/** Jaeger's KeyValues order: by key, then value type, then value. */
export function compareJaegerTags(a: JaegerJsonKeyValue, b: JaegerJsonKeyValue): number {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  const ta = TYPE_RANK[a.type] ?? 9;
  const tb = TYPE_RANK[b.type] ?? 9;
  if (ta !== tb) return ta - tb;
  const va = a.value;
  const vb = b.value;
  if (typeof va === typeof vb && (typeof va === 'number' || typeof va === 'bigint' || typeof va === 'boolean')) {
    return va < (vb as typeof va) ? -1 : va > (vb as typeof va) ? 1 : 0;
  }
  const sa = String(va);
  const sb = String(vb);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/**
 * The ordering adjusters of Jaeger's query service, on a converted trace (in place): process tags
 * sorted, and in every log the string `event` field first with the other fields sorted.
 */
export function sortJaegerTrace(trace: JaegerJsonTrace): JaegerJsonTrace {
  for (const p of Object.values(trace.processes)) p.tags.sort(compareJaegerTags);
  for (const span of trace.spans) {
    for (const log of span.logs) {
      const f = log.fields;
      const i = f.findIndex((x) => x.key === 'event' && x.type === 'string');
      let offset = 0;
      if (i >= 0) {
        if (i > 0) [f[0], f[i]] = [f[i], f[0]];
        offset = 1;
      }
      if (f.length - offset > 1) {
        const rest = f.slice(offset).sort(compareJaegerTags);
        f.splice(offset, rest.length, ...rest);
      }
    }
  }
  return trace;
}

/**
 * Zipkin's shared RPC spans are given their own span id at ingest, under their client half (see
 * the Zipkin codec). When the client half is not in the trace (the client was not traced), the
 * server span goes back under the parent it had on the wire (`zipkin.parent_id`, or none) instead
 * of hanging as an orphan under a span that does not exist. The input is not modified.
 */
export function reparentLoneSharedSpans(spans: readonly Span[]): Span[] {
  let ids: Set<string> | undefined;
  return spans.map((span) => {
    if (!span.parentSpanId) return span;
    const wire = span.attributes.find((a) => a.key === 'zipkin.span_id');
    if (!wire || wire.value.type !== 'string' || wire.value.value !== span.parentSpanId) return span;
    ids ??= new Set(spans.map((s) => s.spanId));
    if (ids.has(span.parentSpanId)) return span;
    const wireParent = span.attributes.find((a) => a.key === 'zipkin.parent_id');
    return { ...span, parentSpanId: wireParent && wireParent.value.type === 'string' ? wireParent.value.value : '' };
  });
}
