// Turns the flat seat list of the API into a drawable venue: sections packed on shelves under the
// stage, rows top to bottom, seats left to right. Pure, so it is computed once per layout.
import type { Seat } from '../api/types';

export const PITCH = 10; // distance between seat centres, in SVG units
export const SEAT = 8; // seat square size
const GUTTER = 16; // row-number column on the left of a section
const HEADER = 18; // section name above it
const GAP = 26; // between sections
const STAGE_H = 30;

export interface PlacedSeat {
  seat: Seat;
  x: number;
  y: number;
  /** indexes in the keyboard grid */
  s: number;
  r: number;
  c: number;
}
export interface SectionBox {
  name: string;
  x: number;
  y: number;
  w: number;
  h: number;
  rows: { rowNumber: number; y: number; seats: PlacedSeat[] }[];
}
export interface VenueLayout {
  width: number;
  height: number;
  sections: SectionBox[];
  byNumber: Map<string, PlacedSeat>;
  stage: { x: number; y: number; w: number; h: number };
}

function seatIndex(seatNumber: string, fallback: number): number {
  const m = /(\d+)\s*$/.exec(seatNumber);
  return m ? Number(m[1]) : fallback;
}

export function computeLayout(seats: Seat[]): VenueLayout {
  const sectionOrder: string[] = [];
  const sections = new Map<string, Map<number, Seat[]>>();
  for (const seat of seats) {
    let rows = sections.get(seat.section);
    if (!rows) {
      rows = new Map();
      sections.set(seat.section, rows);
      sectionOrder.push(seat.section);
    }
    const row = rows.get(seat.rowNumber);
    if (row) row.push(seat);
    else rows.set(seat.rowNumber, [seat]);
  }

  // Measure each section.
  const measured = sectionOrder.map((name) => {
    const rows = [...sections.get(name)!.entries()].sort((a, b) => a[0] - b[0]);
    const sorted = rows.map(([rowNumber, list]) => ({
      rowNumber,
      seats: list
        .map((seat, i) => ({ seat, k: seatIndex(seat.seatNumber, i + 1) }))
        .sort((a, b) => a.k - b.k)
        .map((x) => x.seat),
    }));
    const maxSeats = Math.max(1, ...sorted.map((r) => r.seats.length));
    return { name, rows: sorted, w: GUTTER + maxSeats * PITCH, h: HEADER + sorted.length * PITCH, maxSeats };
  });

  // Shelf packing toward a roughly 16:10 venue.
  const area = measured.reduce((a, s) => a + (s.w + GAP) * (s.h + GAP), 0);
  const widest = Math.max(200, ...measured.map((s) => s.w));
  const target = Math.max(widest, Math.sqrt(area * 1.6));
  const shelves: (typeof measured)[] = [];
  let shelf: typeof measured = [];
  let used = 0;
  for (const s of measured) {
    if (shelf.length && used + s.w > target) {
      shelves.push(shelf);
      shelf = [];
      used = 0;
    }
    shelf.push(s);
    used += s.w + GAP;
  }
  if (shelf.length) shelves.push(shelf);
  const width = Math.max(target, ...shelves.map((sh) => sh.reduce((a, s) => a + s.w, 0) + GAP * (sh.length - 1))) + 2 * GAP;

  const boxes: SectionBox[] = [];
  const byNumber = new Map<string, PlacedSeat>();
  let y = GAP + STAGE_H + GAP;
  for (const sh of shelves) {
    const shelfW = sh.reduce((a, s) => a + s.w, 0) + GAP * (sh.length - 1);
    let x = (width - shelfW) / 2;
    const shelfH = Math.max(...sh.map((s) => s.h));
    for (const s of sh) {
      const sIdx = boxes.length;
      const box: SectionBox = { name: s.name, x, y, w: s.w, h: s.h, rows: [] };
      s.rows.forEach((row, r) => {
        const ry = y + HEADER + r * PITCH;
        // Centre short rows under the longest one.
        const offset = ((s.maxSeats - row.seats.length) * PITCH) / 2;
        const placed = row.seats.map((seat, c) => {
          const p: PlacedSeat = { seat, x: x + GUTTER + offset + c * PITCH, y: ry, s: sIdx, r, c };
          byNumber.set(seat.seatNumber, p);
          return p;
        });
        box.rows.push({ rowNumber: row.rowNumber, y: ry, seats: placed });
      });
      boxes.push(box);
      x += s.w + GAP;
    }
    y += shelfH + GAP;
  }
  const stageW = Math.min(width * 0.5, 360);
  return {
    width,
    height: y,
    sections: boxes,
    byNumber,
    stage: { x: (width - stageW) / 2, y: GAP, w: stageW, h: STAGE_H },
  };
}

