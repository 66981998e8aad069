// Turning a Jaeger trace into what the views draw: a span tree in display order, per-service
// counts and colours, the trace's bounds and name. Pure functions, no React, so that later views
// (minimap, critical path, trace compare) can share them.
import type { JaegerKeyValue, JaegerProcess, JaegerSpan, JaegerTrace } from './jaeger';
import { serviceColor } from './colors';
import { valueToText } from './format';

export interface SpanNode {
  span: JaegerSpan;
  spanID: string;
  process: JaegerProcess;
  serviceName: string;
  /** The parent span's id when the parent is in this trace, else ''. */
  parentID: string;
  depth: number;
  children: SpanNode[];
  /** Descendants (all levels), for collapsed rows. */
  descendantCount: number;
  hasError: boolean;
  /** Start relative to the trace start, µs. */
  relStart: number;
}

export interface ServiceSummary {
  name: string;
  spanCount: number;
  color: string;
  hasError: boolean;
}

export interface TraceModel {
  traceID: string;
  /** Every span, depth-first in tree order (children by start time). */
  spans: SpanNode[];
  byId: Map<string, SpanNode>;
  roots: SpanNode[];
  startTime: number;
  endTime: number;
  duration: number;
  rootServiceName: string;
  rootOperationName: string;
  services: ServiceSummary[];
  spanCount: number;
  errorCount: number;
  /** The deepest nesting level (0 for a flat trace). */
  maxDepth: number;
  warnings: string[];
}

const UNKNOWN_PROCESS: JaegerProcess = { serviceName: 'unknown', tags: [] };

export function isErrorSpan(span: JaegerSpan): boolean {
  for (const t of span.tags ?? []) {
    if (t.key === 'error' && (t.value === true || t.value === 'true')) return true;
    if (t.key === 'otel.status_code' && t.value === 'ERROR') return true;
  }
  return false;
}

/** The parent id a span declares: its first CHILD_OF reference, else its first reference. */
function declaredParent(span: JaegerSpan): string {
  const refs = span.references ?? [];
  const childOf = refs.find((r) => r.refType === 'CHILD_OF' && r.traceID === span.traceID);
  if (childOf) return childOf.spanID;
  const any = refs.find((r) => r.traceID === span.traceID);
  return any ? any.spanID : '';
}

const byStart = (a: SpanNode, b: SpanNode) => a.span.startTime - b.span.startTime || a.spanID.localeCompare(b.spanID);

export function buildTraceModel(trace: JaegerTrace): TraceModel {
  const processes = trace.processes ?? {};
  const byId = new Map<string, SpanNode>();
  let startTime = Infinity;
  let endTime = -Infinity;
  for (const span of trace.spans ?? []) {
    if (byId.has(span.spanID)) continue; // duplicates: first one wins
    const process = processes[span.processID] ?? UNKNOWN_PROCESS;
    byId.set(span.spanID, {
      span,
      spanID: span.spanID,
      process,
      serviceName: process.serviceName || 'unknown',
      parentID: '',
      depth: 0,
      children: [],
      descendantCount: 0,
      hasError: isErrorSpan(span),
      relStart: 0,
    });
    startTime = Math.min(startTime, span.startTime);
    endTime = Math.max(endTime, span.startTime + Math.max(0, span.duration));
  }
  if (byId.size === 0) {
    startTime = 0;
    endTime = 0;
  }

  const roots: SpanNode[] = [];
  for (const node of byId.values()) {
    node.relStart = node.span.startTime - startTime;
    const p = declaredParent(node.span);
    const parent = p && p !== node.spanID ? byId.get(p) : undefined;
    if (parent) {
      node.parentID = parent.spanID;
      parent.children.push(node);
    } else {
      roots.push(node);
    }
  }
  roots.sort(byStart);

  // Depth-first order, iteratively (deep traces must not overflow the stack). Spans caught in a
  // reference cycle are unreachable from any root; they are appended as extra roots.
  const ordered: SpanNode[] = [];
  const seen = new Set<SpanNode>();
  const walk = (root: SpanNode) => {
    const stack: Array<[SpanNode, number]> = [[root, 0]];
    while (stack.length) {
      const [node, depth] = stack.pop()!;
      if (seen.has(node)) continue;
      seen.add(node);
      node.depth = depth;
      ordered.push(node);
      node.children.sort(byStart);
      for (let i = node.children.length - 1; i >= 0; i--) stack.push([node.children[i], depth + 1]);
    }
  };
  for (const r of roots) walk(r);
  if (ordered.length < byId.size) {
    for (const node of [...byId.values()].sort(byStart)) {
      if (seen.has(node)) continue;
      // break the cycle at this node
      const parent = byId.get(node.parentID);
      if (parent) parent.children = parent.children.filter((c) => c !== node);
      node.parentID = '';
      roots.push(node);
      walk(node);
    }
  }
  // descendant counts, bottom-up (reverse DFS order visits children before parents)
  for (let i = ordered.length - 1; i >= 0; i--) {
    const n = ordered[i];
    n.descendantCount = n.children.reduce((s, c) => s + 1 + c.descendantCount, 0);
  }

  const services = new Map<string, ServiceSummary>();
  let errorCount = 0;
  let maxDepth = 0;
  for (const n of ordered) {
    let s = services.get(n.serviceName);
    if (!s) {
      s = { name: n.serviceName, spanCount: 0, color: serviceColor(n.serviceName), hasError: false };
      services.set(n.serviceName, s);
    }
    s.spanCount++;
    if (n.hasError) {
      errorCount++;
      s.hasError = true;
    }
    if (n.depth > maxDepth) maxDepth = n.depth;
  }

  // The trace's name: its first root without references (a true root), else the earliest span.
  const trueRoot = roots.find((r) => (r.span.references ?? []).length === 0) ?? roots[0];
  return {
    traceID: trace.traceID || trueRoot?.span.traceID || '',
    spans: ordered,
    byId,
    roots,
    startTime,
    endTime,
    duration: endTime - startTime,
    rootServiceName: trueRoot?.serviceName ?? '',
    rootOperationName: trueRoot?.span.operationName ?? '',
    services: [...services.values()].sort((a, b) => b.spanCount - a.spanCount || a.name.localeCompare(b.name)),
    spanCount: ordered.length,
    errorCount,
    maxDepth,
    warnings: trace.warnings ?? [],
  };
}

