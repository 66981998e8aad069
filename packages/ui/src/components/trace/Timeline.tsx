import { useCallback, useMemo, useState, type KeyboardEvent } from 'react';
import type { SpanNode, TraceModel } from '../../model/trace';
import { formatDuration } from '../../model/format';
import { serviceColor } from '../../model/colors';
import { SpanDetail } from './SpanDetail';

const TICKS = 5;

/**
 * The trace timeline: one row per visible span in tree order, name column on the left (indented
 * by depth, coloured by service), a bar positioned relative to the trace on the right. Clicking a
 * row toggles its details; the caret collapses its subtree.
 */
export function Timeline({ model }: { model: TraceModel }) {
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set());
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set());

  const visible = useMemo(() => {
    const out: SpanNode[] = [];
    let skipDeeperThan = Infinity;
    for (const n of model.spans) {
      if (n.depth > skipDeeperThan) continue;
      skipDeeperThan = collapsed.has(n.spanID) ? n.depth : Infinity;
      out.push(n);
    }
    return out;
  }, [model, collapsed]);

  const toggle = (set: typeof setCollapsed, id: string) =>
    set((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const toggleDetail = useCallback((id: string) => toggle(setExpanded, id), []);
  const toggleCollapse = useCallback((id: string) => toggle(setCollapsed, id), []);
  const focusSpan = useCallback(
    (id: string) => {
      // uncollapse ancestors, open the span's details and scroll to it
      const ancestors: string[] = [];
      for (let n = model.byId.get(id); n && n.parentID; n = model.byId.get(n.parentID)) ancestors.push(n.parentID);
      setCollapsed((prev) => new Set([...prev].filter((c) => !ancestors.includes(c))));
      setExpanded((prev) => new Set(prev).add(id));
      requestAnimationFrame(() => document.getElementById(`span-${id}`)?.scrollIntoView({ block: 'center' }));
    },
    [model],
  );

  const total = Math.max(model.duration, 1);
  return (
    <section className="timeline" data-testid="timeline">
      <div className="timeline-toolbar">
        <button type="button" data-testid="collapse-all" onClick={() => setCollapsed(new Set(model.spans.filter((n) => n.children.length > 0 && n.depth === 0).map((n) => n.spanID)))}>
          Collapse all
        </button>
        <button type="button" data-testid="expand-all" onClick={() => setCollapsed(new Set())}>
          Expand all
        </button>
      </div>
      <div className="timeline-head">
        <div className="tl-name-col">Service &amp; Operation</div>
        <div className="tl-bar-col tl-ticks">
          {Array.from({ length: TICKS }, (_, i) => (
            <span key={i} className="tl-tick" style={{ left: `${(i / (TICKS - 1)) * 100}%` }}>
              {formatDuration((model.duration * i) / (TICKS - 1))}
            </span>
          ))}
        </div>
      </div>
      <div className="timeline-rows" role="list">
        {visible.map((n) => (
          <SpanRowBlock
            key={n.spanID}
            node={n}
            total={total}
            model={model}
            isCollapsed={collapsed.has(n.spanID)}
            isExpanded={expanded.has(n.spanID)}
            onToggleDetail={toggleDetail}
            onToggleCollapse={toggleCollapse}
            onFocusSpan={focusSpan}
          />
        ))}
      </div>
    </section>
  );
}

interface RowProps {
  node: SpanNode;
  total: number;
  model: TraceModel;
  isCollapsed: boolean;
  isExpanded: boolean;
  onToggleDetail: (id: string) => void;
  onToggleCollapse: (id: string) => void;
  onFocusSpan: (id: string) => void;
}

function SpanRowBlock({ node: n, total, model, isCollapsed, isExpanded, onToggleDetail, onToggleCollapse, onFocusSpan }: RowProps) {
  const color = serviceColor(n.serviceName);
  const left = (n.relStart / total) * 100;
  const width = Math.max((n.span.duration / total) * 100, 0.2);
  // the duration label goes after the bar, or before it when the bar ends near the right edge,
  // or inside the bar's end when the bar is nearly as wide as the trace
  const labelStyle =
    left + width <= 80 ? { left: `${left + width}%` } : left >= 12 ? { right: `${100 - left}%` } : { right: `${100 - left - width}%`, color: '#fff' };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onToggleDetail(n.spanID);
    }
  };
  return (
    <div className={`span-block${isExpanded ? ' span-block-open' : ''}`} role="listitem" id={`span-${n.spanID}`}>
      <div
        className={`span-row${n.hasError ? ' span-row-error' : ''}`}
        data-testid="span-row"
        data-span-id={n.spanID}
        data-depth={n.depth}
        role="button"
        tabIndex={0}
        aria-expanded={isExpanded}
        onClick={() => onToggleDetail(n.spanID)}
        onKeyDown={onKey}
      >
        <div className="tl-name-col span-name" style={{ paddingLeft: `${n.depth * 14 + 4}px` }}>
          {n.children.length > 0 ? (
            <button
              type="button"
              className="span-toggle"
              data-testid="span-toggle"
              aria-label={isCollapsed ? 'Expand children' : 'Collapse children'}
              onClick={(e) => {
                e.stopPropagation();
                onToggleCollapse(n.spanID);
              }}
            >
              {isCollapsed ? '▸' : '▾'}
            </button>
          ) : (
            <span className="span-toggle-spacer" />
          )}
          <span className="span-service-bar" style={{ background: color }} />
          {n.hasError && (
            <span className="error-marker span-error-icon" data-testid="span-error" title="error">
              !
            </span>
          )}
          <span className="span-service" data-testid="span-service">
            {n.serviceName}
          </span>
          <span className="span-operation" data-testid="span-operation">
            {n.span.operationName}
          </span>
          {isCollapsed && <span className="muted span-hidden-count">+{n.descendantCount}</span>}
        </div>
        <div className="tl-bar-col span-bar-area">
          <div className="span-bar" data-testid="span-bar" style={{ left: `${left}%`, width: `${width}%`, background: color }} />
          <span
            className="span-bar-label"
            style={labelStyle}
          >
            {formatDuration(n.span.duration)}
          </span>
        </div>
      </div>
      {isExpanded && <SpanDetail node={n} model={model} onFocusSpan={onFocusSpan} />}
    </div>
  );
}
