import { useCallback, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { useQueryClient } from '@tanstack/react-query';
import { cancelReservations } from '../api/endpoints';
import { CheckoutForm } from '../components/CheckoutForm';
import { HoldCountdown } from '../components/HoldCountdown';
import { Button, Empty, PageTitle } from '../components/ui';
import { SeatLines } from '../components/SeatLines';
import { money } from '../lib/format';
import { clearHold, getHold, rotateIdempotencyKey, useHold } from '../lib/hold';

export function CheckoutPage() {
  const hold = useHold();
  const nav = useNavigate();
  const qc = useQueryClient();
  const [paying, setPaying] = useState(false);
  const [releasing, setReleasing] = useState(false);

  const backToMap = useCallback(
    (message: string) => {
      const h = getHold();
      clearHold();
      if (h) {
        qc.invalidateQueries({ queryKey: ['seats', h.eventId] });
        nav(`/events/${h.eventId}`, { replace: true, state: { message } });
      } else nav('/', { replace: true });
    },
    [nav, qc],
  );
  const onExpire = useCallback(() => {
    const h = getHold();
    if (h) cancelReservations(h.reservations.map((r) => r.reservationId)).catch(() => undefined);
    backToMap('Your hold expired, so the seats went back on sale. Pick your seats again to continue.');
  }, [backToMap]);

  if (!hold)
    return (
      <Empty title="You have no seats on hold.">
        <Link to="/" className="text-brand-700 underline">
          Find an event
        </Link>
      </Empty>
    );

  const currency = hold.currency ?? 'USD';
  return (
    <div className="mx-auto max-w-4xl">
      <PageTitle sub={hold.eventName}>Checkout</PageTitle>
      <div className="sticky top-0 z-10 -mx-4 mb-4 bg-slate-50/95 px-4 py-2 backdrop-blur sm:static sm:mx-0 sm:bg-transparent sm:px-0 sm:py-0">
        <HoldCountdown key={hold.expiresAt} expiresAt={hold.expiresAt} onExpire={onExpire} paused={paying} />
      </div>
      <div className="grid gap-6 md:grid-cols-[1fr_320px]">
        <section className="rounded-2xl border border-slate-200 bg-white p-5 shadow-sm">
          <h2 className="mb-4 text-lg font-semibold">Payment</h2>
          <CheckoutForm
            reservationIds={hold.reservations.map((r) => r.reservationId)}
            totalAmount={hold.totalAmount}
            currency={currency}
            getIdempotencyKey={() => getHold()?.idempotencyKey ?? hold.idempotencyKey}
            rotateIdempotencyKey={() => void rotateIdempotencyKey()}
            onBusyChange={setPaying}
            onPaid={(b) => {
              clearHold();
              qc.invalidateQueries({ queryKey: ['bookings'] });
              qc.invalidateQueries({ queryKey: ['seats', b.eventId] });
              nav(`/bookings/${b.bookingId}`, { replace: true, state: { booking: b, justBooked: true } });
            }}
            onHoldLost={backToMap}
          />
        </section>
        <aside className="h-fit rounded-2xl border border-slate-200 bg-white p-5 shadow-sm">
          <h2 className="font-semibold">Order summary</h2>
          <SeatLines reservations={hold.reservations} currency={currency} />
          <p className="mt-2 flex justify-between border-t border-slate-200 pt-2 font-semibold">
            <span>Total</span>
            <span>{money(hold.totalAmount, currency)}</span>
          </p>
          <Button
            variant="ghost"
            className="mt-3 w-full"
            disabled={paying}
            busy={releasing}
            onClick={async () => {
              setReleasing(true);
              try {
                await cancelReservations(hold.reservations.map((r) => r.reservationId));
              } catch {
                /* expired already */
              }
              setReleasing(false);
              backToMap('Your seats were released.');
            }}
          >
            Release these seats
          </Button>
        </aside>
      </div>
    </div>
  );
}
