/**
 * Clock: unix nanoseconds as bigint, from a wall-clock anchor taken once plus the monotonic
 * `performance.now()` offset (sub-microsecond resolution, no backwards jumps within a process).
 */
import type { HrTime, TimeInput } from '@opentelemetry/api';

const anchorPerfMs = performance.now();
const hrtimeBigint = process.hrtime.bigint; // cached: saves two property lookups per read
const anchorHr = hrtimeBigint();
const anchorEpochMs = Date.now();
const anchorNs = BigInt(anchorEpochMs) * 1_000_000n;
const hrOffset = anchorNs - anchorHr;

/** Now, in unix nanoseconds (wall clock at load time + the monotonic clock since). */
export function nowNanos(): bigint {
  return hrtimeBigint() + hrOffset;
}

/** Epoch milliseconds (possibly fractional) → unix nanoseconds. */
export function millisToNanos(ms: number): bigint {
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
}

function isHrTime(v: unknown): v is HrTime {
  return Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number';
}

/**
 * A user-supplied time (OTel `TimeInput`: epoch ms number, `performance.now()`-style number,
 * `[seconds, nanos]` HrTime or Date; also a bigint of unix nanos) → unix nanos. Anything invalid
 * gives `now` (never throws).
 */
export function toNanos(t: TimeInput | bigint | undefined | null): bigint {
  if (t === undefined || t === null) return nowNanos();
  if (typeof t === 'number') {
    if (!Number.isFinite(t) || t < 0) return nowNanos();
    // Small numbers are performance.now() readings (the OTel SDK compares with the time origin,
    // which misreads any epoch time older than the process); 1e12 ms is September 2001.
    if (t < 1e12) return anchorNs + BigInt(Math.round((t - anchorPerfMs) * 1e6));
    return millisToNanos(t);
  }
  if (typeof t === 'bigint') return t > 0n ? t : nowNanos();
  if (t instanceof Date) {
    const ms = t.getTime();
    return Number.isFinite(ms) ? millisToNanos(ms) : nowNanos();
  }
  if (isHrTime(t)) {
    if (!Number.isFinite(t[0]) || !Number.isFinite(t[1])) return nowNanos();
    return BigInt(Math.trunc(t[0])) * 1_000_000_000n + BigInt(Math.trunc(t[1]));
  }
  return nowNanos();
}
