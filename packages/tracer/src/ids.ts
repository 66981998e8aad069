/**
 * Id generation on the hot path. Ids are slices of a pool of random hex text that one native call
 * (`crypto.randomFillSync` + `toString('hex')`) refills every 4 KiB: a slice costs one small
 * allocation (V8 keeps it as a view into the pool), about 5× cheaper than generating hex per id,
 * and still crypto-random. Ids are taken at 8-byte boundaries and no 8-byte word of the pool is
 * ever zero, so every id is valid (non-zero) without a check per id.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const bytes = Buffer.alloc(POOL_BYTES); // own (unpooled) memory, so the word view below is aligned
const words = new Uint32Array(bytes.buffer, bytes.byteOffset, POOL_BYTES / 4);
let pool = '';
let pos = 0;

function refill(): void {
  randomFillSync(bytes);
  for (let i = 0; i < words.length; i += 2) {
    if (words[i] === 0 && words[i + 1] === 0) words[i + 1] = 1;
  }
  pool = bytes.toString('hex');
  pos = 0;
}
refill();

/** A random, valid (non-zero) 64-bit span id: 16 lowercase hex chars. */
export function fastSpanId(): string {
  if (pos + 16 > pool.length) refill();
  const p = pos;
  pos = p + 16;
  return pool.substring(p, p + 16);
}

/** A random, valid (non-zero) 128-bit trace id: 32 lowercase hex chars. */
export function fastTraceId(): string {
  if (pos + 32 > pool.length) refill();
  const p = pos;
  pos = p + 32;
  return pool.substring(p, p + 32);
}
