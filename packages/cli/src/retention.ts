import type { SpanStore } from '@ariadne/storage';
import type { Logger } from './log.js';

export interface RetentionOptions {
  /** Keep spans that started less than this long ago (ms); older ones are purged. */
  retentionMs: number;
  /** Time between purges (ms). Default: a 24th of the retention, between 1 s and 1 h. */
  intervalMs?: number;
  /** Clock (ms since the epoch), for tests. */
  now?: () => number;
}

/**
 * Retention: purge every store `stores()` gives of the spans older than `retentionMs`, at once
 * and then every `intervalMs`, one run at a time. A failed purge is logged and retried at the next
 * tick. Returns `stop()`, which cancels the timer and waits for a running purge.
 */
export function startRetention(stores: () => SpanStore[] | Promise<SpanStore[]>, opts: RetentionOptions, log: Logger): () => Promise<void> {
  const interval = opts.intervalMs ?? Math.min(3_600_000, Math.max(1000, Math.floor(opts.retentionMs / 24)));
  const now = opts.now ?? Date.now;
  let running: Promise<void> | undefined;
  let stopped = false;
  const run = async () => {
    const cutoff = BigInt(Math.floor(now() - opts.retentionMs)) * 1_000_000n;
    for (const store of await stores()) {
      const t0 = performance.now();
      try {
        const deleted = await store.purgeBefore(cutoff);
        log.info('retention purge', { backend: store.capabilities.name, cutoff: new Date(Number(cutoff / 1_000_000n)).toISOString(), deleted, ms: Math.round(performance.now() - t0) });
      } catch (err) {
        if (stopped) return;
        log.warn('retention purge failed: retrying at the next interval', { backend: store.capabilities.name, err: (err as Error).message });
      }
    }
  };
  const tick = () => {
    if (stopped || running) return;
    running = run()
      .catch((err: unknown) => log.warn('retention purge failed', { err: (err as Error).message }))
      .finally(() => (running = undefined));
  };
  tick();
  const timer = setInterval(tick, interval);
  timer.unref();
  log.info('retention enabled', { retentionMs: opts.retentionMs, intervalMs: interval });
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
