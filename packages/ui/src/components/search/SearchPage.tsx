import { useCallback } from 'react';
import { fetchTracesById, searchQueryString, searchTraces } from '../../api';
import { useAsync } from '../../useAsync';
import { navigate } from '../../router';
import { SearchForm } from './SearchForm';
import { SearchResults } from './SearchResults';
import { formStateFromQuery, validateForm } from './searchState';
import { ErrorMessage, Loading, Empty } from '../common/States';

export function SearchPage({ query }: { query: URLSearchParams }) {
  const traceIds = query.getAll('traceID').filter(Boolean);
  if (traceIds.length > 0) return <TraceIdResults ids={traceIds} />;
  return <ServiceSearch query={query} />;
}

/** `/search?traceID=a&traceID=b`: the listed traces, and which ids were not found. */
function TraceIdResults({ ids }: { ids: string[] }) {
  const state = useAsync(ids.join(','), (signal) => fetchTracesById(ids, signal));
  const onSearch = useCallback((qs: string) => navigate(`/search?${qs}`), []);
  return (
    <div className="search-page">
      <aside className="search-side">
        <SearchForm initial={formStateFromQuery(new URLSearchParams())} onSearch={onSearch} />
      </aside>
      <section className="search-results" data-testid="search-results">
        {(state.status === 'loading' || state.status === 'idle') && <Loading what="Loading traces" />}
        {state.status === 'error' && <ErrorMessage title="Lookup failed" error={state.error} />}
        {state.status === 'ok' && (
          <>
            {state.data.notFound.length > 0 && (
              <div className="notice" data-testid="not-found-ids">
                Not found: {state.data.notFound.join(', ')}
              </div>
            )}
            {state.data.traces.length === 0 ? <Empty>None of these traces were found.</Empty> : <SearchResults traces={state.data.traces} />}
          </>
        )}
      </section>
    </div>
  );
}

function ServiceSearch({ query }: { query: URLSearchParams }) {
  const form = formStateFromQuery(query);
  const validated = form.service ? validateForm(form) : null;
  const params = validated?.ok ? validated.params : null;
  const key = params ? searchQueryString(params) : null;
  const results = useAsync(key, (signal) => searchTraces(params!, signal));
  const onSearch = useCallback((qs: string) => navigate(`/search?${qs}`), []);
  return (
    <div className="search-page">
      <aside className="search-side">
        <SearchForm key={query.toString()} initial={form} onSearch={onSearch} />
      </aside>
      <section className="search-results" data-testid="search-results">
        {validated && !validated.ok && <ErrorMessage title="Invalid search" error={validated.error} />}
        {!validated && <Empty>Choose a service and press Find Traces.</Empty>}
        {results.status === 'loading' && <Loading what="Searching" />}
        {results.status === 'error' && <ErrorMessage title="Search failed" error={results.error} />}
        {results.status === 'ok' &&
          (results.data.length === 0 ? (
            <Empty>No traces found. Try a longer lookback or fewer filters.</Empty>
          ) : (
            <SearchResults traces={results.data} limit={params?.limit} />
          ))}
      </section>
    </div>
  );
}
