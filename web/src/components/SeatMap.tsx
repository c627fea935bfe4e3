// The interactive seat map: SVG, coloured by status and price band, zoomable, keyboard-operable
// (arrows move, Enter/Space select, PageUp/PageDown jump section) and labelled for screen readers.
import { memo, useCallback, useEffect, useId, useMemo, useRef, useState, type FocusEvent, type KeyboardEvent, type PointerEvent } from 'react';
import type { Seat } from '../api/types';
import { money, tapOrClick } from '../lib/format';
import {
  bandColour,
  computeLayout,
  MINE_COLOUR,
  moveFocus,
  priceBands,
  SEAT,
  SELECTED_COLOUR,
  STATUS_COLOURS,
  type PlacedSeat,
  type PriceBand,
  type VenueLayout,
} from '../lib/seatLayout';

export interface SeatMapProps {
  seats: Seat[];
  selected: ReadonlySet<string>;
  onToggle?: (seat: Seat) => void;
  maxSelect?: number;
  currency?: string;
  /** Seat numbers the fan holds right now (drawn as "your hold", not as anyone's). */
  mine?: ReadonlySet<string>;
  /** Preview mode (layout editor): no selection. */
  readOnly?: boolean;
  className?: string;
}

const STATUS_WORDS: Record<string, string> = {
  AVAILABLE: 'available',
  RESERVED: 'held by another fan',
  BOOKED: 'sold',
  BLOCKED: 'not for sale',
};

export function seatLabel(seat: Seat, selected: boolean, currency = 'USD', mine = false): string {
  const num = /(\d+)\s*$/.exec(seat.seatNumber)?.[1] ?? seat.seatNumber;
  const type = seat.seatType === 'REGULAR' ? '' : `, ${seat.seatType.toLowerCase()}`;
  const state = selected ? 'selected' : mine && seat.status === 'RESERVED' ? 'held by you' : STATUS_WORDS[seat.status] ?? seat.status.toLowerCase();
  return `Section ${seat.section}, row ${seat.rowNumber}, seat ${num}${type}, ${money(seat.price, currency)}, ${state}`;
}

/** The fill of a seat that is not available: a pattern for held, sold and the fan's own hold. */
export function patternFor(ids: PatternIds, status: string, mine: boolean): string | null {
  if (mine && status === 'RESERVED') return `url(#${ids.mine})`;
  if (status === 'RESERVED') return `url(#${ids.held})`;
  if (status === 'BOOKED') return `url(#${ids.sold})`;
  return null;
}
export interface PatternIds {
  held: string;
  sold: string;
  mine: string;
}

/** Held: light with dark stripes. Sold: dark with a white cross. Yours: amber with a white dot. */
export function SeatPatterns({ ids }: { ids: PatternIds }) {
  const box = { patternUnits: 'objectBoundingBox', patternContentUnits: 'objectBoundingBox', width: 1, height: 1 } as const;
  return (
    <defs>
      <pattern id={ids.held} {...box}>
        <rect width="1" height="1" fill="#f1f5f9" />
        <path d="M0,0.5 L0.5,0 M0,1 L1,0 M0.5,1 L1,0.5" stroke={STATUS_COLOURS.RESERVED} strokeWidth="0.16" />
        <rect x="0.04" y="0.04" width="0.92" height="0.92" fill="none" stroke={STATUS_COLOURS.RESERVED} strokeWidth="0.08" />
      </pattern>
      <pattern id={ids.sold} {...box}>
        <rect width="1" height="1" fill={STATUS_COLOURS.BOOKED} />
        <path d="M0.25,0.25 L0.75,0.75 M0.75,0.25 L0.25,0.75" stroke="#fff" strokeWidth="0.14" />
      </pattern>
      <pattern id={ids.mine} {...box}>
        <rect width="1" height="1" fill={MINE_COLOUR} />
        <circle cx="0.5" cy="0.5" r="0.2" fill="#fff" />
      </pattern>
    </defs>
  );
}

