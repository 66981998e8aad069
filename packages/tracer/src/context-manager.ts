/**
 * The active context on AsyncLocalStorage. Contexts are the OTel API's immutable contexts (setting a
 * value returns a new one), so nested and concurrent async work each keep their own active span.
 * Binding an EventEmitter makes its listeners run in the context it was bound in.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import type { Context, ContextManager } from '@opentelemetry/api';
import { ROOT_CONTEXT } from '@opentelemetry/api';

type Fn = (...args: never[]) => unknown;
const ADD_METHODS = ['addListener', 'on', 'once', 'prependListener', 'prependOnceListener'] as const;
const kPatched = Symbol('ariadne.emitter.patched');
const kListeners = Symbol('ariadne.emitter.listeners');

type Patchable = EventEmitter & {
  [kPatched]?: boolean;
  [kListeners]?: Map<string | symbol, WeakMap<Fn, Fn>>;
};

export class AsyncLocalStorageContextManager implements ContextManager {
  private als = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.als.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const cb = thisArg === undefined ? fn : fn.bind(thisArg);
    return this.als.run(context, cb as never, ...args) as ReturnType<F>;
  }

  /** `fn(arg)` with `context` active (the hot-path form of `with`: no `this`, one argument). */
  run<A, R>(context: Context, fn: (arg: A) => R, arg: A): R {
    return this.als.run(context, fn, arg);
  }

  /**
   * Makes `context` the active one for the rest of the current synchronous execution and for async
   * work started from it (ScopeManager.activate). Returns the context that was active before.
   */
  enter(context: Context): Context {
    const prev = this.active();
    this.als.enterWith(context);
    return prev;
  }

  bind<T>(context: Context, target: T): T {
    if (target instanceof EventEmitter) return this.bindEmitter(context, target) as T;
    if (typeof target === 'function') return this.bindFunction(context, target as unknown as Fn) as T;
    return target;
  }

  private bindFunction<F extends Fn>(context: Context, target: F): F {
    const self = this;
    const bound = function (this: unknown, ...args: unknown[]) {
      return self.with(context, () => (target as unknown as (...a: unknown[]) => unknown).apply(this, args));
    };
    Object.defineProperty(bound, 'length', { enumerable: false, configurable: true, writable: false, value: target.length });
    return bound as unknown as F;
  }

  private bindEmitter(context: Context, ee: EventEmitter): EventEmitter {
    const e = ee as Patchable;
    if (e[kPatched]) return ee; // bound once: the first context wins, as in the OTel SDK
    e[kPatched] = true;
    const map = new Map<string | symbol, WeakMap<Fn, Fn>>();
    e[kListeners] = map;
    for (const method of ADD_METHODS) {
      const original = e[method] as unknown as (event: string | symbol, l: Fn) => EventEmitter;
      if (typeof original !== 'function') continue;
      (e as unknown as Record<string, unknown>)[method] = (event: string | symbol, listener: Fn) => {
        if (typeof listener !== 'function') return original.call(e, event, listener);
        const wrapped = this.bindFunction(context, listener);
        let byEvent = map.get(event);
        if (!byEvent) map.set(event, (byEvent = new WeakMap()));
        byEvent.set(listener, wrapped);
        return original.call(e, event, wrapped);
      };
    }
    for (const method of ['removeListener', 'off'] as const) {
      const original = e[method] as unknown as (event: string | symbol, l: Fn) => EventEmitter;
      if (typeof original !== 'function') continue;
      (e as unknown as Record<string, unknown>)[method] = (event: string | symbol, listener: Fn) => {
        const wrapped = map.get(event)?.get(listener);
        return original.call(e, event, wrapped ?? listener);
      };
    }
    const removeAll = e.removeAllListeners;
    e.removeAllListeners = function (this: EventEmitter, event?: string | symbol) {
      if (event === undefined) map.clear();
      else map.delete(event);
      return removeAll.apply(e, event === undefined ? [] : [event]);
    };
    return ee;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.als.disable();
    this.als = new AsyncLocalStorage<Context>();
    return this;
  }
}
