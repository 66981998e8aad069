// Comparing two traces' structure: spans are merged into one tree keyed by the path of
// (service, operation) from the root, and each node counts its spans in trace A and trace B.
import type { SpanNode, TraceModel } from './trace';

export type DiffStatus = 'same' | 'changed' | 'added' | 'removed';

export interface DiffNode {
  key: string;
  service: string;
  operation: string;
  depth: number;
  countA: number;
  countB: number;
  /** Total duration of this node's spans in each trace (µs). */
  durationA: number;
  durationB: number;
  status: DiffStatus;
  children: DiffNode[];
}

export interface TraceDiff {
  /** Depth-first, children in order of first appearance (A first, then B). */
  rows: DiffNode[];
  counts: Record<DiffStatus, number>;
}

export function compareTraces(a: TraceModel, b: TraceModel): TraceDiff {
  const roots: DiffNode[] = [];
  const byKey = new Map<string, DiffNode>();
  const add = (model: TraceModel, side: 'A' | 'B') => {
    // iterate in tree order; a node's key extends its parent's key
    const keyOf = new Map<SpanNode, string>();
    for (const n of model.spans) {
      const parent = n.parentID ? model.byId.get(n.parentID) : undefined;
      const parentKey = parent ? keyOf.get(parent) : undefined;
      const key = `${parentKey ?? ''}\u0000${n.serviceName}\u0001${n.span.operationName}`;
      keyOf.set(n, key);
      let d = byKey.get(key);
      if (!d) {
        d = { key, service: n.serviceName, operation: n.span.operationName, depth: n.depth, countA: 0, countB: 0, durationA: 0, durationB: 0, status: 'same', children: [] };
        byKey.set(key, d);
        const p = parentKey !== undefined ? byKey.get(parentKey) : undefined;
        (p ? p.children : roots).push(d);
      }
      if (side === 'A') {
        d.countA++;
        d.durationA += n.span.duration;
      } else {
        d.countB++;
        d.durationB += n.span.duration;
      }
    }
  };
  add(a, 'A');
  add(b, 'B');
  const rows: DiffNode[] = [];
  const counts: Record<DiffStatus, number> = { same: 0, changed: 0, added: 0, removed: 0 };
  const stack = [...roots].reverse();
  while (stack.length) {
    const d = stack.pop()!;
    d.status = d.countA === 0 ? 'added' : d.countB === 0 ? 'removed' : d.countA === d.countB ? 'same' : 'changed';
    counts[d.status]++;
    rows.push(d);
    for (let i = d.children.length - 1; i >= 0; i--) stack.push(d.children[i]);
  }
  return { rows, counts };
}