interface View {
  x: number;
  y: number;
  w: number;
  h: number;
}

const SeatRect = memo(function SeatRect(props: {
  n: string;
  x: number;
  y: number;
  fill: string;
  selected: boolean;
  disabled: boolean;
  focusable: boolean;
  label: string;
  readOnly: boolean;
}) {
  const { n, x, y, fill, selected, disabled, focusable, label, readOnly } = props;
  return (
    <rect
      data-seat={n}
      x={x}
      y={y}
      width={SEAT}
      height={SEAT}
      rx={2}
      fill={selected ? SELECTED_COLOUR : fill}
      stroke={selected ? '#fff' : 'none'}
      strokeWidth={selected ? 1.2 : 0}
      className={disabled || readOnly ? 'seat' : 'seat seat-open'}
      role={readOnly ? 'img' : 'checkbox'}
      aria-checked={readOnly ? undefined : selected}
      aria-disabled={readOnly ? undefined : disabled && !selected}
      aria-label={label}
      tabIndex={readOnly ? undefined : focusable ? 0 : -1}
    />
  );
});

const NONE: ReadonlySet<string> = new Set();

export function SeatMap({ seats, selected, onToggle, maxSelect = 10, currency = 'USD', mine = NONE, readOnly = false, className = '' }: SeatMapProps) {
  const uid = useId().replace(/[^a-zA-Z0-9_-]/g, '');
  const ids: PatternIds = useMemo(() => ({ held: `held-${uid}`, sold: `sold-${uid}`, mine: `mine-${uid}` }), [uid]);
  // Layout depends only on which seats exist, not their status: recompute on a new layout only.
  const shapeKey = useMemo(() => seats.map((s) => `${s.seatId}/${s.section}/${s.rowNumber}`).join('|'), [seats]);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const layout: VenueLayout = useMemo(() => computeLayout(seats), [shapeKey]);
  // The layout keeps the seats it was built from; statuses come from the latest list.
  const live = useMemo(() => new Map(seats.map((s) => [s.seatNumber, s])), [seats]);
  const bands: PriceBand[] = useMemo(() => priceBands(seats), [seats]);
  const full: View = useMemo(() => ({ x: 0, y: 0, w: layout.width, h: layout.height }), [layout]);
  const [view, setView] = useState<View>(full);
  useEffect(() => setView(full), [full]);

  const svgRef = useRef<SVGSVGElement>(null);
  const wrapRef = useRef<HTMLDivElement>(null);
  const [pxWidth, setPxWidth] = useState(0);
  useEffect(() => {
    const el = wrapRef.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver((entries) => setPxWidth(entries[0].contentRect.width));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // Seats smaller than ~12 px on screen are hard to tap: a tap then zooms into the section instead.
  const seatPx = pxWidth > 0 ? (pxWidth / view.w) * SEAT : Infinity;
  const tooSmall = seatPx < 12;
  const zoomed = view.w < full.w - 1;

  const [focusId, setFocusId] = useState<string | null>(null);
  const focusPlaced = (focusId && layout.byNumber.get(focusId)) || layout.sections[0]?.rows[0]?.seats[0] || null;
  const [announce, setAnnounce] = useState('');

  const zoomTo = useCallback(
    (box: View, pad = 12) => {
      const aspect = full.h / full.w;
      let w = box.w + 2 * pad;
      let h = box.h + 2 * pad;
      if (h / w > aspect) w = h / aspect;
      else h = w * aspect;
      setView({ x: box.x + box.w / 2 - w / 2, y: box.y + box.h / 2 - h / 2, w, h });
    },
    [full],
  );
  const zoomBy = (f: number) =>
    setView((v) => {
      const w = Math.min(full.w, Math.max(60, v.w * f));
      const h = (w * full.h) / full.w;
      const cx = v.x + v.w / 2;
      const cy = v.y + v.h / 2;
      return w >= full.w ? full : { x: cx - w / 2, y: cy - h / 2, w, h };
    });

  const toggle = useCallback(
    (seat: Seat) => {
      if (readOnly || !onToggle) return;
      const isSel = selected.has(seat.seatNumber);
      if (!isSel && seat.status !== 'AVAILABLE') {
        setAnnounce(`${seatLabel(seat, false, currency)}. This seat cannot be selected.`);
        return;
      }
      if (!isSel && selected.size >= maxSelect) {
        setAnnounce(`You can select up to ${maxSelect} seats.`);
        onToggle(seat); // let the parent explain the limit too
        return;
      }
      onToggle(seat);
      setAnnounce(`${seatLabel(seat, !isSel, currency)}. ${isSel ? selected.size - 1 : selected.size + 1} selected.`);
    },
    [readOnly, onToggle, selected, maxSelect, currency],
  );

  // Pointer: tap selects (or zooms to a section when seats are tiny); drag pans when zoomed.
  const drag = useRef<{ x: number; y: number; vx: number; vy: number; moved: boolean; id: number } | null>(null);
  const onPointerDown = (e: PointerEvent<SVGSVGElement>) => {
    drag.current = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, moved: false, id: e.pointerId };
  };
  const onPointerMove = (e: PointerEvent<SVGSVGElement>) => {
    const d = drag.current;
    if (!d || !zoomed || pxWidth === 0) return;
    const dx = e.clientX - d.x;
    const dy = e.clientY - d.y;
    if (!d.moved && Math.hypot(dx, dy) < 6) return;
    if (!d.moved) {
      d.moved = true;
      try {
        svgRef.current?.setPointerCapture(d.id);
      } catch {
        /* ignore */
      }
    }
    const k = view.w / pxWidth;
    setView((v) => ({ ...v, x: d.vx - dx * k, y: d.vy - dy * k }));
  };
  const onPointerUp = () => {
    setTimeout(() => (drag.current = null), 0);
  };
  const onClick = (e: React.MouseEvent<SVGSVGElement>) => {
    if (drag.current?.moved) return;
    const target = e.target as Element;
    const secName = target.closest('[data-section]')?.getAttribute('data-section');
    if (secName) {
      const box = layout.sections.find((s) => s.name === secName);
      if (box) zoomTo(box);
      return;
    }
    const n = target.getAttribute('data-seat');
    if (!n) return;
    const p = layout.byNumber.get(n);
    if (!p) return;
    if (tooSmall && !readOnly) {
      // Zoom to a scale where a seat is a comfortable ~20 px, around the tapped seat.
      const box = layout.sections[p.s];
      const comfy = (pxWidth * SEAT) / 20;
      if (box.w + 24 <= comfy) zoomTo(box);
      else {
        const w = Math.max(60, comfy);
        const h = (w * full.h) / full.w;
        setView({ x: p.x + SEAT / 2 - w / 2, y: p.y + SEAT / 2 - h / 2, w, h });
      }
      return;
    }
    setFocusId(n);
    toggle(live.get(n) ?? p.seat);
  };

  const onKeyDown = (e: KeyboardEvent<SVGSVGElement>) => {
    const n = (e.target as Element).getAttribute?.('data-seat');
    const from = (n && layout.byNumber.get(n)) || focusPlaced;
    if (!from) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      toggle(live.get(from.seat.seatNumber) ?? from.seat);
      return;
    }
    if (e.key === '+' || e.key === '=') return zoomBy(0.7);
    if (e.key === '-') return zoomBy(1 / 0.7);
    const next = moveFocus(layout, from, e.key);
    if (!next) return;
    e.preventDefault();
    setFocusId(next.seat.seatNumber);
  };

  // Move DOM focus with the roving tabindex, and keep the focused seat inside the view.
  const lastFocused = useRef<string | null>(null);
  useEffect(() => {
    if (!focusId || focusId === lastFocused.current) return;
    lastFocused.current = focusId;
    const el = svgRef.current?.querySelector<SVGRectElement>(`[data-seat=${JSON.stringify(focusId)}]`);
    if (el && document.activeElement !== el && svgRef.current?.contains(document.activeElement)) el.focus();
    const p = layout.byNumber.get(focusId);
    if (p && zoomed) {
      setView((v) =>
        p.x < v.x || p.x > v.x + v.w - SEAT || p.y < v.y || p.y > v.y + v.h - SEAT
          ? { ...v, x: p.x - v.w / 2, y: p.y - v.h / 2 }
          : v,
      );
    }
  }, [focusId, layout, zoomed]);

  // Tab into a zoomed map lands on the roving seat: bring it into view at once.
  const onFocus = (e: FocusEvent<SVGSVGElement>) => {
    const n = (e.target as Element).getAttribute?.('data-seat');
    if (!n) return;
    const p = layout.byNumber.get(n);
    if (!p) return;
    if (n !== focusId) {
      lastFocused.current = n;
      setFocusId(n);
    }
    setView((v) =>
      v.w >= full.w - 1 || (p.x >= v.x && p.x <= v.x + v.w - SEAT && p.y >= v.y && p.y <= v.y + v.h - SEAT)
        ? v
        : { ...v, x: p.x + SEAT / 2 - v.w / 2, y: p.y + SEAT / 2 - v.h / 2 },
    );
  };

  const focusable = focusPlaced?.seat.seatNumber ?? null;
  const verb = tapOrClick();
  const showRowLabels = !tooSmall || readOnly;

  return (
    <div className={`relative ${className}`}>
      <div className="mb-2 flex flex-wrap items-center gap-2 text-sm">
        <div className="flex overflow-hidden rounded-lg border border-slate-300 bg-white shadow-sm" role="group" aria-label="Zoom">
          <button type="button" className="px-3 py-1.5 hover:bg-slate-100" onClick={() => zoomBy(0.6)} aria-label="Zoom in">
            +
          </button>
          <button
            type="button"
            className="border-x border-slate-300 px-3 py-1.5 hover:bg-slate-100 disabled:text-slate-400"
            onClick={() => zoomBy(1 / 0.6)}
            disabled={!zoomed}
            aria-label="Zoom out"
          >
            −
          </button>
          <button type="button" className="px-3 py-1.5 hover:bg-slate-100 disabled:text-slate-400" onClick={() => setView(full)} disabled={!zoomed}>
            Whole venue
          </button>
        </div>
        {!readOnly && tooSmall && (
          <span className="text-slate-600">
            {verb} a section to zoom in, then {verb.toLowerCase()} seats.
          </span>
        )}
        {!readOnly && !tooSmall && (
          <span className="hidden text-slate-500 sm:inline">Keyboard: arrows move, Enter selects, PageUp/PageDown change section.</span>
        )}
      </div>
      <div ref={wrapRef} className="overflow-hidden rounded-xl border border-slate-200 bg-white">
        <svg
          ref={svgRef}
          viewBox={`${view.x} ${view.y} ${view.w} ${view.h}`}
          className="block h-auto w-full select-none"
          style={{ aspectRatio: `${full.w} / ${full.h}`, maxHeight: '70vh', touchAction: zoomed ? 'none' : 'pan-y' }}
          role={readOnly ? 'img' : 'group'}
          aria-label={readOnly ? 'Seat map preview' : `Seat map, ${seats.length} seats. Use arrow keys to move between seats.`}
          onClick={onClick}
          onKeyDown={onKeyDown}
          onFocus={onFocus}
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerCancel={onPointerUp}
        >
          <SeatPatterns ids={ids} />
          <rect x={layout.stage.x} y={layout.stage.y} width={layout.stage.w} height={layout.stage.h} rx={6} fill="#1e293b" />
          <text x={layout.width / 2} y={layout.stage.y + layout.stage.h / 2 + 5} textAnchor="middle" fontSize={14} fill="#fff" aria-hidden="true">
            STAGE
          </text>
          {layout.sections.map((sec) => (
            <g key={sec.name} role={readOnly ? undefined : 'group'} aria-label={readOnly ? undefined : `Section ${sec.name}`}>
              <rect x={sec.x - 4} y={sec.y - 2} width={sec.w + 8} height={sec.h + 6} rx={6} fill="#f8fafc" stroke="#e2e8f0" />
              <text
                data-section={sec.name}
                x={sec.x + sec.w / 2}
                y={sec.y + 11}
                textAnchor="middle"
                fontSize={11}
                fontWeight={600}
                fill="#334155"
                className="cursor-zoom-in"
                aria-hidden="true"
              >
                {sec.name}
              </text>
              {showRowLabels &&
                sec.rows.map((row) => (
                  <text key={row.rowNumber} x={sec.x + 6} y={row.y + SEAT - 1} textAnchor="middle" fontSize={6} fill="#94a3b8" aria-hidden="true">
                    {row.rowNumber}
                  </text>
                ))}
              {sec.rows.map((row) =>
                row.seats.map((p: PlacedSeat) => {
                  const seat = live.get(p.seat.seatNumber) ?? p.seat;
                  const isSel = selected.has(seat.seatNumber);
                  const isMine = mine.has(seat.seatNumber);
                  const fill =
                    seat.status === 'AVAILABLE'
                      ? bandColour(bands, seat.price)
                      : patternFor(ids, seat.status, isMine) ?? STATUS_COLOURS[seat.status as keyof typeof STATUS_COLOURS] ?? '#cbd5e1';
                  return (
                    <SeatRect
                      key={seat.seatId}
                      n={seat.seatNumber}
                      x={p.x}
                      y={p.y}
                      fill={fill}
                      selected={isSel}
                      disabled={seat.status !== 'AVAILABLE'}
                      focusable={focusable === seat.seatNumber}
                      label={seatLabel(seat, isSel, currency, isMine)}
                      readOnly={readOnly}
                    />
                  );
                }),
              )}
            </g>
          ))}
        </svg>
      </div>
      <Legend bands={bands} currency={currency} readOnly={readOnly} ids={ids} showMine={mine.size > 0} />
      <div className="sr-only" aria-live="polite" role="status">
        {announce}
      </div>
    </div>
  );
}

