import { attributeValueToString, findAttribute } from '@ariadne/model';
import type { Span } from '@ariadne/model';

/**
 * Go's `time.Duration.String()` for a nanosecond count (Jaeger prints skew deltas this way):
 * `0s`, `750ns`, `1.5µs`, `12.25ms`, `1.5s`, `2m3s`, `1h0m0.5s`, negatives with a leading `-`.
 */
export function formatGoDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < 1_000_000_000n) {
    const [unit, div] = u < 1_000n ? ['ns', 1n] : u < 1_000_000n ? ['µs', 1_000n] : ['ms', 1_000_000n];
    out = fixed(u, div as bigint) + unit;
  } else {
    const h = u / 3_600_000_000_000n;
    u -= h * 3_600_000_000_000n;
    const m = u / 60_000_000_000n;
    u -= m * 60_000_000_000n;
    out = `${fixed(u, 1_000_000_000n)}s`;
    if (h > 0n || m > 0n) out = `${m}m` + out;
    if (h > 0n) out = `${h}h` + out;
  }
  return neg ? '-' + out : out;
}

function fixed(v: bigint, div: bigint): string {
  const int = v / div;
  let frac = (v % div).toString().padStart(div.toString().length - 1, '0');
  frac = frac.replace(/0+$/, '');
  return frac ? `${int}.${frac}` : `${int}`;
}

export interface ClockSkewOptions {
  /**
   * Largest correction applied (ns). 0 (the default, as Jaeger's `--query.max-clock-skew-adjustment`)
   * applies none and only adds a warning to each span whose timestamps would need one.
   */
  maxDeltaNano?: bigint;
}

/** The host a span ran on, as Jaeger keys it: the process `ip` tag ('' when absent). */
function hostKey(span: Span): string {
  const v = findAttribute(span.resource.attributes, 'ip');
  return v ? attributeValueToString(v) : '';
}

/**
 * Jaeger's clock-skew adjuster as a read-time view: a child span on another host than its parent
 * that does not fit inside the parent is moved to the parent's start (when longer than the parent)
 * or centred in it; the shift carries over to its descendants on the same host. Shifts larger
 * than `maxDeltaNano` are not applied but reported as a span warning. Returns new span objects for
 * the spans it changes; the input is not modified.
 */
export function adjustClockSkew(spans: readonly Span[], opts: ClockSkewOptions = {}): Span[] {
  const maxDelta = opts.maxDeltaNano ?? 0n;
  const out = spans.slice();
  const index = new Map<string, number>();
  spans.forEach((s, i) => {
    if (!index.has(s.spanId)) index.set(s.spanId, i);
  });
  const children = new Map<number, number[]>();
  const roots: number[] = [];
  spans.forEach((s, i) => {
    const p = s.parentSpanId ? index.get(s.parentSpanId) : undefined;
    if (p === undefined || p === i) roots.push(i);
    else {
      let list = children.get(p);
      if (!list) children.set(p, (list = []));
      list.push(i);
    }
  });

  const visited = new Set<number>();
  // iterative depth-first walk: (node, parent, inherited skew)
  const stack: [number, number | undefined, bigint][] = roots.map((r) => [r, undefined, 0n]);
  while (stack.length) {
    const [i, parent, inherited] = stack.pop()!;
    if (visited.has(i)) continue; // parent cycles
    visited.add(i);
    let delta = inherited;
    if (parent === undefined) delta = 0n;
    else if (hostKey(spans[i]) !== hostKey(spans[parent])) delta = calculateSkew(out[i], out[parent]);
    if (delta !== 0n) out[i] = shift(out[i], delta, maxDelta);
    for (const c of children.get(i) ?? []) stack.push([c, i, delta]);
  }
  return out;
}

function duration(s: Span): bigint {
  const d = s.endTimeUnixNano - s.startTimeUnixNano;
  return d > 0n ? d : 0n;
}

function calculateSkew(child: Span, parent: Span): bigint {
  const pd = duration(parent);
  const cd = duration(child);
  if (cd > pd) return parent.startTimeUnixNano - child.startTimeUnixNano;
  const childEnd = child.startTimeUnixNano + cd;
  const parentEnd = parent.startTimeUnixNano + pd;
  if (child.startTimeUnixNano >= parent.startTimeUnixNano && childEnd <= parentEnd) return 0n;
  const latency = (pd - cd) / 2n;
  return parent.startTimeUnixNano + latency - child.startTimeUnixNano;
}

function shift(span: Span, delta: bigint, maxDelta: bigint): Span {
  const abs = delta < 0n ? -delta : delta;
  if (abs > maxDelta) {
    const warning =
      maxDelta === 0n
        ? `clock skew adjustment disabled; not applying calculated delta of ${formatGoDuration(delta)}`
        : `max clock skew adjustment delta of ${formatGoDuration(maxDelta)} exceeded; not applying calculated delta of ${formatGoDuration(delta)}`;
    return { ...span, warnings: [...span.warnings, warning] };
  }
  return {
    ...span,
    startTimeUnixNano: span.startTimeUnixNano + delta,
    endTimeUnixNano: span.endTimeUnixNano + delta,
    events: span.events.map((e) => ({ ...e, timeUnixNano: e.timeUnixNano + delta })),
    warnings: [...span.warnings, `This span's timestamps were adjusted by ${formatGoDuration(delta)}`],
  };
}
