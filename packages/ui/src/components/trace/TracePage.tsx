import { useCallback, useDeferredValue, useMemo, useState } from 'react';
import { fetchTrace } from '../../api';
import { useAsync } from '../../useAsync';
import { buildTraceModel, findSpans } from '../../model/trace';
import type { JaegerTrace } from '../../model/jaeger';
import { navigate, tracePath } from '../../router';
import { ErrorMessage, Loading, Empty } from '../common/States';
import { TraceHeader } from './TraceHeader';
import { Timeline } from './Timeline';
import { TraceGraphView, TraceJsonView, TraceStatsView } from './TraceAltViews';

type ViewTab = 'timeline' | 'stats' | 'graph' | 'json';
const TABS: [ViewTab, string][] = [
  ['timeline', 'Timeline'],
  ['stats', 'Statistics'],
  ['graph', 'Graph'],
  ['json', 'Raw JSON'],
];

export function TracePage({ traceId, initialFind = '' }: { traceId: string; initialFind?: string }) {
  const state = useAsync(traceId, (signal) => fetchTrace(traceId, signal));
  if (state.status === 'loading' || state.status === 'idle') return <Loading what="Loading trace" />;
  if (state.status === 'error') return <ErrorMessage title={`Cannot show trace ${traceId}`} error={state.error} />;
  return <TraceView trace={state.data} basePath={tracePath(traceId)} initialFind={initialFind} stored />;
}

/** One trace: header, timeline and the alternate views. `basePath` is the page's path (find text goes in `?uiFind=`); `stored`: the trace is in the store (server-side views and downloads). */
export function TraceView({ trace, basePath, initialFind, stored }: { trace: JaegerTrace; basePath: string; initialFind: string; stored: boolean }) {
  const model = useMemo(() => buildTraceModel(trace), [trace]);
  // the in-trace find text is kept in the URL as Jaeger UI does (?uiFind=), without a history entry
  const [find, setFindState] = useState(initialFind);
  const setFind = useCallback(
    (text: string) => {
      setFindState(text);
      navigate(basePath + (text ? `?uiFind=${encodeURIComponent(text)}` : ''), { replace: true });
    },
    [basePath],
  );
  const [tab, setTab] = useState<ViewTab>('timeline');
  const deferredFind = useDeferredValue(find);
  const matches = useMemo(() => (deferredFind.trim() ? findSpans(model, deferredFind) : null), [model, deferredFind]);
  return (
    <div className="trace-page" data-testid="trace-page">
      <TraceHeader model={model} trace={trace} stored={stored} />
      <div className="trace-tabs" role="tablist" data-testid="trace-tabs">
        {TABS.map(([id, label]) => (
          <button key={id} type="button" role="tab" aria-selected={tab === id} className={tab === id ? 'trace-tab active' : 'trace-tab'} data-testid={`tab-${id}`} onClick={() => setTab(id)}>
            {label}
          </button>
        ))}
      </div>
      {model.spanCount === 0 ? (
        <Empty>This trace has no spans.</Empty>
      ) : tab === 'timeline' ? (
        <Timeline model={model} find={find} onFindChange={setFind} matches={matches} />
      ) : tab === 'stats' ? (
        <TraceStatsView model={model} stored={stored} />
      ) : tab === 'graph' ? (
        <TraceGraphView model={model} />
      ) : (
        <TraceJsonView trace={trace} />
      )}
    </div>
  );
}
