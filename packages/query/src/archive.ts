import type { SpanStore } from '@ariadne/storage';

/**
 * Jaeger's trace archive: a second store, written by `POST /api/archive/{traceID}`, that retention
 * never purges; reads by trace id fall back to it when the primary store no longer has a trace.
 */
export interface TraceArchive {
  /** The archive for reading, or undefined while there is none yet (a lookup then finds nothing). */
  reader(): Promise<SpanStore | undefined>;
  /** The archive for writing, created on first use. */
  writer(): Promise<SpanStore>;
  /** Close the archive store if it was opened. */
  close(): Promise<void>;
}

/**
 * A TraceArchive opened lazily by `open(create)`: with `create` false it may answer undefined
 * (nothing archived yet, e.g. no `<dataDir>/archive/` on disk), so a deployment that never
 * archives never opens a second store. Concurrent callers share one opening; a failed open is
 * retried by the next call.
 */
export function lazyArchive(open: (create: boolean) => Promise<SpanStore | undefined>): TraceArchive {
  let store: SpanStore | undefined;
  let opening: Promise<SpanStore | undefined> | undefined;
  let closed = false;
  const get = async (create: boolean): Promise<SpanStore | undefined> => {
    for (;;) {
      if (closed) throw new Error('the trace archive is closed');
      if (store) return store;
      if (!opening) break;
      await opening.catch(() => undefined);
      if (!store && !create) return undefined;
    }
    const p = open(create);
    opening = p;
    try {
      const s = await p;
      if (closed) {
        await s?.close();
        throw new Error('the trace archive is closed');
      }
      store = s;
      return s;
    } finally {
      opening = undefined;
    }
  };
  return {
    reader: () => get(false),
    async writer() {
      const s = await get(true);
      if (!s) throw new Error('the trace archive could not be opened');
      return s;
    },
    async close() {
      closed = true;
      await opening?.catch(() => undefined);
      const s = store;
      store = undefined;
      await s?.close();
    },
  };
}

/** An archive over a store that is already open (tests, embedding); `close()` closes it. */
export function storeArchive(store: SpanStore): TraceArchive {
  return { reader: async () => store, writer: async () => store, close: () => store.close() };
}
