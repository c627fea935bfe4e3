import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { cancelBooking, getEvent, myBookings } from '../api/endpoints';
import type { Booking, TicketEvent } from '../api/types';
import { Button, Empty, ErrorBox, Notice, PageTitle, Spinner, StatusBadge } from '../components/ui';
import { money, seatName, when } from '../lib/format';
import { BookingTickets } from '../components/tickets/BookingTickets';
import { MyWaitlist } from '../components/waitlist/Waitlist';

/** Real bookings (confirmed, cancelled, in progress) first; declined attempts apart. */
export function splitBookings(list: readonly Booking[]): { real: Booking[]; failed: Booking[] } {
  const rank = (b: Booking) => (b.status === 'CONFIRMED' ? 0 : b.status === 'PENDING' ? 1 : 2);
  const real = list.filter((b) => b.status !== 'FAILED');
  // Stable: within a rank the server's order (newest first) stays.
  const sorted = real.map((b, i) => ({ b, i })).sort((x, y) => rank(x.b) - rank(y.b) || x.i - y.i).map((x) => x.b);
  return { real: sorted, failed: list.filter((b) => b.status === 'FAILED') };
}

export function MyBookingsPage() {
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['bookings', 'me'], queryFn: myBookings });
  // A booking that failed before its seats were known has no event.
  const eventIds = [...new Set(q.data?.bookings.flatMap((b) => (b.eventId ? [b.eventId] : [])) ?? [])];
  const events = useQueries({
    queries: eventIds.map((id) => ({ queryKey: ['event', id], queryFn: () => getEvent(id), staleTime: 60_000 })),
  });
  const eventOf = (id?: string | null) => (id ? events[eventIds.indexOf(id)]?.data : undefined);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const cancel = useMutation({
    mutationFn: (id: string) => cancelBooking(id),
    onSuccess: (b) => {
      setConfirming(null);
      setDone(`Booking ${b.bookingReference} is cancelled. A full refund of ${money(b.totalAmount, b.currency)} is on its way.`);
      qc.invalidateQueries({ queryKey: ['bookings'] });
      qc.invalidateQueries({ queryKey: ['seats', b.eventId] });
    },
  });
  const { real, failed } = splitBookings(q.data?.bookings ?? []);

  return (
    <div className="mx-auto max-w-3xl">
      <PageTitle>My bookings</PageTitle>
      {done && (
        <div className="mb-4">
          <Notice tone="ok">{done}</Notice>
        </div>
      )}
      {cancel.error && (
        <div className="mb-4">
          <ErrorBox error={cancel.error} title="The booking could not be cancelled." />
        </div>
      )}
      {q.isLoading && <Spinner label="Loading your bookings…" />}
      {q.error && <ErrorBox error={q.error} title="We could not load your bookings." onRetry={() => q.refetch()} />}
      {q.data && real.length === 0 && (
        <Empty title="No bookings yet.">
          <Link to="/" className="text-brand-700 underline">
            Find an event
          </Link>
        </Empty>
      )}
      {real.length > 0 && (
        <ul className="space-y-3" data-testid="bookings" aria-label="Your bookings">
          {real.map((b) => {
            const ev = eventOf(b.eventId);
            return (
              <li key={b.bookingId} className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
                <div className="flex flex-wrap items-start justify-between gap-2">
                  <div>
                    <Link to={`/bookings/${b.bookingId}`} className="text-lg font-semibold text-slate-900 hover:underline">
                      {ev?.eventName ?? 'Event'}
                    </Link>
                    <p className="text-sm text-slate-600">{ev ? `${when(ev.eventDate)} · ${ev.venueName}, ${ev.city}` : ''}</p>
                    <p className="mt-1 text-sm">
                      Ref <span className="font-mono font-semibold">{b.bookingReference}</span> · {b.seats.length} seat
                      {b.seats.length === 1 ? '' : 's'} · {money(b.totalAmount, b.currency)}
                      {b.status === 'CANCELLED' && ' refunded'}
                    </p>
                    <ul className="text-xs text-slate-600" aria-label="Seats">
                      {b.seats.map((s) => (
                        <li key={s.seatId}>{seatName(s)}</li>
                      ))}
                    </ul>
                  </div>
                  <StatusBadge status={b.status} />
                </div>
                {(b.status === 'CONFIRMED' || b.status === 'CANCELLED') && <TicketsToggle booking={b} />}
                {b.status === 'CONFIRMED' && (
                  <div className="mt-3 flex flex-wrap items-center gap-2">
                    {confirming === b.bookingId ? (
                      <>
                        <span className="text-sm text-slate-700">Cancel this booking and get a full refund?</span>
                        <Button variant="danger" busy={cancel.isPending} onClick={() => cancel.mutate(b.bookingId)}>
                          Yes, cancel it
                        </Button>
                        <Button variant="secondary" onClick={() => setConfirming(null)}>
                          Keep it
                        </Button>
                      </>
                    ) : (
                      <Button variant="danger" onClick={() => setConfirming(b.bookingId)}>
                        Cancel booking
                      </Button>
                    )}
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <MyWaitlist />
      {failed.length > 0 && <FailedAttempts failed={failed} eventOf={eventOf} />}
    </div>
  );
}

/** A booking's tickets, folded away until asked for (each one loads its QR code). */
function TicketsToggle({ booking: b }: { booking: Booking }) {
  const [open, setOpen] = useState(false);
  const id = `tickets-${b.bookingId}`;
  const n = b.seats.length;
  return (
    <div className="mt-3">
      <button
        type="button"
        className="inline-flex min-h-[44px] items-center gap-2 rounded-lg px-1 text-sm font-semibold text-brand-700 hover:underline focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600"
        aria-expanded={open}
        aria-controls={id}
        onClick={() => setOpen((x) => !x)}
      >
        <span aria-hidden="true">{open ? '▾' : '▸'}</span>
        {b.status === 'CANCELLED' ? 'Tickets (revoked)' : `Tickets (${n})`}
      </button>
      <div id={id} hidden={!open} className="mt-2">
        {open && <BookingTickets bookingId={b.bookingId} seats={b.seats} fileStem={`ticket-${b.bookingReference}`} />}
      </div>
    </div>
  );
}

/** Declined payments are not bookings: listed apart, folded away, and said to have cost nothing. */
function FailedAttempts({ failed, eventOf }: { failed: Booking[]; eventOf: (id?: string | null) => TicketEvent | undefined }) {
  return (
    <details className="mt-8 rounded-xl border border-slate-200 bg-slate-50 p-4" data-testid="failed-attempts">
      <summary className="cursor-pointer font-semibold text-slate-800">
        {failed.length} declined payment attempt{failed.length === 1 ? '' : 's'} (nothing charged)
      </summary>
      <ul className="mt-3 space-y-2 text-sm">
        {failed.map((b) => {
          const ev = eventOf(b.eventId);
          const refunded = b.paymentStatus === 'REFUNDED';
          return (
            <li key={b.bookingId} className="rounded-lg border border-slate-200 bg-white p-3">
              <p className="font-medium">
                {ev?.eventName ?? 'Event'} · {b.seats.length} seat{b.seats.length === 1 ? '' : 's'} · {money(b.totalAmount, b.currency)}
              </p>
              <p className="text-slate-700">
                {refunded ? 'Seats could not be confirmed, payment refunded in full.' : 'Payment declined, nothing charged.'} Tried on {when(b.createdAt)}.{' '}
                <Link to={`/bookings/${b.bookingId}`} className="text-brand-700 underline">
                  Details
                </Link>
              </p>
            </li>
          );
        })}
      </ul>
    </details>
  );
}