/** Next seat for an arrow key, in the keyboard grid (sections, rows, seats). */
export function moveFocus(layout: VenueLayout, from: PlacedSeat, key: string): PlacedSeat | null {
  const sec = layout.sections[from.s];
  const row = sec.rows[from.r];
  const nearest = (seats: PlacedSeat[]) =>
    seats.reduce((best, p) => (Math.abs(p.x - from.x) < Math.abs(best.x - from.x) ? p : best), seats[0]);
  switch (key) {
    case 'ArrowLeft':
      return row.seats[from.c - 1] ?? null;
    case 'ArrowRight':
      return row.seats[from.c + 1] ?? null;
    case 'ArrowUp':
      return from.r > 0 ? nearest(sec.rows[from.r - 1].seats) : null;
    case 'ArrowDown':
      return from.r < sec.rows.length - 1 ? nearest(sec.rows[from.r + 1].seats) : null;
    case 'Home':
      return row.seats[0];
    case 'End':
      return row.seats[row.seats.length - 1];
    case 'PageUp': {
      const prev = layout.sections[from.s - 1];
      return prev ? prev.rows[0].seats[0] : null;
    }
    case 'PageDown': {
      const next = layout.sections[from.s + 1];
      return next ? next.rows[0].seats[0] : null;
    }
    default:
      return null;
  }
}

// ---- colours --------------------------------------------------------------------------------------

export const BAND_COLOURS = ['#0ea5e9', '#10b981', '#eab308', '#f97316', '#ef4444', '#a855f7', '#ec4899'];
/**
 * Seats that cannot be picked. Held and sold differ by more than colour: a held seat is a light seat
 * with dark diagonal stripes, a sold seat is solid dark with a white cross (see SeatMap's patterns).
 * Every mark has at least 3:1 contrast against the white map (WCAG 1.4.11).
 */
export const STATUS_COLOURS = { RESERVED: '#64748b', BOOKED: '#334155', BLOCKED: '#cbd5e1' } as const;
/** The fan's own hold: its own colour (amber-700, 5:1 on white) with a white dot. */
export const MINE_COLOUR = '#b45309';
export const SELECTED_COLOUR = '#1e1b4b';

export interface PriceBand {
  min: number;
  max: number;
  colour: string;
}
/** Up to seven price bands, cheapest first. */
export function priceBands(seats: Seat[]): PriceBand[] {
  const prices = [...new Set(seats.map((s) => s.price))].sort((a, b) => a - b);
  if (prices.length === 0) return [];
  const n = Math.min(prices.length, BAND_COLOURS.length);
  const bands: PriceBand[] = [];
  for (let i = 0; i < n; i++) {
    const lo = Math.floor((i * prices.length) / n);
    const hi = Math.floor(((i + 1) * prices.length) / n) - 1;
    bands.push({ min: prices[lo], max: prices[hi], colour: BAND_COLOURS[i] });
  }
  return bands;
}
export function bandColour(bands: PriceBand[], price: number): string {
  for (const b of bands) if (price <= b.max) return b.colour;
  return bands.length ? bands[bands.length - 1].colour : BAND_COLOURS[0];
}
