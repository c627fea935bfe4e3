import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { cancelReservations, getEvent, getReservation } from '../api/endpoints';
import type { ReserveResponse } from '../api/types';
import { CheckoutForm } from '../components/CheckoutForm';
import { HoldCountdown, secondsUntil } from '../components/HoldCountdown';
import { Button, Empty, ErrorBox, PageTitle, Spinner } from '../components/ui';
import { SeatLines } from '../components/SeatLines';
import { money } from '../lib/format';
import { clearHold, getHold, rotateIdempotencyKey, startHold, useHold, type Hold } from '../lib/hold';

/** The reservation ids of `/checkout?reservations=a,b` (a waitlist offer's seats), or none. */
export function requestedReservations(params: URLSearchParams): string[] {
  return [...new Set((params.get('reservations') ?? '').split(',').map((s) => s.trim()).filter(Boolean))];
}
const holdIs = (h: Hold | null, ids: readonly string[]) =>
  !!h && h.reservations.length === ids.length && h.reservations.every((r) => ids.includes(r.reservationId));

/**
 * Seats held for the fan by other means than the seat map (a waitlist offer, §14): ordinary ACTIVE
 * holds of the fan, read back one by one and made the checkout's hold.
 */
export async function loadHeldReservations(ids: readonly string[]): Promise<{ response: ReserveResponse; eventId: string; eventName: string }> {
  const list = await Promise.all(ids.map((id) => getReservation(id)));
  if (list.some((r) => r.status !== 'ACTIVE' || secondsUntil(r.expiresAt) <= 0))
    throw new Error('These seats are no longer held for you: the offer ran out or was released.');
  const eventIds = [...new Set(list.map((r) => r.eventId))];
  if (eventIds.length !== 1) throw new Error('These seats are not all for the same event: buy them one event at a time.');
  const ev = await getEvent(eventIds[0]).catch(() => null);
  const expiresAt = list.reduce((a, r) => (new Date(r.expiresAt) < new Date(a) ? r.expiresAt : a), list[0].expiresAt);
  const totalAmount = list.reduce((a, r) => a + Math.round(r.price * 100), 0) / 100;
  return { response: { reservations: list, expiresAt, totalAmount }, eventId: eventIds[0], eventName: ev?.eventName ?? 'Event' };
}

/** Takes the reservations named in the address as the checkout's hold, then shows the checkout. */
function TakeHeldSeats({ ids }: { ids: string[] }) {
  const nav = useNavigate();
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['held-seats', ids.join(',')], queryFn: () => loadHeldReservations(ids), retry: false, gcTime: 0, staleTime: 0 });
  const taken = useRef(false);
  useEffect(() => {
    if (!q.data || taken.current) return;
    taken.current = true;
    // One hold at a time, as on the seat map: an older, other hold is let go so its seats go back on sale.
    const old = getHold();
    if (old && !old.reservations.some((r) => ids.includes(r.reservationId)))
      cancelReservations(old.reservations.map((r) => r.reservationId)).catch(() => undefined);
    startHold(q.data.response, q.data.eventId, q.data.eventName);
    qc.invalidateQueries({ queryKey: ['seats', q.data.eventId] });
    nav('/checkout', { replace: true });
  }, [q.data, ids, nav, qc]);
  if (q.error)
    return (
      <div className="mx-auto max-w-xl">
        <PageTitle>Checkout</PageTitle>
        <ErrorBox error={q.error} title="We could not get these seats ready for checkout." onRetry={() => q.refetch()} />
        <p className="mt-4 text-sm">
          <Link to="/me/bookings" className="font-semibold text-brand-700 underline">
            Back to my bookings and waitlist
          </Link>
        </p>
      </div>
    );
  return <Spinner label="Getting your seats ready for checkout…" />;
}

export function CheckoutPage() {
  const [params] = useSearchParams();
  const requested = useMemo(() => requestedReservations(params), [params]);
  const hold = useHold();
  const nav = useNavigate();
  const qc = useQueryClient();
  const [paying, setPaying] = useState(false);
  const [releasing, setReleasing] = useState(false);
  const taking = requested.length > 0 && !holdIs(hold, requested);
  // Already the hold: the address need not say it again.
  useEffect(() => {
    if (requested.length > 0 && !taking) nav('/checkout', { replace: true });
  }, [requested, taking, nav]);

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

  if (taking) return <TakeHeldSeats key={requested.join(',')} ids={requested} />;
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
              // Seats offered by a waitlist: the entry is fulfilled now.
              qc.invalidateQueries({ queryKey: ['waitlist'] });
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
