import { useCallback, useDeferredValue, useMemo, useState } from 'react';
import { fetchTrace } from '../../api';
import { useAsync } from '../../useAsync';
import { buildTraceModel, findSpans } from '../../model/trace';
import type { JaegerTrace } from '../../model/jaeger';
import { navigate, tracePath } from '../../router';
import { ErrorMessage, Loading, Empty } from '../common/States';
import { TraceHeader } from './TraceHeader';
import { Timeline } from './Timeline';

export function TracePage({ traceId, initialFind = '' }: { traceId: string; initialFind?: string }) {
  const state = useAsync(traceId, (signal) => fetchTrace(traceId, signal));
  if (state.status === 'loading' || state.status === 'idle') return <Loading what="Loading trace" />;
  if (state.status === 'error') return <ErrorMessage title={`Cannot show trace ${traceId}`} error={state.error} />;
  return <TraceView trace={state.data} routeId={traceId} initialFind={initialFind} />;
}

function TraceView({ trace, routeId, initialFind }: { trace: JaegerTrace; routeId: string; initialFind: string }) {
  const model = useMemo(() => buildTraceModel(trace), [trace]);
  // the in-trace find text is kept in the URL as Jaeger UI does (?uiFind=), without a history entry
  const [find, setFindState] = useState(initialFind);
  const setFind = useCallback(
    (text: string) => {
      setFindState(text);
      navigate(tracePath(routeId) + (text ? `?uiFind=${encodeURIComponent(text)}` : ''), { replace: true });
    },
    [routeId],
  );
  const deferredFind = useDeferredValue(find);
  const matches = useMemo(() => (deferredFind.trim() ? findSpans(model, deferredFind) : null), [model, deferredFind]);
  return (
    <div className="trace-page" data-testid="trace-page">
      <TraceHeader model={model} />
      {model.spanCount === 0 ? (
        <Empty>This trace has no spans.</Empty>
      ) : (
        <Timeline model={model} find={find} onFindChange={setFind} matches={matches} />
      )}
    </div>
  );
}
