import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtobufTraceSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { encodeExportTraceServiceResponse, encodeRpcStatus } from '../src/otlp/index.js';
import { ProtoReader } from '../src/protobuf.js';

test('ExportTraceServiceResponse: empty on full success', () => {
  assert.equal(encodeExportTraceServiceResponse(0, '', 'protobuf').length, 0);
  assert.equal(encodeExportTraceServiceResponse(0, 'ignored', 'json'), '{}');
  assert.deepEqual(ProtobufTraceSerializer.deserializeResponse(encodeExportTraceServiceResponse(0, '', 'protobuf')), {});
});

test('ExportTraceServiceResponse: partial success as the OTel JS exporter reads it', () => {
  const pb = encodeExportTraceServiceResponse(3, 'invalid trace id (3 spans) — ✓', 'protobuf');
  const parsed = ProtobufTraceSerializer.deserializeResponse(pb) as { partialSuccess?: { rejectedSpans?: unknown; errorMessage?: string } };
  assert.equal(Number(parsed.partialSuccess?.rejectedSpans), 3);
  assert.equal(parsed.partialSuccess?.errorMessage, 'invalid trace id (3 spans) — ✓');
  const js = encodeExportTraceServiceResponse(3, 'bad', 'json');
  assert.deepEqual(JSON.parse(js), { partialSuccess: { rejectedSpans: 3, errorMessage: 'bad' } });
  assert.deepEqual(JsonTraceSerializer.deserializeResponse(new TextEncoder().encode(js)), { partialSuccess: { rejectedSpans: 3, errorMessage: 'bad' } });
  // exact bytes: 0a LEN { 08 03  12 03 'bad' }
  assert.deepEqual([...encodeExportTraceServiceResponse(3, 'bad', 'protobuf')], [0x0a, 0x07, 0x08, 0x03, 0x12, 0x03, 0x62, 0x61, 0x64]);
});

test('google.rpc.Status in protobuf and JSON', () => {
  const pb = encodeRpcStatus(3, 'invalid protobuf: truncated varint at offset 7', 'protobuf');
  const r = new ProtoReader(pb);
  assert.equal(r.tag(), 0x08);
  assert.equal(r.int32(), 3);
  assert.equal(r.tag(), 0x12);
  assert.equal(r.string(), 'invalid protobuf: truncated varint at offset 7');
  assert.equal(r.more(), false);
  assert.deepEqual(JSON.parse(encodeRpcStatus(8, 'overloaded', 'json')), { code: 8, message: 'overloaded' });
  assert.equal(encodeRpcStatus(0, '', 'protobuf').length, 0);
  // a long message needs a 2-byte length prefix
  const long = encodeRpcStatus(13, 'x'.repeat(300), 'protobuf');
  const r2 = new ProtoReader(long);
  r2.tag();
  assert.equal(r2.int32(), 13);
  r2.tag();
  assert.equal(r2.string(), 'x'.repeat(300));
});
