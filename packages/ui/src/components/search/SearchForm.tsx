import { useEffect, useState, type FormEvent } from 'react';
import { fetchOperations, fetchServices, searchQueryString } from '../../api';
import { useAsync } from '../../useAsync';
import { LOOKBACKS, localInputToUs, usToLocalInput, validateForm, type SearchFormState } from './searchState';

export function SearchForm({ initial, onSearch }: { initial: SearchFormState; onSearch: (queryString: string) => void }) {
  const [form, setForm] = useState<SearchFormState>(initial);
  const [error, setError] = useState('');
  const services = useAsync('services', fetchServices);
  const operations = useAsync(form.service ? `ops:${form.service}` : null, (signal) => fetchOperations(form.service, signal));
  const set = (patch: Partial<SearchFormState>) => setForm((f) => ({ ...f, ...patch }));

  // With no service chosen yet, preselect the first one.
  const serviceList = services.status === 'ok' ? services.data : [];
  useEffect(() => {
    if (!form.service && serviceList.length > 0) setForm((f) => (f.service ? f : { ...f, service: serviceList[0] }));
  }, [form.service, serviceList]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const v = validateForm(form);
    if (!v.ok) {
      setError(v.error);
      return;
    }
    setError('');
    onSearch(searchQueryString(v.params));
  };

  const opList = operations.status === 'ok' ? operations.data : [];
  // A service or operation from the URL that the API does not (yet) list is still offered.
  const serviceOptions = form.service && !serviceList.includes(form.service) ? [form.service, ...serviceList] : serviceList;
  const opOptions = form.operation && !opList.includes(form.operation) ? [form.operation, ...opList] : opList;

  return (
    <form className="search-form" onSubmit={submit} data-testid="search-form">
      <h2>Search</h2>
      <label>
        <span>
          Service <span className="muted">({serviceList.length})</span>
        </span>
        <select
          data-testid="service-select"
          value={form.service}
          onChange={(e) => set({ service: e.target.value, operation: '' })}
          disabled={services.status === 'loading'}
        >
          {!form.service && <option value="">{services.status === 'loading' ? 'Loading…' : 'Select a service'}</option>}
          {serviceOptions.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      {services.status === 'error' && <div className="form-error" data-testid="services-error">Cannot load services: {services.error.message}</div>}
      <label>
        <span>
          Operation <span className="muted">({opList.length})</span>
        </span>
        <select data-testid="operation-select" value={form.operation} onChange={(e) => set({ operation: e.target.value })}>
          <option value="">all</option>
          {opOptions.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      </label>
      {operations.status === 'error' && <div className="form-error">Cannot load operations: {operations.error.message}</div>}
      <label>
        Tags
        <input
          data-testid="tags-input"
          value={form.tags}
          placeholder='http.status_code=200 error=true'
          onChange={(e) => set({ tags: e.target.value })}
          spellCheck={false}
        />
        <span className="hint">logfmt: key=value key2="value 2"</span>
      </label>
      <label>
        Lookback
        <select data-testid="lookback-select" value={form.lookback} onChange={(e) => {
            const lookback = e.target.value;
            if (lookback !== 'custom') return set({ lookback });
            // Start from the last hour, as Jaeger UI does.
            const now = Date.now() * 1000;
            setForm((f) => ({ ...f, lookback, start: f.start || String(now - 3_600_000_000), end: f.end || String(now) }));
          }}>
          {!LOOKBACKS.some(([v]) => v === form.lookback) && <option value={form.lookback}>{form.lookback}</option>}
          {LOOKBACKS.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
      </label>
      {form.lookback === 'custom' && (
        <div className="form-row" data-testid="custom-range">
          <label>
            Start
            <input
              data-testid="custom-start"
              type="datetime-local"
              step={1}
              value={usToLocalInput(form.start)}
              onChange={(e) => set({ start: localInputToUs(e.target.value) })}
            />
          </label>
          <label>
            End
            <input
              data-testid="custom-end"
              type="datetime-local"
              step={1}
              value={usToLocalInput(form.end)}
              onChange={(e) => set({ end: localInputToUs(e.target.value) })}
            />
          </label>
        </div>
      )}
      <div className="form-row">
        <label>
          Min duration
          <input data-testid="min-duration-input" value={form.minDuration} placeholder="e.g. 1.2s, 100ms" onChange={(e) => set({ minDuration: e.target.value })} />
        </label>
        <label>
          Max duration
          <input data-testid="max-duration-input" value={form.maxDuration} placeholder="e.g. 1.1s" onChange={(e) => set({ maxDuration: e.target.value })} />
        </label>
      </div>
      <label>
        Limit results
        <input data-testid="limit-input" type="number" min={1} value={form.limit} onChange={(e) => set({ limit: e.target.value })} />
      </label>
      {error && (
        <div className="form-error" data-testid="form-error" role="alert">
          {error}
        </div>
      )}
      <button type="submit" className="primary" data-testid="search-submit">
        Find Traces
      </button>
    </form>
  );
}
