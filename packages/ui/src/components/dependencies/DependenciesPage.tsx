import { useMemo } from 'react';
import { fetchDeepDependencies, fetchDependencies, type DeepDependencies, type DependencyLinkJson } from '../../api';
import { useAsync } from '../../useAsync';
import { layoutDependencies } from '../../model/dependencies';
import { serviceColor } from '../../model/colors';
import { Link, navigate } from '../../router';
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
  const focal = query.get('focal') ?? '';
  const state = useAsync(`deps:${lookback}`, (signal) => fetchDependencies(lookback, signal));
  const openFocal = (service: string) => navigate(`/dependencies?lookback=${lookback}&focal=${encodeURIComponent(service)}`);
  return (
    <div className="deps-page" data-testid="dependencies-page">
      <div className="deps-toolbar">
        <h2>Service dependencies</h2>
        <label>
          Window{' '}
          <select data-testid="deps-lookback" value={lookback} onChange={(e) => navigate(`/dependencies?lookback=${e.target.value}${focal ? `&focal=${encodeURIComponent(focal)}` : ''}`, { replace: true })}>
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
          <DependencyGraph links={state.data} onNode={openFocal} />
          {focal && <DeepDependencyView service={focal} lookback={lookback} />}
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

/** `12 calls · 8.3% errors` (the error rate only when the API gives errorCount). */
export function edgeLabel(l: DependencyLinkJson): string {
  const calls = `${l.callCount} ${l.callCount === 1 ? 'call' : 'calls'}`;
  if (l.errorCount === undefined) return calls;
  const rate = l.callCount > 0 ? (100 * l.errorCount) / l.callCount : 0;
  return `${calls} · ${Number(rate.toFixed(1))}% errors`;
}

function DependencyGraph({ links, onNode }: { links: DependencyLinkJson[]; onNode: (service: string) => void }) {
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
              <path d={d} className={`deps-edge${l.errorCount ? ' deps-edge-error' : ''}`} markerEnd="url(#deps-arrow)" />
              <text x={lx} y={ly} className={`deps-edge-label${l.errorCount ? ' deps-edge-label-error' : ''}`} textAnchor="middle" data-testid="deps-edge-label">
                {edgeLabel(l)}
              </text>
            </g>
          );
        })}
        {g.nodes.map((n) => {
          const p = pos(n.name);
          return (
            <g key={n.name} className="deps-node" data-testid="deps-node" data-service={n.name} onClick={() => onNode(n.name)}>
              <title>{`${n.name}: open its deep dependency graph`}</title>
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

/** The deep dependency graph of one service: the services/operations on paths through it, by distance. */
function DeepDependencyView({ service, lookback }: { service: string; lookback: number }) {
  const state = useAsync(`deep:${service}:${lookback}`, (signal) => fetchDeepDependencies(service, lookback, signal));
  return (
    <section className="deep-deps" data-testid="deep-deps" data-service={service}>
      <div className="deps-toolbar">
        <h3>
          Deep dependencies of <span data-testid="deep-focal">{service}</span>
        </h3>
        <Link to={`/search?service=${encodeURIComponent(service)}`} data-testid="deep-search-link">
          Search its traces
        </Link>
      </div>
      {state.status === 'loading' || state.status === 'idle' ? (
        <Loading what="Loading the deep dependency graph" />
      ) : state.status === 'error' ? (
        <ErrorMessage title="Cannot load the deep dependency graph" error={state.error} />
      ) : state.data.nodes.length === 0 ? (
        <Empty>No traces through {service} in this window.</Empty>
      ) : (
        <DeepGraph g={state.data} />
      )}
    </section>
  );
}

function DeepGraph({ g }: { g: DeepDependencies }) {
  const distances = [...new Set(g.nodes.map((n) => n.distance))].sort((a, b) => a - b);
  const label = (n: { service: string; operation?: string }) => (n.operation ? `${n.service}: ${n.operation}` : n.service);
  return (
    <>
      <p className="muted" data-testid="deep-trace-count">
        {g.traceCount} {g.traceCount === 1 ? 'trace' : 'traces'}
      </p>
      <div className="deep-columns">
        {distances.map((d) => (
          <div key={d} className="deep-column" data-testid="deep-column" data-distance={d}>
            <div className="muted">{d === 0 ? 'focal' : d < 0 ? `upstream ${-d}` : `downstream ${d}`}</div>
            {g.nodes
              .filter((n) => n.distance === d)
              .map((n) => (
                <div
                  key={label(n)}
                  className={`deep-node${d === 0 ? ' deep-node-focal' : ''}`}
                  data-testid="deep-node"
                  data-distance={d}
                  data-service={n.service}
                  style={{ borderLeftColor: serviceColor(n.service) }}
                >
                  <span className="deep-node-label">{label(n)}</span> <span className="muted">×{n.count}</span>
                </div>
              ))}
          </div>
        ))}
      </div>
      <table className="deps-table" data-testid="deep-edges">
        <thead>
          <tr>
            <th>From</th>
            <th>To</th>
            <th>Distance</th>
            <th>Count</th>
          </tr>
        </thead>
        <tbody>
          {g.edges.map((e, i) => (
            <tr key={i} data-testid="deep-edge">
              <td>{label(e.from)}</td>
              <td>{label(e.to)}</td>
              <td className="num">{e.distance}</td>
              <td className="num">{e.count}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
