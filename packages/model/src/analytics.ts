import { assembleTrace } from './assemble.js';
import type { AssembledTrace, TraceNode } from './assemble.js';
import type { Span } from './span.js';

/**
 * Pure analytics on the spans of traces: critical path, self time, per-operation statistics,
 * trace comparison and deep dependency paths. Nothing here depends on storage or wire formats;
 * times stay unix nanoseconds as `bigint`.
 */

/** One stretch of the critical path: `spanId` was the work holding up the trace in [start, end). */
export interface CriticalPathSegment {
  spanId: string;
  service: string;
  operation: string;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
}

interface Clipped {
  node: TraceNode;
  start: bigint;
  end: bigint;
  children: Clipped[];
  parent?: Clipped;
}

/** The first true root (no parent), else the earliest orphan. */
function primaryRoot(trace: AssembledTrace): TraceNode | undefined {
  return trace.roots[0];
}

/**
 * Children as Jaeger's critical-path algorithm sees them: only CHILD_OF children (spans linked by a
 * `FOLLOWS_FROM` reference to their parent are left out), clipped to the parent's time range;
 * children starting after the parent ends, or ending before it starts, are dropped.
 */
function clipTree(root: TraceNode): Clipped {
  const top: Clipped = { node: root, start: root.span.startTimeUnixNano, end: maxB(root.span.startTimeUnixNano, root.span.endTimeUnixNano), children: [] };
  const stack: Clipped[] = [top];
  while (stack.length) {
    const p = stack.pop()!;
    for (const c of p.node.children) {
      if (isFollowsFrom(c.span)) continue;
      let s = c.span.startTimeUnixNano;
      let e = maxB(s, c.span.endTimeUnixNano);
      if (s > p.end || e < p.start) continue;
      if (s < p.start) s = p.start;
      if (e > p.end) e = p.end;
      if (e < s) e = s;
      const cc: Clipped = { node: c, start: s, end: e, children: [], parent: p };
      p.children.push(cc);
      stack.push(cc);
    }
  }
  return top;
}

function isFollowsFrom(span: Span): boolean {
  return span.links.some((l) => l.refType === 'FOLLOWS_FROM' && l.spanId === span.parentSpanId);
}

const maxB = (a: bigint, b: bigint) => (a > b ? a : b);
const minB = (a: bigint, b: bigint) => (a < b ? a : b);

/**
 * The critical path of a trace, as Jaeger computes it: start at the root; the child that finished
 * last holds the span's tail (the time between that child's end and the span's end is the span's own
 * work on the path); descend into that child; when a span has no (further) child finishing before
 * the point we came back to, its own work fills up to there and we return to its parent, whose
 * children finishing before the returning child's start are considered next. Children are clipped
 * to their parent, FOLLOWS_FROM children ignored. Only the primary root's tree counts (orphan
 * subtrees are not on the path). Segments are returned in time order; zero-length ones are left out.
 */
export function criticalPath(spansOrTrace: readonly Span[] | AssembledTrace): CriticalPathSegment[] {
  const trace = Array.isArray(spansOrTrace) ? assembleTrace(spansOrTrace as Span[]) : (spansOrTrace as AssembledTrace);
  const root = primaryRoot(trace);
  if (!root) return [];
  const out: CriticalPathSegment[] = [];
  const push = (c: Clipped, start: bigint, end: bigint) => {
    if (start >= end) return;
    // segments are found from the end backwards: merge with the one just after when contiguous
    const prev = out[out.length - 1];
    if (prev && prev.spanId === c.node.span.spanId && prev.startTimeUnixNano === end) {
      prev.startTimeUnixNano = start;
      return;
    }
    out.push({ spanId: c.node.span.spanId, service: c.node.span.resource.serviceName, operation: c.node.span.name, startTimeUnixNano: start, endTimeUnixNano: end });
  };
  let cur: Clipped | undefined = clipTree(root);
  let bound: bigint | undefined; // the start of the child we returned from, if we returned
  let steps = 0;
  const limit = 4 * (trace.spanCount + 1) + 16;
  while (cur && steps++ < limit * limit) {
    const upTo: bigint = bound ?? cur.end;
    let last: Clipped | undefined;
    for (const c of cur.children) {
      if (bound !== undefined && !(c.end < bound)) continue;
      if (!last || c.end > last.end) last = c;
    }
    if (last) {
      push(cur, last.end, upTo);
      cur = last;
      bound = undefined;
    } else {
      push(cur, cur.start, upTo);
      bound = cur.start;
      // the parent continues from this child's start; its later children are no longer eligible
      const p: Clipped | undefined = cur.parent;
      if (p) p.children = p.children.filter((c) => c !== cur);
      cur = p;
    }
  }
  return out.reverse();
}

