// Self time, per-operation statistics and the service/operation call graph of one trace, computed
// client-side (the same definitions as the query service's /api/analytics, for unstored traces).
import type { SpanNode, TraceModel } from './trace';

/** The span's duration minus the union of its direct children's intervals (clipped to the span). µs. */
export function selfTime(n: SpanNode): number {
  const s = n.span.startTime;
  const e = s + n.span.duration;
  const iv = n.children
    .map((c) => [Math.max(s, c.span.startTime), Math.min(e, c.span.startTime + c.span.duration)] as const)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let covered = 0;
  let curA = -Infinity;
  let curB = -Infinity;
  for (const [a, b] of iv) {
    if (a > curB) {
      if (curB > curA) covered += curB - curA;
      curA = a;
      curB = b;
    } else if (b > curB) curB = b;
  }
  if (curB > curA) covered += curB - curA;
  return Math.max(0, n.span.duration - covered);
}

/**
 * The idle gaps of a parent span: the parts of its own interval covered by no direct child (its
 * self time, as intervals [start, end] in epoch µs, in order). Empty for a leaf span.
 */
export function idleGaps(n: SpanNode): Array<[number, number]> {
  if (n.children.length === 0) return [];
  const s = n.span.startTime;
  const e = s + n.span.duration;
  const iv = n.children
    .map((c) => [Math.max(s, c.span.startTime), Math.min(e, c.span.startTime + c.span.duration)] as const)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  const gaps: Array<[number, number]> = [];
  let cur = s;
  for (const [a, b] of iv) {
    if (a > cur) gaps.push([cur, a]);
    if (b > cur) cur = b;
  }
  if (e > cur) gaps.push([cur, e]);
  return gaps;
}

export interface OpStats {
  service: string;
  operation: string;
  count: number;
  errorCount: number;
  total: number;
  selfTotal: number;
  min: number;
  avg: number;
  max: number;
  selfAvg: number;
}

export function traceStats(model: TraceModel): OpStats[] {
  const m = new Map<string, OpStats>();
  for (const n of model.spans) {
    const key = `${n.serviceName}\u0000${n.span.operationName}`;
    let s = m.get(key);
    if (!s) {
      s = { service: n.serviceName, operation: n.span.operationName, count: 0, errorCount: 0, total: 0, selfTotal: 0, min: Infinity, avg: 0, max: -Infinity, selfAvg: 0 };
      m.set(key, s);
    }
    const d = n.span.duration;
    s.count++;
    if (n.hasError) s.errorCount++;
    s.total += d;
    s.selfTotal += selfTime(n);
    s.min = Math.min(s.min, d);
    s.max = Math.max(s.max, d);
  }
  const out = [...m.values()];
  for (const s of out) {
    s.avg = s.total / s.count;
    s.selfAvg = s.selfTotal / s.count;
  }
  return out.sort((a, b) => (a.service === b.service ? (a.operation < b.operation ? -1 : 1) : a.service < b.service ? -1 : 1));
}

export interface GraphNode {
  id: string;
  service: string;
  operation: string;
  count: number;
  layer: number;
  hasError: boolean;
}
export interface GraphEdge {
  from: string;
  to: string;
  count: number;
}

/** Service/operation nodes (layer = the smallest depth they occur at) and parent → child call counts. */
export function traceGraph(model: TraceModel): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, GraphEdge>();
  const idOf = (n: SpanNode) => `${n.serviceName}\u0000${n.span.operationName}`;
  for (const n of model.spans) {
    const id = idOf(n);
    let g = nodes.get(id);
    if (!g) {
      g = { id, service: n.serviceName, operation: n.span.operationName, count: 0, layer: n.depth, hasError: false };
      nodes.set(id, g);
    }
    g.count++;
    g.layer = Math.min(g.layer, n.depth);
    g.hasError ||= n.hasError;
    const p = n.parentID ? model.byId.get(n.parentID) : undefined;
    if (p) {
      const from = idOf(p);
      const k = `${from}\u0001${id}`;
      const e = edges.get(k);
      if (e) e.count++;
      else edges.set(k, { from, to: id, count: 1 });
    }
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}
