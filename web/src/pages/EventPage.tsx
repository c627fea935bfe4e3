import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router-dom';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';
import { cancelReservations, getAvailability, getEvent, getSeats, myBookings, reserve } from '../api/endpoints';
import type { ReserveRequest, Seat } from '../api/types';
import { useUser } from '../auth/AuthContext';
import { SeatMap } from '../components/SeatMap';
import { WaitingRoom, type QueueState } from '../components/WaitingRoom';
import { BestAvailableForm, BestAvailableOffer } from '../components/event/BestAvailable';
import { LimitLine, PhoneSelectionBar, SelectionPanel } from '../components/event/SelectionPanel';
import { EventHeader, SectionsTable } from '../components/event/EventDetails';
import { ErrorBox, Notice, Spinner } from '../components/ui';
import { useMyWaitlist, WaitlistPanel } from '../components/waitlist/Waitlist';
import { isOpenEntry } from '../api/waitlist';
import { titleCase } from '../lib/format';
import { clearHold, getHold, startHold, useHold } from '../lib/hold';
import { bookedSeats, fanLimit } from '../lib/limit';

export const MAX_SEATS = 10;
const SEAT_REFRESH_MS = 5000;

function selectionKey(eventId: string) {
  return `ticketing.selection.${eventId}`;
}

/** Why the fan cannot ask for seats right now, in words, or null when they can. */
function blockedReason(onSale: boolean, status: string, roomOn: boolean, admitted: boolean, queue: QueueState, atLimit: boolean): string | null {
  if (!onSale) return status === 'UPCOMING' ? 'Tickets are not on sale yet.' : status === 'SOLD_OUT' ? 'This event is sold out.' : `This event is ${titleCase(status).toLowerCase()}.`;
  if (roomOn && !admitted) {
    if (queue === 'SIGNED_OUT') return 'Log in and join the waiting room first.';
    if (queue === 'NOT_JOINED') return 'Join the queue first: you can pick seats once it is your turn.';
    if (queue === 'EXPIRED') return 'Your turn has passed: join the queue again.';
    return 'You are in the queue: you can pick seats once it is your turn.';
  }
  if (atLimit) return 'You have reached the ticket limit for this event.';
  return null;
}

