// Formatting helpers. Every function returns plain text; the UI never renders values as HTML.
import type { JaegerKeyValue } from './jaeger';

/** A duration in microseconds as short text: 950µs, 12.35ms, 1.2s, 3m 4s. */
export function formatDuration(us: number): string {
  if (!Number.isFinite(us)) return '?';
  const sign = us < 0 ? '-' : '';
  const a = Math.abs(us);
  if (a < 1000) return `${sign}${trim(a, a < 10 ? 2 : a < 100 ? 1 : 0)}µs`;
  if (a < 1_000_000) return `${sign}${trim(a / 1000, a < 10_000 ? 2 : a < 100_000 ? 1 : 0)}ms`;
  if (a < 60_000_000) return `${sign}${trim(a / 1_000_000, 2)}s`;
  const totalSec = Math.floor(a / 1_000_000);
  const h = Math.floor(totalSec / 3600);
  const m = Math.floor((totalSec % 3600) / 60);
  const s = totalSec % 60;
  return sign + (h > 0 ? `${h}h ${m}m` : `${m}m ${s}s`);
}

function trim(n: number, digits: number): string {
  return String(Number(n.toFixed(digits)));
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** Epoch microseconds as local `YYYY-MM-DD HH:mm:ss.SSS`. */
export function formatTimestamp(us: number): string {
  const d = new Date(Math.floor(us / 1000));
  if (Number.isNaN(d.getTime())) return '?';
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

/** How long ago, roughly: "12s ago", "5m ago", "3h ago", "2d ago". */
export function formatAgo(us: number, nowMs = Date.now()): string {
  const sec = Math.round((nowMs - us / 1000) / 1000);
  if (sec < 0) return 'in the future';
  if (sec < 60) return `${sec}s ago`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m ago`;
  if (sec < 86400) return `${Math.floor(sec / 3600)}h ago`;
  return `${Math.floor(sec / 86400)}d ago`;
}

/** The text form of a tag / field value, whatever JSON type it arrived as. */
export function valueToText(kv: Pick<JaegerKeyValue, 'value'>): string {
  const v = kv.value;
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') {
    try {
      return JSON.stringify(v);
    } catch {
      return String(v);
    }
  }
  return String(v);
}