export function Legend({
  bands,
  currency,
  readOnly,
  ids,
  showMine = false,
}: {
  bands: PriceBand[];
  currency: string;
  readOnly?: boolean;
  ids?: PatternIds;
  showMine?: boolean;
}) {
  const item = (fill: string, label: string, key: string) => (
    <li key={key} className="flex items-center gap-1.5">
      <svg viewBox="0 0 12 12" className="h-3.5 w-3.5" aria-hidden="true">
        <rect width="12" height="12" rx="2" fill={fill} />
      </svg>
      {label}
    </li>
  );
  return (
    <ul className="mt-2 flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-700" aria-label="Legend">
      {bands.map((b) => item(b.colour, b.min === b.max ? money(b.min, currency) : `${money(b.min, currency)}–${money(b.max, currency)}`, `b${b.min}`))}
      {!readOnly && item(SELECTED_COLOUR, 'Your selection', 'sel')}
      {!readOnly && showMine && item(ids ? `url(#${ids.mine})` : MINE_COLOUR, 'Your hold', 'mine')}
      {item(ids ? `url(#${ids.held})` : STATUS_COLOURS.RESERVED, 'Held by someone', 'held')}
      {item(ids ? `url(#${ids.sold})` : STATUS_COLOURS.BOOKED, 'Sold', 'sold')}
      {item(STATUS_COLOURS.BLOCKED, 'Not for sale', 'blocked')}
    </ul>
  );
}
