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
import { injectable, getHeader, isHexUpTo, keysWithPrefix, normSpanId, normTraceId, safeDecode } from './util.js';

export const UBER_TRACE_ID = 'uber-trace-id';
export const UBER_BAGGAGE_PREFIX = 'uberctx-';
export const JAEGER_DEBUG_ID = 'jaeger-debug-id';

const MAX_BAGGAGE_ITEMS = 64;

/** Parses an uber-trace-id value (possibly URL-encoded); undefined when invalid. */
export function parseUberTraceId(raw: string): AriadneSpanContext | undefined {
  if (raw.length > 256) return undefined;
  let v = raw.charCodeAt(0) <= 32 || raw.charCodeAt(raw.length - 1) <= 32 ? raw.trim() : raw;
  if (v.includes('%')) {
    const d = safeDecode(v);
    if (d === undefined) return undefined;
    v = d;
  }
  const parts = v.split(':');
  if (parts.length !== 4) return undefined;
  const traceId = normTraceId(parts[0]);
  const spanId = normSpanId(parts[1]);
  if (!traceId || !spanId) return undefined;
  if (!isHexUpTo(parts[2], 16) || !isHexUpTo(parts[3], 2)) return undefined;
  const flags = parseInt(parts[3], 16);
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
