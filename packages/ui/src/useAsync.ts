import { useEffect, useState } from 'react';

export type AsyncState<T> =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'ok'; data: T }
  | { status: 'error'; error: Error };

/**
 * Runs `fn` whenever `key` changes (null: do nothing), aborting the previous run; stale results
 * never overwrite newer ones.
 */
export function useAsync<T>(key: string | null, fn: (signal: AbortSignal) => Promise<T>): AsyncState<T> {
  const [state, setState] = useState<{ key: string | null; value: AsyncState<T> }>({ key: null, value: { status: 'idle' } });
  useEffect(() => {
    if (key === null) {
      setState({ key, value: { status: 'idle' } });
      return;
    }
    const ctl = new AbortController();
    setState({ key, value: { status: 'loading' } });
    fn(ctl.signal).then(
      (data) => {
        if (!ctl.signal.aborted) setState({ key, value: { status: 'ok', data } });
      },
      (error: unknown) => {
        if (!ctl.signal.aborted) setState({ key, value: { status: 'error', error: error instanceof Error ? error : new Error(String(error)) } });
      },
    );
    return () => ctl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  // Before the effect has run for a new key, report loading rather than the previous key's result.
  if (state.key !== key) return key === null ? { status: 'idle' } : { status: 'loading' };
  return state.value;
}
