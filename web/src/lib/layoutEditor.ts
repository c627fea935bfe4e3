import type { Layout, LayoutSection, Seat, SeatType } from '../api/types';

export interface DraftSection {
  key: string;
  section: string;
  seatType: SeatType;
  price: string;
  rows: string; // number of rows
  seatsPerRow: string; // "20" or "18, 20, 22" (one number per row)
}

let n = 0;
export const newKey = () => `s${++n}`;

export function rowSizes(d: DraftSection): number[] {
  const parts = d.seatsPerRow
    .split(/[,\s]+/)
    .filter(Boolean)
    .map(Number);
  if (parts.length > 1) return parts;
  const rows = Number(d.rows);
  const per = parts[0];
  return Number.isInteger(rows) && rows > 0 && Number.isInteger(per) && per > 0 ? Array(Math.min(rows, 200)).fill(per) : [];
}

/** Checks the draft and turns it into the API's layout, or names the first problem. */
export function toLayout(drafts: DraftSection[]): { layout?: Layout; error?: string } {
  if (drafts.length === 0) return { error: 'Add at least one section.' };
  const names = new Set<string>();
  const sections: LayoutSection[] = [];
  for (const d of drafts) {
    const name = d.section.trim();
    if (!name) return { error: 'Every section needs a name.' };
    if (names.has(name)) return { error: `Two sections are called ${name}.` };
    names.add(name);
    const price = Number(d.price);
    if (!(price >= 0) || !/^\d+(\.\d{1,2})?$/.test(d.price.trim())) return { error: `Section ${name}: the price must be a number with at most two decimals.` };
    const sizes = rowSizes(d);
    if (!sizes.length || sizes.some((s) => !Number.isInteger(s) || s < 1 || s > 500))
      return { error: `Section ${name}: give the number of rows and the seats per row (1 to 500).` };
    sections.push({ section: name, seatType: d.seatType, price, rows: sizes.map((seats, i) => ({ rowNumber: i + 1, seats })) });
  }
  return { layout: { sections } };
}

/** Seats as the API would list them, for the map preview. */
export function previewSeats(drafts: DraftSection[]): Seat[] {
  const out: Seat[] = [];
  for (const d of drafts) {
    const name = d.section.trim() || '?';
    const price = Number(d.price) || 0;
    rowSizes(d).forEach((count, r) => {
      for (let i = 1; i <= Math.min(count, 500); i++)
        out.push({
          seatId: `${d.key}-${r + 1}-${i}`,
          seatNumber: `${name}-${r + 1}-${i}`,
          section: name,
          rowNumber: r + 1,
          seatType: d.seatType,
          price,
          status: 'AVAILABLE',
        });
    });
  }
  return out;
}

/** The editor's draft from an existing seat list. */
export function fromSeats(seats: Seat[]): DraftSection[] {
  const bySection = new Map<string, Seat[]>();
  for (const s of seats) {
    const l = bySection.get(s.section);
    if (l) l.push(s);
    else bySection.set(s.section, [s]);
  }
  return [...bySection.entries()].map(([section, list]) => {
    const rows = new Map<number, number>();
    list.forEach((s) => rows.set(s.rowNumber, (rows.get(s.rowNumber) ?? 0) + 1));
    const sizes = [...rows.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c);
    const uniform = sizes.every((c) => c === sizes[0]);
    return {
      key: newKey(),
      section,
      seatType: list[0].seatType,
      price: list[0].price.toFixed(2),
      rows: String(sizes.length),
      seatsPerRow: uniform ? String(sizes[0]) : sizes.join(', '),
    };
  });
}
