import { randomBytes } from 'node:crypto';
import { makeResource, makeSpan } from '@ariadne/model';
import type { Span } from '@ariadne/model';
import type { SpanStore } from '@ariadne/storage';

export function span(service = 'svc', fields: Partial<Span> = {}): Span {
  return makeSpan({
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    name: 'op',
    startTimeUnixNano: 1_700_000_000_000_000_000n,
    endTimeUnixNano: 1_700_000_000_001_000_000n,
    resource: makeResource(service),
    ...fields,
  });
}

export function spans(n: number, service = 'svc'): Span[] {
  return Array.from({ length: n }, () => span(service));
}

interface Deferred {
  spans: readonly Span[];
  resolve: () => void;
  reject: (e: Error) => void;
}

/**
 * A store whose writes stay pending until the test settles them (unit tests of the pipeline only).
 * Only writeSpans is used by the pipeline; the rest of the contract is not needed there.
 */
export class ControlledStore {
  writes: Deferred[] = [];
  inFlight = 0;
  maxInFlight = 0;
  auto = false;
  private waiters: Array<() => void> = [];

  writeSpans(batch: readonly Span[]): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise<void>((resolve, reject) => {
      const d: Deferred = {
        spans: batch,
        resolve: () => {
          this.inFlight--;
          resolve();
        },
        reject: (e) => {
          this.inFlight--;
          reject(e);
        },
      };
      this.writes.push(d);
      for (const w of this.waiters.splice(0)) w();
      if (this.auto) setImmediate(d.resolve);
    });
  }

  /** Resolves once at least `n` writes have started. */
  async waitForWrites(n: number, timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.writes.length < n) {
      if (Date.now() > deadline) throw new Error(`expected ${n} writes, saw ${this.writes.length}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 20);
      });
    }
  }

  asStore(): SpanStore {
    return this as unknown as SpanStore;
  }
}

/** Whether a promise has settled after the current macrotask queue ran. */
export async function isSettled(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((r) => setImmediate(r));
  return settled;
}
