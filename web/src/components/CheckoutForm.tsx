// Card entry and payment. One Idempotency-Key per checkout: a double click, a retry after a network
// error or a "still in flight" answer all send the same key, so the fan is never charged twice.
import { useRef, useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../api/client';
import { confirmBooking } from '../api/endpoints';
import type { Booking } from '../api/types';
import { money } from '../lib/format';
import { Button, ErrorBox, Field, inputCls } from './ui';

export const TEST_CARDS = [
  { number: '4242424242424242', label: 'always succeeds' },
  { number: '4000000000000002', label: 'always declined' },
];

export interface CheckoutFormProps {
  reservationIds: string[];
  totalAmount: number;
  currency?: string;
  /** Read at every attempt: the same key unless the hold store rotated it. */
  getIdempotencyKey: () => string;
  rotateIdempotencyKey?: () => void;
  onPaid: (b: Booking) => void;
  /** The hold is gone (declined, expired, not active): the reason, in words. */
  onHoldLost: (message: string) => void;
  onBusyChange?: (busy: boolean) => void;
  showTestCards?: boolean;
  /** Waits between retries while the same key is still in flight (tests shorten it). */
  inFlightRetryMs?: number;
}

export function luhnOk(num: string): boolean {
  const d = num.replace(/\D/g, '');
  if (d.length < 12 || d.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    let n = Number(d[d.length - 1 - i]);
    if (i % 2 === 1) {
      n *= 2;
      if (n > 9) n -= 9;
    }
    sum += n;
  }
  return sum % 10 === 0;
}
const groupCard = (v: string) =>
  v
    .replace(/\D/g, '')
    .slice(0, 19)
    .replace(/(.{4})/g, '$1 ')
    .trim();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function CheckoutForm(p: CheckoutFormProps) {
  const now = new Date();
  const [name, setName] = useState('');
  const [card, setCard] = useState('');
  const [month, setMonth] = useState(String(now.getMonth() + 1));
  const [year, setYear] = useState(String(now.getFullYear() + 2));
  const [cvv, setCvv] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [fieldErr, setFieldErr] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [uncertain, setUncertain] = useState(false);
  const inFlight = useRef(false);

  const setBusyBoth = (b: boolean) => {
    setBusy(b);
    p.onBusyChange?.(b);
  };

  const validate = () => {
    const fe: Record<string, string> = {};
    if (!luhnOk(card)) fe.card = 'Enter a valid card number.';
    const exp = new Date(Number(year), Number(month), 1);
    if (!(exp > now)) fe.expiry = 'This card has expired.';
    if (!/^\d{3,4}$/.test(cvv)) fe.cvv = 'Enter the 3 or 4 digits on the back of the card.';
    setFieldErr(fe);
    return Object.keys(fe).length === 0;
  };

  const pay = async (e?: FormEvent) => {
    e?.preventDefault();
    if (inFlight.current) return; // a double click sends nothing more
    if (!validate()) return;
    inFlight.current = true;
    setBusyBoth(true);
    setError(null);
    const req = {
      reservationIds: p.reservationIds,
      paymentMethod: {
        type: 'CREDIT_CARD' as const,
        cardNumber: card.replace(/\D/g, ''),
        expiryMonth: Number(month),
        expiryYear: Number(year),
        cvv,
        ...(name.trim() ? { cardholderName: name.trim() } : {}),
      },
    };
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          const booking = await confirmBooking(req, p.getIdempotencyKey());
          setUncertain(false);
          p.onPaid(booking);
          return;
        } catch (err) {
          // The same payment is still being processed: ask again with the same key.
          if (err instanceof ApiError && err.code === 'IDEMPOTENCY_KEY_IN_USE' && attempt < 30) {
            await sleep(p.inFlightRetryMs ?? 1500);
            continue;
          }
          throw err;
        }
      }
    } catch (err) {
      if (err instanceof ApiError) {
        if (err.code === 'PAYMENT_FAILED') {
          const code = typeof err.details.declineCode === 'string' ? ` (${err.details.declineCode.replace(/_/g, ' ').toLowerCase()})` : '';
          p.onHoldLost(`Your payment was declined${code}. You were not charged and the seats were released: pick seats again to try another card.`);
          return;
        }
        if (['RESERVATION_EXPIRED', 'RESERVATION_NOT_ACTIVE'].includes(err.code) || (err.status === 404 && err.code === 'NOT_FOUND')) {
          p.onHoldLost(`${errorMessage(err)} You were not charged. Please pick your seats again.`);
          return;
        }
        if (err.code === 'VALIDATION_ERROR' || err.code === 'IDEMPOTENCY_KEY_REUSED') {
          // Refused before any charge: corrected details go out under a new key.
          p.rotateIdempotencyKey?.();
          setError(err);
          return;
        }
        if (err.status === 0 || err.status >= 500) {
          // We do not know whether the payment went through: retrying with the same key is safe.
          setUncertain(true);
          setError(err);
          return;
        }
      }
      setError(err);
    } finally {
      inFlight.current = false;
      setBusyBoth(false);
    }
  };

  const years = Array.from({ length: 12 }, (_, i) => now.getFullYear() + i);
  return (
    <form onSubmit={pay} noValidate className="space-y-4" aria-label="Payment">
      {p.showTestCards !== false && (
        <div className="rounded-lg border border-dashed border-slate-300 bg-slate-50 p-3 text-sm">
          <p className="font-medium text-slate-700">Test mode: no real money moves. Try a test card:</p>
          <ul className="mt-1 space-y-1">
            {TEST_CARDS.map((c) => (
              <li key={c.number}>
                <button type="button" className="font-mono text-brand-700 underline" onClick={() => setCard(groupCard(c.number))}>
                  {groupCard(c.number)}
                </button>{' '}
                <span className="text-slate-500">{c.label}; any future date, any 3-digit CVV</span>
              </li>
            ))}
          </ul>
        </div>
      )}
      <Field label="Name on card" htmlFor="cc-name">
        <input id="cc-name" autoComplete="cc-name" className={inputCls} value={name} onChange={(e) => setName(e.target.value)} />
      </Field>
      <Field label="Card number" htmlFor="cc-number" hint={fieldErr.card && <span className="text-red-700">{fieldErr.card}</span>}>
        <input
          id="cc-number"
          autoComplete="cc-number"
          inputMode="numeric"
          className={`${inputCls} font-mono`}
          value={card}
          aria-invalid={!!fieldErr.card}
          onChange={(e) => setCard(groupCard(e.target.value))}
          placeholder="1234 5678 9012 3456"
        />
      </Field>
      <div className="grid grid-cols-3 gap-3">
        <Field label="Month" htmlFor="cc-month">
          <select id="cc-month" autoComplete="cc-exp-month" className={inputCls} value={month} onChange={(e) => setMonth(e.target.value)}>
            {Array.from({ length: 12 }, (_, i) => i + 1).map((m) => (
              <option key={m} value={m}>
                {String(m).padStart(2, '0')}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Year" htmlFor="cc-year">
          <select id="cc-year" autoComplete="cc-exp-year" className={inputCls} value={year} onChange={(e) => setYear(e.target.value)}>
            {years.map((y) => (
              <option key={y} value={y}>
                {y}
              </option>
            ))}
          </select>
        </Field>
        <Field label="CVV" htmlFor="cc-cvv">
          <input
            id="cc-cvv"
            autoComplete="cc-csc"
            inputMode="numeric"
            maxLength={4}
            className={`${inputCls} font-mono`}
            value={cvv}
            aria-invalid={!!fieldErr.cvv}
            onChange={(e) => setCvv(e.target.value.replace(/\D/g, '').slice(0, 4))}
          />
        </Field>
      </div>
      {(fieldErr.expiry || fieldErr.cvv) && <p className="text-sm text-red-700">{fieldErr.expiry ?? fieldErr.cvv}</p>}
      {error ? (
        <div className="space-y-2">
          <ErrorBox error={error} />
          {uncertain && (
            <p className="text-sm text-slate-600">
              We could not confirm whether the payment went through. Pressing Pay again is safe: you will never be charged twice.
            </p>
          )}
        </div>
      ) : null}
      <Button type="submit" className="w-full text-base" busy={busy}>
        {busy ? 'Processing payment…' : uncertain ? `Retry payment of ${money(p.totalAmount, p.currency)}` : `Pay ${money(p.totalAmount, p.currency)}`}
      </Button>
    </form>
  );
}
