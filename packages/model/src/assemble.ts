import type { Span } from './span.js';

export interface TraceNode {
  span: Span;
  children: TraceNode[];
  /** Depth from its root (roots are 0). */
  depth: number;
}

export interface AssembledTrace {
  traceId: string;
  /** True roots first (no parent), then orphans (parent not in the trace), each by start time. */
  roots: TraceNode[];
  /** Spans whose parent id names a span that is not in the trace. They are also in `roots`. */
  orphans: Span[];
  /** Every node by span id (the first span with that id, when a trace holds duplicates). */
  byId: Map<string, TraceNode>;
  spanCount: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
}

const byStart = (a: TraceNode, b: TraceNode) =>
  a.span.startTimeUnixNano < b.span.startTimeUnixNano ? -1 : a.span.startTimeUnixNano > b.span.startTimeUnixNano ? 1 : 0;

/**
 * Assemble the spans of one trace into a tree. Children are ordered by start time. Spans whose
 * parent is missing are kept (as orphan roots), never dropped; a parent cycle is broken by
 * treating the span that closes it as an orphan.
 */
export function assembleTrace(spans: readonly Span[]): AssembledTrace {
  const byId = new Map<string, TraceNode>();
  const nodes: TraceNode[] = [];
  let start = 0n;
  let end = 0n;
  for (const span of spans) {
    const node: TraceNode = { span, children: [], depth: 0 };
    nodes.push(node);
    if (!byId.has(span.spanId)) byId.set(span.spanId, node);
    if (nodes.length === 1 || span.startTimeUnixNano < start) start = span.startTimeUnixNano;
    if (nodes.length === 1 || span.endTimeUnixNano > end) end = span.endTimeUnixNano;
  }
  const roots: TraceNode[] = [];
  const orphanNodes: TraceNode[] = [];
  for (const node of nodes) {
    const pid = node.span.parentSpanId;
    const parent = pid ? byId.get(pid) : undefined;
    if (!pid) roots.push(node);
    else if (!parent || parent === node || createsCycle(node, parent, byId)) orphanNodes.push(node);
    else parent.children.push(node);
  }
  roots.sort(byStart);
  orphanNodes.sort(byStart);
  const allRoots = roots.concat(orphanNodes);
  const stack: TraceNode[] = [];
  for (const r of allRoots) {
    r.depth = 0;
    stack.push(r);
  }
  while (stack.length) {
    const n = stack.pop()!;
    n.children.sort(byStart);
    for (const c of n.children) {
      c.depth = n.depth + 1;
      stack.push(c);
    }
  }
  return {
    traceId: spans[0]?.traceId ?? '',
    roots: allRoots,
    orphans: orphanNodes.map((n) => n.span),
    byId,
    spanCount: spans.length,
    startTimeUnixNano: start,
    endTimeUnixNano: end,
  };
}

/** Would attaching `node` under `parent` close a loop? Walks parent ids up from `parent`. */
function createsCycle(node: TraceNode, parent: TraceNode, byId: Map<string, TraceNode>): boolean {
  let cur: TraceNode | undefined = parent;
  let steps = 0;
  while (cur && steps++ <= byId.size) {
    if (cur === node) return true;
    const pid: string = cur.span.parentSpanId;
    cur = pid ? byId.get(pid) : undefined;
  }
  return false;
}

/** Visit every node depth-first, parents before children, in start order. */
export function walkTrace(trace: AssembledTrace, visit: (node: TraceNode) => void): void {
  const stack = trace.roots.slice().reverse();
  while (stack.length) {
    const n = stack.pop()!;
    visit(n);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
  }
}
