import { useMemo, useState } from 'react';
import { fetchTraceStats } from '../../api';
import { useAsync } from '../../useAsync';
import type { JaegerTrace } from '../../model/jaeger';
import type { TraceModel } from '../../model/trace';
import { traceGraph, traceStats, type OpStats } from '../../model/stats';
import { formatDuration } from '../../model/format';
import { serviceColor } from '../../model/colors';
import { ErrorMessage, Loading } from '../common/States';

type SortKey = 'service' | 'count' | 'total' | 'selfTotal' | 'avg' | 'max';

/** Per service/operation statistics: from /api/analytics for a stored trace, computed here for an uploaded one. */
export function TraceStatsView({ model, stored }: { model: TraceModel; stored: boolean }) {
  const server = useAsync(stored ? model.traceID : null, (signal) => fetchTraceStats(model.traceID, signal));
  const local = useMemo(() => (stored ? null : traceStats(model)), [model, stored]);
  const [sort, setSort] = useState<SortKey>('service');
  if (stored && (server.status === 'loading' || server.status === 'idle')) return <Loading what="Loading statistics" />;
  if (stored && server.status === 'error') return <ErrorMessage title="Cannot load statistics" error={server.error} />;
  const rows: OpStats[] = [...((stored ? (server.status === 'ok' ? server.data : []) : local) ?? [])];
  if (sort !== 'service') rows.sort((a, b) => b[sort] - a[sort]);
  const th = (k: SortKey, label: string) => (
    <th>
      <button type="button" className="link-button" data-testid={`stats-sort-${k}`} onClick={() => setSort(k)}>
        {label}
        {sort === k ? ' ▾' : ''}
      </button>
    </th>
  );
  return (
    <table className="deps-table trace-stats" data-testid="trace-stats">
      <thead>
        <tr>
          {th('service', 'Service')}
          <th>Operation</th>
          {th('count', 'Count')}
          <th>Errors</th>
          {th('total', 'Total')}
          {th('selfTotal', 'Self time')}
          <th>Min</th>
          {th('avg', 'Avg')}
          {th('max', 'Max')}
          <th>Self avg</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={`${r.service}\u0000${r.operation}`} data-testid="stats-row">
            <td>
              <span className="span-service-bar" style={{ background: serviceColor(r.service), width: 4, height: 14, marginRight: 6 }} />
              {r.service}
            </td>
            <td>{r.operation}</td>
            <td className="num">{r.count}</td>
            <td className="num">{r.errorCount}</td>
            <td className="num">{formatDuration(r.total)}</td>
            <td className="num">{formatDuration(r.selfTotal)}</td>
            <td className="num">{formatDuration(r.min)}</td>
            <td className="num">{formatDuration(r.avg)}</td>
            <td className="num">{formatDuration(r.max)}</td>
            <td className="num">{formatDuration(r.selfAvg)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const RAW_SPAN_LIMIT = 10_000;

/** The trace as Jaeger JSON text; past 10,000 spans only the first ones (Download JSON has them all). */
export function TraceJsonView({ trace }: { trace: JaegerTrace }) {
  const cut = trace.spans.length > RAW_SPAN_LIMIT;
  const text = useMemo(() => JSON.stringify(cut ? { ...trace, spans: trace.spans.slice(0, RAW_SPAN_LIMIT) } : trace, null, 2), [trace, cut]);
  return (
    <div className="trace-json" data-testid="trace-json">
      {cut && (
        <div className="upload-note" data-testid="trace-json-note">
          Showing the first {RAW_SPAN_LIMIT.toLocaleString('en-US')} of {trace.spans.length.toLocaleString('en-US')} spans; Download JSON saves them all.
        </div>
      )}
      <pre data-testid="trace-json-text">{text}</pre>
    </div>
  );
}

const NODE_W = 190;
const NODE_H = 40;
const GAP_X = 30;
const GAP_Y = 50;
const MAX_NODES = 400;

/** The trace as a DAG of service/operation nodes, edges labelled with call counts; also as a table. */
export function TraceGraphView({ model }: { model: TraceModel }) {
  const g = useMemo(() => traceGraph(model), [model]);
  const layout = useMemo(() => {
    const layers = new Map<number, typeof g.nodes>();
    for (const n of g.nodes.slice(0, MAX_NODES)) {
      const l = layers.get(n.layer) ?? [];
      l.push(n);
      layers.set(n.layer, l);
    }
    const pos = new Map<string, { x: number; y: number }>();
    let width = 0;
    const sorted = [...layers.keys()].sort((a, b) => a - b);
    sorted.forEach((layer, row) => {
      const ns = layers.get(layer)!;
      ns.forEach((n, i) => pos.set(n.id, { x: 10 + i * (NODE_W + GAP_X), y: 10 + row * (NODE_H + GAP_Y) }));
      width = Math.max(width, 10 + ns.length * (NODE_W + GAP_X));
    });
    return { pos, width, height: 20 + sorted.length * (NODE_H + GAP_Y) };
  }, [g]);
  const name = (id: string) => id.replace('\u0000', ': ');
  const clip = (s: string) => (s.length > 26 ? s.slice(0, 25) + '…' : s);
  return (
    <div className="trace-graph" data-testid="trace-graph">
      {g.nodes.length > MAX_NODES && <div className="upload-note">Drawing the first {MAX_NODES} of {g.nodes.length} nodes; the table lists every call.</div>}
      <div className="trace-graph-scroll">
        <svg width={layout.width} height={layout.height} role="img" aria-label="Trace graph">
          <defs>
            <marker id="tg-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto">
              <path d="M0,0 L10,5 L0,10 z" fill="var(--muted)" />
            </marker>
          </defs>
          {g.edges.map((e) => {
            const a = layout.pos.get(e.from);
            const b = layout.pos.get(e.to);
            if (!a || !b) return null;
            const x1 = a.x + NODE_W / 2;
            const y1 = a.y + NODE_H;
            const x2 = b.x + NODE_W / 2;
            const y2 = b.y;
            const self = e.from === e.to;
            return (
              <g key={`${e.from}\u0001${e.to}`} data-testid="graph-edge">
                {self ? (
                  <path d={`M${a.x + NODE_W},${a.y + 10} c30,0 30,20 0,20`} fill="none" stroke="var(--muted)" markerEnd="url(#tg-arrow)" />
                ) : (
                  <line x1={x1} y1={y1} x2={x2} y2={y2} stroke="var(--muted)" markerEnd="url(#tg-arrow)" />
                )}
                <text x={self ? a.x + NODE_W + 24 : (x1 + x2) / 2 + 4} y={self ? a.y + 24 : (y1 + y2) / 2} fontSize="11" fill="var(--text)" data-testid="graph-edge-count">
                  {e.count}
                </text>
              </g>
            );
          })}
          {g.nodes.map((n) => {
            const p = layout.pos.get(n.id);
            if (!p) return null;
            return (
              <g key={n.id} data-testid="graph-node">
                <title>{name(n.id)}</title>
                <rect x={p.x} y={p.y} width={NODE_W} height={NODE_H} rx={4} fill="var(--panel)" stroke={n.hasError ? 'var(--error)' : serviceColor(n.service)} strokeWidth={2} />
                <text x={p.x + 6} y={p.y + 16} fontSize="11" fontWeight="600" fill="var(--text)">
                  {clip(n.service)}
                </text>
                <text x={p.x + 6} y={p.y + 32} fontSize="11" fill="var(--text)">
                  {clip(n.operation)} ×{n.count}
                </text>
              </g>
            );
          })}
        </svg>
      </div>
      <table className="deps-table" data-testid="graph-table">
        <thead>
          <tr>
            <th>Caller</th>
            <th>Callee</th>
            <th>Calls</th>
          </tr>
        </thead>
        <tbody>
          {g.edges.slice(0, 2000).map((e) => (
            <tr key={`${e.from}\u0001${e.to}`} data-testid="graph-row">
              <td>{name(e.from)}</td>
              <td>{name(e.to)}</td>
              <td className="num">{e.count}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
