/**
 * The OpenTracing API face, built on the `opentracing` package's classes, over the same spans as
 * the OpenTelemetry face (an OpenTracing span wraps one of our OTel spans; both see the same active
 * context).
 */
import type { Context, Span as ApiSpan, TextMapPropagator } from '@opentelemetry/api';
import { createContextKey, defaultTextMapGetter, defaultTextMapSetter, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import * as ot from 'opentracing';
import type { RefType } from '@ariadne/model';
import type { AsyncLocalStorageContextManager } from './context-manager.js';
import type { TracerCore } from './core.js';
import { isUsableParent, JAEGER_DEBUG_ID_KEY } from './core.js';
import type { AriadneOtelTracer } from './otel.js';
import { LITE_ROOT } from './lite-context.js';
import type { AriadneSpanContext } from './span.js';
import { lenientValue, RecordingSpan, UnsampledSpan } from './span.js';
import { millisToNanos, nowNanos } from './time.js';

const OT_SCOPE_KEY = createContextKey('ariadne.opentracing.scope');

type Baggage = Map<string, string>;
const NO_BAGGAGE: Baggage = new Map();
const NO_REFS: ot.Reference[] = [];

export class AriadneOTSpanContext extends ot.SpanContext {
  constructor(
    /** The OTel span context; undefined for an extracted context that carries only baggage / a debug id. */
    readonly spanContext: AriadneSpanContext | undefined,
    readonly baggage: ReadonlyMap<string, string> = NO_BAGGAGE,
    readonly debugId?: string,
  ) {
    super();
  }
  override toTraceId(): string {
    return this.spanContext?.traceId ?? '';
  }
  override toSpanId(): string {
    return this.spanContext?.spanId ?? '';
  }
  isSampled(): boolean {
    return !!this.spanContext && (this.spanContext.traceFlags & 1) === 1;
  }
  isDebug(): boolean {
    return !!this.spanContext?.debug;
  }
}

const KIND_BY_TAG: Record<string, number> = { server: 2, client: 3, producer: 4, consumer: 5, internal: 1 };

export class AriadneOTSpan extends ot.Span {
  private ctx: AriadneOTSpanContext | undefined = undefined;
  private baggage: ReadonlyMap<string, string>;
  constructor(
    private readonly owner: AriadneOpenTracer,
    /** The span behind this one (recording or not), also what the OTel API sees. */
    readonly otelSpan: ApiSpan,
    baggage: ReadonlyMap<string, string>,
  ) {
    super();
    this.baggage = baggage;
    if (otelSpan instanceof RecordingSpan || otelSpan instanceof UnsampledSpan) otelSpan.ot = this;
  }
  override context(): AriadneOTSpanContext {
    return this._context();
  }
  protected override _context(): AriadneOTSpanContext {
    // created on first use: most spans are never asked for their context
    return this.ctx ?? (this.ctx = new AriadneOTSpanContext(this.otelSpan.spanContext(), this.baggage));
  }
  protected override _tracer(): AriadneOpenTracer {
    return this.owner;
  }
  protected override _setOperationName(name: string): void {
    this.otelSpan.updateName(String(name));
  }
  protected override _setBaggageItem(key: string, value: string): void {
    if (typeof key !== 'string') return;
    const b = new Map(this.baggage);
    b.set(key, String(value));
    this.baggage = b;
    this.ctx = new AriadneOTSpanContext(this.otelSpan.spanContext(), b);
  }
  /** This span's baggage (read-only view). */
  get baggageItems(): ReadonlyMap<string, string> {
    return this.baggage;
  }
  protected override _getBaggageItem(key: string): string | undefined {
    return this.baggage.get(key);
  }
  /** Same as the base class, without its per-call object. */
  override setTag(key: string, value: unknown): this {
    this.tag(key, value);
    return this;
  }
  protected override _addTags(tags: { [key: string]: unknown }): void {
    if (!(this.otelSpan instanceof RecordingSpan) || !tags || typeof tags !== 'object') return;
    for (const key of Object.keys(tags)) this.tag(key, tags[key]);
  }
  private tag(key: string, v: unknown): void {
    const s = this.otelSpan;
    if (!(s instanceof RecordingSpan) || v === undefined || typeof key !== 'string') return;
    if (key === ot.Tags.SPAN_KIND && typeof v === 'string' && KIND_BY_TAG[v.toLowerCase()] !== undefined) {
      s.kind = KIND_BY_TAG[v.toLowerCase()];
      return;
    }
    if (key === ot.Tags.ERROR && (v === true || v === 'true')) s.setStatus({ code: 2 });
    s.putAttribute(key, lenientValue(v, this.owner.core.limits.attributeValueLength));
  }
  protected override _log(fields: { [key: string]: unknown }, timestamp?: number): void {
    const s = this.otelSpan;
    if (!(s instanceof RecordingSpan) || !fields || typeof fields !== 'object') return;
    const max = this.owner.core.limits.attributeValueLength;
    let name = '';
    const attributes = [];
    for (const key of Object.keys(fields)) {
      const v = fields[key];
      if (key === 'event' && typeof v === 'string') {
        name = v;
        continue;
      }
      if (attributes.length >= this.owner.core.limits.attributeCount) continue;
      attributes.push({ key, value: lenientValue(v, max) });
    }
    const t = typeof timestamp === 'number' && Number.isFinite(timestamp) && timestamp > 0 ? millisToNanos(timestamp) : nowNanos();
    s.pushEvent({ timeUnixNano: t, name, attributes, droppedAttributesCount: 0 });
  }
  protected override _finish(finishTime?: number): void {
    const t = typeof finishTime === 'number' && Number.isFinite(finishTime) && finishTime > 0 ? millisToNanos(finishTime) : undefined;
    this.otelSpan.end(t as never);
  }
}

export class AriadneScope {
  private closed = false;
  ctx: Context = ROOT_CONTEXT;
  constructor(
    private readonly manager: AriadneScopeManager,
    private readonly sp: AriadneOTSpan,
    private readonly finishOnClose: boolean,
    readonly previous: Context,
  ) {}
  span(): AriadneOTSpan {
    return this.sp;
  }
  /** Ends the scope: finishes the span when asked to, and restores the previously active span. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.finishOnClose) this.sp.finish();
    this.manager.restore(this);
  }
}

/** OpenTracing scope manager on the tracer's AsyncLocalStorage context manager. */
export class AriadneScopeManager {
  constructor(
    private readonly cm: AsyncLocalStorageContextManager,
    private readonly owner: AriadneOpenTracer,
  ) {}

  /**
   * Makes `span` the active span for the rest of this synchronous execution and for async work
   * started from it, until the returned scope is closed.
   */
  activate(span: AriadneOTSpan, finishOnClose = false): AriadneScope {
    const prev = this.cm.active();
    const scope = new AriadneScope(this, span, finishOnClose, prev);
    scope.ctx = trace.setSpan(prev === ROOT_CONTEXT ? LITE_ROOT : prev, span.otelSpan).setValue(OT_SCOPE_KEY, scope);
    this.cm.enter(scope.ctx);
    return scope;
  }

  /** The scope activated last in the current context, or null. */
  active(): AriadneScope | null {
    const s = this.cm.active().getValue(OT_SCOPE_KEY);
    return s instanceof AriadneScope ? s : null;
  }

  /** The active span (activated through either API), as an OpenTracing span; null when none. */
  activeSpan(): AriadneOTSpan | null {
    return this.owner.spanFromContext(this.cm.active());
  }

  restore(scope: AriadneScope): void {
    // Only the innermost scope restores; closing out of order leaves the newer scope active.
    if (this.cm.active() === scope.ctx) this.cm.enter(scope.previous);
  }
}

export interface AriadneSpanOptions extends ot.SpanOptions {
  /** Do not parent on the active span when no childOf/references are given. */
  ignoreActiveSpan?: boolean;
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: false });

/**
 * The OpenTracing tracer. Also the object `initTracer` returns: `provider` and `getTracer()` give
 * the OpenTelemetry face of the same tracer.
 */
export class AriadneOpenTracer extends ot.Tracer {
  private readonly scopes: AriadneScopeManager;
  constructor(
    readonly core: TracerCore,
    readonly otelTracer: AriadneOtelTracer,
    readonly propagator: TextMapPropagator,
    readonly contextManager: AsyncLocalStorageContextManager,
  ) {
    super();
    this.scopes = new AriadneScopeManager(contextManager, this);
  }

  override startSpan(name: string, options?: AriadneSpanOptions): AriadneOTSpan {
    return super.startSpan(name, options) as AriadneOTSpan;
  }

  scopeManager(): AriadneScopeManager {
    return this.scopes;
  }

  /**
   * Binds a function or an EventEmitter to the current context (or `span`'s): the function, and
   * the emitter's listeners, run with that span active wherever they are called from.
   */
  bind<T>(target: T, span?: AriadneOTSpan): T {
    const base = this.contextManager.active();
    return this.contextManager.bind(span ? trace.setSpan(base, span.otelSpan) : base, target);
  }

  /** The active span as an OpenTracing span (null when none). */
  activeSpan(): AriadneOTSpan | null {
    return this.scopes.activeSpan();
  }

  spanFromContext(ctx: Context): AriadneOTSpan | null {
    const inner = trace.getSpan(ctx);
    if (!inner) return null;
    const w = (inner as { ot?: unknown }).ot;
    if (w instanceof AriadneOTSpan && w.otelSpan === inner) return w;
    return new AriadneOTSpan(this, inner, baggageFromContext(ctx));
  }

  protected override _startSpan(name: string, fields: AriadneSpanOptions): AriadneOTSpan {
    let parent: AriadneOTSpanContext | undefined;
    let parentIsFollowsFrom = false;
    const refs = Array.isArray(fields.references) ? fields.references : NO_REFS;
    for (const r of refs) {
      if (!(r instanceof ot.Reference)) continue;
      const c = r.referencedContext();
      if (!(c instanceof AriadneOTSpanContext)) continue;
      if (r.type() === ot.REFERENCE_CHILD_OF) {
        if (!parent || parentIsFollowsFrom) {
          parent = c;
          parentIsFollowsFrom = false;
        }
      } else if (!parent) {
        parent = c;
        parentIsFollowsFrom = true;
      }
    }
    let parentSc: AriadneSpanContext | undefined;
    let baggage: ReadonlyMap<string, string> = NO_BAGGAGE;
    let debugId: string | undefined;
    if (parent) {
      if (isUsableParent(parent.spanContext)) parentSc = parent.spanContext;
      baggage = parent.baggage;
      debugId = parent.debugId;
    } else if (refs.length === 0 && !fields.ignoreActiveSpan) {
      const active = this.contextManager.active();
      if (active === ROOT_CONTEXT) return this.startRoot(name, fields);
      const activeSpan = trace.getSpan(active);
      const ps = activeSpan?.spanContext() as AriadneSpanContext | undefined;
      if (isUsableParent(ps)) parentSc = ps;
      const os = (activeSpan as { ot?: unknown } | undefined)?.ot;
      baggage = os instanceof AriadneOTSpan ? os.baggageItems : baggageFromContext(active);
      if (!parentSc) {
        const d = active.getValue(JAEGER_DEBUG_ID_KEY);
        if (typeof d === 'string') debugId = d;
      }
    }
    const st = typeof fields.startTime === 'number' && Number.isFinite(fields.startTime) && fields.startTime > 0 ? millisToNanos(fields.startTime) : undefined;
    const inner = this.core.startSpan(name, 1, parentSc, this.otelTracer.scope, undefined, undefined, st, parentSc ? undefined : debugId);
    const span = new AriadneOTSpan(this, inner, baggage);
    if (inner instanceof RecordingSpan) {
      for (const r of refs) {
        if (!(r instanceof ot.Reference)) continue;
        const c = r.referencedContext();
        if (!(c instanceof AriadneOTSpanContext) || !isUsableParent(c.spanContext)) continue;
        const refType: RefType = r.type() === ot.REFERENCE_CHILD_OF ? 'CHILD_OF' : 'FOLLOWS_FROM';
        // the parent itself is parentSpanId, not a link (unless it was a follows-from reference)
        if (c === parent && refType === 'CHILD_OF') continue;
        const sc = c.spanContext;
        inner.pushLink({
          traceId: sc.traceId,
          spanId: sc.spanId,
          traceState: sc.traceState ? sc.traceState.serialize() : '',
          flags: (sc.traceFlags & 0xff) | 0x100 | (sc.isRemote ? 0x200 : 0),
          attributes: [],
          droppedAttributesCount: 0,
          refType,
        });
      }
      if (fields.tags) span.addTags(fields.tags);
    }
    return span;
  }

  /** No parent, no references, no active span: the common case for a new trace. */
  private startRoot(name: string, fields: AriadneSpanOptions): AriadneOTSpan {
    const st = typeof fields.startTime === 'number' && Number.isFinite(fields.startTime) && fields.startTime > 0 ? millisToNanos(fields.startTime) : undefined;
    const span = new AriadneOTSpan(this, this.core.startSpan(name, 1, undefined, this.otelTracer.scope, undefined, undefined, st), NO_BAGGAGE);
    if (fields.tags) span.addTags(fields.tags);
    return span;
  }

  /**
   * Starts a span (child of the active one), makes it active while `fn` runs, and finishes it when
   * `fn` returns or its promise settles (tagging `error` and logging when it throws or rejects).
   */
  startActiveSpan<T>(name: string, fn: (span: AriadneOTSpan) => T): T;
  startActiveSpan<T>(name: string, options: AriadneSpanOptions & { finishOnClose?: boolean }, fn: (span: AriadneOTSpan) => T): T;
  startActiveSpan<T>(
    name: string,
    a2: (AriadneSpanOptions & { finishOnClose?: boolean }) | ((span: AriadneOTSpan) => T),
    a3?: (span: AriadneOTSpan) => T,
  ): T {
    const options = typeof a2 === 'function' ? {} : (a2 ?? {});
    const fn = (typeof a2 === 'function' ? a2 : a3) as (span: AriadneOTSpan) => T;
    const finish = options.finishOnClose !== false;
    const span = this.startSpan(name, options) as AriadneOTSpan;
    const active = this.contextManager.active();
    const ctx = trace.setSpan(active === ROOT_CONTEXT ? LITE_ROOT : active, span.otelSpan);
    let result: T;
    try {
      result = this.contextManager.run(ctx, fn, span);
    } catch (err) {
      failSpan(span, err);
      if (finish) span.finish();
      throw err;
    }
    if (finish) {
      if (result && typeof (result as { then?: unknown }).then === 'function') {
        (result as unknown as Promise<unknown>).then(
          () => span.finish(),
          (err) => {
            failSpan(span, err);
            span.finish();
          },
        );
      } else span.finish();
    }
    return result;
  }

  protected override _inject(spanContext: ot.SpanContext, format: string, carrier: unknown): void {
    try {
      if (!(spanContext instanceof AriadneOTSpanContext) || !carrier || typeof carrier !== 'object') return;
      if (format === ot.FORMAT_HTTP_HEADERS || format === ot.FORMAT_TEXT_MAP) {
        this.propagator.inject(toOtelContext(spanContext), carrier, defaultTextMapSetter);
      } else if (format === ot.FORMAT_BINARY) {
        (carrier as { buffer: ArrayLike<number> }).buffer = encodeBinary(spanContext);
      }
    } catch {
      this.core.metrics.internalErrors++;
    }
  }

  protected override _extract(format: string, carrier: unknown): AriadneOTSpanContext | null {
    try {
      if (!carrier || typeof carrier !== 'object') return null;
      if (format === ot.FORMAT_HTTP_HEADERS || format === ot.FORMAT_TEXT_MAP) {
        const ctx = this.propagator.extract(LITE_ROOT, carrier, defaultTextMapGetter);
        const sc = trace.getSpanContext(ctx) as AriadneSpanContext | undefined;
        const baggage = baggageFromContext(ctx);
        const debugId = ctx.getValue(JAEGER_DEBUG_ID_KEY);
        const usable = isUsableParent(sc);
        if (!usable && baggage.size === 0 && typeof debugId !== 'string') return null;
        return new AriadneOTSpanContext(usable ? sc : undefined, baggage, typeof debugId === 'string' ? debugId : undefined);
      }
      if (format === ot.FORMAT_BINARY) {
        const buf = (carrier as { buffer?: unknown }).buffer;
        return decodeBinary(buf, () => this.core.metrics.decodingErrors++);
      }
    } catch {
      this.core.metrics.decodingErrors++;
    }
    return null;
  }
}

function failSpan(span: AriadneOTSpan, err: unknown): void {
  span.setTag(ot.Tags.ERROR, true);
  span.log({ event: 'error', 'error.object': err, message: err instanceof Error ? err.message : String(err) });
}

function baggageFromContext(ctx: Context): ReadonlyMap<string, string> {
  const bag = propagation.getBaggage(ctx);
  if (!bag) return NO_BAGGAGE;
  const m = new Map<string, string>();
  for (const [k, e] of bag.getAllEntries()) m.set(k, e.value);
  return m;
}

function toOtelContext(sc: AriadneOTSpanContext): Context {
  let ctx = LITE_ROOT;
  if (sc.spanContext) ctx = trace.setSpanContext(ctx, sc.spanContext);
  if (sc.baggage.size) {
    const entries: Record<string, { value: string }> = {};
    for (const [k, v] of sc.baggage) entries[k] = { value: v };
    ctx = propagation.setBaggage(ctx, propagation.createBaggage(entries));
  }
  if (sc.debugId !== undefined) ctx = ctx.setValue(JAEGER_DEBUG_ID_KEY, sc.debugId);
  return ctx;
}

/**
 * jaeger-client's binary format: trace id high/low, span id, parent id (8 bytes each, big-endian),
 * flags (1 byte), baggage count (int32) and length-prefixed key/value pairs.
 */
export function encodeBinary(sc: AriadneOTSpanContext): Uint8Array {
  const items: [Uint8Array, Uint8Array][] = [];
  let size = 37;
  for (const [k, v] of sc.baggage) {
    const kb = enc.encode(k);
    const vb = enc.encode(v);
    items.push([kb, vb]);
    size += 8 + kb.length + vb.length;
  }
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  const s = sc.spanContext;
  if (s) {
    const hex = s.traceId + s.spanId;
    for (let i = 0; i < 24; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
    out[32] = (s.traceFlags & 1) | (s.debug ? 2 : 0);
  }
  dv.setInt32(33, items.length);
  let p = 37;
  for (const [kb, vb] of items) {
    dv.setInt32(p, kb.length);
    out.set(kb, p + 4);
    p += 4 + kb.length;
    dv.setInt32(p, vb.length);
    out.set(vb, p + 4);
    p += 4 + vb.length;
  }
  return out;
}

const HEX = '0123456789abcdef';
function toHex(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += HEX[b[i] >> 4] + HEX[b[i] & 15];
  return s;
}

export function decodeBinary(buf: unknown, onError: () => void): AriadneOTSpanContext | null {
  if (!buf || typeof buf !== 'object' || typeof (buf as ArrayLike<number>).length !== 'number') return null;
  const a = buf as ArrayLike<number>;
  if (a.length < 37 || a.length > 1 << 20) {
    if (a.length > 0) onError();
    return null;
  }
  const b = a instanceof Uint8Array ? a : Uint8Array.from(a);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const traceId = toHex(b, 0, 16);
  const spanId = toHex(b, 16, 24);
  const flags = b[32];
  const sc: AriadneSpanContext = { traceId, spanId, traceFlags: flags & 3 ? 1 : 0, isRemote: true };
  if (flags & 2) sc.debug = true;
  const count = dv.getInt32(33);
  const baggage = new Map<string, string>();
  let p = 37;
  if (count < 0 || count > 1024) {
    onError();
    return null;
  }
  for (let i = 0; i < count; i++) {
    if (p + 4 > b.length) return (onError(), null);
    const kl = dv.getInt32(p);
    p += 4;
    if (kl < 0 || p + kl + 4 > b.length) return (onError(), null);
    const k = dec.decode(b.subarray(p, p + kl));
    p += kl;
    const vl = dv.getInt32(p);
    p += 4;
    if (vl < 0 || p + vl > b.length) return (onError(), null);
    baggage.set(k, dec.decode(b.subarray(p, p + vl)));
    p += vl;
  }
  if (!isUsableParent(sc) || /^0+$/.test(traceId) || /^0+$/.test(spanId)) {
    if (baggage.size === 0) return null;
    return new AriadneOTSpanContext(undefined, baggage);
  }
  return new AriadneOTSpanContext(sc, baggage);
}
