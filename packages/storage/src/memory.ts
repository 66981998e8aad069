import { StatusCode } from '@ariadne/model';
import type { Span } from '@ariadne/model';
import {
  ALL_TAG_OPERATORS,
  checkCutoff,
  checkDependencyQuery,
  checkHint,
  checkOperationQuery,
  checkSpans,
  checkTraceId,
  compareSpansByStart,
  compileTraceQuery,
  spanMatchesQuery,
} from './filters.js';
import { StoreArgumentError, StoreClosedError } from './types.js';
import type {
  DependencyLink,
  DependencyQuery,
  Operation,
  OperationQuery,
  SpanStore,
  StoreCapabilities,
  TimeRange,
  TraceQuery,
} from './types.js';

/**
 * The in-memory store: the reference semantics of the contract, for unit tests of other
 * components and `--storage memory`. Not durable. Spans are deep-copied on the way in and out,
 * so callers may mutate what they passed or got. A span written again replaces the earlier copy.
 */
export class MemoryStore implements SpanStore {
  readonly capabilities: StoreCapabilities = Object.freeze({
    name: 'memory',
    durable: false,
    tagOperators: ALL_TAG_OPERATORS,
  });

  /** traceId → spanId → span */
  private traces = new Map<string, Map<string, Span>>();
  private closed = false;

  /** Number of spans held (distinct trace/span id pairs). */
  get size(): number {
    let n = 0;
    for (const t of this.traces.values()) n += t.size;
    return n;
  }

  private check(): void {
    if (this.closed) throw new StoreClosedError();
  }

  async writeSpans(spans: readonly Span[]): Promise<void> {
    this.check();
    checkSpans(spans);
    const copies = spans.map((s) => structuredClone(s));
    for (const s of copies) {
      let t = this.traces.get(s.traceId);
      if (!t) this.traces.set(s.traceId, (t = new Map()));
      t.set(s.spanId, s);
    }
  }

  async getTrace(traceId: string, hint?: TimeRange): Promise<Span[]> {
    this.check();
    checkTraceId(traceId);
    checkHint(hint);
    return this.copyTrace(traceId) ?? [];
  }

  async getTraces(traceIds: readonly string[], hint?: TimeRange): Promise<Map<string, Span[]>> {
    this.check();
    if (!Array.isArray(traceIds)) throw new StoreArgumentError('traceIds must be an array');
    traceIds.forEach(checkTraceId);
    checkHint(hint);
    const out = new Map<string, Span[]>();
    for (const id of traceIds) {
      if (out.has(id)) continue;
      const spans = this.copyTrace(id);
      if (spans) out.set(id, spans);
    }
    return out;
  }

  private copyTrace(traceId: string): Span[] | undefined {
    const t = this.traces.get(traceId);
    if (!t || t.size === 0) return undefined;
    return [...t.values()].sort(compareSpansByStart).map((s) => structuredClone(s));
  }

  async findTraceIds(query: TraceQuery): Promise<string[]> {
    this.check();
    const q = compileTraceQuery(query);
    const hits: { id: string; newest: bigint }[] = [];
    for (const [id, t] of this.traces) {
      let newest: bigint | undefined;
      for (const s of t.values()) {
        if ((newest === undefined || s.startTimeUnixNano > newest) && spanMatchesQuery(s, q)) newest = s.startTimeUnixNano;
      }
      if (newest !== undefined) hits.push({ id, newest });
    }
    hits.sort((a, b) => (a.newest !== b.newest ? (a.newest > b.newest ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return hits.slice(0, query.limit).map((h) => h.id);
  }

  async getServices(): Promise<string[]> {
    this.check();
    const names = new Set<string>();
    for (const t of this.traces.values()) for (const s of t.values()) names.add(s.resource.serviceName);
    return [...names].sort();
  }

  async getOperations(query: OperationQuery): Promise<Operation[]> {
    this.check();
    checkOperationQuery(query);
    const seen = new Map<string, Operation>();
    for (const t of this.traces.values()) {
      for (const s of t.values()) {
        if (s.resource.serviceName !== query.service) continue;
        if (query.spanKind !== undefined && s.kind !== query.spanKind) continue;
        const k = `${s.kind}\u0000${s.name}`;
        if (!seen.has(k)) seen.set(k, { name: s.name, spanKind: s.kind });
      }
    }
    return [...seen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.spanKind - b.spanKind));
  }

  /** Both the parent and the child span must start within the window. */
  async getDependencies(query: DependencyQuery): Promise<DependencyLink[]> {
    this.check();
    checkDependencyQuery(query);
    const from = query.endTime - query.lookback;
    const inWindow = (s: Span) => s.startTimeUnixNano > from && s.startTimeUnixNano <= query.endTime;
    const links = new Map<string, DependencyLink>();
    for (const t of this.traces.values()) {
      for (const child of t.values()) {
        if (!child.parentSpanId || !inWindow(child)) continue;
        const parent = t.get(child.parentSpanId);
        if (!parent || !inWindow(parent)) continue;
        const p = parent.resource.serviceName;
        const c = child.resource.serviceName;
        if (p === c) continue;
        const k = `${p}\u0000${c}`;
        let l = links.get(k);
        if (!l) links.set(k, (l = { parent: p, child: c, callCount: 0, errorCount: 0 }));
        l.callCount++;
        if (child.status.code === StatusCode.ERROR) l.errorCount++;
      }
    }
    return [...links.values()].sort((a, b) =>
      a.parent < b.parent ? -1 : a.parent > b.parent ? 1 : a.child < b.child ? -1 : a.child > b.child ? 1 : 0,
    );
  }

  async purgeBefore(cutoff: bigint): Promise<number> {
    this.check();
    checkCutoff(cutoff);
    let n = 0;
    for (const [id, t] of this.traces) {
      for (const [sid, s] of t) {
        if (s.startTimeUnixNano < cutoff) {
          t.delete(sid);
          n++;
        }
      }
      if (t.size === 0) this.traces.delete(id);
    }
    return n;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.traces.clear();
  }
}
