export { decodeOtlpProtobuf, encodeOtlpProtobuf } from './protobuf.js';
