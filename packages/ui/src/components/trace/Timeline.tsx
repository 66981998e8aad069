import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type CSSProperties, type KeyboardEvent, type PointerEvent } from 'react';
import { useWindowedRange } from './useWindowedRange';
import { criticalPath, type Interval, type SpanNode, type TraceModel } from '../../model/trace';
import { formatDuration } from '../../model/format';
import { serviceColor } from '../../model/colors';
import { idleGaps } from '../../model/stats';
import { SpanDetail } from './SpanDetail';
import { Minimap } from './Minimap';

const TICKS = 5;

export const ROW_HEIGHT = 28;
const NONE: readonly Interval[] = [];
/** Height assumed for an open span's details until it has been measured. */
const DETAIL_ESTIMATE = 320;

export interface TimelineProps {
  model: TraceModel;
  /** In-trace find text and the spans it matches (null: no find active). */
  find?: string;
  onFindChange?: (text: string) => void;
  matches?: ReadonlySet<string> | null;
}

/**
 * The trace timeline: one row per visible span in tree order, name column on the left (indented
 * by depth, coloured by service), a bar positioned relative to the trace on the right. Clicking a
 * row toggles its details; the caret collapses its subtree.
 */
export function Timeline({ model, find = '', onFindChange, matches = null }: TimelineProps) {
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(() => new Set());
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set());
  const [blockHeights, setBlockHeights] = useState<ReadonlyMap<string, number>>(() => new Map());
  const [focusId, setFocusId] = useState<string | null>(null);
  /** the selected span (the last one clicked or jumped to, e.g. from a reference) */
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [showCritical, setShowCritical] = useState(false);
  /** the zoomed window, as fractions of the trace's duration */
  const [view, setView] = useState<readonly [number, number]>([0, 1]);
  /** width of the name column, % of the timeline */
  const [nameCol, setNameCol] = useState(32);
  const critical = useMemo(() => (showCritical ? criticalPath(model) : null), [model, showCritical]);
  const rowsRef = useRef<HTMLDivElement>(null);

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

  // Only the rows near the viewport are rendered: a trace may have 100,000 spans.
  const offsets = useMemo(() => {
    const o = new Float64Array(visible.length + 1);
    for (let i = 0; i < visible.length; i++) {
      const id = visible[i].spanID;
      o[i + 1] = o[i] + (expanded.has(id) ? (blockHeights.get(id) ?? ROW_HEIGHT + DETAIL_ESTIMATE) : ROW_HEIGHT);
    }
    return o;
  }, [visible, expanded, blockHeights]);
  const [start, end] = useWindowedRange(rowsRef, offsets);

  const toggle = (set: typeof setCollapsed, id: string) =>
    set((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const toggleDetail = useCallback((id: string) => {
    setSelectedId(id);
    toggle(setExpanded, id);
  }, []);
  const toggleCollapse = useCallback((id: string) => toggle(setCollapsed, id), []);
  const onMeasure = useCallback((id: string, h: number) => {
    setBlockHeights((prev) => (prev.get(id) === h ? prev : new Map(prev).set(id, h)));
  }, []);
  /** Uncollapse a span's ancestors and scroll to it; `open` also opens its details. */
  const revealSpan = useCallback(
    (id: string, open: boolean) => {
      const ancestors = new Set<string>();
      for (let n = model.byId.get(id); n && n.parentID; n = model.byId.get(n.parentID)) ancestors.add(n.parentID);
      setCollapsed((prev) => (ancestors.size === 0 ? prev : new Set([...prev].filter((c) => !ancestors.has(c)))));
      if (open) setExpanded((prev) => new Set(prev).add(id));
      setFocusId(id);
    },
    [model],
  );
  const focusSpan = useCallback(
    (id: string) => {
      setSelectedId(id);
      revealSpan(id, true);
    },
    [revealSpan],
  );
  useLayoutEffect(() => {
    if (focusId === null) return;
    setFocusId(null);
    const i = visible.findIndex((n) => n.spanID === focusId);
    const el = rowsRef.current;
    if (i < 0 || !el) return;
    const top = el.getBoundingClientRect().top + window.scrollY + offsets[i];
    window.scrollTo({ top: Math.max(0, top - 120) });
  }, [focusId, visible, offsets]);

  const matchList = useMemo(() => (matches ? model.spans.filter((n) => matches.has(n.spanID)).map((n) => n.spanID) : []), [model, matches]);
  const [matchCursor, setMatchCursor] = useState(-1);
  const step = (d: number) => {
    if (matchList.length === 0) return;
    const next = (matchCursor + d + matchList.length) % matchList.length;
    setMatchCursor(next);
    revealSpan(matchList[next], false);
  };
  // a link with ?uiFind= scrolls to the first match once
  const pendingInitialReveal = useRef(find.trim() !== '');
  useEffect(() => {
    if (!pendingInitialReveal.current || !matches) return;
    pendingInitialReveal.current = false;
    if (matchList.length > 0) {
      setMatchCursor(0);
      revealSpan(matchList[0], false);
    }
  }, [matches, matchList, revealSpan]);

  const viewStart = model.startTime + view[0] * model.duration;
  const viewDur = Math.max((view[1] - view[0]) * model.duration, 1);
  return (
    <section className="timeline" data-testid="timeline" style={{ '--name-col': `${nameCol}%` } as CSSProperties}>
      <div className="timeline-toolbar">
        <button type="button" data-testid="collapse-all" onClick={() => setCollapsed(new Set(model.spans.filter((n) => n.children.length > 0).map((n) => n.spanID)))}>
          Collapse all
        </button>
        <button type="button" data-testid="expand-all" onClick={() => setCollapsed(new Set())}>
          Expand all
        </button>
        <button
          type="button"
          data-testid="critical-path-toggle"
          aria-pressed={showCritical}
          className={showCritical ? 'toggle-on' : undefined}
          title="Highlight the chain of spans that determined the trace's duration"
          onClick={() => setShowCritical((v) => !v)}
        >
          Critical path
        </button>
        {onFindChange && (
          <span className="timeline-find">
            <input
              data-testid="trace-find-input"
              aria-label="Find in trace"
              placeholder="Find…  (text or key=value)"
              value={find}
              spellCheck={false}
              onChange={(e) => {
                setMatchCursor(-1);
                onFindChange(e.target.value);
              }}
              onKeyDown={(e) => {
                if (e.key === 'Enter') step(e.shiftKey ? -1 : 1);
                if (e.key === 'Escape') onFindChange('');
              }}
            />
            {matches && (
              <>
                <span data-testid="trace-find-count" className="muted">
                  {matchList.length} match{matchList.length === 1 ? '' : 'es'}
                </span>
                <button type="button" data-testid="trace-find-prev" aria-label="Previous match" disabled={matchList.length === 0} onClick={() => step(-1)}>
                  ▲
                </button>
                <button type="button" data-testid="trace-find-next" aria-label="Next match" disabled={matchList.length === 0} onClick={() => step(1)}>
                  ▼
                </button>
              </>
            )}
          </span>
        )}
        <span className="muted timeline-count" data-testid="visible-count">
          {visible.length === model.spanCount ? `${model.spanCount} spans` : `${visible.length} of ${model.spanCount} spans shown`}
        </span>
      </div>
      <Minimap model={model} view={view} onViewChange={setView} />
      <div className="timeline-head">
        <div className="tl-name-col">Service &amp; Operation</div>
        <ColumnResizer value={nameCol} onChange={setNameCol} />
        <div className="tl-bar-col tl-ticks">
          {Array.from({ length: TICKS }, (_, i) => (
            <span key={i} className="tl-tick" style={{ left: `${(i / (TICKS - 1)) * 100}%` }}>
              {formatDuration(viewStart - model.startTime + (viewDur * i) / (TICKS - 1))}
            </span>
          ))}
        </div>
      </div>
      <div className="timeline-rows" role="list" ref={rowsRef} style={{ height: offsets[visible.length] }}>
        <div style={{ height: offsets[start] }} />
        {visible.slice(start, end).map((n) => (
          <SpanRowBlock
            key={n.spanID}
            node={n}
            viewStart={viewStart}
            viewDur={viewDur}
            model={model}
            isCollapsed={collapsed.has(n.spanID)}
            isExpanded={expanded.has(n.spanID)}
            isSelected={selectedId === n.spanID}
            match={matches ? matches.has(n.spanID) : undefined}
            critical={critical ? (critical.get(n.spanID) ?? NONE) : undefined}
            onToggleDetail={toggleDetail}
            onToggleCollapse={toggleCollapse}
            onFocusSpan={focusSpan}
            onMeasure={onMeasure}
          />
        ))}
      </div>
    </section>
  );
}

interface RowProps {
  node: SpanNode;
  /** the visible time window: start (epoch µs) and length (µs) */
  viewStart: number;
  viewDur: number;
  model: TraceModel;
  isCollapsed: boolean;
  isExpanded: boolean;
  /** undefined when no find is active */
  match?: boolean;
  /** this span's critical-path segments (epoch µs); undefined when not shown */
  critical?: readonly Interval[];
  onToggleDetail: (id: string) => void;
  onToggleCollapse: (id: string) => void;
  onFocusSpan: (id: string) => void;
  isSelected: boolean;
  onMeasure: (id: string, height: number) => void;
}

const SpanRowBlock = memo(function SpanRowBlock({ node: n, viewStart, viewDur, model, isCollapsed, isExpanded, isSelected, match, critical, onToggleDetail, onToggleCollapse, onFocusSpan, onMeasure }: RowProps) {
  const blockRef = useRef<HTMLDivElement>(null);
  // an open block's height varies with its details: report it so the list can place rows below
  useLayoutEffect(() => {
    const el = blockRef.current;
    if (!isExpanded || !el) return;
    const report = () => onMeasure(n.spanID, el.getBoundingClientRect().height);
    report();
    const ro = new ResizeObserver(report);
    ro.observe(el);
    return () => ro.disconnect();
  }, [isExpanded, n.spanID, onMeasure]);
  const color = serviceColor(n.serviceName);
  const [left, width] = placeInView(n.span.startTime, n.span.startTime + n.span.duration, viewStart, viewDur, 0.2);
  // the duration label goes after the bar, or before it when the bar ends near the right edge,
  // or inside the bar's end when the bar is nearly as wide as the trace
  const labelStyle =
    left + width <= 80 ? { left: `${left + width}%` } : left >= 12 ? { right: `${100 - left}%` } : { right: `${100 - left - width}%`, color: '#fff' };
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onToggleDetail(n.spanID);
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      // move focus to the next / previous row
      e.preventDefault();
      const rows = [...(e.currentTarget.closest('.timeline-rows')?.querySelectorAll<HTMLElement>('[data-testid=span-row]') ?? [])];
      const i = rows.indexOf(e.currentTarget);
      const next = rows[i + (e.key === 'ArrowDown' ? 1 : -1)];
      if (next) {
        next.focus();
        next.scrollIntoView({ block: 'nearest' });
      }
    } else if ((e.key === 'ArrowLeft' && !isCollapsed) || (e.key === 'ArrowRight' && isCollapsed)) {
      if (n.children.length > 0) {
        e.preventDefault();
        onToggleCollapse(n.spanID);
      }
    }
  };
  return (
    <div className={`span-block${isExpanded ? ' span-block-open' : ''}`} role="listitem" id={`span-${n.spanID}`} ref={blockRef}>
      <div
        className={`span-row${isSelected ? ' span-row-selected' : ''}${n.hasError ? ' span-row-error' : ''}${match ? ' span-row-match' : match === false ? ' span-row-dim' : ''}`}
        data-testid="span-row"
        data-match={match === undefined ? undefined : String(match)}
        data-span-id={n.spanID}
        data-depth={n.depth}
        data-selected={isSelected ? 'true' : undefined}
        aria-current={isSelected ? 'true' : undefined}
        role="button"
        tabIndex={0}
        aria-expanded={isExpanded}
        title={`${n.serviceName}: ${n.span.operationName} (${formatDuration(n.span.duration)} at +${formatDuration(n.relStart)})`}
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
          {width > 0 && <div className="span-bar" data-testid="span-bar" style={{ left: `${left}%`, width: `${width}%`, background: color }} />}
          {width > 0 &&
            idleGaps(n).map(([a, b]) => {
              const [l, w] = placeInView(a, b, viewStart, viewDur, 0);
              return w <= 0 ? null : (
                <div
                  key={`gap-${a}`}
                  className="idle-gap"
                  data-testid="idle-gap"
                  data-start={a - model.startTime}
                  data-end={b - model.startTime}
                  title={`idle (self time): ${formatDuration(b - a)}`}
                  style={{ left: `${l}%`, width: `${w}%` }}
                />
              );
            })}
          {critical?.map(([a, b]) => {
            const [l, w] = placeInView(a, b, viewStart, viewDur, 0.1);
            return w <= 0 ? null : (
            <div
              key={a}
              className="critical-segment"
              data-testid="critical-segment"
              data-start={a - model.startTime}
              data-end={b - model.startTime}
              style={{ left: `${l}%`, width: `${w}%` }}
            />
            );
          })}
          {width > 0 && (
            <span className="span-bar-label" style={labelStyle}>
              {formatDuration(n.span.duration)}
            </span>
          )}
        </div>
      </div>
      {isExpanded && <SpanDetail node={n} model={model} onFocusSpan={onFocusSpan} />}
    </div>
  );
});

