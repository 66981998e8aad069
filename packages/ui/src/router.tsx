// A tiny router on the History API. Routes follow Jaeger UI: `/search?…`, `/trace/{id}`; `/` is search.
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

const listeners = new Set<() => void>();

function notify() {
  for (const l of listeners) l();
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  if (listeners.size === 1) window.addEventListener('popstate', notify);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) window.removeEventListener('popstate', notify);
  };
}

function snapshot() {
  return window.location.pathname + window.location.search;
}

export interface Location {
  pathname: string;
  search: string;
  query: URLSearchParams;
}

/** The current location; components re-render when it changes. */
export function useLocation(): Location {
  const s = useSyncExternalStore(subscribe, snapshot);
  const q = s.indexOf('?');
  const pathname = q < 0 ? s : s.slice(0, q);
  const search = q < 0 ? '' : s.slice(q);
  return { pathname, search, query: new URLSearchParams(search) };
}

export function navigate(to: string, opts: { replace?: boolean } = {}) {
  if (to === snapshot()) return;
  if (opts.replace) {
    window.history.replaceState(null, '', to);
  } else {
    window.history.pushState(null, '', to);
    window.scrollTo(0, 0);
  }
  notify();
}

export type Route =
  | { name: 'search' }
  | { name: 'trace'; traceId: string }
  | { name: 'dependencies' }
  | { name: 'monitor' }
  | { name: 'upload' }
  | { name: 'compare'; a: string; b: string }
  | { name: 'notFound'; path: string };

export function matchRoute(pathname: string): Route {
  const p = pathname.replace(/\/+$/, '') || '/';
  if (p === '/' || p === '/search') return { name: 'search' };
  if (p === '/dependencies') return { name: 'dependencies' };
  if (p === '/monitor') return { name: 'monitor' };
  if (p === '/upload') return { name: 'upload' };
  const c = /^\/trace\/([^/]+?)\.\.\.([^/]+)$/.exec(p);
  if (c) return { name: 'compare', a: decodeURIComponent(c[1]), b: decodeURIComponent(c[2]) };
  const m = /^\/trace\/([^/]+)$/.exec(p);
  if (m) return { name: 'trace', traceId: decodeURIComponent(m[1]) };
  return { name: 'notFound', path: pathname };
}

export function tracePath(traceId: string): string {
  return `/trace/${encodeURIComponent(traceId)}`;
}

export function comparePath(a: string, b: string): string {
  return `/trace/${encodeURIComponent(a)}...${encodeURIComponent(b)}`;
}

/** An anchor that navigates in-app on a plain left click and behaves normally otherwise. */
export function Link({ to, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={handle} {...rest} />;
}
