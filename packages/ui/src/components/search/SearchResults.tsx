import { useMemo, useState } from 'react';
import type { JaegerTrace } from '../../model/jaeger';
import { buildTraceModel, type TraceModel } from '../../model/trace';
import { formatAgo, formatDuration, formatTimestamp } from '../../model/format';
import { comparePath, Link, navigate, tracePath } from '../../router';
import { ServiceBadge } from '../common/ServiceBadge';
import { ResultsScatter } from './ResultsScatter';

const SORTS = {
  recent: { label: 'Most recent', cmp: (a: TraceModel, b: TraceModel) => b.startTime - a.startTime },
  longest: { label: 'Longest first', cmp: (a: TraceModel, b: TraceModel) => b.duration - a.duration },
  shortest: { label: 'Shortest first', cmp: (a: TraceModel, b: TraceModel) => a.duration - b.duration },
  most: { label: 'Most spans', cmp: (a: TraceModel, b: TraceModel) => b.spanCount - a.spanCount },
  least: { label: 'Least spans', cmp: (a: TraceModel, b: TraceModel) => a.spanCount - b.spanCount },
} as const;
type SortKey = keyof typeof SORTS;

export function SearchResults({ traces, limit }: { traces: JaegerTrace[]; limit?: number }) {
  const [sort, setSort] = useState<SortKey>('recent');
  const [selected, setSelected] = useState<string[]>([]);
  const toggleSelected = (id: string) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id].slice(-2)));
  const models = useMemo(() => traces.map(buildTraceModel), [traces]);
  const sorted = useMemo(() => [...models].sort(SORTS[sort].cmp), [models, sort]);
  const maxDuration = Math.max(1, ...models.map((m) => m.duration));
  return (
    <div>
      <ResultsScatter models={models} />
      <div className="results-header">
        <span data-testid="results-count">
          {models.length} trace{models.length === 1 ? '' : 's'}
        </span>
        {limit !== undefined && models.length >= limit && (
          <span className="muted results-limit" data-testid="results-limit">
            (the limit; raise it or narrow the search to see more)
          </span>
        )}
        <button
          type="button"
          className="results-compare"
          data-testid="compare-button"
          disabled={selected.length !== 2}
          title="Tick two traces to compare them"
          onClick={() => navigate(comparePath(selected[0], selected[1]))}
        >
          Compare {selected.length}/2
        </button>
        <label className="results-sort">
          Sort:{' '}
          <select data-testid="results-sort" value={sort} onChange={(e) => setSort(e.target.value as SortKey)}>
            {Object.entries(SORTS).map(([k, v]) => (
              <option key={k} value={k}>
                {v.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ol className="results-list">
        {sorted.map((m) => (
          <li key={m.traceID} className="result-row">
            <input
              type="checkbox"
              className="result-select"
              data-testid="result-select"
              aria-label={`Select trace ${m.traceID} to compare`}
              checked={selected.includes(m.traceID)}
              onChange={() => toggleSelected(m.traceID)}
            />
            <ResultItem model={m} maxDuration={maxDuration} />
          </li>
        ))}
      </ol>
    </div>
  );
}

function ResultItem({ model: m, maxDuration }: { model: TraceModel; maxDuration: number }) {
  return (
    <Link to={tracePath(m.traceID)} className="result-item" data-testid="trace-result" data-trace-id={m.traceID}>
      <div className="result-title">
        <span className="result-bar" style={{ width: `${(m.duration / maxDuration) * 100}%` }} />
        <span className="result-name" data-testid="result-name">
          {m.rootServiceName}: {m.rootOperationName}
        </span>
        <span className="result-id">{m.traceID.slice(0, 7)}</span>
        <span className="result-duration" data-testid="result-duration">
          {formatDuration(m.duration)}
        </span>
      </div>
      <div className="result-body">
        <div className="result-counts">
          <span data-testid="result-span-count">
            {m.spanCount} span{m.spanCount === 1 ? '' : 's'}
          </span>
          {m.errorCount > 0 && (
            <span className="error-marker" data-testid="result-errors">
              {m.errorCount} error{m.errorCount === 1 ? '' : 's'}
            </span>
          )}
        </div>
        <div className="result-services">
          {m.services.map((s) => (
            <ServiceBadge key={s.name} name={s.name} count={s.spanCount} error={s.hasError} />
          ))}
        </div>
        <div className="result-time">
          <span data-testid="result-start">{formatTimestamp(m.startTime)}</span>
          <span className="muted">{formatAgo(m.startTime)}</span>
        </div>
      </div>
    </Link>
  );
}
