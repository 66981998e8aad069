import type { TextMapGetter } from '@opentelemetry/api';

/** Longest header value any of our propagators reads; longer ones are treated as invalid. */
export const MAX_HEADER_LENGTH = 8192;

/**
 * Case-insensitive header lookup through an OTel getter. Arrays (repeated headers) yield their
 * first element, unless `join` is given (tracestate and baggage are lists that may be split over
 * several headers). Never throws; non-strings become undefined.
 */
export function getHeader<C>(getter: TextMapGetter<C>, carrier: C, name: string, join?: string): string | undefined {
  let v: unknown;
  try {
    v = getter.get(carrier, name);
    if (v === undefined) {
      const keys = getter.keys(carrier);
      if (Array.isArray(keys)) {
        for (const k of keys) {
          if (typeof k === 'string' && k.length === name.length && k.toLowerCase() === name) {
            v = getter.get(carrier, k);
            break;
          }
        }
      }
    }
  } catch {
    return undefined;
  }
  if (Array.isArray(v)) {
    if (join !== undefined) {
      const parts = v.filter((x) => typeof x === 'string');
      v = parts.length ? parts.join(join) : undefined;
    } else v = v[0];
  }
  if (typeof v !== 'string' || v.length > MAX_HEADER_LENGTH) return undefined;
  return v;
}

/** All carrier keys (lowercased) starting with `prefix`, with their original spelling. */
export function keysWithPrefix<C>(getter: TextMapGetter<C>, carrier: C, prefix: string): string[] {
  const out: string[] = [];
  try {
    const keys = getter.keys(carrier);
    if (!Array.isArray(keys)) return out;
    for (const k of keys) {
      if (typeof k === 'string' && k.length > prefix.length && k.toLowerCase().startsWith(prefix)) out.push(k);
    }
  } catch {
    // hostile carrier
  }
  return out;
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const ZERO = /^0+$/;

export function validTraceId(id: string): boolean {
  return HEX32.test(id) && !ZERO.test(id);
}
export function validSpanId(id: string): boolean {
  return HEX16.test(id) && !ZERO.test(id);
}

/** 1–32 hex chars (any case) → 32 lowercase chars, or '' when invalid or all zeros. */
export function normTraceId(id: string): string {
  if (id.length === 0 || id.length > 32) return '';
  const t = id.toLowerCase().padStart(32, '0');
  return validTraceId(t) ? t : '';
}
export function normSpanId(id: string): string {
  if (id.length === 0 || id.length > 16) return '';
  const s = id.toLowerCase().padStart(16, '0');
  return validSpanId(s) ? s : '';
}

export function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
