import type { TraceModel } from '../../model/trace';
import { formatDuration, formatTimestamp } from '../../model/format';
import { ServiceBadge } from '../common/ServiceBadge';
import type { JaegerTrace } from '../../model/jaeger';
import { downloadText, jaegerJsonText } from '../../model/upload';
import { fetchTraceOtlpText } from '../../api';
import { useState } from 'react';

export function TraceHeader({ model: m, trace, stored = true }: { model: TraceModel; trace?: JaegerTrace; stored?: boolean }) {
  const [dlError, setDlError] = useState('');
  const otlp = () => {
    setDlError('');
    fetchTraceOtlpText(m.traceID).then(
      (text) => downloadText(`trace-${m.traceID}.otlp.json`, text),
      (e: unknown) => setDlError(`OTLP download failed: ${(e as Error).message}`),
    );
  };
  return (
    <section className="trace-header" data-testid="trace-header">
      <h1>
        <span data-testid="trace-title">
          {m.rootServiceName}: {m.rootOperationName}
        </span>{' '}
        <span className="trace-id" data-testid="trace-id">
          {m.traceID}
        </span>
        {stored && <a className="trace-json-link" data-testid="trace-json-link" href={`/api/traces/${encodeURIComponent(m.traceID)}?prettyPrint=true`} target="_blank" rel="noreferrer">
          Trace JSON
        </a>}
        <span className="trace-downloads">
          {trace && (
            <button type="button" data-testid="download-jaeger" onClick={() => downloadText(`trace-${m.traceID}.json`, jaegerJsonText(trace))}>
              Download JSON
            </button>
          )}
          {stored && (
            <button type="button" data-testid="download-otlp" onClick={otlp}>
              Download OTLP
            </button>
          )}
        </span>
      </h1>
      {dlError && <div className="error-marker" data-testid="download-error">{dlError}</div>}
      <dl className="trace-facts">
        <div>
          <dt>Trace start</dt>
          <dd data-testid="trace-start">{formatTimestamp(m.startTime)}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd data-testid="trace-duration">{formatDuration(m.duration)}</dd>
        </div>
        <div>
          <dt>Services</dt>
          <dd data-testid="trace-service-count">{m.services.length}</dd>
        </div>
        <div>
          <dt>Depth</dt>
          <dd>{m.maxDepth + 1}</dd>
        </div>
        <div>
          <dt>Total spans</dt>
          <dd data-testid="trace-span-count">{m.spanCount}</dd>
        </div>
        {m.errorCount > 0 && (
          <div>
            <dt>Errors</dt>
            <dd className="error-marker" data-testid="trace-error-count">
              {m.errorCount}
            </dd>
          </div>
        )}
      </dl>
      <div className="trace-services" data-testid="trace-services">
        {m.services.map((s) => (
          <ServiceBadge key={s.name} name={s.name} count={s.spanCount} error={s.hasError} />
        ))}
      </div>
      {m.warnings.length > 0 && (
        <ul className="warnings" data-testid="trace-warnings">
          {m.warnings.map((w, i) => (
            <li key={i}>{w}</li>
          ))}
        </ul>
      )}
    </section>
  );
}
