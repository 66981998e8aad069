/**
 * Responses the OTLP receivers send: ExportTraceServiceResponse (success, with partial success
 * when spans were rejected) and google.rpc.Status (errors), in protobuf or JSON.
 */
import { ProtoWriter } from '../protobuf.js';

export type OtlpEncoding = 'protobuf' | 'json';

/**
 * ExportTraceServiceResponse. `partial_success` {rejected_spans, error_message} is present only
 * when `rejectedSpans > 0`; otherwise the response is empty (`{}` / zero bytes).
 */
export function encodeExportTraceServiceResponse(rejectedSpans: number, errorMessage: string, encoding: 'protobuf'): Uint8Array;
export function encodeExportTraceServiceResponse(rejectedSpans: number, errorMessage: string, encoding: 'json'): string;
export function encodeExportTraceServiceResponse(rejectedSpans: number, errorMessage: string, encoding: OtlpEncoding): Uint8Array | string;
export function encodeExportTraceServiceResponse(rejectedSpans: number, errorMessage: string, encoding: OtlpEncoding): Uint8Array | string {
  const rejected = Number.isFinite(rejectedSpans) && rejectedSpans > 0 ? Math.floor(rejectedSpans) : 0;
  if (encoding === 'json') {
    if (rejected === 0) return '{}';
    return JSON.stringify({ partialSuccess: { rejectedSpans: rejected, errorMessage } });
  }
  const w = new ProtoWriter(64 + errorMessage.length * 3);
  if (rejected > 0) {
    const m = w.beginMessage(1);
    w.int64Field(1, rejected);
    if (errorMessage) w.stringField(2, errorMessage);
    w.endMessage(m);
  }
  return w.finish();
}

/** google.rpc.Status {code, message} (no details), as OTLP/HTTP error bodies and gRPC status use. */
export function encodeRpcStatus(code: number, message: string, encoding: 'protobuf'): Uint8Array;
export function encodeRpcStatus(code: number, message: string, encoding: 'json'): string;
export function encodeRpcStatus(code: number, message: string, encoding: OtlpEncoding): Uint8Array | string;
export function encodeRpcStatus(code: number, message: string, encoding: OtlpEncoding): Uint8Array | string {
  const c = Number.isInteger(code) ? code | 0 : 0;
  if (encoding === 'json') return JSON.stringify({ code: c, message });
  const w = new ProtoWriter(32 + message.length * 3);
  if (c !== 0) w.int32Field(1, c);
  if (message) w.stringField(2, message);
  return w.finish();
}
