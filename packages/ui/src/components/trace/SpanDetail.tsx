import type { SpanNode, TraceModel } from '../../model/trace';
import { formatDuration } from '../../model/format';
import { KeyValueTable } from '../common/KeyValueTable';
import { Link, tracePath } from '../../router';
import { selfTime } from '../../model/stats';

/** Everything about one span, as text: tags, process, logs (relative times), references, warnings. */
export function SpanDetail({ node: n, model, onFocusSpan }: { node: SpanNode; model: TraceModel; onFocusSpan: (id: string) => void }) {
  const s = n.span;
  const tags = s.tags ?? [];
  const logs = s.logs ?? [];
  const refs = s.references ?? [];
  const warnings = s.warnings ?? [];
  const processTags = n.process.tags ?? [];
  return (
    <div className="span-detail" data-testid="span-detail" data-span-id={n.spanID}>
      <div className="span-detail-head">
        <strong data-testid="detail-operation">{s.operationName}</strong>
        <span>
          Service: <b>{n.serviceName}</b>
        </span>
        <span>
          Duration: <b>{formatDuration(s.duration)}</b>
        </span>
        <span title="The duration minus the time covered by its child spans">
          Self time: <b data-testid="detail-self-time">{formatDuration(selfTime(n))}</b>
        </span>
        <span>
          Start: <b>{formatDuration(n.relStart)}</b>
        </span>
        <span>
          Span ID: <code data-testid="detail-span-id">{n.spanID}</code>
        </span>
      </div>
      <details open className="detail-section" data-testid="detail-tags">
        <summary>Tags ({tags.length})</summary>
        <KeyValueTable items={tags} testId="tags-table" />
      </details>
      <details className="detail-section" data-testid="detail-process">
        <summary>Process: {n.process.serviceName} ({processTags.length})</summary>
        <KeyValueTable items={processTags} testId="process-table" />
      </details>
      {logs.length > 0 && (
        <details open className="detail-section" data-testid="detail-logs">
          <summary>Logs ({logs.length})</summary>
          {logs.map((log, i) => (
            <div className="log-entry" key={i} data-testid="log-entry">
              <div className="log-time" data-testid="log-time">
                {formatDuration(log.timestamp - model.startTime)}
              </div>
              <KeyValueTable items={log.fields ?? []} />
            </div>
          ))}
        </details>
      )}
      {refs.length > 0 && (
        <details open className="detail-section" data-testid="detail-references">
          <summary>References ({refs.length})</summary>
          <ul className="ref-list">
            {refs.map((r, i) => {
              const inTrace = r.traceID === model.traceID || r.traceID === s.traceID ? model.byId.get(r.spanID) : undefined;
              return (
                <li key={i} data-testid="reference">
                  <span className="ref-type">{r.refType}</span>{' '}
                  {inTrace ? (
                    <button type="button" className="linklike" data-testid="reference-link" data-span-id={r.spanID} title="Jump to this span" onClick={() => onFocusSpan(r.spanID)}>
                      {inTrace.serviceName}: {inTrace.span.operationName} <code>{r.spanID}</code>
                    </button>
                  ) : r.traceID !== s.traceID ? (
                    <Link to={`${tracePath(r.traceID)}?uiFind=${encodeURIComponent(r.spanID)}`} data-testid="reference-link" data-span-id={r.spanID} title="Open the trace at this span">
                      trace <code>{r.traceID}</code> span <code>{r.spanID}</code>
                    </Link>
                  ) : (
                    <span>
                      span <code>{r.spanID}</code> (not in this trace)
                    </span>
                  )}
                </li>
              );
            })}
          </ul>
        </details>
      )}
      {warnings.length > 0 && (
        <details open className="detail-section" data-testid="detail-warnings">
          <summary>Warnings ({warnings.length})</summary>
          <ul className="warnings">
            {warnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}
