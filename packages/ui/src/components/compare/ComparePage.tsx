import { useMemo } from 'react';
import { fetchTrace } from '../../api';
import { useAsync } from '../../useAsync';
import { buildTraceModel, type TraceModel } from '../../model/trace';
import { compareTraces } from '../../model/compare';
import { formatDuration, formatTimestamp } from '../../model/format';
import { serviceColor } from '../../model/colors';
import type { JaegerTrace } from '../../model/jaeger';
import { Link, tracePath } from '../../router';
import { ErrorMessage, Loading } from '../common/States';

/** `/trace/{a}...{b}`: two traces' structure side by side, merged by service/operation path. */
export function ComparePage({ a, b }: { a: string; b: string }) {
  const state = useAsync(`${a}...${b}`, (signal) => Promise.all([fetchTrace(a, signal), fetchTrace(b, signal)]));
  if (state.status === 'loading' || state.status === 'idle') return <Loading what="Loading traces" />;
  if (state.status === 'error') return <ErrorMessage title="Cannot compare" error={state.error} />;
  return <CompareView traces={state.data} />;
}

function CompareView({ traces }: { traces: [JaegerTrace, JaegerTrace] }) {
  const [ma, mb] = useMemo(() => traces.map(buildTraceModel) as [TraceModel, TraceModel], [traces]);
  const diff = useMemo(() => compareTraces(ma, mb), [ma, mb]);
  return (
    <div className="compare-page" data-testid="compare-page">
      <div className="compare-heads">
        <TraceCard label="A" model={ma} />
        <TraceCard label="B" model={mb} />
      </div>
      <div className="compare-legend" data-testid="compare-summary">
        <span className="diff-same">{diff.counts.same} same</span>
        <span className="diff-changed">{diff.counts.changed} changed</span>
        <span className="diff-removed">{diff.counts.removed} only in A</span>
        <span className="diff-added">{diff.counts.added} only in B</span>
      </div>
      <table className="compare-table">
        <thead>
          <tr>
            <th>Service &amp; Operation</th>
            <th>Spans A</th>
            <th>Spans B</th>
            <th>Time A</th>
            <th>Time B</th>
          </tr>
        </thead>
        <tbody>
          {diff.rows.map((d) => (
            <tr key={d.key} className={`diff-row diff-${d.status}`} data-testid="compare-row" data-status={d.status}>
              <td style={{ paddingLeft: `${8 + d.depth * 14}px` }}>
                <span className="span-service-bar" style={{ background: serviceColor(d.service) }} />{' '}
                <span className="span-service" data-testid="compare-service">
                  {d.service}
                </span>{' '}
                <span className="span-operation" data-testid="compare-operation">
                  {d.operation}
                </span>
              </td>
              <td className="num" data-testid="compare-count-a">
                {d.countA}
              </td>
              <td className="num" data-testid="compare-count-b">
                {d.countB}
              </td>
              <td className="num">{d.countA ? formatDuration(d.durationA) : ''}</td>
              <td className="num">{d.countB ? formatDuration(d.durationB) : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function TraceCard({ label, model: m }: { label: string; model: TraceModel }) {
  return (
    <div className="compare-card" data-testid={`compare-card-${label.toLowerCase()}`}>
      <div className="compare-card-label">{label}</div>
      <Link to={tracePath(m.traceID)} className="compare-card-title">
        {m.rootServiceName}: {m.rootOperationName}
      </Link>
      <div className="muted">
        <code>{m.traceID}</code> · {formatDuration(m.duration)} · {m.spanCount} spans · {formatTimestamp(m.startTime)}
      </div>
    </div>
  );
}
