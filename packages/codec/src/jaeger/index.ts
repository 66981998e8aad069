/**
 * Jaeger Thrift codecs.
 *
 * - `decodeJaegerThriftBatch(buf, 'binary' | 'compact')` — bare `Batch` struct (collector
 *   `POST /api/traces`, `application/x-thrift`, binary).
 * - `decodeJaegerAgentMessage(buf, protocol)` — agent `emitBatch` message (UDP 6831 compact,
 *   6832 binary); `readJaegerMessageHeader` reads just its header.
 * - `encodeJaegerThriftBatch(spans, protocol)` / `encodeJaegerAgentMessage(spans, protocol, seqId?,
 *   maxPacketSize?)` — one Batch/message per distinct resource (more with `maxPacketSize`).
 * - `transcodeThriftMessage` / `transcodeThriftStruct` — schema-less compact ⇄ binary re-encoding.
 * - The protocol layer (`ThriftBinaryReader`, `ThriftCompactReader`, writers, `ThriftType`).
 * Every decoder throws `CodecError` (only) for bad input. Mapping rules: see model.ts.
 */
export * from './thrift.js';
export * from './model.js';
export * from './proto.js';