/** A tag's value by key, or undefined. */
export function findTag(tags: JaegerKeyValue[] | null | undefined, key: string): JaegerKeyValue | undefined {
  return (tags ?? []).find((t) => t.key === key);
}

/**
 * Spans matching a free-text search within a trace (Jaeger UI's "find"): whitespace-separated
 * terms, every term must match, case-insensitive. A term `key=value` matches a tag, process tag or
 * log field with that key whose text contains the value; any other term matches a substring of the
 * service, operation, span id, or any tag / process tag / log field key or value.
 */
export function findSpans(model: TraceModel, query: string): Set<string> {
  const out = new Set<string>();
  const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return out;
  for (const n of model.spans) {
    const kvs: JaegerKeyValue[] = [...(n.span.tags ?? []), ...(n.process.tags ?? [])];
    for (const log of n.span.logs ?? []) kvs.push(...(log.fields ?? []));
    const texts = [n.serviceName, n.span.operationName, n.spanID];
    const pairs = kvs.map((kv) => [kv.key.toLowerCase(), valueToText(kv).toLowerCase()] as const);
    const hit = terms.every((t) => {
      const eq = t.indexOf('=');
      if (eq > 0) {
        const k = t.slice(0, eq);
        const v = t.slice(eq + 1);
        return pairs.some(([pk, pv]) => pk === k && pv.includes(v));
      }
      return texts.some((x) => x.toLowerCase().includes(t)) || pairs.some(([pk, pv]) => pk.includes(t) || pv.includes(t));
    });
    if (hit) out.add(n.spanID);
  }
  return out;
}

/** A time interval [start, end) in epoch µs. */
export type Interval = readonly [number, number];

/**
 * The critical path: the chain of work that determined the trace's end-to-end latency. Walking back
 * from the end of a span, the child that finished last (clipped to the current point) was on the
 * path; before that child started, the next such child; the gaps are the span's own time. Children
 * that outlast their parent are clipped to it. Returns each span's segments on the path.
 * Iterative, so deep traces do not overflow the stack.
 */
export function criticalPath(model: TraceModel): Map<string, Interval[]> {
  const out = new Map<string, Interval[]>();
  const add = (id: string, a: number, b: number) => {
    if (b <= a) return;
    let list = out.get(id);
    if (!list) out.set(id, (list = []));
    list.push([a, b]);
  };
  const stack: Array<[SpanNode, number]> = model.roots.map((r) => [r, r.span.startTime + r.span.duration]);
  while (stack.length) {
    const [node, end] = stack.pop()!;
    const start = node.span.startTime;
    let cur = end;
    const byEndDesc = [...node.children].sort((a, b) => b.span.startTime + b.span.duration - (a.span.startTime + a.span.duration));
    for (const c of byEndDesc) {
      if (cur <= start) break;
      if (c.span.startTime >= cur) continue;
      const cEnd = Math.min(c.span.startTime + c.span.duration, cur);
      add(node.spanID, cEnd, cur);
      const cStart = Math.max(c.span.startTime, start);
      if (cEnd > cStart) stack.push([c, cEnd]);
      cur = cStart;
    }
    add(node.spanID, start, cur);
  }
  for (const list of out.values()) list.sort((a, b) => a[0] - b[0]);
  return out;
}
