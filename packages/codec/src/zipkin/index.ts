/**
 * Zipkin codecs.
 *
 * - `decodeZipkinV2Json(body)` / `encodeZipkinV2Json(spans)` — api/v2 JSON (body: text, bytes or an
 *   already-parsed array; the encoder returns plain objects to JSON.stringify).
 * - `decodeZipkinV1Json(body)` — legacy api/v1 JSON, converted the way Zipkin's V1SpanConverter does.
 * - `decodeZipkinProto3(buf)` / `encodeZipkinProto3(spans)` — proto3 `ListOfSpans`.
 * - `parseZipkinV2Json` / `parseZipkinV1Json` / `parseZipkinProto3` give the intermediate
 *   `ZipkinSpan` (v2 shape); `zipkinSpansToModel` / `modelToZipkinSpan` convert it.
 * Every decoder throws `CodecError` (only) for bad input. Mapping rules: see model.ts.
 */
export * from './model.js';
export * from './json.js';
export * from './proto3.js';