/** Total length of the union of intervals (each [start, end)), clipped to [lo, hi]. */
function unionLength(intervals: [bigint, bigint][], lo: bigint, hi: bigint): bigint {
  const iv = intervals.map(([s, e]) => [maxB(s, lo), minB(e, hi)] as [bigint, bigint]).filter(([s, e]) => e > s);
  iv.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let total = 0n;
  let curS = 0n;
  let curE = 0n;
  let open = false;
  for (const [s, e] of iv) {
    if (!open) [curS, curE, open] = [s, e, true];
    else if (s <= curE) curE = maxB(curE, e);
    else {
      total += curE - curS;
      [curS, curE] = [s, e];
    }
  }
  if (open) total += curE - curS;
  return total;
}

/**
 * Self time of every span (by span id): its duration minus the time covered by its direct children
 * (overlapping children merged, children clipped to the span). Negative durations count as 0.
 */
export function selfTimes(spansOrTrace: readonly Span[] | AssembledTrace): Map<string, bigint> {
  const trace = Array.isArray(spansOrTrace) ? assembleTrace(spansOrTrace as Span[]) : (spansOrTrace as AssembledTrace);
  const out = new Map<string, bigint>();
  forEachNode(trace, (n) => {
    const s = n.span.startTimeUnixNano;
    const e = maxB(s, n.span.endTimeUnixNano);
    const covered = unionLength(
      n.children.map((c) => [c.span.startTimeUnixNano, c.span.endTimeUnixNano]),
      s,
      e,
    );
    if (!out.has(n.span.spanId)) out.set(n.span.spanId, e - s - covered);
  });
  return out;
}

function forEachNode(trace: AssembledTrace, visit: (n: TraceNode, parent: TraceNode | undefined) => void): void {
  const stack: [TraceNode, TraceNode | undefined][] = trace.roots.slice().reverse().map((r) => [r, undefined]);
  while (stack.length) {
    const [n, p] = stack.pop()!;
    visit(n, p);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push([n.children[i], n]);
  }
}

export interface OperationStats {
  service: string;
  operation: string;
  count: number;
  errorCount: number;
  totalNano: bigint;
  selfTotalNano: bigint;
  minNano: bigint;
  /** Mean duration, truncated to whole nanoseconds. */
  avgNano: bigint;
  maxNano: bigint;
  /** Mean self time, truncated. */
  selfAvgNano: bigint;
}

const spanDuration = (s: Span) => maxB(0n, s.endTimeUnixNano - s.startTimeUnixNano);

/**
 * Statistics per service + operation over one or more traces (each given as its spans): span count,
 * error count (status ERROR), total/min/avg/max duration and total/avg self time. Sorted by service,
 * then operation.
 */
export function traceStatistics(traces: readonly (readonly Span[])[]): OperationStats[] {
  const byKey = new Map<string, OperationStats>();
  for (const spans of traces) {
    const self = selfTimes(spans);
    for (const s of spans) {
      const key = `${s.resource.serviceName}\u0000${s.name}`;
      const d = spanDuration(s);
      let st = byKey.get(key);
      if (!st) {
        byKey.set(key, (st = { service: s.resource.serviceName, operation: s.name, count: 0, errorCount: 0, totalNano: 0n, selfTotalNano: 0n, minNano: d, avgNano: 0n, maxNano: d, selfAvgNano: 0n }));
      }
      st.count++;
      if (s.status.code === 2) st.errorCount++;
      st.totalNano += d;
      st.selfTotalNano += self.get(s.spanId) ?? d;
      if (d < st.minNano) st.minNano = d;
      if (d > st.maxNano) st.maxNano = d;
    }
  }
  const out = [...byKey.values()];
  for (const st of out) {
    st.avgNano = st.totalNano / BigInt(st.count);
    st.selfAvgNano = st.selfTotalNano / BigInt(st.count);
  }
  return out.sort((a, b) => cmpStr(a.service, b.service) || cmpStr(a.operation, b.operation));
}

