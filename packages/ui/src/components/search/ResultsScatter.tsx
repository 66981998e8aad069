import type { TraceModel } from '../../model/trace';
import { formatDuration, formatTimestamp } from '../../model/format';
import { navigate, tracePath } from '../../router';

const W = 1000;
const H = 150;
const PAD = { left: 56, right: 14, top: 12, bottom: 24 };

/** Search results as duration over start time; a point's size grows with span count; click opens the trace. */
export function ResultsScatter({ models }: { models: TraceModel[] }) {
  if (models.length === 0) return null;
  const t0 = Math.min(...models.map((m) => m.startTime));
  const t1 = Math.max(...models.map((m) => m.startTime));
  const dMax = Math.max(1, ...models.map((m) => m.duration));
  const x = (t: number) => PAD.left + (t1 === t0 ? (W - PAD.left - PAD.right) / 2 : ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right));
  const y = (d: number) => H - PAD.bottom - (d / dMax) * (H - PAD.top - PAD.bottom);
  return (
    <svg className="scatter" data-testid="results-scatter" viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Trace durations over time">
      <line className="scatter-axis" x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} />
      <line className="scatter-axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={H - PAD.bottom} />
      <text className="scatter-label" x={PAD.left - 6} y={PAD.top + 8} textAnchor="end">
        {formatDuration(dMax)}
      </text>
      <text className="scatter-label" x={PAD.left - 6} y={H - PAD.bottom} textAnchor="end">
        0
      </text>
      <text className="scatter-label" x={PAD.left} y={H - 6}>
        {formatTimestamp(t0)}
      </text>
      {t1 !== t0 && (
        <text className="scatter-label" x={W - PAD.right} y={H - 6} textAnchor="end">
          {formatTimestamp(t1)}
        </text>
      )}
      {models.map((m) => (
        <circle
          key={m.traceID}
          data-testid="scatter-point"
          data-trace-id={m.traceID}
          className={m.errorCount > 0 ? 'scatter-point scatter-point-error' : 'scatter-point'}
          cx={x(m.startTime)}
          cy={y(m.duration)}
          r={Math.min(14, 3 + Math.sqrt(m.spanCount))}
          onClick={() => navigate(tracePath(m.traceID))}
        >
          <title>{`${m.rootServiceName}: ${m.rootOperationName}\n${formatDuration(m.duration)}, ${m.spanCount} spans\n${formatTimestamp(m.startTime)}`}</title>
        </circle>
      ))}
    </svg>
  );
}
