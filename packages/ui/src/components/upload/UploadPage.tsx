import { useState, useSyncExternalStore, type DragEvent } from 'react';
import { parseJson, transformOtlp } from '../../api';
import type { JaegerTrace } from '../../model/jaeger';
import { classifyUpload } from '../../model/upload';
import { buildTraceModel } from '../../model/trace';
import { formatDuration } from '../../model/format';
import { ErrorMessage, Loading } from '../common/States';
import { TraceView } from '../trace/TracePage';

// Uploaded traces live in memory for this tab only (never sent to storage), so going back to the
// page after opening another one still shows them.
let uploaded: { name: string; traces: JaegerTrace[] } | null = null;
const listeners = new Set<() => void>();
function setUploaded(v: typeof uploaded) {
  uploaded = v;
  for (const l of listeners) l();
}
const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};

async function readUpload(file: File): Promise<JaegerTrace[]> {
  const text = await file.text();
  let json: unknown;
  try {
    json = parseJson(text);
  } catch (e) {
    throw new Error(`${file.name} is not JSON: ${(e as Error).message}`);
  }
  const parsed = classifyUpload(json);
  return parsed.kind === 'jaeger' ? parsed.traces : transformOtlp(parsed.body);
}

/** Open a Jaeger JSON or OTLP JSON file and view it without storing it. */
export function UploadPage({ query }: { query: URLSearchParams }) {
  const current = useSyncExternalStore(subscribe, () => uploaded);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [selected, setSelected] = useState(0);
  const [dragging, setDragging] = useState(false);
  const load = (file: File | undefined) => {
    if (!file) return;
    setBusy(true);
    setError(null);
    readUpload(file).then(
      (traces) => {
        setUploaded({ name: file.name, traces });
        setSelected(0);
        setBusy(false);
      },
      (e: unknown) => {
        setError(e instanceof Error ? e : new Error(String(e)));
        setBusy(false);
      },
    );
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    load(e.dataTransfer.files[0]);
  };
  const trace = current?.traces[selected];
  return (
    <div className="upload-page" data-testid="upload-page">
      <div
        className={'upload-drop' + (dragging ? ' upload-drop-active' : '')}
        data-testid="upload-drop"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <label>
          Open a trace file (Jaeger JSON or OTLP JSON) or drop it here:{' '}
          <input type="file" accept=".json,application/json" data-testid="upload-input" onChange={(e) => load(e.target.files?.[0])} />
        </label>
        <div className="upload-note">The file is shown here only; nothing is stored. OTLP JSON is converted by the query service.</div>
      </div>
      {busy && <Loading what="Reading the file" />}
      {error && <ErrorMessage title="Cannot open the file" error={error} />}
      {current && !busy && (
        <>
          <div className="upload-list" data-testid="upload-list">
            <span>
              {current.name}: {current.traces.length} {current.traces.length === 1 ? 'trace' : 'traces'}
            </span>
            {current.traces.map((t, i) => {
              const m = buildTraceModel(t);
              return (
                <button
                  type="button"
                  key={`${t.traceID}-${i}`}
                  className={i === selected ? 'upload-trace active' : 'upload-trace'}
                  data-testid="upload-trace"
                  onClick={() => setSelected(i)}
                >
                  {m.rootServiceName}: {m.rootOperationName} ({m.spanCount} spans, {formatDuration(m.duration)})
                </button>
              );
            })}
          </div>
          {trace && <TraceView key={`${current.name}-${selected}`} trace={trace} basePath="/upload" initialFind={query.get('uiFind') ?? ''} stored={false} />}
        </>
      )}
    </div>
  );
}
