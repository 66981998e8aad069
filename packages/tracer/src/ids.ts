/**
 * Id generation on the hot path. Ids are slices of a pool of random hex text filled by one native
 * call (`crypto.randomFillSync` + `toString('hex')`) every 512 span ids: a slice costs one small
 * allocation (V8 keeps it as a view into the pool), several times cheaper than the model's
 * byte-by-byte `randomTraceId`/`randomSpanId`, and still crypto-random.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const bytes = Buffer.allocUnsafe(POOL_BYTES);
let pool = '';
let pos = POOL_BYTES * 2;

function take(chars: number): string {
  if (pos + chars > pool.length) {
    randomFillSync(bytes);
    pool = bytes.toString('hex');
    pos = 0;
  }
  const s = pool.substring(pos, pos + chars);
  pos += chars;
  return s;
}

const ZERO16 = '0000000000000000';
const ZERO32 = ZERO16 + ZERO16;

/** A random, valid (non-zero) 64-bit span id: 16 lowercase hex chars. */
export function fastSpanId(): string {
  const id = take(16);
  return id === ZERO16 ? fastSpanId() : id;
}

/** A random, valid (non-zero) 128-bit trace id: 32 lowercase hex chars. */
export function fastTraceId(): string {
  const id = take(32);
  return id === ZERO32 ? fastTraceId() : id;
}