export function EventPage() {
  const { eventId = '' } = useParams();
  const user = useUser();
  const nav = useNavigate();
  const loc = useLocation();
  const qc = useQueryClient();
  const hold = useHold();

  // A message handed over by another page (a declined card, an expired hold) is shown once: it is
  // taken out of the history entry, so going back to this page later does not bring it back.
  const [flash, setFlash] = useState<string | null>(() => (loc.state as { message?: string } | null)?.message ?? null);
  useEffect(() => {
    const m = (loc.state as { message?: string } | null)?.message;
    if (!m) return;
    setFlash(m);
    nav(loc.pathname + loc.search, { replace: true, state: null });
  }, [loc.state, loc.pathname, loc.search, nav]);

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
  // The per-buyer limit counts the seats the fan already booked for this event (§12).
  const capped = !!ev.data?.maxTicketsPerUser;
  const bookingsQ = useQuery({ queryKey: ['bookings', 'me'], queryFn: myBookings, enabled: !!user && capped });
  // Sold out, or on sale with every seat taken or held: fans queue for the seats that come back (§14).
  const evd = ev.data;
  const soldOut =
    !!evd &&
    (evd.status === 'SOLD_OUT' || (evd.status === 'ON_SALE' && (avail.data?.total ?? evd.totalSeats) > 0 && (avail.data?.available ?? evd.availableSeats) === 0));
  // Asked for only then; a fan already on this event's waitlist (known from earlier in the visit)
  // keeps seeing the entry and an offer whatever the counts say.
  const waitlistQ = useMyWaitlist(!!user && soldOut);
  const onWaitlist = !!waitlistQ.data?.entries.some((w) => w.eventId === eventId && isOpenEntry(w));

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
  const [queueState, setQueueState] = useState<QueueState>('LOADING');
  const [offer, setOffer] = useState(false);
  const [releasing, setReleasing] = useState(false);

  // Once the fan is let in, what the page said about joining the queue no longer applies.
  useEffect(() => {
    if (admitted) setError(null);
  }, [admitted]);

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

  const lim = fanLimit(ev.data?.maxTicketsPerUser, user ? bookedSeats(bookingsQ.data?.bookings, eventId) : 0, MAX_SEATS);
  const limit = Math.max(0, lim.canTake);
  const selectedSet = useMemo(() => new Set(selected.keys()), [selected]);
  const holdHere = hold && hold.eventId === eventId ? hold : null;
  const mine = useMemo(() => new Set(holdHere?.reservations.map((r) => r.seatNumber) ?? []), [holdHere]);
  const onToggle = useCallback(
    (seat: Seat) => {
      setError(null);
      setSelected((prev) => {
        const next = new Map(prev);
        if (next.has(seat.seatNumber)) next.delete(seat.seatNumber);
        else if (next.size >= limit) {
          setNotice(limit === 0 ? 'You have reached the ticket limit for this event.' : `You can take up to ${limit} seat${limit === 1 ? '' : 's'} now.`);
          return prev;
        } else next.set(seat.seatNumber, seat);
        return next;
      });
    },
    [limit],
  );
  const total = [...selected.values()].reduce((a, s) => a + Math.round(s.price * 100), 0) / 100;

  const hold$ = useMutation({
    mutationFn: async ({ req }: { req: ReserveRequest; best: boolean }) => {
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
    onSuccess: (r, { best }) => {
      startHold(r, eventId, ev.data?.eventName ?? 'Event');
      setFlash(null);
      qc.invalidateQueries({ queryKey: ['seats', eventId] });
      if (best) {
        // Show the seats and the price first; the fan decides.
        setOffer(true);
        return;
      }
      setOffer(false);
      setSelected(new Map());
      sessionStorage.removeItem(selectionKey(eventId));
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
      if (e instanceof ApiError && e.code === 'TICKET_LIMIT_EXCEEDED') qc.invalidateQueries({ queryKey: ['bookings'] });
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
    hold$.mutate({ req: { eventId, seatNumbers: [...selected.keys()] }, best: false });
  };

  const [qty, setQty] = useState(2);
  const [section, setSection] = useState('');
  const holdBest = () => {
    if (requireLogin()) return;
    setError(null);
    const n = Math.max(1, Math.min(qty, limit || 1));
    hold$.mutate({ req: section ? { eventId, quantity: n, section } : { eventId, quantity: n }, best: true });
  };
  const releaseOffer = async (message: string | null) => {
    const h = getHold();
    setReleasing(true);
    if (h) await cancelReservations(h.reservations.map((r) => r.reservationId)).catch(() => undefined);
    clearHold();
    setReleasing(false);
    setOffer(false);
    setFlash(message);
    qc.invalidateQueries({ queryKey: ['seats', eventId] });
    document.getElementById('qty')?.focus();
  };

  if (ev.isLoading) return <Spinner label="Loading event…" />;
  if (ev.error) {
    if (ev.error instanceof ApiError && ev.error.status === 404)
      return (
        <div className="py-16 text-center">
          <h1 className="text-2xl font-bold">This event does not exist</h1>
          <p className="mt-2 text-slate-600">The link may be wrong, or the event was removed.</p>
          <Link to="/" className="mt-4 inline-block font-semibold text-brand-700 underline">
            See all events
          </Link>
        </div>
      );
    return <ErrorBox error={ev.error} title="We could not load this event." onRetry={() => ev.refetch()} />;
  }
  const e = ev.data!;
  const onSale = e.status === 'ON_SALE';
  // With a waiting room, seats are picked only once the fan's turn has come (§12).
  const roomOn = !!e.waitingRoom?.enabled || queueNeeded;
  const atLimit = !!user && lim.cap !== null && lim.canTake === 0;
  const canPick = onSale && (!roomOn || admitted) && !atLimit;
  const reason = blockedReason(onSale, e.status, roomOn, admitted, user ? queueState : 'SIGNED_OUT', atLimit);
  const showOffer = offer && holdHere;
  const showWaitlist = soldOut || onWaitlist;

  return (
    <div className="pb-28 lg:pb-0">
      <nav className="mb-3 text-sm" aria-label="Breadcrumb">
        <Link to="/" className="text-brand-700 hover:underline">
          ← All events
        </Link>
      </nav>
      {flash && (
        <div className="mb-4">
          <Notice tone="warn">
            {flash}{' '}
            <button type="button" className="ml-1 underline" onClick={() => setFlash(null)}>
              Dismiss
            </button>
          </Notice>
        </div>
      )}
      <EventHeader
        event={e}
        available={avail.data?.available ?? e.availableSeats}
        total={avail.data?.total ?? e.totalSeats}
        limitLine={user && bookingsQ.data ? <LimitLine cap={lim.cap} booked={lim.booked} canTake={lim.canTake} /> : null}
      />

      {showOffer ? (
        <BestAvailableOffer
          hold={showOffer}
          releasing={releasing}
          onAccept={() => nav('/checkout')}
          onRelease={() => void releaseOffer('The seats were released. Change the number or the section and ask again, or pick seats on the map.')}
          onExpire={() => void releaseOffer('Your hold expired, so the seats went back on sale. Ask again or pick seats on the map.')}
        />
      ) : (
        holdHere && (
          <div className="mb-4">
            <Notice tone="ok">
              You are holding {holdHere.reservations.length} seat{holdHere.reservations.length === 1 ? '' : 's'} for this event.{' '}
              <Link to="/checkout" className="font-semibold underline">
                Continue to checkout
              </Link>
            </Notice>
          </div>
        )
      )}
      {showWaitlist && (
        // Before the map, so that a fan on a phone sees it first.
        <div className="mb-4 max-w-xl">
          <WaitlistPanel eventId={eventId} sections={avail.data?.sections} maxQuantity={limit || MAX_SEATS} onLogin={requireLogin} />
        </div>
      )}
      {roomOn && <WaitingRoom eventId={eventId} userId={user?.userId ?? null} onLogin={requireLogin} onAdmitted={setAdmitted} onState={setQueueState} />}

      <div className="grid gap-6 lg:grid-cols-[1fr_300px]">
        <section aria-labelledby="map-heading">
          <div className="mb-2 flex items-baseline justify-between">
            <h2 id="map-heading" className="text-lg font-semibold">
              Pick your seats
            </h2>
            <span className="text-xs text-slate-600" aria-live="off">
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
            <SeatMap seats={seats} selected={selectedSet} mine={mine} onToggle={canPick ? onToggle : undefined} maxSelect={limit} readOnly={!canPick} />
          )}
        </section>

        <aside className="space-y-4" aria-label="Seat options">
          {onSale && roomOn && !admitted && <Notice tone="warn">Seats can be picked once it is your turn in the waiting room.</Notice>}
          {!onSale && (
            <Notice tone="warn">
              {e.status === 'UPCOMING'
                ? 'Tickets are not on sale yet.'
                : e.status === 'SOLD_OUT'
                  ? 'This event is sold out. Seats that come back go to the waitlist first.'
                  : `This event is ${titleCase(e.status).toLowerCase()}.`}
            </Notice>
          )}
          <ErrorBox error={error} />
          <SelectionPanel
            selected={[...selected.values()]}
            total={total}
            canTake={limit}
            canPick={canPick}
            busy={hold$.isPending}
            disabledReason={atLimit ? reason : null}
            onRemove={onToggle}
            onHold={holdSelected}
          />
          <BestAvailableForm
            qty={qty}
            setQty={setQty}
            section={section}
            setSection={setSection}
            canTake={limit}
            sections={avail.data?.sections}
            disabledReason={reason}
            busy={hold$.isPending}
            onFind={holdBest}
          />

          {avail.data && avail.data.sections.length > 0 && <SectionsTable sections={avail.data.sections} />}
        </aside>
      </div>

      <PhoneSelectionBar selected={[...selected.values()]} total={total} canTake={limit} canPick={canPick} busy={hold$.isPending} onHold={holdSelected} />
    </div>
  );
}
