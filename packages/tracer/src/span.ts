/**
 * The live span. It records into model-typed fields as it goes; `end()` hands a plain model
 * `Span` object (fixed shape, no references back into the tracer) to the reporter. Every method
 * tolerates bad input and never throws into application code.
 */
import type {
  Exception,
  Link,
  Span as ApiSpan,
  SpanAttributes,
  SpanAttributeValue,
  SpanContext,
  SpanStatus,
  TimeInput,
  TraceState,
} from '@opentelemetry/api';
import type { Attribute, AttributeValue, InstrumentationScope, SpanEvent, SpanLink, RefType, Span as ModelSpan } from '@ariadne/model';
import { toAttributeValue } from '@ariadne/model';
import { nowNanos, toNanos } from './time.js';
import type { TracerCore } from './core.js';

export interface SpanLimits {
  /** Attributes per span (and per event / link). */
  attributeCount: number;
  /** Longest string attribute value kept (longer ones are truncated); Infinity for none. */
  attributeValueLength: number;
  eventCount: number;
  linkCount: number;
}

export const DEFAULT_LIMITS: SpanLimits = Object.freeze({
  attributeCount: 128,
  attributeValueLength: Infinity,
  eventCount: 128,
  linkCount: 128,
});

/** Our span context: the OTel one plus Jaeger's debug flag. */
export interface AriadneSpanContext extends SpanContext {
  /** Jaeger debug flag (sampling forced by the caller); propagated as flag 0x02 / `X-B3-Flags: 1`. */
  debug?: boolean;
}

// Shared empty arrays: a finished model span is immutable, so spans without events, links or
// warnings can all point at these.
const EMPTY_EVENTS = Object.freeze([]) as unknown as SpanEvent[];
const EMPTY_LINKS = Object.freeze([]) as unknown as SpanLink[];
const EMPTY_WARNINGS = Object.freeze([]) as unknown as string[];
const UNSET_STATUS = Object.freeze({ code: 0, message: '' }) as { code: 0 | 1 | 2; message: string };

function truncate(s: string, max: number): string {
  return s.length > max ? s.slice(0, max) : s;
}

const TRUE_VALUE: AttributeValue = Object.freeze({ type: 'bool', value: true }) as AttributeValue;
const FALSE_VALUE: AttributeValue = Object.freeze({ type: 'bool', value: false }) as AttributeValue;

/**
 * An OTel attribute value → model value; undefined for values OTel does not accept (null,
 * undefined, objects, mixed arrays).
 */
export function otelValue(v: unknown, maxLen: number): AttributeValue | undefined {
  switch (typeof v) {
    case 'string':
      return { type: 'string', value: v.length > maxLen ? v.slice(0, maxLen) : v };
    case 'number':
      return Number.isInteger(v) ? { type: 'int', value: v } : { type: 'double', value: v };
    case 'boolean':
      return v ? TRUE_VALUE : FALSE_VALUE;
    case 'bigint':
      return { type: 'int', value: v };
    case 'object': {
      if (!Array.isArray(v)) return undefined;
      const out: AttributeValue[] = [];
      let kind: string | undefined;
      for (const x of v) {
        if (x === null || x === undefined) {
          out.push({ type: 'empty' });
          continue;
        }
        const t = typeof x;
        if (t !== 'string' && t !== 'number' && t !== 'boolean') return undefined;
        if (kind === undefined) kind = t;
        else if (kind !== t) return undefined;
        out.push(otelValue(x, maxLen)!);
      }
      return { type: 'array', value: out };
    }
    default:
      return undefined;
  }
}

/** Lenient conversion for OpenTracing tags/log fields: anything goes (objects become JSON). */
export function lenientValue(v: unknown, maxLen: number): AttributeValue {
  const r = otelValue(v, maxLen);
  if (r) return r;
  try {
    if (v instanceof Error) return { type: 'string', value: truncate(v.stack ?? String(v), maxLen) };
    const a = toAttributeValue(v);
    if (a.type === 'string') return { type: 'string', value: truncate(a.value, maxLen) };
    return a;
  } catch {
    return { type: 'string', value: '[unserialisable]' };
  }
}

