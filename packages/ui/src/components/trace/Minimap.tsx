import { useEffect, useRef, useState, type PointerEvent } from 'react';
import type { TraceModel } from '../../model/trace';
import { serviceColor } from '../../model/colors';
import { formatDuration } from '../../model/format';

const HEIGHT = 64;

/**
 * The trace overview: every span as a thin line (canvas, so 100,000 spans draw fast), and the
 * zoomed time window. Drag across it to zoom the timeline to that window.
 */
export function Minimap({ model, view, onViewChange }: { model: TraceModel; view: readonly [number, number]; onViewChange: (v: [number, number]) => void }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [drag, setDrag] = useState<[number, number] | null>(null);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const draw = () => {
      const dpr = window.devicePixelRatio || 1;
      const w = canvas.clientWidth;
      canvas.width = Math.max(1, Math.round(w * dpr));
      canvas.height = Math.round(HEIGHT * dpr);
      const ctx = canvas.getContext('2d');
      if (!ctx) return;
      ctx.scale(dpr, dpr);
      ctx.clearRect(0, 0, w, HEIGHT);
      const n = model.spans.length;
      const total = Math.max(model.duration, 1);
      const rowH = Math.max(HEIGHT / Math.max(n, 1), 0.5);
      const barH = Math.max(Math.min(rowH - 0.5, 6), 0.5);
      for (let i = 0; i < n; i++) {
        const s = model.spans[i];
        ctx.fillStyle = serviceColor(s.serviceName);
        const x = (s.relStart / total) * w;
        const bw = Math.max((s.span.duration / total) * w, 1);
        ctx.fillRect(x, (i / Math.max(n, 1)) * HEIGHT, bw, barH);
      }
    };
    draw();
    const ro = new ResizeObserver(draw);
    ro.observe(canvas);
    return () => ro.disconnect();
  }, [model]);

  const frac = (e: PointerEvent<HTMLDivElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    return Math.min(1, Math.max(0, (e.clientX - r.left) / Math.max(r.width, 1)));
  };
  const onDown = (e: PointerEvent<HTMLDivElement>) => {
    e.currentTarget.setPointerCapture?.(e.pointerId);
    const f = frac(e);
    setDrag([f, f]);
  };
  const onMove = (e: PointerEvent<HTMLDivElement>) => {
    if (drag) setDrag([drag[0], frac(e)]);
  };
  const onUp = (e: PointerEvent<HTMLDivElement>) => {
    if (!drag) return;
    const a = Math.min(drag[0], frac(e));
    const b = Math.max(drag[0], frac(e));
    setDrag(null);
    if (b - a > 0.002) onViewChange([a, b]);
  };

  const shown = drag ? [Math.min(...drag), Math.max(...drag)] : view;
  const zoomed = view[0] > 0 || view[1] < 1;
  return (
    <div className="minimap" data-testid="minimap">
      <div className="minimap-head">
        <span className="muted">
          {zoomed
            ? `Showing ${formatDuration(view[0] * model.duration)} – ${formatDuration(view[1] * model.duration)} of ${formatDuration(model.duration)}`
            : 'Drag across the overview to zoom'}
        </span>
        {zoomed && (
          <button type="button" data-testid="reset-zoom" onClick={() => onViewChange([0, 1])}>
            Reset zoom
          </button>
        )}
      </div>
      <div className="minimap-body" data-testid="minimap-area" onPointerDown={onDown} onPointerMove={onMove} onPointerUp={onUp} onPointerCancel={() => setDrag(null)}>
        <canvas ref={canvasRef} className="minimap-canvas" style={{ height: HEIGHT }} />
        {(zoomed || drag) && (
          <>
            <div className="minimap-shade" style={{ left: 0, width: `${shown[0] * 100}%` }} />
            <div className="minimap-shade" style={{ left: `${shown[1] * 100}%`, right: 0 }} />
            <div className="minimap-selection" data-testid="minimap-selection" style={{ left: `${shown[0] * 100}%`, width: `${(shown[1] - shown[0]) * 100}%` }} />
          </>
        )}
      </div>
    </div>
  );
}
