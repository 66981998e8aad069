import { isValidSpanId, isValidTraceId, normalizeSpanId, normalizeTraceId } from './ids.js';
import type { Attribute, AttributeValue, Span } from './span.js';

export interface ValidationLimits {
  /** Attributes kept per span (and per event, link, resource); the rest are dropped and counted. */
  maxAttributes: number;
  /** Longest string/bytes attribute value kept; longer ones are truncated. */
  maxValueLength: number;
  /** Events kept per span. */
  maxEvents: number;
  /** Links kept per span. */
  maxLinks: number;
  /** Longest span name / service name kept. */
  maxNameLength: number;
}

export const DEFAULT_LIMITS: ValidationLimits = {
  maxAttributes: 1000,
  maxValueLength: 64 * 1024,
  maxEvents: 1000,
  maxLinks: 1000,
  maxNameLength: 1024,
};

export interface RejectedSpan {
  traceId: string;
  spanId: string;
  reason: string;
}

export interface ValidationResult {
  accepted: Span[];
  rejected: RejectedSpan[];
}

/**
 * Validate and normalise decoded spans before they are stored.
 *
 * Rejects (with a reason) spans with a missing or all-zero trace or span id, or no start time.
 * Normalises ids to lowercase padded hex and an all-zero parent id to ''. Enforces `limits` by
 * truncation, recording each truncation as a span warning and in the dropped counters. Times are
 * never shifted: an end before the start is kept and only warned about.
 * Spans are modified in place (they are fresh from a decoder).
 */
export function validateSpans(spans: Span[], limits: ValidationLimits = DEFAULT_LIMITS): ValidationResult {
  const accepted: Span[] = [];
  const rejected: RejectedSpan[] = [];
  for (const span of spans) {
    const reason = validateSpan(span, limits);
    if (reason) rejected.push({ traceId: span.traceId, spanId: span.spanId, reason });
    else accepted.push(span);
  }
  return { accepted, rejected };
}

function validateSpan(span: Span, limits: ValidationLimits): string | undefined {
  const traceId = normalizeTraceId(span.traceId);
  if (!isValidTraceId(traceId)) return `invalid trace id ${JSON.stringify(span.traceId)}: must be 1-32 hex chars, not all zero`;
  span.traceId = traceId;
  const spanId = normalizeSpanId(span.spanId);
  if (!isValidSpanId(spanId)) return `invalid span id ${JSON.stringify(span.spanId)} in trace ${traceId}: must be 1-16 hex chars, not all zero`;
  span.spanId = spanId;
  if (span.parentSpanId) {
    const p = normalizeSpanId(span.parentSpanId);
    if (p === '') return `invalid parent span id ${JSON.stringify(span.parentSpanId)} in span ${spanId}`;
    span.parentSpanId = isValidSpanId(p) ? p : '';
  }
  if (span.startTimeUnixNano <= 0n) return `span ${spanId} in trace ${traceId} has no start time`;
  if (span.endTimeUnixNano < span.startTimeUnixNano) {
    span.warnings.push(`end time precedes start time by ${span.startTimeUnixNano - span.endTimeUnixNano} ns`);
  }
  if (!span.resource.serviceName) {
    span.resource = { ...span.resource, serviceName: 'unknown_service' };
  }
  if (span.name.length > limits.maxNameLength) {
    span.warnings.push(`span name truncated from ${span.name.length} to ${limits.maxNameLength} chars`);
    span.name = span.name.slice(0, limits.maxNameLength);
  }

  const a = limitAttributes(span.attributes, limits, span.warnings, 'span');
  span.droppedAttributesCount += span.attributes.length - a.length;
  span.attributes = a;
  if (span.events.length > limits.maxEvents) {
    span.warnings.push(`${span.events.length - limits.maxEvents} events dropped (limit ${limits.maxEvents})`);
    span.droppedEventsCount += span.events.length - limits.maxEvents;
    span.events = span.events.slice(0, limits.maxEvents);
  }
  for (const e of span.events) {
    const ea = limitAttributes(e.attributes, limits, span.warnings, `event "${e.name}"`);
    e.droppedAttributesCount += e.attributes.length - ea.length;
    e.attributes = ea;
  }
  if (span.links.length > limits.maxLinks) {
    span.warnings.push(`${span.links.length - limits.maxLinks} links dropped (limit ${limits.maxLinks})`);
    span.droppedLinksCount += span.links.length - limits.maxLinks;
    span.links = span.links.slice(0, limits.maxLinks);
  }
  for (const l of span.links) {
    l.traceId = normalizeTraceId(l.traceId);
    l.spanId = normalizeSpanId(l.spanId);
    const la = limitAttributes(l.attributes, limits, span.warnings, 'link');
    l.droppedAttributesCount += l.attributes.length - la.length;
    l.attributes = la;
  }
  return undefined;
}

/** Returns the attributes within limits (the same array when nothing had to change). */
function limitAttributes(attrs: Attribute[], limits: ValidationLimits, warnings: string[], where: string): Attribute[] {
  let out = attrs;
  if (out.length > limits.maxAttributes) {
    warnings.push(`${out.length - limits.maxAttributes} ${where} attributes dropped (limit ${limits.maxAttributes})`);
    out = out.slice(0, limits.maxAttributes);
  }
  for (let i = 0; i < out.length; i++) {
    const v = truncateValue(out[i].value, limits.maxValueLength);
    if (v !== out[i].value) {
      warnings.push(`${where} attribute "${out[i].key}" truncated to ${limits.maxValueLength}`);
      if (out === attrs) out = attrs.slice();
      out[i] = { key: out[i].key, value: v };
    }
  }
  return out;
}

function truncateValue(v: AttributeValue, max: number): AttributeValue {
  switch (v.type) {
    case 'string':
      return v.value.length > max ? { type: 'string', value: v.value.slice(0, max) } : v;
    case 'bytes':
      return v.value.length > max ? { type: 'bytes', value: v.value.slice(0, max) } : v;
    case 'array': {
      let changed = false;
      const items = v.value.map((x) => {
        const t = truncateValue(x, max);
        if (t !== x) changed = true;
        return t;
      });
      return changed ? { type: 'array', value: items } : v;
    }
    default:
      return v;
  }
}
