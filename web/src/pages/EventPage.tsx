import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router-dom';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';
import { cancelReservations, getAvailability, getEvent, getSeats, reserve } from '../api/endpoints';
import type { ReserveRequest, Seat } from '../api/types';
import { useUser } from '../auth/AuthContext';
import { SeatMap } from '../components/SeatMap';
import { WaitingRoom } from '../components/WaitingRoom';
import { Button, ErrorBox, inputCls, labelCls, Notice, Spinner, StatusBadge } from '../components/ui';
import { money, priceRange, titleCase, when } from '../lib/format';
import { clearHold, getHold, startHold, useHold } from '../lib/hold';

export const MAX_SEATS = 10;
const SEAT_REFRESH_MS = 5000;

function selectionKey(eventId: string) {
  return `ticketing.selection.${eventId}`;
}

export function EventPage() {
  const { eventId = '' } = useParams();
  const user = useUser();
  const nav = useNavigate();
  const loc = useLocation();
  const qc = useQueryClient();
  const hold = useHold();
  const flash = (loc.state as { message?: string } | null)?.message;

  const ev = useQuery({ queryKey: ['event', eventId], queryFn: () => getEvent(eventId) });
  const seatsQ = useQuery({
    queryKey: ['seats', eventId],
    queryFn: () => getSeats(eventId),
    refetchInterval: SEAT_REFRESH_MS,
    refetchIntervalInBackground: false,
    staleTime: 0,
  });
  const avail = useQuery({
    queryKey: ['availability', eventId],
    queryFn: () => getAvailability(eventId),
    refetchInterval: 10_000,
  });

  // The selection survives a trip to the login page.
  const [selected, setSelected] = useState<Map<string, Seat>>(() => {
    try {
      const raw = sessionStorage.getItem(selectionKey(eventId));
      return new Map(raw ? (JSON.parse(raw) as Seat[]).map((s) => [s.seatNumber, s]) : []);
    } catch {
      return new Map();
    }
  });
  useEffect(() => {
    try {
      sessionStorage.setItem(selectionKey(eventId), JSON.stringify([...selected.values()]));
    } catch {
      /* ignore */
    }
  }, [selected, eventId]);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [queueNeeded, setQueueNeeded] = useState(false);
  const [admitted, setAdmitted] = useState(false);

  // Seats taken by others since they were picked leave the selection, with a word about it.
  const seats = seatsQ.data?.seats;
  useEffect(() => {
    if (!seats) return;
    const byNumber = new Map(seats.map((s) => [s.seatNumber, s]));
    const gone = [...selected.keys()].filter((n) => byNumber.get(n)?.status !== 'AVAILABLE');
    if (gone.length) {
      setSelected((prev) => {
        const next = new Map(prev);
        gone.forEach((n) => next.delete(n));
        return next;
      });
      setNotice(`${gone.length === 1 ? `Seat ${gone[0]} was` : `Seats ${gone.join(', ')} were`} just taken by someone else and removed from your selection.`);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [seats]);

  const limit = Math.min(MAX_SEATS, ev.data?.maxTicketsPerUser ?? MAX_SEATS);
  const selectedSet = useMemo(() => new Set(selected.keys()), [selected]);
  const onToggle = useCallback(
    (seat: Seat) => {
      setError(null);
      setSelected((prev) => {
        const next = new Map(prev);
        if (next.has(seat.seatNumber)) next.delete(seat.seatNumber);
        else if (next.size >= limit) {
          setNotice(`You can pick up to ${limit} seats at a time.`);
          return prev;
        } else next.set(seat.seatNumber, seat);
        return next;
      });
    },
    [limit],
  );
  const total = [...selected.values()].reduce((a, s) => a + Math.round(s.price * 100), 0) / 100;

  const hold$ = useMutation({
    mutationFn: async (req: ReserveRequest) => {
      // One hold at a time: let go of an older one first so those seats go back on sale.
      const old = getHold();
      if (old) {
        try {
          await cancelReservations(old.reservations.map((r) => r.reservationId));
        } catch {
          /* it may have expired already */
        }
        clearHold();
      }
      return reserve(req);
    },
    onSuccess: (r) => {
      startHold(r, eventId, ev.data?.eventName ?? 'Event');
      setSelected(new Map());
      sessionStorage.removeItem(selectionKey(eventId));
      qc.invalidateQueries({ queryKey: ['seats', eventId] });
      nav('/checkout');
    },
    onError: (e) => {
      if (e instanceof ApiError && e.code === 'SEAT_UNAVAILABLE') {
        const lost = (e.details.unavailableSeats as string[] | undefined) ?? [];
        setSelected((prev) => {
          const next = new Map(prev);
          lost.forEach((n) => next.delete(n));
          return next;
        });
        setError(
          new Error(
            lost.length
              ? `Sorry, ${lost.join(', ')} ${lost.length === 1 ? 'was' : 'were'} just taken by someone else. The map is updated: pick other seats.`
              : 'Sorry, some of those seats were just taken. The map is updated: pick other seats.',
          ),
        );
        qc.invalidateQueries({ queryKey: ['seats', eventId] });
        return;
      }
      if (e instanceof ApiError && e.code === 'NOT_ADMITTED') {
        setQueueNeeded(true);
        setAdmitted(false);
        qc.invalidateQueries({ queryKey: ['queue', eventId] });
        setError(new Error('This sale has a waiting room: join the queue and wait for your turn to pick seats.'));
        return;
      }
      if (e instanceof ApiError && e.code === 'UNAUTHORIZED') {
        nav(`/login?next=${encodeURIComponent(loc.pathname)}`);
        return;
      }
      setError(e);
    },
  });

  const requireLogin = () => {
    if (user) return false;
    nav(`/login?next=${encodeURIComponent(loc.pathname)}`, { state: { message: 'Log in or sign up to hold seats. Your selection is kept.' } });
    return true;
  };
  const holdSelected = () => {
    if (requireLogin()) return;
    setError(null);
    hold$.mutate({ eventId, seatNumbers: [...selected.keys()] });
  };

  const [qty, setQty] = useState(2);
  const [section, setSection] = useState('');
  const holdBest = () => {
    if (requireLogin()) return;
    setError(null);
    hold$.mutate(section ? { eventId, quantity: qty, section } : { eventId, quantity: qty });
  };

  if (ev.isLoading) return <Spinner label="Loading event…" />;
  if (ev.error) return <ErrorBox error={ev.error} title="We could not load this event." onRetry={() => ev.refetch()} />;
  const e = ev.data!;
  const onSale = e.status === 'ON_SALE';
  // With a waiting room, seats are picked only once the fan's turn has come (§12).
  const roomOn = !!e.waitingRoom?.enabled || queueNeeded;
  const canPick = onSale && (!roomOn || admitted);
  const holdHere = hold && hold.eventId === eventId;

  return (
    <div className="pb-28 lg:pb-0">
      <nav className="mb-3 text-sm">
        <Link to="/" className="text-brand-700 hover:underline">
          ← All events
        </Link>
      </nav>
      {flash && (
        <div className="mb-4">
          <Notice tone="warn">{flash}</Notice>
        </div>
      )}
      <header className="mb-6 rounded-2xl border border-slate-200 bg-white p-5 shadow-sm">
        <div className="flex flex-wrap items-center gap-2 text-xs font-semibold uppercase tracking-wide text-brand-700">
          {titleCase(e.category)} <StatusBadge status={e.status} />
        </div>
        <h1 className="mt-1 text-2xl font-bold tracking-tight sm:text-3xl">{e.eventName}</h1>
        <dl className="mt-3 grid gap-x-6 gap-y-2 text-sm sm:grid-cols-2 lg:grid-cols-4">
          <div>
            <dt className="text-slate-500">Date</dt>
            <dd className="font-medium">{when(e.eventDate)}</dd>
          </div>
          <div>
            <dt className="text-slate-500">Venue</dt>
            <dd className="font-medium">
              {e.venueName}, {e.city}
            </dd>
          </div>
          <div>
            <dt className="text-slate-500">Prices</dt>
            <dd className="font-medium">{priceRange(e.minPrice, e.maxPrice)}</dd>
          </div>
          <div>
            <dt className="text-slate-500">Availability</dt>
            <dd className="font-medium">
              {(avail.data?.available ?? e.availableSeats).toLocaleString()} of {(avail.data?.total ?? e.totalSeats).toLocaleString()} seats
            </dd>
          </div>
        </dl>
        {e.description && <p className="mt-3 text-slate-700">{e.description}</p>}
        {e.status === 'UPCOMING' && <p className="mt-3 text-sm font-medium text-sky-800">Sale opens {when(e.saleStartTime)}.</p>}
        {e.maxTicketsPerUser && <p className="mt-2 text-sm text-slate-600">Limit: {e.maxTicketsPerUser} tickets per fan.</p>}
      </header>

      {holdHere && (
        <div className="mb-4">
          <Notice tone="ok">
            You are holding {hold.reservations.length} seat{hold.reservations.length === 1 ? '' : 's'} for this event.{' '}
            <Link to="/checkout" className="font-semibold underline">
              Continue to checkout
            </Link>
          </Notice>
        </div>
      )}
      {roomOn && <WaitingRoom eventId={eventId} signedIn={!!user} onLogin={requireLogin} onAdmitted={setAdmitted} />}

      <div className="grid gap-6 lg:grid-cols-[1fr_300px]">
        <section aria-labelledby="map-heading">
          <div className="mb-2 flex items-baseline justify-between">
            <h2 id="map-heading" className="text-lg font-semibold">
              Pick your seats
            </h2>
            <span className="text-xs text-slate-500" aria-live="off">
              {seatsQ.isFetching ? 'Refreshing…' : 'Live'}
            </span>
          </div>
          {notice && (
            <div className="mb-2">
              <Notice tone="warn">
                {notice}{' '}
                <button type="button" className="ml-1 underline" onClick={() => setNotice(null)}>
                  Dismiss
                </button>
              </Notice>
            </div>
          )}
          {seatsQ.isLoading && <Spinner label="Loading the seat map…" />}
          {seatsQ.error && <ErrorBox error={seatsQ.error} title="The seat map is unavailable." onRetry={() => seatsQ.refetch()} />}
          {seats && seats.length === 0 && <Notice>The seat map for this event is not published yet.</Notice>}
          {seats && seats.length > 0 && (
            <SeatMap seats={seats} selected={selectedSet} onToggle={canPick ? onToggle : undefined} maxSelect={limit} readOnly={!canPick} />
          )}
        </section>

        <aside className="space-y-4">
          {onSale && !canPick && <Notice tone="warn">Seats can be picked once it is your turn in the waiting room.</Notice>}
          {!onSale && (
            <Notice tone="warn">
              {e.status === 'UPCOMING'
                ? 'Tickets are not on sale yet.'
                : e.status === 'SOLD_OUT'
                  ? 'This event is sold out. Seats that come back appear on the map.'
                  : `This event is ${titleCase(e.status).toLowerCase()}.`}
            </Notice>
          )}
          <ErrorBox error={error} />
          <div className="hidden rounded-xl border border-slate-200 bg-white p-4 shadow-sm lg:block">
            <SelectionSummary selected={[...selected.values()]} total={total} limit={limit} onRemove={onToggle} />
            <Button className="mt-3 w-full" disabled={!canPick || selected.size === 0} busy={hold$.isPending} onClick={holdSelected}>
              {selected.size ? `Hold ${selected.size} seat${selected.size === 1 ? '' : 's'}` : 'Select seats on the map'}
            </Button>
          </div>

          <form
            className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm"
            onSubmit={(ev2) => {
              ev2.preventDefault();
              holdBest();
            }}
          >
            <h2 className="font-semibold">Best available</h2>
            <p className="text-sm text-slate-500">We pick the best seats together where we can.</p>
            <div className="mt-3 grid grid-cols-2 gap-2">
              <div>
                <label htmlFor="qty" className={labelCls}>
                  Tickets
                </label>
                <select id="qty" className={inputCls} value={qty} onChange={(x) => setQty(Number(x.target.value))}>
                  {Array.from({ length: limit }, (_, i) => i + 1).map((n) => (
                    <option key={n} value={n}>
                      {n}
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
                  {avail.data?.sections.map((s) => (
                    <option key={s.section} value={s.section} disabled={s.available < qty}>
                      {s.section} · {money(s.minPrice)} ({s.available} left)
                    </option>
                  ))}
                </select>
              </div>
            </div>
            <Button type="submit" variant="secondary" className="mt-3 w-full" disabled={!onSale} busy={hold$.isPending}>
              Find {qty} seat{qty === 1 ? '' : 's'}
            </Button>
          </form>

          {avail.data && avail.data.sections.length > 0 && (
            <div className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
              <h2 className="mb-2 font-semibold">Sections</h2>
              <table className="w-full text-sm">
                <thead className="text-left text-xs text-slate-500">
                  <tr>
                    <th className="font-medium">Section</th>
                    <th className="font-medium">Price</th>
                    <th className="text-right font-medium">Left</th>
                  </tr>
                </thead>
                <tbody>
                  {avail.data.sections.map((s) => (
                    <tr key={s.section} className="border-t border-slate-100">
                      <td className="py-1">{s.section}</td>
                      <td>{priceRange(s.minPrice, s.maxPrice)}</td>
                      <td className="text-right tabular-nums">{s.available}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </aside>
      </div>

      {/* Phone: the selection and the button stay at hand under the thumb. */}
      <div className="fixed inset-x-0 bottom-0 z-20 border-t border-slate-200 bg-white/95 px-4 py-3 shadow-[0_-4px_12px_rgba(0,0,0,0.06)] backdrop-blur lg:hidden">
        <div className="mx-auto flex max-w-6xl items-center gap-3">
          <div className="min-w-0 flex-1 text-sm">
            <p className="font-semibold">
              {selected.size} of {limit} seats · {money(total)}
            </p>
            <p className="truncate text-xs text-slate-500">{[...selected.keys()].join(', ') || 'Tap seats on the map'}</p>
          </div>
          <Button disabled={!canPick || selected.size === 0} busy={hold$.isPending} onClick={holdSelected}>
            Hold seats
          </Button>
        </div>
      </div>
    </div>
  );
}

function SelectionSummary({
  selected,
  total,
  limit,
  onRemove,
}: {
  selected: Seat[];
  total: number;
  limit: number;
  onRemove: (s: Seat) => void;
}) {
  return (
    <div>
      <h2 className="font-semibold">
        Your seats <span className="text-sm font-normal text-slate-500">({selected.length} of up to {limit})</span>
      </h2>
      {selected.length === 0 ? (
        <p className="mt-1 text-sm text-slate-500">Click seats on the map, or use the arrow keys and Enter.</p>
      ) : (
        <ul className="mt-2 divide-y divide-slate-100 text-sm" aria-label="Selected seats">
          {selected.map((s) => (
            <li key={s.seatNumber} className="flex items-center justify-between py-1.5">
              <span>
                {s.section} · row {s.rowNumber} · seat {/(\d+)$/.exec(s.seatNumber)?.[1] ?? s.seatNumber}
              </span>
              <span className="flex items-center gap-2">
                {money(s.price)}
                <button type="button" className="text-slate-400 hover:text-red-600" aria-label={`Remove ${s.seatNumber}`} onClick={() => onRemove(s)}>
                  ×
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
      {selected.length > 0 && (
        <p className="mt-2 flex justify-between border-t border-slate-200 pt-2 font-semibold">
          <span>Total</span>
          <span>{money(total)}</span>
        </p>
      )}
    </div>
  );
}
