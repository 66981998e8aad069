/** Trace and span id helpers. Ids travel through the model as lowercase hex strings. */

const HEX = '0123456789abcdef';
const BYTE_TO_HEX: string[] = [];
for (let i = 0; i < 256; i++) BYTE_TO_HEX.push(HEX[i >> 4] + HEX[i & 15]);

const HEX_RE = /^[0-9a-fA-F]+$/;
const ZERO_RE = /^0*$/;

/** Bytes → lowercase hex. */
export function bytesToHex(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = '';
  for (let i = start; i < end; i++) s += BYTE_TO_HEX[bytes[i]];
  return s;
}

/** Hex (even length, any case) → bytes. Throws on invalid input. */
export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || (hex.length > 0 && !HEX_RE.test(hex))) {
    throw new Error(`invalid hex string: ${JSON.stringify(hex.slice(0, 40))}`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

export function isHex(s: string): boolean {
  return s.length > 0 && HEX_RE.test(s);
}

/** An id is valid when it is hex of the right length and not all zeros. */
export function isValidTraceId(id: string): boolean {
  return id.length === 32 && HEX_RE.test(id) && !ZERO_RE.test(id);
}

export function isValidSpanId(id: string): boolean {
  return id.length === 16 && HEX_RE.test(id) && !ZERO_RE.test(id);
}

/**
 * Normalise a trace id from any format: lowercase, left-padded to 32 hex chars (64-bit Jaeger and
 * Zipkin ids, and ids whose leading zeros were dropped as jaeger-client does in `uber-trace-id`).
 * Returns '' for input that is not hex or is longer than 32 chars.
 */
export function normalizeTraceId(id: string): string {
  if (id.length === 0 || id.length > 32 || !HEX_RE.test(id)) return '';
  return id.toLowerCase().padStart(32, '0');
}

/** Normalise a span id: lowercase, left-padded to 16 chars; '' when not hex or too long. */
export function normalizeSpanId(id: string): string {
  if (id.length === 0 || id.length > 16 || !HEX_RE.test(id)) return '';
  return id.toLowerCase().padStart(16, '0');
}

/** A 64-bit id given as a signed or unsigned bigint (Thrift i64) → 16 hex chars. */
export function int64ToHex(v: bigint): string {
  return BigInt.asUintN(64, v).toString(16).padStart(16, '0');
}

/** 16 hex chars → signed 64-bit bigint (Thrift i64). */
export function hexToInt64(hex: string): bigint {
  return BigInt.asIntN(64, BigInt('0x' + (hex || '0')));
}

/** Trace id as its two 64-bit halves (high, low), signed, as Jaeger Thrift carries it. */
export function traceIdToHighLow(traceId: string): [bigint, bigint] {
  const t = traceId.padStart(32, '0');
  return [hexToInt64(t.slice(0, 16)), hexToInt64(t.slice(16))];
}

/** The shortest form of a trace id: 16 chars when the high half is zero (as Jaeger/Zipkin print). */
export function shortTraceId(traceId: string): string {
  return traceId.startsWith('0000000000000000') ? traceId.slice(16) : traceId;
}

let randomPool = new Uint8Array(0);
let randomPos = 0;
function randomBytes(n: number): Uint8Array {
  if (randomPos + n > randomPool.length) {
    randomPool = new Uint8Array(4096);
    crypto.getRandomValues(randomPool);
    randomPos = 0;
  }
  const out = randomPool.subarray(randomPos, randomPos + n);
  randomPos += n;
  return out;
}

/** A random, valid (non-zero) 128-bit trace id. */
export function randomTraceId(): string {
  for (;;) {
    const id = bytesToHex(randomBytes(16));
    if (!ZERO_RE.test(id)) return id;
  }
}

/** A random, valid (non-zero) 64-bit span id. */
export function randomSpanId(): string {
  for (;;) {
    const id = bytesToHex(randomBytes(8));
    if (!ZERO_RE.test(id)) return id;
  }
}
