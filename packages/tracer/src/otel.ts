/**
 * The OpenTelemetry API face: a TracerProvider that registers with `@opentelemetry/api` (global
 * tracer provider, context manager and propagator) and hands out tracers creating our spans.
 */
import type {
  Context,
  ContextManager,
  Span as ApiSpan,
  SpanOptions,
  TextMapPropagator,
  Tracer as ApiTracer,
  TracerOptions,
  TracerProvider,
} from '@opentelemetry/api';
import { context as apiContext, propagation as apiPropagation, ROOT_CONTEXT, trace as apiTrace } from '@opentelemetry/api';
import type { InstrumentationScope } from '@ariadne/model';
import { AsyncLocalStorageContextManager } from './context-manager.js';
import type { TracerCore } from './core.js';
import { isUsableParent, JAEGER_DEBUG_ID_KEY } from './core.js';
import type { AriadneSpanContext } from './span.js';
import { LITE_ROOT } from './lite-context.js';

// Where @opentelemetry/api 1.x keeps its globals (to see cheaply whether our context manager is
// the registered one and skip the API's lookup and version check on every span).
const API_GLOBAL = Symbol.for('opentelemetry.js.api.1');
type ApiGlobal = { context?: unknown } | undefined;

export class AriadneOtelTracer implements ApiTracer {
  constructor(
    private readonly core: TracerCore,
    readonly scope: InstrumentationScope,
    private readonly cm?: AsyncLocalStorageContextManager,
  ) {}

  private apiGlobal: ApiGlobal = undefined;

  /** Our context manager when it is the one registered with the API (then we may call it directly). */
  private registeredCm(): AsyncLocalStorageContextManager | undefined {
    const cm = this.cm;
    if (cm === undefined) return undefined;
    // the API's registry object lives as long as the process; only its entries change
    const g = this.apiGlobal ?? (this.apiGlobal = (globalThis as Record<symbol, unknown>)[API_GLOBAL] as ApiGlobal);
    return g !== undefined && g.context === cm ? cm : undefined;
  }

  private activeContext(): Context {
    const cm = this.registeredCm();
    return cm !== undefined ? cm.active() : apiContext.active();
  }

  startSpan(name: string, options?: SpanOptions, ctx?: Context): ApiSpan {
    const c = ctx ?? this.activeContext();
    let parent: AriadneSpanContext | undefined;
    let debugId: string | undefined;
    if (c !== ROOT_CONTEXT && (!options || !options.root)) {
      const ps = apiTrace.getSpan(c);
      if (ps !== undefined) {
        const sc = ps.spanContext() as AriadneSpanContext;
        if (isUsableParent(sc)) parent = sc;
      }
    }
    if (parent === undefined && c !== ROOT_CONTEXT) {
      const d = c.getValue(JAEGER_DEBUG_ID_KEY);
      if (typeof d === 'string') debugId = d;
    }
    if (options === undefined) return this.core.startSpan(name, 1, parent, this.scope, undefined, undefined, undefined, debugId);
    const k = options.kind;
    const kind = typeof k === 'number' && k >= 0 && k <= 4 ? k + 1 : 1;
    return this.core.startSpan(name, kind, parent, this.scope, options.attributes, options.links, options.startTime, debugId);
  }

  startActiveSpan<F extends (span: ApiSpan) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: ApiSpan) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: ApiSpan) => unknown>(name: string, options: SpanOptions, ctx: Context, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: ApiSpan) => unknown>(
    name: string,
    a2?: SpanOptions | F,
    a3?: Context | F,
    a4?: F,
  ): ReturnType<F> | undefined {
    let options: SpanOptions | undefined;
    let ctx: Context | undefined;
    let fn: F;
    if (typeof a2 === 'function') fn = a2;
    else if (typeof a3 === 'function') {
      options = a2;
      fn = a3;
    } else {
      options = a2;
      ctx = a3;
      fn = a4 as F;
    }
    if (typeof fn !== 'function') return undefined;
    const cm = this.registeredCm();
    const parentCtx = ctx ?? (cm !== undefined ? cm.active() : apiContext.active());
    const span = this.startSpan(name, options, parentCtx);
    const spanCtx = apiTrace.setSpan(parentCtx === ROOT_CONTEXT ? LITE_ROOT : parentCtx, span);
    if (cm !== undefined) return cm.run(spanCtx, fn as (s: ApiSpan) => ReturnType<F>, span);
    return apiContext.with(spanCtx, fn as never, undefined, span) as ReturnType<F>;
  }
}

export interface RegisterOptions {
  /** Defaults to the tracer's AsyncLocalStorage context manager. */
  contextManager?: ContextManager | null;
  /** Defaults to the tracer's configured propagator; null leaves the global one alone. */
  propagator?: TextMapPropagator | null;
}

export class AriadneTracerProvider implements TracerProvider {
  private readonly tracers = new Map<string, AriadneOtelTracer>();
  readonly contextManager: AsyncLocalStorageContextManager;

  constructor(
    readonly core: TracerCore,
    readonly propagator: TextMapPropagator,
    contextManager?: AsyncLocalStorageContextManager,
  ) {
    this.contextManager = contextManager ?? new AsyncLocalStorageContextManager();
  }

  getTracer(name: string, version?: string, options?: TracerOptions): AriadneOtelTracer {
    const key = `${name}@${version ?? ''}@${options?.schemaUrl ?? ''}`;
    let t = this.tracers.get(key);
    if (!t) {
      const scope: InstrumentationScope = Object.freeze({
        name: typeof name === 'string' ? name : '',
        version: version ?? '',
        attributes: [],
        droppedAttributesCount: 0,
        schemaUrl: options?.schemaUrl ?? '',
      }) as InstrumentationScope;
      t = new AriadneOtelTracer(this.core, scope, this.contextManager);
      this.tracers.set(key, t);
    }
    return t;
  }

  /**
   * Makes this the global provider of `@opentelemetry/api` (replacing any earlier one), with our
   * context manager and propagator. Returns false when the API refused a part.
   */
  register(options: RegisterOptions = {}): boolean {
    let ok = true;
    apiTrace.disable();
    ok = apiTrace.setGlobalTracerProvider(this) && ok;
    const cm = options.contextManager === undefined ? this.contextManager : options.contextManager;
    if (cm) {
      apiContext.disable();
      ok = apiContext.setGlobalContextManager(cm.enable()) && ok;
    }
    const p = options.propagator === undefined ? this.propagator : options.propagator;
    if (p) {
      apiPropagation.disable();
      ok = apiPropagation.setGlobalPropagator(p) && ok;
    }
    return ok;
  }

  forceFlush(): Promise<void> {
    return this.core.reporter.flush();
  }

  async shutdown(): Promise<void> {
    this.core.closed = true;
    try {
      this.core.sampler.close?.();
    } catch {
      this.core.metrics.internalErrors++;
    }
    await this.core.reporter.close();
  }
}
