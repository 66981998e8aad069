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
    const first = prefix.charCodeAt(0);
    for (const k of keys) {
      if (typeof k !== 'string' || k.length <= prefix.length) continue;
      const c = k.charCodeAt(0) | 0x20; // ASCII lowercase
      if (c === first && k.slice(0, prefix.length).toLowerCase() === prefix) out.push(k);
    }
  } catch {
    // hostile carrier
  }
  return out;
}

/**
 * 0 = not hex, 1 = lowercase hex, 2 = hex with uppercase letters; all-zero ids count as not hex
 * (invalid). A char loop: several times cheaper than regular expressions on the hot path.
 */
function hexKind(id: string): 0 | 1 | 2 {
  let upper = false;
  let nonZero = false;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (c !== 48) nonZero = true;
    } else if (c >= 97 && c <= 102) nonZero = true;
    else if (c >= 65 && c <= 70) {
      nonZero = true;
      upper = true;
    } else return 0;
  }
  if (!nonZero) return 0;
  return upper ? 2 : 1;
}

export function validTraceId(id: string): boolean {
  return typeof id === 'string' && id.length === 32 && hexKind(id) === 1;
}
export function validSpanId(id: string): boolean {
  return typeof id === 'string' && id.length === 16 && hexKind(id) === 1;
}

const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';
/**
 * Cheap check before injecting a span context: right lengths, not the invalid all-zero ids. Ids
 * of contexts we extract or create are validated where they are made; an id that is not hex can
 * only come from a hand-built context, and the receiving side rejects it.
 */
export function injectable(traceId: unknown, spanId: unknown): boolean {
  return (
    typeof traceId === 'string' &&
    typeof spanId === 'string' &&
    traceId.length === 32 &&
    spanId.length === 16 &&
    traceId !== ZERO_TRACE &&
    spanId !== ZERO_SPAN
  );
}

function norm(id: string, len: number): string {
  if (id.length === 0 || id.length > len) return '';
  const k = hexKind(id);
  if (k === 0) return '';
  const lower = k === 2 ? id.toLowerCase() : id;
  return lower.length === len ? lower : lower.padStart(len, '0');
}

/** 1–32 hex chars (any case) → 32 lowercase chars, or '' when invalid or all zeros. */
export function normTraceId(id: string): string {
  return norm(id, 32);
}
export function normSpanId(id: string): string {
  return norm(id, 16);
}

/** Hex of 1..max chars, any case, zeros allowed. */
export function isHexUpTo(s: string, max: number): boolean {
  if (s.length === 0 || s.length > max) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

export function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
