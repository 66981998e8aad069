/**
 * The one span model of Ariadne: a superset of OTLP, Jaeger and Zipkin, so that no wire format
 * loses information on the way in. Every codec converts to and from these types; every storage
 * backend stores and returns them.
 *
 * Conventions
 * - Ids are lowercase hex strings: trace ids 32 chars (64-bit ids left-padded with zeros), span ids
 *   16 chars. The empty string means "absent" (e.g. a root span's parentSpanId).
 * - Times are unix nanoseconds as `bigint` (OTLP keeps nanoseconds; Jaeger and Zipkin microseconds
 *   are multiplied by 1000). Nothing in the pipeline ever shifts stored times; clock-skew adjustment
 *   happens when reading.
 * - Attributes are arrays of key/value pairs in wire order (duplicates kept as received).
 * - Objects such as `Resource` and `InstrumentationScope` may be shared between the spans of one
 *   batch: treat every span as immutable once built.
 */

/** OTLP numbering, so protobuf/JSON codecs map 1:1. */
export const SpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

/** OTLP numbering. */
export const StatusCode = {
  UNSET: 0,
  OK: 1,
  ERROR: 2,
} as const;
export type StatusCode = (typeof StatusCode)[keyof typeof StatusCode];

/**
 * A typed attribute value (OTLP AnyValue). `int` values are 64-bit: a `number` when the value fits
 * in a safe integer, a `bigint` otherwise. `bytes` values are raw bytes.
 */
export type AttributeValue =
  | { type: 'string'; value: string }
  | { type: 'bool'; value: boolean }
  | { type: 'int'; value: number | bigint }
  | { type: 'double'; value: number }
  | { type: 'bytes'; value: Uint8Array }
  | { type: 'array'; value: AttributeValue[] }
  | { type: 'kvlist'; value: Attribute[] }
  | { type: 'empty' };

export interface Attribute {
  key: string;
  value: AttributeValue;
}

/** An event (OTLP) / log (Jaeger, OpenTracing) / annotation (Zipkin). */
export interface SpanEvent {
  timeUnixNano: bigint;
  /** OTLP event name; Jaeger: the value of the `event` field, or '' when there is none. */
  name: string;
  attributes: Attribute[];
  droppedAttributesCount: number;
}

/** How a link relates to the span: OpenTracing references; plain OTLP links have no refType. */
export type RefType = 'CHILD_OF' | 'FOLLOWS_FROM';

/**
 * A link to another span (OTLP link / Jaeger or OpenTracing reference). The parent itself is not a
 * link: it is `Span.parentSpanId` (a Jaeger CHILD_OF reference to the parent is folded into it).
 */
export interface SpanLink {
  traceId: string;
  spanId: string;
  traceState: string;
  flags: number;
  attributes: Attribute[];
  droppedAttributesCount: number;
  refType?: RefType;
}

export interface SpanStatus {
  code: StatusCode;
  message: string;
}

/** Resource (OTLP) / Process (Jaeger) / localEndpoint (Zipkin). */
export interface Resource {
  /** `service.name`, always set ('' is replaced by the validator with `unknown_service`). */
  serviceName: string;
  /**
   * All resource attributes as received. For OTLP this includes `service.name` itself; formats
   * whose process has a separate service name (Jaeger, Zipkin) do not add it here.
   */
  attributes: Attribute[];
  droppedAttributesCount: number;
  schemaUrl: string;
}

export interface InstrumentationScope {
  name: string;
  version: string;
  attributes: Attribute[];
  droppedAttributesCount: number;
  schemaUrl: string;
}

export interface Span {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  kind: SpanKind;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attribute[];
  droppedAttributesCount: number;
  events: SpanEvent[];
  droppedEventsCount: number;
  links: SpanLink[];
  droppedLinksCount: number;
  status: SpanStatus;
  /** W3C tracestate of the span's own context. */
  traceState: string;
  /** OTLP SpanFlags: low byte = W3C trace flags (1 = sampled); 0x100/0x200 parent-is-remote bits. */
  flags: number;
  resource: Resource;
  scope: InstrumentationScope;
  /** Added by the pipeline or when reading (e.g. "attribute truncated", "clock skew adjusted"). */
  warnings: string[];
}

export const EMPTY_SCOPE: InstrumentationScope = Object.freeze({
  name: '',
  version: '',
  attributes: [],
  droppedAttributesCount: 0,
  schemaUrl: '',
}) as InstrumentationScope;

export function makeResource(serviceName: string, attributes: Attribute[] = []): Resource {
  return { serviceName, attributes, droppedAttributesCount: 0, schemaUrl: '' };
}

/** A span with every optional field at its empty value; `fields` override. */
export function makeSpan(fields: Partial<Span> & Pick<Span, 'traceId' | 'spanId' | 'name'>): Span {
  return {
    parentSpanId: '',
    kind: SpanKind.INTERNAL,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: StatusCode.UNSET, message: '' },
    traceState: '',
    flags: 0,
    resource: makeResource('unknown_service'),
    scope: EMPTY_SCOPE,
    warnings: [],
    ...fields,
  };
}

/** Duration in nanoseconds (0 when the end precedes the start). */
export function durationNano(span: Span): bigint {
  const d = span.endTimeUnixNano - span.startTimeUnixNano;
  return d > 0n ? d : 0n;
}

export const spanKindNames: Record<SpanKind, string> = {
  0: 'unspecified',
  1: 'internal',
  2: 'server',
  3: 'client',
  4: 'producer',
  5: 'consumer',
};

/** 'server' / 'SERVER' / 'SPAN_KIND_SERVER' → SpanKind; undefined when unknown. */
export function parseSpanKind(s: string): SpanKind | undefined {
  const k = s.toLowerCase().replace(/^span_kind_/, '');
  for (const [num, name] of Object.entries(spanKindNames)) {
    if (name === k) return Number(num) as SpanKind;
  }
  return undefined;
}
