export { decodeOtlpProtobuf, encodeOtlpProtobuf } from './protobuf.js';
export { decodeOtlpJson, encodeOtlpJson, MAX_JSON_DEPTH } from './json.js';
export type { OtlpJsonRequest } from './json.js';
export { encodeExportTraceServiceResponse, encodeRpcStatus } from './response.js';
export type { OtlpEncoding } from './response.js';
export { MAX_VALUE_DEPTH } from './common.js';
