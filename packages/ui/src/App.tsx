import { matchRoute, useLocation } from './router';
import { TopNav } from './components/TopNav';
import { SearchPage } from './components/search/SearchPage';
import { TracePage } from './components/trace/TracePage';
import { ComparePage } from './components/compare/ComparePage';
import { MonitorPage } from './components/monitor/MonitorPage';
import { UploadPage } from './components/upload/UploadPage';
import { DependenciesPage } from './components/dependencies/DependenciesPage';
import { ErrorMessage } from './components/common/States';
import { ErrorBoundary } from './components/common/ErrorBoundary';

export function App() {
  const loc = useLocation();
  const route = matchRoute(loc.pathname);
  return (
    <div className="app">
      <TopNav />
      <main className="app-main">
        <ErrorBoundary resetKey={loc.pathname}>
        {route.name === 'search' && <SearchPage query={loc.query} />}
        {route.name === 'trace' && <TracePage key={route.traceId} traceId={route.traceId} initialFind={loc.query.get('uiFind') ?? ''} />}
        {route.name === 'compare' && <ComparePage key={`${route.a}...${route.b}`} a={route.a} b={route.b} />}
        {route.name === 'monitor' && <MonitorPage query={loc.query} />}
        {route.name === 'upload' && <UploadPage query={loc.query} />}
        {route.name === 'dependencies' && <DependenciesPage query={loc.query} />}
        {route.name === 'notFound' && <ErrorMessage title="Page not found" error={`No page at ${route.path}`} />}
        </ErrorBoundary>
      </main>
    </div>
  );
}
