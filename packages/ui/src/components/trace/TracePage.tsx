import { useMemo } from 'react';
import { fetchTrace } from '../../api';
import { useAsync } from '../../useAsync';
import { buildTraceModel } from '../../model/trace';
import type { JaegerTrace } from '../../model/jaeger';
import { ErrorMessage, Loading, Empty } from '../common/States';
import { TraceHeader } from './TraceHeader';
import { Timeline } from './Timeline';

export function TracePage({ traceId }: { traceId: string }) {
  const state = useAsync(traceId, (signal) => fetchTrace(traceId, signal));
  if (state.status === 'loading' || state.status === 'idle') return <Loading what="Loading trace" />;
  if (state.status === 'error') return <ErrorMessage title={`Cannot show trace ${traceId}`} error={state.error} />;
  return <TraceView trace={state.data} />;
}

function TraceView({ trace }: { trace: JaegerTrace }) {
  const model = useMemo(() => buildTraceModel(trace), [trace]);
  return (
    <div className="trace-page" data-testid="trace-page">
      <TraceHeader model={model} />
      {model.spanCount === 0 ? <Empty>This trace has no spans.</Empty> : <Timeline model={model} />}
    </div>
  );
}
