import type { Span, SpanKind } from '@ariadne/model';

/**
 * The storage contract. Every backend (memory, DuckDB, ClickHouse) implements it and passes the one
 * conformance suite in `test/conformance.ts`.
 *
 * General rules
 * - Times are unix nanoseconds (`bigint`), as in the model.
 * - Unknown ids are skipped, no match is an empty result: neither is an error.
 * - Returned spans belong to the caller (a backend with a cache hands out copies).
 * - Methods reject only on backend failure (I/O, connection) or invalid arguments (`StoreArgumentError`).
 */
export interface SpanStore {
  readonly capabilities: StoreCapabilities;

  /**
   * Store a batch. Resolves only once every span is durable (committed); a batch that fails leaves
   * nothing of itself stored. Concurrent calls may share one commit (group commit).
   * Writing the same (traceId, spanId) again is allowed and must not make the span appear twice
   * in query results.
   */
  writeSpans(spans: readonly Span[]): Promise<void>;

  /**
   * All spans of a trace in start-time order, or [] when the trace is unknown. `hint` (a time range
   * the trace is known to overlap) lets a backend prune; results must be the same without it.
   */
  getTrace(traceId: string, hint?: TimeRange): Promise<Span[]>;

  /** Several traces at once; ids not found are absent from the map. */
  getTraces(traceIds: readonly string[], hint?: TimeRange): Promise<Map<string, Span[]>>;

  /**
   * Trace ids matching the query, most recent first (by the start of the newest matching span),
   * at most `query.limit`. A trace matches when ONE of its spans satisfies every criterion at once
   * (Jaeger semantics): service, operation, span kind, every tag filter, duration bounds, and its start
   * time within [startTimeMin, startTimeMax].
   */
  findTraceIds(query: TraceQuery): Promise<string[]>;

  /** Service names that have spans, sorted. */
  getServices(): Promise<string[]>;

  /** Operations of a service (optionally of one span kind), sorted by name then kind. */
  getOperations(query: OperationQuery): Promise<Operation[]>;

  /**
   * Service-to-service calls over a window: for each child span whose parent is in another
   * service, one call from the parent's service to the child's; `errorCount` counts children
   * with status ERROR. Computed at query time.
   */
  getDependencies(query: DependencyQuery): Promise<DependencyLink[]>;

  /**
   * Optional, declared by `capabilities.spanMetrics`: RED aggregates (calls, errors, duration
   * quantiles) computed inside the store, for the query service's `/api/metrics/*`. Without it the
   * query service reads traces and aggregates them itself. See SpanMetricsQuery.
   */
  getSpanMetrics?(query: SpanMetricsQuery): Promise<SpanMetricsSeries[]>;

  /** Delete every span that started before `cutoff`, freeing disk where the backend can. Returns spans deleted when known. */
  purgeBefore(cutoff: bigint): Promise<number | undefined>;

  /** Flush and release resources. Further calls reject. */
  close(): Promise<void>;
}

export interface StoreCapabilities {
  /** The backend's name: 'memory' | 'duckdb' | 'clickhouse'. */
  name: string;
  /** Writes survive a process restart. */
  durable: boolean;
  /** Tag filter operators beyond '=' that findTraceIds supports. */
  tagOperators: readonly TagOperator[];
  /** The store implements `getSpanMetrics`. */
  spanMetrics?: boolean;
}

/**
 * RED metrics over points `t_k = firstPoint + k·step` (k = 0 … points−1): the window of point k
 * holds the spans of `services` with one of `spanKinds` that started in `(t_k − ratePer, t_k]`.
 * Each span counts once (a span written twice, once).
 */
export interface SpanMetricsQuery {
  services: string[];
  spanKinds: SpanKind[];
  /** One series per service and operation, else one per service. */
  groupByOperation: boolean;
  firstPoint: bigint;
  step: bigint;
  points: number;
  ratePer: bigint;
  /** Duration quantiles wanted per point (each 0…1; linear interpolation between closest ranks); [] for none. */
  quantiles: number[];
}

export interface SpanMetricsSeries {
  service: string;
  /** Set when grouped by operation. */
  operation?: string;
  /**
   * Points whose window holds at least one span, by increasing index. A series exists when some
   * span started in `(firstPoint − ratePer, last point]`, even if no point's window holds it.
   */
  points: SpanMetricsPoint[];
}

export interface SpanMetricsPoint {
  index: number;
  calls: number;
  /** Spans with status ERROR. */
  errors: number;
  /** Duration quantiles in ns, in the order of `SpanMetricsQuery.quantiles`. */
  quantilesNano: number[];
}

export interface TimeRange {
  startTimeMin: bigint;
  startTimeMax: bigint;
}

/**
 * '=' and '!=' compare the text form of a value (`attributeValueToString`); 'exists'/'absent'
 * ignore `value`; numeric comparisons parse both sides as numbers; '~' is a regular expression.
 */
export type TagOperator = '=' | '!=' | 'exists' | 'absent' | '>' | '>=' | '<' | '<=' | 'prefix' | 'contains' | '~';

export interface TagFilter {
  key: string;
  op: TagOperator;
  value: string;
}

export interface TraceQuery {
  service?: string;
  operation?: string;
  spanKind?: SpanKind;
  /**
   * Every filter must hold on the same span. A key matches a span attribute, a resource
   * (process) attribute or an event (log) attribute, as Jaeger matches tags.
   */
  tags?: TagFilter[];
  minDurationNano?: bigint;
  maxDurationNano?: bigint;
  startTimeMin: bigint;
  startTimeMax: bigint;
  limit: number;
}

export interface OperationQuery {
  service: string;
  spanKind?: SpanKind;
}

export interface Operation {
  name: string;
  spanKind: SpanKind;
}

export interface DependencyQuery {
  /** Window end (unix ns) and length (ns): spans starting in (endTime - lookback, endTime]. */
  endTime: bigint;
  lookback: bigint;
}

export interface DependencyLink {
  parent: string;
  child: string;
  callCount: number;
  errorCount: number;
}

export class StoreArgumentError extends Error {
  override name = 'StoreArgumentError';
}

export class StoreClosedError extends Error {
  override name = 'StoreClosedError';
  constructor() {
    super('the store is closed');
  }
}
