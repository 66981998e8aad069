/**
 * An immutable OTel `Context` kept as a small key/value array. The API's own context copies a Map
 * on every `setValue`; contexts hold a handful of entries (span, baggage, a flag or two), for which
 * copying a short array is several times cheaper and `getValue` as fast. Behaves exactly like the
 * API's context: setting or deleting a value returns a new context and leaves this one unchanged.
 */
import type { Context } from '@opentelemetry/api';

export class LiteContext implements Context {
  constructor(private readonly kv: readonly unknown[]) {}

  getValue(key: symbol): unknown {
    const kv = this.kv;
    for (let i = 0; i < kv.length; i += 2) if (kv[i] === key) return kv[i + 1];
    return undefined;
  }

  setValue(key: symbol, value: unknown): Context {
    const kv = this.kv;
    const out: unknown[] = [];
    for (let i = 0; i < kv.length; i += 2) {
      if (kv[i] !== key) out.push(kv[i], kv[i + 1]);
    }
    out.push(key, value);
    return new LiteContext(out);
  }

  deleteValue(key: symbol): Context {
    const kv = this.kv;
    const out: unknown[] = [];
    for (let i = 0; i < kv.length; i += 2) {
      if (kv[i] !== key) out.push(kv[i], kv[i + 1]);
    }
    return new LiteContext(out);
  }
}

/** The empty context, as a base for contexts the tracer builds (never made active itself). */
export const LITE_ROOT: Context = new LiteContext([]);
