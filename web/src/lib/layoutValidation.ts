// Field-by-field checks of the organizer's seat layout draft: every input gets its own message, the
// totals are only shown from valid numbers (never NaN, never a negative price), and the API layout is
// built only from a draft without errors.
import type { Layout, SeatType } from '../api/types';

export const MAX_ROWS = 200;
export const MAX_SEATS_PER_ROW = 500;
export const MAX_SEATS_PER_EVENT = 100_000;
export const MAX_PRICE = 1_000_000;

/** The editable fields of one section (the shape of layoutEditor's DraftSection). */
export interface SectionDraft {
  key: string;
  section: string;
  seatType: SeatType;
  price: string;
  rows: string;
  seatsPerRow: string;
}

export interface FieldErrors {
  section?: string;
  price?: string;
  rows?: string;
  seatsPerRow?: string;
}

export interface SectionCheck {
  key: string;
  errors: FieldErrors;
  valid: boolean;
  /** Seats in each row, when rows and seats per row are valid. */
  sizes: number[] | null;
  /** Total seats of the section, when known. */
  seats: number | null;
  /** The price, when valid. */
  price: number | null;
}

export interface LayoutCheck {
  sections: SectionCheck[];
  valid: boolean;
  /** Seats of the valid sections. */
  total: number;
  /** A problem of the whole layout (no section, too many seats), or a pointer to the fields. */
  message?: string;
}

/** A price in whole units with at most two decimals, zero or more; null when it is not one. */
export function parsePrice(raw: string): number | null {
  const s = raw.trim();
  if (!/^\d+(\.\d{1,2})?$/.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) && n >= 0 && n <= MAX_PRICE ? n : null;
}

/** A whole number between min and max (digits only); null otherwise. */
export function parseCount(raw: string, min: number, max: number): number | null {
  const s = raw.trim();
  if (!/^\d+$/.test(s)) return null;
  const n = Number(s);
  return n >= min && n <= max ? n : null;
}

/** The seats-per-row input split into its numbers (one for every row, or one per row). */
export function seatsPerRowParts(raw: string): string[] {
  return raw.split(/[,\s]+/).filter(Boolean);
}

/** Whether the seats-per-row input lists one number per row (then the row count follows from it). */
export function isRowList(raw: string): boolean {
  return seatsPerRowParts(raw).length > 1;
}

function priceError(raw: string): string | undefined {
  const s = raw.trim();
  if (!s) return 'Enter a price (0 for free seats).';
  if (/^-/.test(s)) return 'The price cannot be negative.';
  if (parsePrice(s) !== null) return undefined;
  const n = Number(s);
  if (Number.isFinite(n) && n > MAX_PRICE) return `The price can be at most ${MAX_PRICE.toLocaleString('en-US')}.`;
  return 'Enter the price as a number with at most two decimals, like 75 or 75.50.';
}

export function checkSection(d: SectionDraft, duplicate = false): SectionCheck {
  const errors: FieldErrors = {};
  const name = d.section.trim();
  if (!name) errors.section = 'Give the section a name.';
  else if (duplicate) errors.section = `Another section is already called ${name}.`;

  const pErr = priceError(d.price);
  if (pErr) errors.price = pErr;
  const price = pErr ? null : parsePrice(d.price);

  const parts = seatsPerRowParts(d.seatsPerRow);
  let sizes: number[] | null = null;
  const perRowMsg = `Seats per row must be a whole number from 1 to ${MAX_SEATS_PER_ROW}, or one number per row like 18, 20, 22.`;
  if (parts.length === 0) {
    errors.seatsPerRow = 'Enter the seats per row.';
    if (parseCount(d.rows, 1, MAX_ROWS) === null) errors.rows = d.rows.trim() ? `Rows must be a whole number from 1 to ${MAX_ROWS}.` : 'Enter the number of rows.';
  } else if (parts.length > 1) {
    const nums = parts.map((p) => parseCount(p, 1, MAX_SEATS_PER_ROW));
    if (nums.some((x) => x === null)) errors.seatsPerRow = perRowMsg;
    else if (nums.length > MAX_ROWS) errors.seatsPerRow = `List at most ${MAX_ROWS} rows.`;
    else sizes = nums as number[];
  } else {
    const per = parseCount(parts[0], 1, MAX_SEATS_PER_ROW);
    const rows = parseCount(d.rows, 1, MAX_ROWS);
    if (per === null) errors.seatsPerRow = perRowMsg;
    if (rows === null) errors.rows = d.rows.trim() ? `Rows must be a whole number from 1 to ${MAX_ROWS}.` : 'Enter the number of rows.';
    if (per !== null && rows !== null) sizes = Array<number>(rows).fill(per);
  }
  const seats = sizes ? sizes.reduce((a, b) => a + b, 0) : null;
  return { key: d.key, errors, valid: Object.keys(errors).length === 0, sizes, seats, price };
}

export function checkLayout(drafts: SectionDraft[]): LayoutCheck {
  const counts = new Map<string, number>();
  for (const d of drafts) {
    const n = d.section.trim();
    if (n) counts.set(n, (counts.get(n) ?? 0) + 1);
  }
  const seen = new Set<string>();
  const sections = drafts.map((d) => {
    const n = d.section.trim();
    // The second and later sections with a name already used carry the message.
    const dup = !!n && (counts.get(n) ?? 0) > 1 && seen.has(n);
    if (n) seen.add(n);
    return checkSection(d, dup);
  });
  const total = sections.reduce((a, s) => a + (s.valid && s.seats ? s.seats : 0), 0);
  let message: string | undefined;
  if (drafts.length === 0) message = 'Add at least one section.';
  else if (sections.some((s) => !s.valid)) message = 'Fix the errors above to save the layout.';
  else if (total > MAX_SEATS_PER_EVENT) message = `An event can have at most ${MAX_SEATS_PER_EVENT.toLocaleString('en-US')} seats; this layout has ${total.toLocaleString('en-US')}.`;
  return { sections, valid: !message, total, message };
}

/** The API layout from a draft without errors; null when the draft has any. */
export function buildLayout(drafts: SectionDraft[], check: LayoutCheck = checkLayout(drafts)): Layout | null {
  if (!check.valid) return null;
  return {
    sections: drafts.map((d, i) => ({
      section: d.section.trim(),
      seatType: d.seatType,
      price: check.sections[i].price!,
      rows: check.sections[i].sizes!.map((seats, r) => ({ rowNumber: r + 1, seats })),
    })),
  };
}
