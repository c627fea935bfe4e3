// "Best available": the fan asks for N seats (optionally in one section); the seats we found are held
// and shown with their prices and the total first. The fan then accepts (checkout) or lets them go.
import { useEffect, useRef } from 'react';
import type { SectionAvailability } from '../../api/types';
import type { Hold } from '../../lib/hold';
import { money } from '../../lib/format';
import { HoldCountdown } from '../HoldCountdown';
import { SeatLines } from '../SeatLines';
import { Button, inputCls, labelCls } from '../ui';

export function BestAvailableForm({
  qty,
  setQty,
  section,
  setSection,
  canTake,
  sections,
  disabledReason,
  busy,
  onFind,
}: {
  qty: number;
  setQty: (n: number) => void;
  section: string;
  setSection: (s: string) => void;
  canTake: number;
  sections: SectionAvailability[] | undefined;
  /** Why the fan cannot ask now (not on sale, waiting in the queue, at the limit), or null. */
  disabledReason: string | null;
  busy: boolean;
  onFind: () => void;
}) {
  const n = Math.max(1, Math.min(qty, canTake || 1));
  return (
    <form
      className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
      aria-labelledby="best-heading"
      onSubmit={(e) => {
        e.preventDefault();
        onFind();
      }}
    >
      <h2 id="best-heading" className="font-semibold">
        Best available
      </h2>
      <p className="text-sm text-slate-600">We find the best seats together where we can and show you them and the price before you pay.</p>
      <div className="mt-3 grid grid-cols-2 gap-2">
        <div>
          <label htmlFor="qty" className={labelCls}>
            Tickets
          </label>
          <select id="qty" className={inputCls} value={n} onChange={(x) => setQty(Number(x.target.value))} disabled={canTake === 0}>
            {Array.from({ length: Math.max(1, canTake) }, (_, i) => i + 1).map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="section" className={labelCls}>
            Section
          </label>
          <select id="section" className={inputCls} value={section} onChange={(x) => setSection(x.target.value)}>
            <option value="">Any</option>
            {sections?.map((s) => (
              <option key={s.section} value={s.section} disabled={s.available < n}>
                {s.section} · {money(s.minPrice)} ({s.available} left)
              </option>
            ))}
          </select>
        </div>
      </div>
      <Button
        type="submit"
        variant="secondary"
        className="mt-3 w-full"
        disabled={!!disabledReason}
        busy={busy}
        aria-describedby={disabledReason ? 'best-disabled-reason' : undefined}
      >
        Find {n} seat{n === 1 ? '' : 's'}
      </Button>
      {disabledReason && (
        <p id="best-disabled-reason" className="mt-2 text-xs text-slate-700" data-testid="find-disabled-reason">
          {disabledReason}
        </p>
      )}
    </form>
  );
}

/** The seats "best available" found, held for the fan: the price first, then accept or let go. */
export function BestAvailableOffer({
  hold,
  releasing,
  onAccept,
  onRelease,
  onExpire,
}: {
  hold: Hold;
  releasing: boolean;
  onAccept: () => void;
  onRelease: () => void;
  onExpire: () => void;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
    heading.current?.scrollIntoView?.({ block: 'center' });
  }, [hold.expiresAt]);
  const currency = hold.currency ?? 'USD';
  const n = hold.reservations.length;
  return (
    <section className="mb-4 rounded-2xl border-2 border-brand-500 bg-white p-5 shadow" aria-labelledby="offer-heading" data-testid="best-offer">
      <h2 id="offer-heading" ref={heading} tabIndex={-1} className="text-lg font-semibold">
        We found {n} seat{n === 1 ? '' : 's'} for you: {money(hold.totalAmount, currency)} in total
      </h2>
      <p className="text-sm text-slate-600">They are held for you while you decide. Nothing is charged until you pay at checkout.</p>
      <div className="mt-3">
        <HoldCountdown key={hold.expiresAt} expiresAt={hold.expiresAt} onExpire={onExpire} />
      </div>
      <SeatLines reservations={hold.reservations} currency={currency} label="Seats found" />
      <p className="mt-2 flex justify-between border-t border-slate-200 pt-2 font-semibold" data-testid="offer-total">
        <span>Total</span>
        <span>{money(hold.totalAmount, currency)}</span>
      </p>
      <div className="mt-4 flex flex-wrap gap-2">
        <Button onClick={onAccept} disabled={releasing}>
          Accept and go to checkout
        </Button>
        <Button variant="secondary" onClick={onRelease} busy={releasing}>
          Release them and choose again
        </Button>
      </div>
    </section>
  );
}
