import { useState, type FormEvent } from 'react';
import { Link, navigate, tracePath } from '../router';
import { setTheme, useTheme } from '../theme';

/** The top bar: brand, page links, and "find trace by id". */
export function TopNav() {
  const [id, setId] = useState('');
  const theme = useTheme();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    // one id opens the trace; several (space or comma separated) list them, as Jaeger UI does
    const ids = [...new Set(id.toLowerCase().split(/[\s,]+/).filter(Boolean))];
    if (ids.length === 0) return;
    setId('');
    navigate(ids.length === 1 ? tracePath(ids[0]) : `/search?${ids.map((x) => `traceID=${encodeURIComponent(x)}`).join('&')}`);
  };
  return (
    <header className="topnav" data-testid="topnav">
      <Link to="/search" className="topnav-brand">
        Ariadne
      </Link>
      <nav className="topnav-links">
        <Link to="/search" data-testid="nav-search">
          Search
        </Link>
        <Link to="/dependencies" data-testid="nav-dependencies">
          Dependencies
        </Link>
        <Link to="/monitor" data-testid="nav-monitor">
          Monitor
        </Link>
        <Link to="/upload" data-testid="nav-upload">
          Upload
        </Link>
      </nav>
      <form className="topnav-find" onSubmit={submit} role="search">
        <input
          data-testid="find-trace-input"
          aria-label="Find trace by id"
          placeholder="Lookup by Trace ID(s)…"
          value={id}
          onChange={(e) => setId(e.target.value)}
          spellCheck={false}
        />
        <button type="submit" data-testid="find-trace-button">
          Go
        </button>
      </form>
      <button
        type="button"
        className="topnav-theme"
        data-testid="theme-toggle"
        aria-label={theme === 'dark' ? 'Switch to light theme' : 'Switch to dark theme'}
        onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}
      >
        {theme === 'dark' ? 'Light' : 'Dark'}
      </button>
    </header>
  );
}
