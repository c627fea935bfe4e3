import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { cancelBooking, getEvent, myBookings } from '../api/endpoints';
import type { Booking } from '../api/types';
import { Button, Empty, ErrorBox, Notice, PageTitle, Spinner, StatusBadge } from '../components/ui';
import { money, when } from '../lib/format';

export function MyBookingsPage() {
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['bookings', 'me'], queryFn: myBookings });
  const eventIds = [...new Set(q.data?.bookings.map((b) => b.eventId) ?? [])];
  const events = useQueries({
    queries: eventIds.map((id) => ({ queryKey: ['event', id], queryFn: () => getEvent(id), staleTime: 60_000 })),
  });
  const eventName = (id: string) => events[eventIds.indexOf(id)]?.data;
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
      {q.data && q.data.bookings.length === 0 && (
        <Empty title="No bookings yet.">
          <Link to="/" className="text-brand-700 underline">
            Find an event
          </Link>
        </Empty>
      )}
      <ul className="space-y-3" data-testid="bookings">
        {q.data?.bookings.map((b: Booking) => {
          const ev = eventName(b.eventId);
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
                  </p>
                  <p className="text-xs text-slate-500">{b.seats.map((s) => s.seatNumber).join(', ')}</p>
                </div>
                <StatusBadge status={b.status} />
              </div>
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
    </div>
  );
}