/**
 * Where an interval [a, b] (epoch µs) sits in the visible window, as [left%, width%], clipped to the
 * window; width 0 when it is outside. `minWidth` keeps very short spans visible.
 */
export function placeInView(a: number, b: number, viewStart: number, viewDur: number, minWidth: number): [number, number] {
  const viewEnd = viewStart + viewDur;
  if (b < viewStart || a > viewEnd) return [0, 0];
  const l = Math.max(a, viewStart);
  const r = Math.min(b, viewEnd);
  const left = ((l - viewStart) / viewDur) * 100;
  const width = Math.max(((r - l) / viewDur) * 100, minWidth);
  return [Math.min(left, 100 - minWidth), width];
}

/** The drag handle between the name column and the bars (width in % of the timeline, 15–70). */
function ColumnResizer({ value, onChange }: { value: number; onChange: (v: number) => void }) {
  const dragging = useRef(false);
  const setFrom = (e: PointerEvent<HTMLDivElement>) => {
    const box = e.currentTarget.closest('.timeline')?.getBoundingClientRect();
    if (!box || box.width === 0) return;
    onChange(Math.min(70, Math.max(15, ((e.clientX - box.left) / box.width) * 100)));
  };
  return (
    <div
      className="tl-resizer"
      data-testid="column-resizer"
      role="separator"
      aria-orientation="vertical"
      aria-valuenow={Math.round(value)}
      aria-valuemin={15}
      aria-valuemax={70}
      style={{ left: `${value}%` }}
      onPointerDown={(e) => {
        dragging.current = true;
        e.currentTarget.setPointerCapture?.(e.pointerId);
      }}
      onPointerMove={(e) => dragging.current && setFrom(e)}
      onPointerUp={(e) => {
        if (dragging.current) setFrom(e);
        dragging.current = false;
      }}
    />
  );
}
