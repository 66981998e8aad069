/** W3C Trace Context (`traceparent` / `tracestate`) and W3C Baggage (`baggage`). */
import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import { createTraceState, propagation, trace, baggageEntryMetadataFromString } from '@opentelemetry/api';
import type { AriadneSpanContext } from '../span.js';
import { injectable, getHeader, validSpanId, validTraceId } from './util.js';

export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';
export const BAGGAGE = 'baggage';

const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** Parses a traceparent; undefined when invalid. */
export function parseTraceparent(h: string): AriadneSpanContext | undefined {
  const v = h.trim();
  if (v.length > 512) return undefined;
  const m = TRACEPARENT_RE.exec(v);
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m;
  if (version === 'ff') return undefined;
  // version 00 has exactly four fields; later versions may append more after a dash
  if (version === '00' && rest !== undefined) return undefined;
  if (!validTraceId(traceId) || !validSpanId(spanId)) return undefined;
  return { traceId, spanId, traceFlags: parseInt(flags, 16) & 0xff, isRemote: true };
}

export class W3CTraceContextPropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const sc = trace.getSpanContext(context) as AriadneSpanContext | undefined;
    if (!sc || !injectable(sc.traceId, sc.spanId)) return;
    const flags = sc.traceFlags & 1 ? '01' : '00';
    setter.set(carrier, TRACEPARENT, `00-${sc.traceId}-${sc.spanId}-${flags}`);
    if (sc.traceState) {
      const ts = sc.traceState.serialize();
      if (ts) setter.set(carrier, TRACESTATE, ts);
    }
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const tp = getHeader(getter, carrier, TRACEPARENT);
    if (tp === undefined) return context;
    const sc = parseTraceparent(tp);
    if (!sc) return context;
    const ts = getHeader(getter, carrier, TRACESTATE, ',');
    if (ts !== undefined && ts.length <= 512) {
      try {
        sc.traceState = createTraceState(ts);
      } catch {
        // an invalid tracestate is dropped, the traceparent is kept
      }
    }
    return trace.setSpanContext(context, sc);
  }

  fields(): string[] {
    return [TRACEPARENT, TRACESTATE];
  }
}

/** W3C Baggage limits. */
const MAX_BAGGAGE_ENTRIES = 180;
const MAX_BAGGAGE_BYTES = 8192;
const MAX_ENTRY_BYTES = 4096;
const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export class W3CBaggagePropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const bag = propagation.getBaggage(context);
    if (!bag) return;
    const parts: string[] = [];
    let size = 0;
    for (const [key, entry] of bag.getAllEntries()) {
      if (parts.length >= MAX_BAGGAGE_ENTRIES) break;
      let s = `${encodeURIComponent(key)}=${encodeURIComponent(entry.value)}`;
      if (entry.metadata) s += `;${entry.metadata.toString()}`;
      if (s.length > MAX_ENTRY_BYTES || size + s.length + (parts.length ? 1 : 0) > MAX_BAGGAGE_BYTES) continue;
      size += s.length + (parts.length ? 1 : 0);
      parts.push(s);
    }
    if (parts.length) setter.set(carrier, BAGGAGE, parts.join(','));
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const h = getHeader(getter, carrier, BAGGAGE, ',');
    if (!h) return context;
    const entries: Record<string, { value: string; metadata?: ReturnType<typeof baggageEntryMetadataFromString> }> = Object.create(null);
    let n = 0;
    for (const raw of h.split(',')) {
      if (n >= MAX_BAGGAGE_ENTRIES) break;
      const item = raw.trim();
      if (!item || item.length > MAX_ENTRY_BYTES) continue;
      const semi = item.indexOf(';');
      const kv = semi === -1 ? item : item.slice(0, semi);
      const eq = kv.indexOf('=');
      if (eq <= 0) continue;
      const rawKey = kv.slice(0, eq).trim();
      let key: string;
      let value: string;
      try {
        key = decodeURIComponent(rawKey);
        value = decodeURIComponent(kv.slice(eq + 1).trim());
      } catch {
        continue;
      }
      if (!TOKEN_RE.test(rawKey)) continue;
      const entry: { value: string; metadata?: ReturnType<typeof baggageEntryMetadataFromString> } = { value };
      if (semi !== -1) entry.metadata = baggageEntryMetadataFromString(item.slice(semi + 1));
      entries[key] = entry;
      n++;
    }
    if (n === 0) return context;
    const existing = propagation.getBaggage(context);
    let bag = existing ?? propagation.createBaggage();
    for (const k in entries) bag = bag.setEntry(k, entries[k]);
    return propagation.setBaggage(context, bag);
  }

  fields(): string[] {
    return [BAGGAGE];
  }
}
