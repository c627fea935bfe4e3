// The hold countdown: always visible during checkout, a spoken warning one minute before the seats
// are released (WCAG 2.2.1), and onExpire once when the time is up.
import { useEffect, useRef, useState } from 'react';
import { mmss } from '../lib/format';

export function secondsUntil(iso: string, now = Date.now()) {
  return Math.max(0, Math.ceil((new Date(iso).getTime() - now) / 1000));
}

export function useSecondsLeft(expiresAt: string): number {
  const [left, setLeft] = useState(() => secondsUntil(expiresAt));
  useEffect(() => {
    setLeft(secondsUntil(expiresAt));
    const t = setInterval(() => setLeft(secondsUntil(expiresAt)), 250);
    return () => clearInterval(t);
  }, [expiresAt]);
  return left;
}

export function HoldCountdown({
  expiresAt,
  onExpire,
  warnAt = 60,
  paused = false,
}: {
  expiresAt: string;
  onExpire: () => void;
  warnAt?: number;
  /** While a payment is in flight the hold is pinned by the booking: do not expire it here. */
  paused?: boolean;
}) {
  const left = useSecondsLeft(expiresAt);
  const fired = useRef(false);
  useEffect(() => {
    if (left <= 0 && !fired.current && !paused) {
      fired.current = true;
      onExpire();
    }
  }, [left, onExpire, paused]);
  const warning = left <= warnAt && left > 0;
  return (
    <div
      className={`flex flex-wrap items-center justify-between gap-2 rounded-xl border px-4 py-3 ${
        warning ? 'border-amber-400 bg-amber-50 text-amber-900' : 'border-brand-100 bg-brand-50 text-brand-900'
      }`}
      data-testid="hold-countdown"
    >
      <div>
        <span className="text-sm">Your seats are held for </span>
        <span className="font-mono text-lg font-bold tabular-nums" aria-hidden="true">
          {mmss(left)}
        </span>
        <span className="sr-only">{Math.ceil(left / 60)} minutes</span>
      </div>
      {warning && (
        <p role="alert" className="text-sm font-semibold">
          Less than a minute left: complete your payment now or the seats go back on sale.
        </p>
      )}
    </div>
  );
}
