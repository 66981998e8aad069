import { useMemo } from 'react';
import { fetchMetric, fetchServices, type MetricFamily, type MetricsQuery } from '../../api';
import { useAsync } from '../../useAsync';
import { Link, navigate } from '../../router';
import { Empty, ErrorMessage, Loading } from '../common/States';
import { LineChart, type ChartPoint } from './LineChart';

const KINDS = ['server', 'client', 'producer', 'consumer', 'internal'];

const LOOKBACKS: [string, number][] = [
  ['Last 15 minutes', 15 * 60_000],
  ['Last hour', 3_600_000],
  ['Last 6 hours', 6 * 3_600_000],
  ['Last 24 hours', 24 * 3_600_000],
];

interface MonitorData {
  calls: MetricFamily;
  errors: MetricFamily;
  p50: MetricFamily;
  p95: MetricFamily;
  p99: MetricFamily;
  opCalls: MetricFamily;
  opErrors: MetricFamily;
  opP50: MetricFamily;
  opP95: MetricFamily;
  opP99: MetricFamily;
}

async function loadMonitor(q: MetricsQuery, signal: AbortSignal): Promise<MonitorData & { domain: [number, number] }> {
  const op = { ...q, groupByOperation: true };
  const [calls, errors, p50, p95, p99, opCalls, opErrors, opP50, opP95, opP99] = await Promise.all([
    fetchMetric('calls', q, signal),
    fetchMetric('errors', q, signal),
    fetchMetric('latencies', { ...q, quantile: 0.5 }, signal),
    fetchMetric('latencies', { ...q, quantile: 0.95 }, signal),
    fetchMetric('latencies', { ...q, quantile: 0.99 }, signal),
    fetchMetric('calls', op, signal),
    fetchMetric('errors', op, signal),
    fetchMetric('latencies', { ...op, quantile: 0.5 }, signal),
    fetchMetric('latencies', { ...op, quantile: 0.95 }, signal),
    fetchMetric('latencies', { ...op, quantile: 0.99 }, signal),
  ]);
  const end = q.endTs ?? Date.now();
  return { calls, errors, p50, p95, p99, opCalls, opErrors, opP50, opP95, opP99, domain: [end - q.lookbackMs, end] };
}

function points(f: MetricFamily | undefined, scale = 1): ChartPoint[] {
  const s = f?.metrics[0];
  if (!s) return [];
  return s.metricPoints.map((p) => ({ t: Date.parse(p.timestamp), v: (p.gaugeValue?.doubleValue ?? 0) * scale }));
}

function byOperation(f: MetricFamily): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const s of f.metrics) {
    const op = s.labels.find((l) => l.name === 'operation')?.value ?? '';
    m.set(op, s.metricPoints.map((p) => p.gaugeValue?.doubleValue ?? 0));
  }
  return m;
}

const mean = (xs: number[] | undefined) => (xs && xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);
const fmtNum = (v: number | undefined, unit: string, digits = 2) => (v === undefined || !Number.isFinite(v) ? '–' : `${Number(v.toFixed(digits))}${unit}`);

export interface OperationRow {
  operation: string;
  rate?: number; // req/s
  errorRate?: number; // 0..1
  p50?: number; // ms
  p95?: number;
  p99?: number;
}

/** One row per operation: the mean of each series over the window (points without calls are absent from errors/latencies). */
export function operationRows(d: MonitorData): OperationRow[] {
  const calls = byOperation(d.opCalls);
  const errors = byOperation(d.opErrors);
  const p50 = byOperation(d.opP50);
  const p95 = byOperation(d.opP95);
  const p99 = byOperation(d.opP99);
  const ops = [...new Set([...calls.keys(), ...p50.keys()])].sort();
  return ops.map((operation) => ({
    operation,
    rate: mean(calls.get(operation)),
    errorRate: mean(errors.get(operation)),
    p50: mean(p50.get(operation)),
    p95: mean(p95.get(operation)),
    p99: mean(p99.get(operation)),
  }));
}

