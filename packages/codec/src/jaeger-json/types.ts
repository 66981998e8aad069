/**
 * Jaeger query-service JSON ("UI model"), as returned by `GET /api/traces/{id}` and `/api/traces`
 * of Jaeger's query service (jaeger `model/json`).
 */

export type JaegerJsonValueType = 'string' | 'bool' | 'int64' | 'float64' | 'binary';

export interface JaegerJsonKeyValue {
  key: string;
  type: JaegerJsonValueType;
  /**
   * string → string, bool → boolean, int64 → number (a `bigint` when outside the safe-integer range;
   * serialize with `stringifyJaegerJson` to print it exactly), float64 → number (or the strings
   * "NaN", "Infinity", "-Infinity", which JSON cannot carry as numbers), binary → base64 string.
   */
  value: string | boolean | number | bigint;
}

export type JaegerJsonRefType = 'CHILD_OF' | 'FOLLOWS_FROM';

export interface JaegerJsonReference {
  refType: JaegerJsonRefType;
  traceID: string;
  spanID: string;
}

export interface JaegerJsonLog {
  /** Unix microseconds. */
  timestamp: number;
  fields: JaegerJsonKeyValue[];
}

export interface JaegerJsonProcess {
  serviceName: string;
  tags: JaegerJsonKeyValue[];
}

export interface JaegerJsonSpan {
  traceID: string;
  spanID: string;
  /** Jaeger flags: 1 = sampled, 2 = debug. */
  flags: number;
  operationName: string;
  references: JaegerJsonReference[];
  /** Unix microseconds. */
  startTime: number;
  /** Microseconds. */
  duration: number;
  tags: JaegerJsonKeyValue[];
  logs: JaegerJsonLog[];
  processID: string;
  /** null when there are none, as Jaeger prints it. */
  warnings: string[] | null;
}

export interface JaegerJsonTrace {
  traceID: string;
  spans: JaegerJsonSpan[];
  processes: Record<string, JaegerJsonProcess>;
  warnings: string[] | null;
}
