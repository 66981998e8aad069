// Jaeger query JSON, as served by @ariadne/query (`/api/traces`, `/api/traces/{id}`).
// Times are microseconds since the epoch; durations are microseconds.

export type JaegerValueType = 'string' | 'bool' | 'int64' | 'float64' | 'binary' | string;

export interface JaegerKeyValue {
  key: string;
  type: JaegerValueType;
  value: unknown;
}

export interface JaegerLog {
  timestamp: number;
  fields: JaegerKeyValue[];
}

export interface JaegerReference {
  refType: 'CHILD_OF' | 'FOLLOWS_FROM' | string;
  traceID: string;
  spanID: string;
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references?: JaegerReference[] | null;
  startTime: number;
  duration: number;
  tags?: JaegerKeyValue[] | null;
  logs?: JaegerLog[] | null;
  processID: string;
  warnings?: string[] | null;
  flags?: number;
}

export interface JaegerProcess {
  serviceName: string;
  tags?: JaegerKeyValue[] | null;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, JaegerProcess>;
  warnings?: string[] | null;
}

export interface JaegerError {
  code?: number;
  msg?: string;
  traceID?: string;
}

export interface JaegerResponse<T> {
  data?: T | null;
  errors?: JaegerError[] | null;
  total?: number;
  limit?: number;
  offset?: number;
}