const cmpStr = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A service + operation pair. */
export interface ServiceOperation {
  service: string;
  operation: string;
}

export interface CompareSide {
  /** Spans at this path, summed over the side's traces. */
  count: number;
  totalNano: bigint;
  /** Per trace of the side (a single trace: the same as count / totalNano), truncated for durations. */
  countPerTrace: number;
  durationPerTraceNano: bigint;
}

export interface CompareNode {
  /** Service + operation of every span from the root down to this node. */
  path: ServiceOperation[];
  /** `both`, `a` (only in A), or `b` (only in B). */
  presence: 'both' | 'a' | 'b';
  a: CompareSide;
  b: CompareSide;
  /** B − A, per trace. */
  countDelta: number;
  durationDeltaNano: bigint;
}

export interface TraceComparison {
  tracesA: number;
  tracesB: number;
  nodes: CompareNode[];
  onlyA: number;
  onlyB: number;
  both: number;
}

interface PathAgg {
  path: ServiceOperation[];
  count: number;
  total: bigint;
}

function pathAggregate(traces: readonly (readonly Span[])[]): Map<string, PathAgg> {
  const agg = new Map<string, PathAgg>();
  for (const spans of traces) {
    const trace = assembleTrace(spans);
    const keys = new Map<TraceNode, { key: string; path: ServiceOperation[] }>();
    forEachNode(trace, (n, parent) => {
      const so = { service: n.span.resource.serviceName, operation: n.span.name };
      const up = parent ? keys.get(parent)! : { key: '', path: [] };
      const me = { key: `${up.key}\u0001${so.service}\u0000${so.operation}`, path: [...up.path, so] };
      keys.set(n, me);
      let a = agg.get(me.key);
      if (!a) agg.set(me.key, (a = { path: me.path, count: 0, total: 0n }));
      a.count++;
      a.total += spanDuration(n.span);
    });
  }
  return agg;
}

/**
 * Compare two traces, or two groups of traces, aligned by the path of service + operation names from
 * the root (orphan subtrees start their own paths). Each node says whether it occurs in A only, B
 * only or both, with counts and durations per side and the per-trace deltas B − A. Nodes are in
 * path order (parents before children, then by name).
 */
export function compareTraces(a: readonly (readonly Span[])[], b: readonly (readonly Span[])[]): TraceComparison {
  const aggA = pathAggregate(a);
  const aggB = pathAggregate(b);
  const nA = a.length || 1;
  const nB = b.length || 1;
  const side = (p: PathAgg | undefined, n: number): CompareSide => ({
    count: p?.count ?? 0,
    totalNano: p?.total ?? 0n,
    countPerTrace: (p?.count ?? 0) / n,
    durationPerTraceNano: (p?.total ?? 0n) / BigInt(n),
  });
  const keys = [...new Set([...aggA.keys(), ...aggB.keys()])].sort(cmpStr);
  const res: TraceComparison = { tracesA: a.length, tracesB: b.length, nodes: [], onlyA: 0, onlyB: 0, both: 0 };
  for (const k of keys) {
    const pa = aggA.get(k);
    const pb = aggB.get(k);
    const presence = pa && pb ? 'both' : pa ? 'a' : 'b';
    if (presence === 'both') res.both++;
    else if (presence === 'a') res.onlyA++;
    else res.onlyB++;
    const sa = side(pa, nA);
    const sb = side(pb, nB);
    res.nodes.push({
      path: (pa ?? pb)!.path,
      presence,
      a: sa,
      b: sb,
      countDelta: sb.countPerTrace - sa.countPerTrace,
      durationDeltaNano: sb.durationPerTraceNano - sa.durationPerTraceNano,
    });
  }
  return res;
}

