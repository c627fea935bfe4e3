const moneyFormats = new Map<string, Intl.NumberFormat>();
export function money(amount: number | null | undefined, currency = 'USD'): string {
  if (amount === null || amount === undefined || Number.isNaN(amount)) return '—';
  let f = moneyFormats.get(currency);
  if (!f) {
    try {
      f = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    } catch {
      f = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
    }
    moneyFormats.set(currency, f);
  }
  return f.format(amount);
}
export function priceRange(min: number | null | undefined, max: number | null | undefined, currency = 'USD') {
  if (min === null || min === undefined) return 'Prices to be announced';
  if (max === null || max === undefined || max === min) return money(min, currency);
  return `${money(min, currency)} – ${money(max, currency)}`;
}
const dateFmt = new Intl.DateTimeFormat('en-US', {
  weekday: 'short',
  month: 'short',
  day: 'numeric',
  year: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
});
export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateFmt.format(d);
}
const shortFmt = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric' });
export function shortDate(iso: string) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : shortFmt.format(d);
}
export function mmss(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
export function titleCase(s: string) {
  return s
    .toLowerCase()
    .replace(/_/g, ' ')
    .replace(/\b\w/g, (c) => c.toUpperCase());
}
/** A datetime-local input value (local time) to RFC 3339 UTC without milliseconds. */
export function localToIso(v: string): string {
  const d = new Date(v);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
/** RFC 3339 to a datetime-local input value in local time. */
export function isoToLocal(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
export function newIdempotencyKey(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** One way to write a seat everywhere: "STALLS · row 5 · seat 12". */
export function seatName(s: { section: string; rowNumber: number; seatNumber: string }): string {
  const num = /(\d+)\s*$/.exec(s.seatNumber)?.[1] ?? s.seatNumber;
  return `${s.section} · row ${s.rowNumber} · seat ${num}`;
}

/** A message as a sentence: capital first letter, closing punctuation ("invalid email" -> "Invalid email."). */
export function sentence(message: string | null | undefined): string {
  const text = message ?? '';
  // A leading field name of the API ("expiryYear: ...") reads as words ("Expiry year: ...").
  const t = text.trim().replace(/^([a-z]+(?:[A-Z][a-z0-9]*)+)(?=:)/, (f) => f.replace(/([A-Z])/g, ' $1').toLowerCase());
  if (!t) return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?…:)]$/.test(first) ? first : `${first}.`;
}

/** Whether the main pointer is a finger (so the UI says "Tap") rather than a mouse ("Click"). */
export function isTouchPointer(): boolean {
  return typeof window !== 'undefined' && typeof window.matchMedia === 'function' && window.matchMedia('(pointer: coarse)').matches;
}
export function tapOrClick(): 'Tap' | 'Click' {
  return isTouchPointer() ? 'Tap' : 'Click';
}
