import { useLayoutEffect, useState, type RefObject } from 'react';

/**
 * Which items of a long list, laid out in a container scrolled by the page, are near the viewport.
 * `offsets[i]` is item i's top within the container; `offsets[n]` is the list's total height.
 * Returns [start, end): render only those, with spacers of offsets[start] and
 * offsets[n] - offsets[end] around them. Re-renders only when the range changes.
 */
export function useWindowedRange(container: RefObject<HTMLElement | null>, offsets: ArrayLike<number>, overscanPx = 800): [number, number] {
  const n = offsets.length - 1;
  const [range, setRange] = useState<[number, number]>(() => [0, Math.min(n, 60)]);
  useLayoutEffect(() => {
    const update = () => {
      const el = container.current;
      if (!el) return;
      const top = -el.getBoundingClientRect().top;
      const lo = top - overscanPx;
      const hi = top + window.innerHeight + overscanPx;
      const start = Math.max(0, upperBound(offsets, lo) - 1);
      const end = Math.min(n, Math.max(start, upperBound(offsets, hi)));
      setRange((prev) => (prev[0] === start && prev[1] === end ? prev : [start, end]));
    };
    update();
    window.addEventListener('scroll', update, { passive: true });
    window.addEventListener('resize', update);
    return () => {
      window.removeEventListener('scroll', update);
      window.removeEventListener('resize', update);
    };
  }, [container, offsets, n, overscanPx]);
  return [Math.min(range[0], n), Math.min(range[1], n)];
}

/** The first index i in 0..n with offsets[i] > x (n+1 when none). */
function upperBound(offsets: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = offsets.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (offsets[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
