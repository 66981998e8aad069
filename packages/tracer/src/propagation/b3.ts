/**
 * Zipkin B3: the single `b3: {trace-id}-{span-id}[-{sampling}[-{parent-span-id}]]` header (or just
 * `b3: 0|1|d`) and the multi-header form (`X-B3-TraceId`, `X-B3-SpanId`, `X-B3-ParentSpanId`,
 * `X-B3-Sampled`, `X-B3-Flags`). Extraction accepts both (single first); injection writes one.
 */
import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import { trace } from '@opentelemetry/api';
import type { AriadneSpanContext } from '../span.js';
import { injectable, getHeader, normSpanId, normTraceId } from './util.js';

export const B3_SINGLE = 'b3';
export const B3_TRACE_ID = 'x-b3-traceid';
export const B3_SPAN_ID = 'x-b3-spanid';
export const B3_PARENT_SPAN_ID = 'x-b3-parentspanid';
export const B3_SAMPLED = 'x-b3-sampled';
export const B3_FLAGS = 'x-b3-flags';

export type B3InjectEncoding = 'single' | 'multi';

function b3Id(id: string, len: 16 | 32): string {
  if (id.length !== 16 && id.length !== 32) return '';
  if (len === 16 && id.length !== 16) return '';
  return len === 32 ? normTraceId(id) : normSpanId(id);
}

function parseSampled(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  const s = v.trim().toLowerCase();
  if (s === '1' || s === 'true' || s === 'd') return true;
  if (s === '0' || s === 'false') return false;
  return undefined;
}

export function parseB3Single(h: string): AriadneSpanContext | undefined {
  const parts = h.trim().split('-');
  if (parts.length < 2 || parts.length > 4) return undefined;
  const traceId = b3Id(parts[0], 32);
  const spanId = b3Id(parts[1], 16);
  if (!traceId || !spanId) return undefined;
  let flags = 0;
  let debug = false;
  if (parts.length >= 3) {
    const s = parts[2];
    if (s === 'd') debug = true;
    else if (s === '1') flags = 1;
    else if (s !== '0') return undefined;
  }
  if (parts.length === 4 && !b3Id(parts[3], 16)) return undefined;
  const sc: AriadneSpanContext = { traceId, spanId, traceFlags: debug ? 1 : flags, isRemote: true };
  if (debug) sc.debug = true;
  return sc;
}

export class B3Propagator implements TextMapPropagator {
  constructor(readonly injectEncoding: B3InjectEncoding = 'single') {}

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const sc = trace.getSpanContext(context) as AriadneSpanContext | undefined;
    if (!sc || !injectable(sc.traceId, sc.spanId)) return;
    const sampled = sc.traceFlags & 1 ? '1' : '0';
    if (this.injectEncoding === 'single') {
      setter.set(carrier, B3_SINGLE, `${sc.traceId}-${sc.spanId}-${sc.debug ? 'd' : sampled}`);
    } else {
      setter.set(carrier, B3_TRACE_ID, sc.traceId);
      setter.set(carrier, B3_SPAN_ID, sc.spanId);
      if (sc.debug) setter.set(carrier, B3_FLAGS, '1');
      else setter.set(carrier, B3_SAMPLED, sampled);
    }
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const single = getHeader(getter, carrier, B3_SINGLE);
    if (single !== undefined) {
      const sc = parseB3Single(single);
      if (sc) return trace.setSpanContext(context, sc);
    }
    const t = getHeader(getter, carrier, B3_TRACE_ID);
    const s = getHeader(getter, carrier, B3_SPAN_ID);
    if (t === undefined || s === undefined) return context;
    const traceId = b3Id(t.trim(), 32);
    const spanId = b3Id(s.trim(), 16);
    if (!traceId || !spanId) return context;
    const debug = getHeader(getter, carrier, B3_FLAGS)?.trim() === '1';
    const sampled = parseSampled(getHeader(getter, carrier, B3_SAMPLED));
    const sc: AriadneSpanContext = { traceId, spanId, traceFlags: debug || sampled ? 1 : 0, isRemote: true };
    if (debug) sc.debug = true;
    return trace.setSpanContext(context, sc);
  }

  fields(): string[] {
    return this.injectEncoding === 'single' ? [B3_SINGLE] : [B3_TRACE_ID, B3_SPAN_ID, B3_FLAGS, B3_SAMPLED];
  }
}
