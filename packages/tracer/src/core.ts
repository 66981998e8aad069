/**
 * The tracer core shared by the OpenTelemetry and OpenTracing faces: id generation, sampling,
 * span creation and the hand-off of finished spans to the reporter.
 */
import type { Link, Span as ApiSpan, SpanAttributes, TimeInput } from '@opentelemetry/api';
import { createContextKey } from '@opentelemetry/api';
import type { InstrumentationScope, Resource, Span as ModelSpan } from '@ariadne/model';
import { fastSpanId, fastTraceId } from './ids.js';
import { TracerMetrics } from './metrics.js';
import type { Reporter } from './reporter.js';
import { SamplingDecision } from './sampler.js';
import type { Sampler } from './sampler.js';
import type { AriadneSpanContext, SpanLimits } from './span.js';
import { DEFAULT_LIMITS, RecordingSpan, UnsampledSpan } from './span.js';

/** Context key set by the Jaeger propagator for a `jaeger-debug-id` header without a trace. */
export const JAEGER_DEBUG_ID_KEY = createContextKey('ariadne.jaeger-debug-id');
export const JAEGER_DEBUG_ID_TAG = 'jaeger-debug-id';

export interface TracerCoreOptions {
  resource: Resource;
  sampler: Sampler;
  reporter: Reporter;
  limits?: Partial<SpanLimits>;
  metrics?: TracerMetrics;
}

const IDS = { span: fastSpanId, trace: fastTraceId };
const INVALID_TRACE = '00000000000000000000000000000000';
const INVALID_SPAN = '0000000000000000';

/** A span context we can parent on (cheap check; propagators validate ids strictly). */
export function isUsableParent(sc: AriadneSpanContext | undefined | null): sc is AriadneSpanContext {
  return (
    !!sc &&
    typeof sc.traceId === 'string' &&
    typeof sc.spanId === 'string' &&
    sc.traceId.length === 32 &&
    sc.spanId.length === 16 &&
    sc.traceId !== INVALID_TRACE &&
    sc.spanId !== INVALID_SPAN
  );
}

export class TracerCore {
  readonly resource: Resource;
  sampler: Sampler;
  readonly reporter: Reporter;
  readonly limits: SpanLimits;
  readonly metrics: TracerMetrics;
  closed = false;
  /** The reporter takes ended RecordingSpans as they are (they have every model field). */
  private readonly endedAsModel: boolean;

  constructor(options: TracerCoreOptions) {
    this.resource = options.resource;
    this.sampler = options.sampler;
    this.reporter = options.reporter;
    this.limits = { ...DEFAULT_LIMITS, ...(options.limits ?? {}) };
    this.metrics = options.metrics ?? new TracerMetrics();
    this.endedAsModel = options.reporter.acceptsEndedSpans === true;
    try {
      this.reporter.setMetrics?.(this.metrics);
    } catch {
      this.metrics.internalErrors++;
    }
  }

  /**
   * Starts a span. `parent` must be usable (see isUsableParent) or undefined for a new trace.
   * Unsampled spans are an UnsampledSpan whose ids are drawn when (if) its context is used.
   */
  startSpan(
    name: string,
    kind: number,
    parent: AriadneSpanContext | undefined,
    scope: InstrumentationScope,
    attributes?: SpanAttributes,
    links?: Link[],
    startTime?: TimeInput | bigint,
    debugId?: string,
  ): ApiSpan {
    const m = this.metrics;
    if (typeof name !== 'string') name = String(name);
    // A sampler that ignores trace ids (const, rate limiting, parent-based over those) decides a new
    // trace before its id is drawn; an unsampled root then draws ids only if its context is used.
    const lazyId = !parent && this.sampler.usesTraceId === false;
    let traceId = parent ? parent.traceId : lazyId ? '' : fastTraceId();
    const debug = parent ? parent.debug === true : debugId !== undefined;
    let decision: SamplingDecision;
    let samplerTags;
    if (debug) {
      decision = SamplingDecision.RECORD_AND_SAMPLED;
    } else if (this.closed) {
      decision = SamplingDecision.NOT_RECORD;
    } else {
      try {
        const r = this.sampler.shouldSample(traceId, name, parent, kind);
        decision = r.decision;
        samplerTags = r.attributes;
      } catch {
        m.internalErrors++;
        decision = SamplingDecision.NOT_RECORD;
      }
    }
    const sampled = decision === SamplingDecision.RECORD_AND_SAMPLED;
    if (sampled) m.spansStartedSampled++;
    else m.spansStartedNotSampled++;
    if (!parent) {
      if (sampled) m.tracesStartedSampled++;
      else m.tracesStartedNotSampled++;
    } else if (parent.isRemote) {
      if (sampled) m.tracesJoinedSampled++;
      else m.tracesJoinedNotSampled++;
    }
    if (decision === SamplingDecision.NOT_RECORD) return new UnsampledSpan(traceId, parent?.traceState, IDS);
    if (lazyId) traceId = fastTraceId();
    const span = new RecordingSpan(this, scope, traceId, fastSpanId(), parent, name, kind, startTime, sampled, parent?.traceState, debug);
    if (attributes !== undefined) span.setAttributes(attributes);
    if (!parent) {
      if (samplerTags !== undefined) span.sharedAttributes = samplerTags;
      if (debugId !== undefined) span.putAttribute(JAEGER_DEBUG_ID_TAG, { type: 'string', value: debugId });
    }
    if (links !== undefined) span.addLinks(links);
    return span;
  }

  /** Called once by a span's end(). */
  onEnd(span: RecordingSpan): void {
    if (!span.sampled) return;
    const m = this.metrics;
    m.spansFinished++;
    try {
      this.reporter.report(this.endedAsModel ? (span as unknown as ModelSpan) : span.toModel());
      m.reporterSpansReported++;
    } catch {
      m.reporterSpansFailed++;
    }
  }
}