/** Converts a whole attribute record, bounded by the limits. */
export function convertAttributes(attrs: SpanAttributes | undefined, limits: SpanLimits): { attributes: Attribute[]; dropped: number } {
  const out: Attribute[] = [];
  let dropped = 0;
  if (attrs && typeof attrs === 'object') {
    for (const key in attrs) {
      const v = otelValue(attrs[key], limits.attributeValueLength);
      if (v === undefined) continue;
      if (out.length >= limits.attributeCount) dropped++;
      else out.push({ key, value: v });
    }
  }
  return { attributes: out, dropped };
}

/**
 * An unsampled span: records nothing; its span id is drawn only if someone asks for its context
 * (to propagate it or parent on it), so a span that is started and ended costs almost nothing.
 */
export class UnsampledSpan implements ApiSpan {
  /** The OpenTracing wrapper of this span, if any. */
  ot: unknown = undefined;
  private ctx: AriadneSpanContext | undefined = undefined;
  /** `traceId` '' means: draw a new trace id too, on first use. */
  constructor(
    private readonly traceId: string,
    private readonly traceState: TraceState | undefined,
    private readonly ids: { span(): string; trace(): string },
  ) {}
  spanContext(): AriadneSpanContext {
    return (
      this.ctx ??
      (this.ctx = { traceId: this.traceId || this.ids.trace(), spanId: this.ids.span(), traceFlags: 0, traceState: this.traceState, isRemote: false })
    );
  }
  setAttribute(): this {
    return this;
  }
  setAttributes(): this {
    return this;
  }
  addEvent(): this {
    return this;
  }
  addLink(): this {
    return this;
  }
  addLinks(): this {
    return this;
  }
  setStatus(): this {
    return this;
  }
  updateName(): this {
    return this;
  }
  end(): void {}
  isRecording(): boolean {
    return false;
  }
  recordException(): void {}
}