export interface DeepDependencyPath {
  /** Service + operation from the root of a trace to a leaf, passing through the focal node. */
  path: ServiceOperation[];
  /** Index in `path` of the (first) focal node. */
  focalIndex: number;
  /** How many leaf spans (over all traces) have this path. */
  count: number;
}

export interface DeepDependencyNode extends ServiceOperation {
  /** Hops from the focal node: negative upstream (callers), positive downstream (callees), 0 focal. */
  distance: number;
  count: number;
}

export interface DeepDependencyEdge {
  from: ServiceOperation;
  to: ServiceOperation;
  /** Distance of `to` from the focal node (the edge's downstream end). */
  distance: number;
  count: number;
}

export interface DeepDependencyGraph {
  focal: { service: string; operation?: string };
  paths: DeepDependencyPath[];
  nodes: DeepDependencyNode[];
  edges: DeepDependencyEdge[];
}

/**
 * Deep dependency graph of a service (optionally one operation), as Jaeger UI's: every root-to-leaf
 * path of the given traces that passes through a span of the focal service/operation, with its
 * upstream part (root → focal) and downstream part (focal → leaf); plus the distinct nodes and edges
 * of those paths keyed by their distance from the focal node, with occurrence counts.
 */
export function deepDependencies(traces: readonly (readonly Span[])[], focal: { service: string; operation?: string }): DeepDependencyGraph {
  const isFocal = (so: ServiceOperation) => so.service === focal.service && (focal.operation === undefined || focal.operation === so.operation);
  const paths = new Map<string, DeepDependencyPath>();
  for (const spans of traces) {
    const trace = assembleTrace(spans);
    const pathOf = new Map<TraceNode, ServiceOperation[]>();
    forEachNode(trace, (n, parent) => {
      const p = [...(parent ? pathOf.get(parent)! : []), { service: n.span.resource.serviceName, operation: n.span.name }];
      pathOf.set(n, p);
      if (n.children.length) return;
      const focalIndex = p.findIndex(isFocal);
      if (focalIndex < 0) return;
      const key = p.map((x) => `${x.service}\u0000${x.operation}`).join('\u0001');
      const ex = paths.get(key);
      if (ex) ex.count++;
      else paths.set(key, { path: p, focalIndex, count: 1 });
    });
  }
  const nodes = new Map<string, DeepDependencyNode>();
  const edges = new Map<string, DeepDependencyEdge>();
  const out = [...paths.values()].sort((x, y) => y.count - x.count || cmpStr(pathKey(x.path), pathKey(y.path)));
  for (const { path, focalIndex, count } of out) {
    path.forEach((so, i) => {
      const distance = i - focalIndex;
      const nk = `${distance}\u0001${so.service}\u0000${so.operation}`;
      const n = nodes.get(nk);
      if (n) n.count += count;
      else nodes.set(nk, { ...so, distance, count });
      if (i > 0) {
        const from = path[i - 1];
        const ek = `${distance}\u0001${from.service}\u0000${from.operation}\u0001${so.service}\u0000${so.operation}`;
        const e = edges.get(ek);
        if (e) e.count += count;
        else edges.set(ek, { from, to: so, distance, count });
      }
    });
  }
  const byDist = <T extends { distance: number }>(x: T, y: T, kx: string, ky: string) => x.distance - y.distance || cmpStr(kx, ky);
  return {
    focal: focal.operation === undefined ? { service: focal.service } : { service: focal.service, operation: focal.operation },
    paths: out,
    nodes: [...nodes.values()].sort((x, y) => byDist(x, y, pathKey([x]), pathKey([y]))),
    edges: [...edges.values()].sort((x, y) => byDist(x, y, pathKey([x.from, x.to]), pathKey([y.from, y.to]))),
  };
}

function pathKey(p: ServiceOperation[]): string {
  return p.map((x) => `${x.service}\u0000${x.operation}`).join('\u0001');
}