export function MonitorPage({ query }: { query: URLSearchParams }) {
  const services = useAsync('services', (signal) => fetchServices(signal));
  const service = query.get('service') ?? '';
  const lookbackMs = Number(query.get('lookback')) || 3_600_000;
  const spanKind = KINDS.includes(query.get('spanKind') ?? '') ? (query.get('spanKind') as string) : 'server';
  const setParam = (k: string, v: string) => {
    const q = new URLSearchParams(query);
    q.set(k, v);
    navigate(`/monitor?${q}`, { replace: true });
  };
  // ~60 points over the window; each point is the rate over the last 10 minutes (Jaeger's default)
  // or the step when that is longer
  const stepMs = Math.max(1000, Math.round(lookbackMs / 60));
  const ratePerMs = Math.max(stepMs, 600_000);
  const key = service ? `${service}|${lookbackMs}|${spanKind}` : null;
  const data = useAsync(key, (signal) => loadMonitor({ service, lookbackMs, stepMs, ratePerMs, spanKind, endTs: Date.now() }, signal));
  const rows = useMemo(() => (data.status === 'ok' ? operationRows(data.data) : []), [data]);
  const svcList = services.status === 'ok' ? services.data : [];
  return (
    <div className="monitor-page" data-testid="monitor-page">
      <div className="monitor-controls">
        <label>
          Service{' '}
          <select data-testid="monitor-service" value={service} onChange={(e) => setParam('service', e.target.value)}>
            <option value="">Choose a service…</option>
            {svcList.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Window{' '}
          <select data-testid="monitor-lookback" value={String(lookbackMs)} onChange={(e) => setParam('lookback', e.target.value)}>
            {LOOKBACKS.map(([label, ms]) => (
              <option key={ms} value={String(ms)}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Span kind{' '}
          <select data-testid="monitor-kind" value={spanKind} onChange={(e) => setParam('spanKind', e.target.value)}>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        {services.status === 'error' && <ErrorMessage title="Cannot load services" error={services.error} />}
      </div>
      {!service && <Empty>Choose a service to see its request rate, error rate and latencies.</Empty>}
      {data.status === 'loading' && <Loading what="Loading metrics" />}
      {data.status === 'error' && <ErrorMessage title="Cannot load metrics" error={data.error} />}
      {data.status === 'ok' && (
        <>
          <div className="monitor-charts">
            <LineChart domain={data.data.domain} testId="chart-rate" title="Request rate (req/s)" series={[{ name: 'req/s', points: points(data.data.calls) }]} unit="/s" />
            <LineChart domain={data.data.domain} testId="chart-errors" title="Error rate (%)" series={[{ name: 'errors', points: points(data.data.errors, 100) }]} unit="%" />
            <LineChart
              domain={data.data.domain}
              testId="chart-latency"
              title="Latency (ms)"
              unit="ms"
              series={[
                { name: 'p50', points: points(data.data.p50) },
                { name: 'p95', points: points(data.data.p95) },
                { name: 'p99', points: points(data.data.p99) },
              ]}
            />
          </div>
          <h3>Operations</h3>
          {rows.length === 0 ? (
            <Empty>
              No {spanKind} spans of {service} in this window.
            </Empty>
          ) : (
            <table className="deps-table monitor-table" data-testid="monitor-ops">
              <thead>
                <tr>
                  <th>Operation</th>
                  <th>Req/s</th>
                  <th>Error rate</th>
                  <th>P50</th>
                  <th>P95</th>
                  <th>P99</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.operation} data-testid="monitor-op-row">
                    <td>
                      <Link to={`/search?${new URLSearchParams({ service, operation: r.operation })}`} data-testid="monitor-op-link">
                        {r.operation}
                      </Link>
                    </td>
                    <td className="num">{fmtNum(r.rate, '', 4)}</td>
                    <td className="num" data-testid="op-error-rate">{fmtNum(r.errorRate === undefined ? undefined : r.errorRate * 100, '%', 1)}</td>
                    <td className="num" data-testid="op-p50">{fmtNum(r.p50, 'ms')}</td>
                    <td className="num" data-testid="op-p95">{fmtNum(r.p95, 'ms')}</td>
                    <td className="num" data-testid="op-p99">{fmtNum(r.p99, 'ms')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </div>
  );
}