export class RecordingSpan implements ApiSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  name: string;
  kind: number;
  readonly startTimeUnixNano: bigint;
  endTimeUnixNano = 0n;
  attributes: Attribute[] = [];
  droppedAttributesCount = 0;
  events: SpanEvent[] = EMPTY_EVENTS;
  droppedEventsCount = 0;
  links: SpanLink[] = EMPTY_LINKS;
  droppedLinksCount = 0;
  status: { code: 0 | 1 | 2; message: string } = UNSET_STATUS;
  readonly flags: number;
  readonly sampled: boolean;
  ended = false;
  /** The OpenTracing wrapper of this span, if any. */
  ot: unknown = undefined;
  private ctx: AriadneSpanContext | undefined = undefined;

  constructor(
    private readonly core: TracerCore,
    readonly scope: InstrumentationScope,
    traceId: string,
    spanId: string,
    parent: AriadneSpanContext | undefined,
    name: string,
    kind: number,
    startTime: TimeInput | bigint | undefined,
    sampled: boolean,
    private readonly traceStateObj: TraceState | undefined,
    readonly debug: boolean,
  ) {
    this.traceId = traceId;
    this.spanId = spanId;
    this.parentSpanId = parent ? parent.spanId : '';
    this.name = name;
    this.kind = kind;
    this.startTimeUnixNano = startTime === undefined ? nowNanos() : toNanos(startTime);
    this.sampled = sampled;
    // OTLP flags: W3C sampled bit, plus "has is_remote" (0x100) and "parent is remote" (0x200).
    this.flags = (sampled ? 1 : 0) | 0x100 | (parent && parent.isRemote ? 0x200 : 0);
  }

  spanContext(): AriadneSpanContext {
    let c = this.ctx;
    if (c === undefined) {
      c = { traceId: this.traceId, spanId: this.spanId, traceFlags: this.sampled ? 1 : 0, traceState: this.traceStateObj, isRemote: false };
      if (this.debug) c.debug = true;
      this.ctx = c;
    }
    return c;
  }

  setAttribute(key: string, value: SpanAttributeValue | unknown): this {
    if (this.ended || typeof key !== 'string' || key.length === 0) return this;
    const limits = this.core.limits;
    const v = otelValue(value, limits.attributeValueLength);
    if (v === undefined) return this;
    const attrs = this.attributes;
    for (let i = 0; i < attrs.length; i++) {
      if (attrs[i].key === key) {
        attrs[i] = { key, value: v };
        return this;
      }
    }
    if (attrs.length >= limits.attributeCount) this.droppedAttributesCount++;
    else attrs.push({ key, value: v });
    return this;
  }

  /** Sets a model-typed value (OpenTracing tags use this with lenient conversion). */
  putAttribute(key: string, v: AttributeValue): void {
    if (this.ended) return;
    const attrs = this.attributes;
    for (let i = 0; i < attrs.length; i++) {
      if (attrs[i].key === key) {
        attrs[i] = { key, value: v };
        return;
      }
    }
    if (attrs.length >= this.core.limits.attributeCount) this.droppedAttributesCount++;
    else attrs.push({ key, value: v });
  }

  /**
   * Immutable attribute objects shared between spans (the sampler's tags), added when the span
   * ends unless the span set the same keys itself (so they do not slow every setAttribute scan).
   */
  sharedAttributes: readonly Attribute[] | undefined = undefined;

  private appendShared(shared: readonly Attribute[]): void {
    // The model keeps duplicate keys as they come, so no scan: a span that set `sampler.type`
    // itself (unheard of) would carry both.
    const attrs = this.attributes;
    const limit = this.core.limits.attributeCount;
    for (let j = 0; j < shared.length; j++) {
      if (attrs.length >= limit) this.droppedAttributesCount++;
      else attrs.push(shared[j]);
    }
  }

  setAttributes(attributes: SpanAttributes): this {
    if (this.ended || !attributes || typeof attributes !== 'object') return this;
    for (const key in attributes) this.setAttribute(key, attributes[key]);
    return this;
  }

  addEvent(name: string, attributesOrStartTime?: SpanAttributes | TimeInput, startTime?: TimeInput): this {
    if (this.ended) return this;
    let attrs: SpanAttributes | undefined;
    if (attributesOrStartTime === undefined || attributesOrStartTime === null) {
      // nothing
    } else if (typeof attributesOrStartTime === 'number' || attributesOrStartTime instanceof Date || Array.isArray(attributesOrStartTime)) {
      startTime = attributesOrStartTime as TimeInput;
    } else {
      attrs = attributesOrStartTime as SpanAttributes;
    }
    const { attributes, dropped } = convertAttributes(attrs, this.core.limits);
    this.pushEvent({
      timeUnixNano: startTime === undefined ? nowNanos() : toNanos(startTime),
      name: String(name),
      attributes,
      droppedAttributesCount: dropped,
    });
    return this;
  }

  pushEvent(e: SpanEvent): void {
    if (this.ended) return;
    if (this.events === EMPTY_EVENTS) this.events = [];
    if (this.events.length >= this.core.limits.eventCount) this.droppedEventsCount++;
    else this.events.push(e);
  }

  addLink(link: Link): this {
    if (this.ended || !link || !link.context) return this;
    const c = link.context;
    const { attributes, dropped } = convertAttributes(link.attributes, this.core.limits);
    this.pushLink({
      traceId: String(c.traceId),
      spanId: String(c.spanId),
      traceState: c.traceState ? safeSerialize(c.traceState) : '',
      flags: (c.traceFlags & 0xff) | 0x100 | (c.isRemote ? 0x200 : 0),
      attributes,
      droppedAttributesCount: dropped + (link.droppedAttributesCount ?? 0),
    });
    return this;
  }

  /** Adds a model link (OpenTracing references use this, with refType). */
  pushLink(l: SpanLink & { refType?: RefType }): void {
    if (this.ended) return;
    if (this.links === EMPTY_LINKS) this.links = [];
    if (this.links.length >= this.core.limits.linkCount) this.droppedLinksCount++;
    else this.links.push(l);
  }

  addLinks(links: Link[]): this {
    if (Array.isArray(links)) for (const l of links) this.addLink(l);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.ended || !status) return this;
    const code = status.code;
    if (code !== 1 && code !== 2) return this; // UNSET (or junk) does not change anything
    if (this.status.code === 1) return this; // OK is final
    this.status = { code, message: code === 2 && typeof status.message === 'string' ? status.message : '' };
    return this;
  }

  updateName(name: string): this {
    if (!this.ended && typeof name === 'string') this.name = name;
    return this;
  }

  isRecording(): boolean {
    return !this.ended;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    if (this.ended) return;
    try {
      const attributes: Attribute[] = [];
      if (typeof exception === 'string') {
        attributes.push({ key: 'exception.message', value: { type: 'string', value: exception } });
      } else if (exception && typeof exception === 'object') {
        const e = exception as { name?: unknown; code?: unknown; message?: unknown; stack?: unknown };
        const type = e.code !== undefined && e.code !== null ? String(e.code) : typeof e.name === 'string' ? e.name : undefined;
        if (type) attributes.push({ key: 'exception.type', value: { type: 'string', value: type } });
        if (typeof e.message === 'string') attributes.push({ key: 'exception.message', value: { type: 'string', value: e.message } });
        if (typeof e.stack === 'string') attributes.push({ key: 'exception.stacktrace', value: { type: 'string', value: e.stack } });
      }
      this.pushEvent({ timeUnixNano: time === undefined ? nowNanos() : toNanos(time), name: 'exception', attributes, droppedAttributesCount: 0 });
    } catch {
      this.core.metrics.internalErrors++;
    }
  }

  end(endTime?: TimeInput | bigint): void {
    if (this.ended) {
      this.core.metrics.spansEndedTwice++;
      return;
    }
    this.ended = true;
    let end = endTime === undefined ? nowNanos() : toNanos(endTime);
    if (end < this.startTimeUnixNano) end = this.startTimeUnixNano;
    this.endTimeUnixNano = end;
    if (this.sharedAttributes !== undefined) this.appendShared(this.sharedAttributes);
    this.core.onEnd(this);
  }

  // The remaining model fields, so an ended RecordingSpan can be read as a model Span by a
  // reporter that only reads (Reporter.acceptsEndedSpans).
  get resource(): ModelSpan['resource'] {
    return this.core.resource;
  }
  get traceState(): string {
    return this.traceStateObj ? safeSerialize(this.traceStateObj) : '';
  }
  get warnings(): string[] {
    return EMPTY_WARNINGS;
  }

  /** The finished span as a plain, fixed-shape model object. */
  toModel(): ModelSpan {
    return {
      traceId: this.traceId,
      spanId: this.spanId,
      parentSpanId: this.parentSpanId,
      name: this.name,
      kind: this.kind as ModelSpan['kind'],
      startTimeUnixNano: this.startTimeUnixNano,
      endTimeUnixNano: this.endTimeUnixNano,
      attributes: this.attributes,
      droppedAttributesCount: this.droppedAttributesCount,
      events: this.events,
      droppedEventsCount: this.droppedEventsCount,
      links: this.links,
      droppedLinksCount: this.droppedLinksCount,
      status: this.status,
      traceState: this.traceStateObj ? safeSerialize(this.traceStateObj) : '',
      flags: this.flags,
      resource: this.core.resource,
      scope: this.scope,
      warnings: EMPTY_WARNINGS,
    };
  }
}

function safeSerialize(ts: TraceState): string {
  try {
    return ts.serialize();
  } catch {
    return '';
  }
}
