/**
 * Jaeger propagation: `uber-trace-id: {trace-id}:{span-id}:{parent-span-id}:{flags}` (64- or 128-bit
 * trace ids, hex, leading zeros optional; flags 0x01 sampled, 0x02 debug), baggage in
 * `uberctx-{key}` headers (URL-encoded values) and `jaeger-debug-id` (forces sampling of a new trace
 * and is recorded on its root span).
 */
import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import { propagation, trace } from '@opentelemetry/api';
import { JAEGER_DEBUG_ID_KEY } from '../core.js';
import type { AriadneSpanContext } from '../span.js';
import { injectable, getHeader, keysWithPrefix, normSpanId, normTraceId, safeDecode } from './util.js';

export const UBER_TRACE_ID = 'uber-trace-id';
export const UBER_BAGGAGE_PREFIX = 'uberctx-';
export const JAEGER_DEBUG_ID = 'jaeger-debug-id';

const MAX_BAGGAGE_ITEMS = 64;

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** s[from, to) is 1..max hex digits. */
function isHexRange(s: string, from: number, to: number, max: number): boolean {
  if (to <= from || to - from > max) return false;
  for (let i = from; i < to; i++) if (hexDigit(s.charCodeAt(i)) < 0) return false;
  return true;
}

/** The value of the 1..max hex digits in s[from, to), or -1. */
function hexValue(s: string, from: number, to: number, max: number): number {
  if (to <= from || to - from > max) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = hexDigit(s.charCodeAt(i));
    if (d < 0) return -1;
    n = n * 16 + d;
  }
  return n;
}

/** Parses an uber-trace-id value (possibly URL-encoded); undefined when invalid. */
export function parseUberTraceId(raw: string): AriadneSpanContext | undefined {
  if (raw.length > 256) return undefined;
  let v = raw.charCodeAt(0) <= 32 || raw.charCodeAt(raw.length - 1) <= 32 ? raw.trim() : raw;
  if (v.includes('%')) {
    const d = safeDecode(v);
    if (d === undefined) return undefined;
    v = d;
  }
  // four fields, found by index (no split: this runs for every incoming request)
  const a = v.indexOf(':');
  const b = a < 0 ? -1 : v.indexOf(':', a + 1);
  const c = b < 0 ? -1 : v.indexOf(':', b + 1);
  if (c < 0 || v.indexOf(':', c + 1) !== -1) return undefined;
  if (!isHexRange(v, b + 1, c, 16)) return undefined; // parent span id (deprecated, any value)
  const flags = hexValue(v, c + 1, v.length, 2);
  if (flags < 0) return undefined;
  const traceId = normTraceId(v.substring(0, a));
  const spanId = traceId ? normSpanId(v.substring(a + 1, b)) : '';
  if (!traceId || !spanId) return undefined;
  const sc: AriadneSpanContext = { traceId, spanId, traceFlags: flags & 1 || flags & 2 ? 1 : 0, isRemote: true };
  if (flags & 2) sc.debug = true;
  return sc;
}

export interface JaegerPropagatorOptions {
  /** Omit the high zero half of 64-bit trace ids when injecting (jaeger-client style). Default true. */
  shortTraceIds?: boolean;
}

export class JaegerPropagator implements TextMapPropagator {
  private readonly short: boolean;
  constructor(options: JaegerPropagatorOptions = {}) {
    this.short = options.shortTraceIds ?? true;
  }

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const sc = trace.getSpanContext(context) as AriadneSpanContext | undefined;
    if (sc && injectable(sc.traceId, sc.spanId)) {
      const tid = this.short && sc.traceId.startsWith('0000000000000000') ? sc.traceId.slice(16) : sc.traceId;
      const flags = (sc.traceFlags & 1) | (sc.debug ? 2 : 0);
      setter.set(carrier, UBER_TRACE_ID, `${tid}:${sc.spanId}:0:${flags.toString(16)}`);
    }
    const bag = propagation.getBaggage(context);
    if (bag) {
      for (const [k, e] of bag.getAllEntries()) setter.set(carrier, UBER_BAGGAGE_PREFIX + k, encodeURIComponent(e.value));
    }
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    let ctx = context;
    const h = getHeader(getter, carrier, UBER_TRACE_ID);
    const sc = h === undefined ? undefined : parseUberTraceId(h);
    if (sc) ctx = trace.setSpanContext(ctx, sc);
    else {
      const debugId = getHeader(getter, carrier, JAEGER_DEBUG_ID);
      if (debugId) ctx = ctx.setValue(JAEGER_DEBUG_ID_KEY, debugId.slice(0, 256));
    }
    const keys = keysWithPrefix(getter, carrier, UBER_BAGGAGE_PREFIX);
    if (keys.length) {
      let bag = propagation.getBaggage(ctx) ?? propagation.createBaggage();
      let n = 0;
      for (const k of keys) {
        if (n >= MAX_BAGGAGE_ITEMS) break;
        const raw = getHeader(getter, carrier, k);
        if (raw === undefined) continue;
        const value = safeDecode(raw);
        if (value === undefined) continue;
        bag = bag.setEntry(k.slice(UBER_BAGGAGE_PREFIX.length).toLowerCase(), { value });
        n++;
      }
      if (n) ctx = propagation.setBaggage(ctx, bag);
    }
    return ctx;
  }

  fields(): string[] {
    return [UBER_TRACE_ID, JAEGER_DEBUG_ID];
  }
}
