import { useMemo } from 'react';
import { fetchDependencies, type DependencyLinkJson } from '../../api';
import { useAsync } from '../../useAsync';
import { layoutDependencies } from '../../model/dependencies';
import { serviceColor } from '../../model/colors';
import { navigate } from '../../router';
import { Empty, ErrorMessage, Loading } from '../common/States';

const LOOKBACKS: Array<[number, string]> = [
  [3_600_000, 'Last hour'],
  [6 * 3_600_000, 'Last 6 hours'],
  [86_400_000, 'Last 24 hours'],
  [2 * 86_400_000, 'Last 2 days'],
  [7 * 86_400_000, 'Last 7 days'],
];

/** `/dependencies?lookback=<ms>`: which service calls which, as a graph and a table. */
export function DependenciesPage({ query }: { query: URLSearchParams }) {
  const lookback = Number(query.get('lookback')) || 86_400_000;
  const state = useAsync(`deps:${lookback}`, (signal) => fetchDependencies(lookback, signal));
  return (
    <div className="deps-page" data-testid="dependencies-page">
      <div className="deps-toolbar">
        <h2>Service dependencies</h2>
        <label>
          Window{' '}
          <select data-testid="deps-lookback" value={lookback} onChange={(e) => navigate(`/dependencies?lookback=${e.target.value}`, { replace: true })}>
            {!LOOKBACKS.some(([v]) => v === lookback) && <option value={lookback}>{lookback} ms</option>}
            {LOOKBACKS.map(([v, label]) => (
              <option key={v} value={v}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {state.status === 'loading' || state.status === 'idle' ? (
        <Loading what="Loading dependencies" />
      ) : state.status === 'error' ? (
        <ErrorMessage title="Cannot load dependencies" error={state.error} />
      ) : state.data.length === 0 ? (
        <Empty>No service-to-service calls in this window.</Empty>
      ) : (
        <>
          <DependencyGraph links={state.data} />
          <DependencyTable links={state.data} />
        </>
      )}
    </div>
  );
}

const NODE_W = 170;
const NODE_H = 34;
const COL_GAP = 110;
const ROW_GAP = 26;

function DependencyGraph({ links }: { links: DependencyLinkJson[] }) {
  const g = useMemo(() => layoutDependencies(links), [links]);
  const width = g.layers * (NODE_W + COL_GAP) - COL_GAP + 140; // room on the right for back edges
  const height = g.maxRows * (NODE_H + ROW_GAP) - ROW_GAP + 40;
  const pos = (name: string) => {
    const n = g.byName.get(name)!;
    return { x: 20 + n.layer * (NODE_W + COL_GAP), y: 20 + n.row * (NODE_H + ROW_GAP) };
  };
  return (
    <div className="deps-graph-wrap">
      <svg className="deps-graph" data-testid="deps-graph" width={width} height={height} role="img" aria-label="Service dependency graph">
        <defs>
          <marker id="deps-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" className="deps-arrowhead" />
          </marker>
        </defs>
        {links.map((l, i) => {
          const a = pos(l.parent);
          const b = pos(l.child);
          let d: string;
          let lx: number;
          let ly: number;
          if (l.parent === l.child) {
            d = `M${a.x + NODE_W - 30},${a.y} C${a.x + NODE_W - 30},${a.y - 26} ${a.x + NODE_W + 10},${a.y - 26} ${a.x + NODE_W},${a.y + 8}`;
            lx = a.x + NODE_W - 10;
            ly = a.y - 20;
          } else {
            const x1 = a.x + NODE_W;
            const y1 = a.y + NODE_H / 2;
            const x2 = b.x;
            const y2 = b.y + NODE_H / 2;
            const back = x2 <= x1;
            const cx = back ? Math.max(x1, x2 + NODE_W) + 60 : (x1 + x2) / 2;
            d = back ? `M${x1},${y1} C${cx},${y1} ${cx},${y2} ${x2 + NODE_W},${y2}` : `M${x1},${y1} C${cx},${y1} ${cx},${y2} ${x2},${y2}`;
            lx = back ? cx : (x1 + x2) / 2;
            ly = (y1 + y2) / 2 - 4;
          }
          return (
            <g key={i} data-testid="deps-edge" data-parent={l.parent} data-child={l.child}>
              <path d={d} className="deps-edge" markerEnd="url(#deps-arrow)" />
              <text x={lx} y={ly} className="deps-edge-label" textAnchor="middle">
                {l.callCount}
              </text>
            </g>
          );
        })}
        {g.nodes.map((n) => {
          const p = pos(n.name);
          return (
            <g key={n.name} className="deps-node" data-testid="deps-node" data-service={n.name} onClick={() => navigate(`/search?service=${encodeURIComponent(n.name)}`)}>
              <title>{`${n.name}: search its traces`}</title>
              <rect x={p.x} y={p.y} width={NODE_W} height={NODE_H} rx={5} className="deps-node-box" />
              <rect x={p.x} y={p.y} width={6} height={NODE_H} rx={2} fill={serviceColor(n.name)} />
              <text x={p.x + 14} y={p.y + NODE_H / 2 + 4} className="deps-node-label">
                {n.name.length > 22 ? n.name.slice(0, 21) + '…' : n.name}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}

function DependencyTable({ links }: { links: DependencyLinkJson[] }) {
  const sorted = [...links].sort((a, b) => b.callCount - a.callCount || a.parent.localeCompare(b.parent) || a.child.localeCompare(b.child));
  return (
    <table className="deps-table" data-testid="deps-table">
      <thead>
        <tr>
          <th>Caller</th>
          <th>Callee</th>
          <th>Calls</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((l, i) => (
          <tr key={i} data-testid="dependency-row">
            <td>{l.parent}</td>
            <td>{l.child}</td>
            <td className="num">{l.callCount}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
