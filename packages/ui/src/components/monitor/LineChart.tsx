export interface ChartPoint {
  t: number; // ms
  v: number;
}
export interface ChartSeries {
  name: string;
  points: ChartPoint[];
}

const W = 360;
const H = 140;
const PAD = { l: 60, r: 8, t: 8, b: 20 };
const COLORS = ['#1565c0', '#e65100', '#6a1b9a'];

function pad2(n: number) {
  return String(n).padStart(2, '0');
}
function hhmm(ms: number) {
  const d = new Date(ms);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}
const short = (v: number) => String(Number(v.toPrecision(3)));

/** A small SVG line chart; every label is text. */
export function LineChart({ title, series, unit, testId, domain }: { title: string; series: ChartSeries[]; unit: string; testId: string; domain?: [number, number] }) {
  const all = series.flatMap((s) => s.points);
  const tMin = domain?.[0] ?? Math.min(...all.map((p) => p.t));
  const tMax = domain?.[1] ?? Math.max(...all.map((p) => p.t));
  const vMax = Math.max(0, ...all.map((p) => p.v)) || 1;
  const x = (t: number) => PAD.l + (tMax > tMin ? ((t - tMin) / (tMax - tMin)) * (W - PAD.l - PAD.r) : 0);
  const y = (v: number) => H - PAD.b - (v / vMax) * (H - PAD.t - PAD.b);
  return (
    <figure className="line-chart" data-testid={testId}>
      <figcaption>
        {title}
        {series.length > 1 &&
          series.map((s, i) => (
            <span key={s.name} className="line-chart-legend" style={{ color: COLORS[i % COLORS.length] }}>
              {' '}
              ● {s.name}
            </span>
          ))}
      </figcaption>
      {all.length === 0 ? (
        <div className="line-chart-empty" data-testid="chart-empty">
          No data
        </div>
      ) : (
        <svg width={W} height={H} viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title}>
          <line x1={PAD.l} x2={W - PAD.r} y1={H - PAD.b} y2={H - PAD.b} stroke="var(--border)" />
          <line x1={PAD.l} x2={PAD.l} y1={PAD.t} y2={H - PAD.b} stroke="var(--border)" />
          <text x={PAD.l - 4} y={PAD.t + 8} textAnchor="end" fontSize="10" fill="var(--muted)" data-testid="chart-max">
            {short(vMax)}
            {unit}
          </text>
          <text x={PAD.l - 4} y={H - PAD.b} textAnchor="end" fontSize="10" fill="var(--muted)">
            0
          </text>
          <text x={PAD.l} y={H - 4} fontSize="10" fill="var(--muted)">
            {hhmm(tMin)}
          </text>
          <text x={W - PAD.r} y={H - 4} textAnchor="end" fontSize="10" fill="var(--muted)">
            {hhmm(tMax)}
          </text>
          {series.map((s, i) =>
            s.points.length === 1 ? (
              <circle key={s.name} cx={x(s.points[0].t)} cy={y(s.points[0].v)} r={2.5} fill={COLORS[i % COLORS.length]} />
            ) : (
              <polyline
                key={s.name}
                data-testid="chart-line"
                fill="none"
                stroke={COLORS[i % COLORS.length]}
                strokeWidth={1.5}
                points={s.points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ')}
              />
            ),
          )}
        </svg>
      )}
    </figure>
  );
}
