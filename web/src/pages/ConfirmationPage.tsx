import { Link, useLocation, useParams } from 'react-router-dom';
import { useQuery } from '@tanstack/react-query';
import { getBooking, getEvent } from '../api/endpoints';
import type { Booking } from '../api/types';
import { ErrorBox, Spinner, StatusBadge } from '../components/ui';
import { money, seatName, when } from '../lib/format';

export function ConfirmationPage() {
  const { bookingId = '' } = useParams();
  const state = useLocation().state as { booking?: Booking; justBooked?: boolean } | null;
  const q = useQuery({ queryKey: ['booking', bookingId], queryFn: () => getBooking(bookingId), initialData: state?.booking });
  const ev = useQuery({ queryKey: ['event', q.data?.eventId], queryFn: () => getEvent(q.data!.eventId!), enabled: !!q.data?.eventId });
  if (q.isLoading) return <Spinner label="Loading your booking…" />;
  if (q.error) return <ErrorBox error={q.error} title="We could not load this booking." onRetry={() => q.refetch()} />;
  const b = q.data!;
  const ok = b.status === 'CONFIRMED';
  const words = bookingWords(b);
  return (
    <div className="mx-auto max-w-2xl">
      <div className={`rounded-2xl border p-6 text-center shadow-sm ${ok ? 'border-emerald-200 bg-emerald-50' : 'border-slate-200 bg-white'}`}>
        {ok && (
          <div className="mx-auto mb-3 flex h-12 w-12 items-center justify-center rounded-full bg-emerald-600 text-2xl text-white" aria-hidden="true">
            ✓
          </div>
        )}
        <h1 className="text-2xl font-bold">{ok && state?.justBooked ? "You're going!" : words.title}</h1>
        {words.detail && <p className="mt-1 text-slate-700">{words.detail}</p>}
        <p className="mt-1 text-slate-600">
          {b.status === 'FAILED' ? 'Attempt reference' : 'Booking reference'}{' '}
          <span className="font-mono text-lg font-bold text-slate-900" data-testid="booking-reference">
            {b.bookingReference}
          </span>
        </p>
        {ok && <p className="mt-1 text-sm text-slate-600">A confirmation email is on its way.</p>}
      </div>
      <div className="mt-4 rounded-2xl border border-slate-200 bg-white p-5 shadow-sm">
        <div className="flex items-start justify-between gap-2">
          <div>
            <h2 className="text-lg font-semibold">{ev.data?.eventName ?? 'Your event'}</h2>
            {ev.data && (
              <p className="text-sm text-slate-600">
                {when(ev.data.eventDate)} · {ev.data.venueName}, {ev.data.city}
              </p>
            )}
          </div>
          <StatusBadge status={b.status} />
        </div>
        <ul className="mt-3 divide-y divide-slate-100 text-sm">
          {b.seats.map((s) => (
            <li key={s.seatId} className="flex justify-between py-1.5">
              <span>{seatName(s)}</span>
              <span>{money(s.price, b.currency)}</span>
            </li>
          ))}
        </ul>
        <p className="mt-2 flex justify-between border-t border-slate-200 pt-2 font-semibold">
          <span>{words.totalLabel}</span>
          <span>{money(b.totalAmount, b.currency)}</span>
        </p>
      </div>
      <div className="mt-4 flex flex-wrap justify-center gap-4 text-sm">
        <Link to="/me/bookings" className="font-semibold text-brand-700 underline">
          My bookings
        </Link>
        <Link to="/" className="font-semibold text-brand-700 underline">
          Find more events
        </Link>
      </div>
    </div>
  );
}

/** What a booking's page says about the money, by status: only a confirmed booking was "paid". */
export function bookingWords(b: Pick<Booking, 'status' | 'paymentStatus'>): { title: string; detail: string | null; totalLabel: string } {
  switch (b.status) {
    case 'CONFIRMED':
      return { title: 'Booking confirmed', detail: null, totalLabel: 'Total paid' };
    case 'CANCELLED':
      return { title: 'Booking cancelled', detail: 'This booking was cancelled and refunded in full.', totalLabel: 'Total refunded' };
    case 'FAILED':
      return b.paymentStatus === 'REFUNDED'
        ? { title: 'Booking failed', detail: 'The seats could not be confirmed, so the payment was refunded in full.', totalLabel: 'Total (refunded)' }
        : { title: 'Payment declined', detail: 'Payment declined, nothing charged. No seats were booked.', totalLabel: 'Total (not charged)' };
    default:
      return { title: 'Booking in progress', detail: 'We are still confirming this payment.', totalLabel: 'Total' };
  }
}
