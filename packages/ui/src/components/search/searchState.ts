// The search form's state lives in the URL query string (Jaeger UI's parameter names), so a
// search is deep-linkable: /search?service=frontend&operation=GET&tags={"http.status_code":"500"}&lookback=1h&limit=20
import type { SearchParams } from '../../api';
import { formatLogfmt, parseLogfmt } from '../../model/logfmt';

export const LOOKBACKS: Array<[string, string]> = [
  ['5m', 'Last 5 minutes'],
  ['15m', 'Last 15 minutes'],
  ['30m', 'Last 30 minutes'],
  ['1h', 'Last hour'],
  ['2h', 'Last 2 hours'],
  ['6h', 'Last 6 hours'],
  ['12h', 'Last 12 hours'],
  ['24h', 'Last 24 hours'],
  ['2d', 'Last 2 days'],
  ['7d', 'Last 7 days'],
  ['custom', 'Custom'],
];

/** Unix µs (as text) → a `datetime-local` input value in the browser's time zone (seconds precision). */
export function usToLocalInput(us: string): string {
  if (!/^\d+$/.test(us)) return '';
  const ms = Math.floor(Number(us) / 1000);
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().slice(0, 19);
}

/** A `datetime-local` input value (browser's time zone) → unix µs as text ('' when empty or invalid). */
export function localInputToUs(v: string): string {
  if (!v) return '';
  const ms = new Date(v).getTime();
  return Number.isNaN(ms) ? '' : String(ms * 1000);
}

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 1500;

export interface SearchFormState {
  service: string;
  operation: string;
  /** logfmt text as typed */
  tags: string;
  lookback: string;
  /** custom range (lookback `custom`): unix microseconds as text, Jaeger's `start`/`end` */
  start: string;
  end: string;
  minDuration: string;
  maxDuration: string;
  limit: string;
}

/** Read the form state from the URL. `tags` there is JSON (as Jaeger UI writes it) or logfmt. */
export function formStateFromQuery(q: URLSearchParams): SearchFormState {
  const rawTags = q.get('tags') ?? '';
  let tags = rawTags;
  if (rawTags.trim().startsWith('{')) {
    try {
      const obj = JSON.parse(rawTags) as unknown;
      if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
        tags = formatLogfmt(Object.fromEntries(Object.entries(obj as Record<string, unknown>).map(([k, v]) => [k, String(v)])));
      }
    } catch {
      /* keep the raw text; the form shows the parse error */
    }
  }
  const lookback = q.get('lookback') ?? '1h';
  return {
    service: q.get('service') ?? '',
    operation: q.get('operation') ?? '',
    tags,
    lookback: lookback || '1h',
    start: q.get('start') ?? '',
    end: q.get('end') ?? '',
    minDuration: q.get('minDuration') ?? '',
    maxDuration: q.get('maxDuration') ?? '',
    limit: q.get('limit') ?? String(DEFAULT_LIMIT),
  };
}

export type ValidatedSearch = { ok: true; params: SearchParams } | { ok: false; error: string };

const DURATION_RE = /^\d+(\.\d+)?(ns|us|µs|ms|s|m|h)$/;

export function validateForm(f: SearchFormState): ValidatedSearch {
  if (!f.service) return { ok: false, error: 'Choose a service.' };
  const parsed = parseLogfmt(f.tags);
  if (parsed.error) return { ok: false, error: `Tags: ${parsed.error}` };
  for (const [name, v] of [['Min duration', f.minDuration], ['Max duration', f.maxDuration]] as const) {
    if (v.trim() && !DURATION_RE.test(v.trim())) return { ok: false, error: `${name}: write a number with a unit, e.g. 1.2s, 100ms, 500us` };
  }
  let range: { start: string; end: string } | undefined;
  if (f.lookback === 'custom') {
    if (!/^\d+$/.test(f.start) || !/^\d+$/.test(f.end)) return { ok: false, error: 'Custom range: choose a start and an end.' };
    if (BigInt(f.start) > BigInt(f.end)) return { ok: false, error: 'Custom range: the start is after the end.' };
    range = { start: f.start, end: f.end };
  }
  const limit = Number(f.limit || DEFAULT_LIMIT);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) return { ok: false, error: `Limit: a whole number from 1 to ${MAX_LIMIT}` };
  return {
    ok: true,
    params: {
      service: f.service,
      operation: f.operation || undefined,
      tags: parsed.tags,
      minDuration: f.minDuration.trim() || undefined,
      maxDuration: f.maxDuration.trim() || undefined,
      lookback: f.lookback || '1h',
      ...range,
      limit,
    },
  };
}
