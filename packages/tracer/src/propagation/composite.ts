/**
 * Several propagators as one: inject writes every format; extract runs them in order, each on the
 * context the previous one returned (so a later format wins for the span context, baggage merges).
 * A propagator that throws is skipped: hostile headers never reach application code.
 */
import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';

export class CompositePropagator implements TextMapPropagator {
  private readonly list: TextMapPropagator[];
  private readonly allFields: string[];
  onError: (() => void) | undefined;
  constructor(propagators: TextMapPropagator[], onError?: () => void) {
    this.list = propagators.slice();
    this.allFields = [...new Set(this.list.flatMap((p) => (typeof p.fields === 'function' ? p.fields() : [])))];
    this.onError = onError;
  }
  get propagators(): readonly TextMapPropagator[] {
    return this.list;
  }
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    for (const p of this.list) {
      try {
        p.inject(context, carrier, setter);
      } catch {
        this.onError?.();
      }
    }
  }
  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    let ctx = context;
    for (const p of this.list) {
      try {
        ctx = p.extract(ctx, carrier, getter);
      } catch {
        this.onError?.();
      }
    }
    return ctx;
  }
  fields(): string[] {
    return this.allFields.slice();
  }
}
