/** Thrown by every decoder for input it cannot decode; `message` says what is wrong and where. */
export class CodecError extends Error {
  override name = 'CodecError';
}
