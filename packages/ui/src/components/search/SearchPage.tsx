import { useCallback } from 'react';
import { searchQueryString, searchTraces } from '../../api';
import { useAsync } from '../../useAsync';
import { navigate } from '../../router';
import { SearchForm } from './SearchForm';
import { SearchResults } from './SearchResults';
import { formStateFromQuery, validateForm } from './searchState';
import { ErrorMessage, Loading, Empty } from '../common/States';

export function SearchPage({ query }: { query: URLSearchParams }) {
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
