// Service dependency graph layout: services in columns by their longest call depth from a caller-less
// service (cycles are cut), rows in order of first appearance. Pure, for the dependencies view.
export interface DependencyLink {
  parent: string;
  child: string;
  callCount: number;
}

export interface GraphNode {
  name: string;
  layer: number;
  row: number;
  calls: number;
}

export interface GraphLayout {
  nodes: GraphNode[];
  byName: Map<string, GraphNode>;
  layers: number;
  maxRows: number;
}

export function layoutDependencies(links: DependencyLink[]): GraphLayout {
  const names: string[] = [];
  const seen = new Set<string>();
  const out = new Map<string, string[]>();
  const indeg = new Map<string, number>();
  const calls = new Map<string, number>();
  for (const l of links) {
    for (const n of [l.parent, l.child]) {
      if (!seen.has(n)) {
        seen.add(n);
        names.push(n);
        out.set(n, []);
        indeg.set(n, 0);
      }
    }
    if (l.parent !== l.child) {
      out.get(l.parent)!.push(l.child);
      indeg.set(l.child, indeg.get(l.child)! + 1);
    }
    calls.set(l.child, (calls.get(l.child) ?? 0) + l.callCount);
  }
  // Kahn's algorithm with longest-path layers; whatever is left in cycles is placed after.
  const layer = new Map<string, number>();
  const queue = names.filter((n) => indeg.get(n) === 0);
  for (const n of queue) layer.set(n, 0);
  const remaining = new Map(indeg);
  for (let i = 0; i < queue.length; i++) {
    const n = queue[i];
    for (const c of out.get(n)!) {
      layer.set(c, Math.max(layer.get(c) ?? 0, layer.get(n)! + 1));
      remaining.set(c, remaining.get(c)! - 1);
      if (remaining.get(c) === 0) queue.push(c);
    }
  }
  for (const n of names) {
    if (!layer.has(n)) {
      // in a cycle: one column right of its deepest placed caller
      let l = 0;
      for (const lk of links) if (lk.child === n && layer.has(lk.parent)) l = Math.max(l, layer.get(lk.parent)! + 1);
      layer.set(n, l);
    }
  }
  const rowsPerLayer = new Map<number, number>();
  const nodes: GraphNode[] = names.map((name) => {
    const ly = layer.get(name)!;
    const row = rowsPerLayer.get(ly) ?? 0;
    rowsPerLayer.set(ly, row + 1);
    return { name, layer: ly, row, calls: calls.get(name) ?? 0 };
  });
  return {
    nodes,
    byName: new Map(nodes.map((n) => [n.name, n])),
    layers: Math.max(0, ...nodes.map((n) => n.layer + 1)),
    maxRows: Math.max(0, ...rowsPerLayer.values()),
  };
}
