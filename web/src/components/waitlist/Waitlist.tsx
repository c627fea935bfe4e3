// The waitlist of a sold-out event (§14): joining it from the event page, and the fan's entries (on
// "My bookings") with their place in line or the seats offered, held until a deadline, to buy at the
// usual checkout.
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { Link } from 'react-router-dom';
import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../../api/client';
import { getEvent } from '../../api/endpoints';
import type { SectionAvailability, TicketEvent } from '../../api/types';
import { isOpenEntry, joinWaitlist, leaveWaitlist, myWaitlist, WAITLIST_MAX, type WaitlistEntry } from '../../api/waitlist';
import { useUser } from '../../auth/AuthContext';
import { when } from '../../lib/format';
import { HoldCountdown } from '../HoldCountdown';
import { Button, ErrorBox, inputCls, labelCls, StatusBadge } from '../ui';

export const WAITLIST_POLL_MS = 5000;
/** An offer changes only when it is bought, let go or runs out: asked for again now and then. */
export const OFFER_POLL_MS = 15000;
export const waitlistKey = ['waitlist', 'me'] as const;

/** The fan's entries; polled while one is still waiting, so an offer shows up without a reload. */
export function useMyWaitlist(enabled = true) {
  return useQuery({
    queryKey: waitlistKey,
    queryFn: myWaitlist,
    enabled,
    refetchInterval: (q) => {
      const entries = q.state.data?.entries ?? [];
      if (entries.some((e) => e.status === 'WAITING')) return WAITLIST_POLL_MS;
      return entries.some((e) => e.status === 'OFFERED') ? OFFER_POLL_MS : false;
    },
    refetchIntervalInBackground: false,
  });
}

/** Offers first (they run out), then the waiting ones, then the rest; newest first within each. */
export function sortEntries(list: readonly WaitlistEntry[]): WaitlistEntry[] {
  const rank = (e: WaitlistEntry) => (e.status === 'OFFERED' ? 0 : e.status === 'WAITING' ? 1 : 2);
  return [...list].sort((a, b) => rank(a) - rank(b) || b.createdAt.localeCompare(a.createdAt));
}

/** The checkout link for an offer: the checkout takes the held reservations by id. */
export const offerCheckoutUrl = (e: WaitlistEntry) => `/checkout?reservations=${(e.offer?.reservationIds ?? []).map(encodeURIComponent).join(',')}`;

const tickets = (n: number) => `${n} ticket${n === 1 ? '' : 's'}`;

/** What an entry's status means for the fan, in a sentence. */
export function entryStatusLine(e: WaitlistEntry): string {
  switch (e.status) {
    case 'WAITING':
      return e.position
        ? `You are number ${e.position} in line. When seats come back, they are held for you in turn and we email you.`
        : 'You are in line. When seats come back, they are held for you in turn and we email you.';
    case 'OFFERED': {
      const n = e.offer?.reservationIds.length ?? e.quantity;
      return n === 1
        ? 'A ticket came back and is held for you. Buy it before the time runs out, or it goes to the next fan in line.'
        : `${n} tickets came back and are held for you. Buy them before the time runs out, or they go to the next fan in line.`;
    }
    case 'FULFILLED':
      return 'You bought the seats offered to you: they are in your bookings.';
    case 'EXPIRED':
      return 'The seats offered to you were not bought in time and went to the next fan in line.';
    case 'CANCELLED':
      return 'You left the waitlist.';
  }
}

export function WaitlistEntryCard({
  entry: e,
  event,
  headingLevel = 3,
  onLeft,
}: {
  entry: WaitlistEntry;
  /** Shown as a link when the card stands apart from its event (on "My bookings"). */
  event?: Pick<TicketEvent, 'eventId' | 'eventName' | 'eventDate'> | null;
  headingLevel?: 2 | 3;
  onLeft?: (e: WaitlistEntry) => void;
}) {
  const qc = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const leave = useMutation({
    mutationFn: () => leaveWaitlist(e.entryId),
    onSuccess: () => {
      setConfirming(false);
      qc.setQueryData<{ entries: WaitlistEntry[] }>(waitlistKey, (d) =>
        d ? { entries: d.entries.map((x) => (x.entryId === e.entryId ? { ...x, status: 'CANCELLED', offer: null } : x)) } : d,
      );
      qc.invalidateQueries({ queryKey: waitlistKey });
      qc.invalidateQueries({ queryKey: ['seats', e.eventId] });
      onLeft?.(e);
    },
  });
  const onExpire = useCallback(() => {
    qc.invalidateQueries({ queryKey: waitlistKey });
  }, [qc]);
  const H = headingLevel === 2 ? 'h2' : 'h3';
  const offered = e.status === 'OFFERED' && e.offer;
  return (
    <div
      className={`rounded-xl border p-4 shadow-sm ${offered ? 'border-2 border-brand-500 bg-white' : 'border-slate-200 bg-white'}`}
      data-testid="waitlist-entry"
      data-status={e.status}
    >
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div>
          <H className="font-semibold text-slate-900">
            {event ? (
              <Link to={`/events/${e.eventId}`} className="hover:underline">
                {event.eventName}
              </Link>
            ) : offered ? (
              'Seats are held for you'
            ) : (
              'You are on the waitlist'
            )}
          </H>
          {event?.eventDate && <p className="text-sm text-slate-600">{when(event.eventDate)}</p>}
          <p className="text-sm text-slate-700">
            {tickets(e.quantity)} · {e.section ? `section ${e.section}` : 'any section'}
          </p>
        </div>
        <StatusBadge status={e.status} />
      </div>
      {e.status === 'WAITING' && e.position ? (
        <p className="mt-2 text-2xl font-bold tabular-nums text-slate-900" data-testid="waitlist-position">
          Position {e.position}
        </p>
      ) : null}
      <p className="mt-1 text-sm text-slate-700">{entryStatusLine(e)}</p>
      {offered && (
        <div className="mt-3 space-y-3" data-testid="waitlist-offer">
          <HoldCountdown key={e.offer!.expiresAt} expiresAt={e.offer!.expiresAt} onExpire={onExpire} />
          <Link
            to={offerCheckoutUrl(e)}
            className="inline-flex min-h-[44px] items-center justify-center rounded-lg bg-brand-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-brand-700 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600"
          >
            Buy these seats
          </Link>
        </div>
      )}
      {isOpenEntry(e) && (
        <div className="mt-3 flex flex-wrap items-center gap-2">
          {confirming ? (
            <>
              <span className="text-sm text-slate-700">{offered ? 'Leave the waitlist and let the held seats go?' : 'Leave the waitlist and lose your place?'}</span>
              <Button variant="danger" busy={leave.isPending} onClick={() => leave.mutate()}>
                Yes, leave
              </Button>
              <Button variant="secondary" autoFocus onClick={() => setConfirming(false)}>
                Stay
              </Button>
            </>
          ) : (
            <Button variant={offered ? 'ghost' : 'danger'} onClick={() => setConfirming(true)}>
              Leave the waitlist
            </Button>
          )}
        </div>
      )}
      <div className="mt-2">
        <ErrorBox error={leave.error} title="You are still on the waitlist." />
      </div>
    </div>
  );
}

/** "My waitlist" on the fan's bookings page: shown once the fan has joined a waitlist. */
export function MyWaitlist() {
  const q = useMyWaitlist();
  const entries = sortEntries(q.data?.entries ?? []);
  const eventIds = [...new Set(entries.map((e) => e.eventId))];
  const events = useQueries({
    queries: eventIds.map((id) => ({ queryKey: ['event', id], queryFn: () => getEvent(id), staleTime: 60_000 })),
  });
  const offers = entries.filter((e) => e.status === 'OFFERED').length;
  // A platform without waitlists answers 404: nothing to show then.
  if (q.error && !(q.error instanceof ApiError && q.error.status === 404))
    return (
      <div className="mt-8">
        <ErrorBox error={q.error} title="We could not load your waitlist." onRetry={() => q.refetch()} />
      </div>
    );
  if (entries.length === 0) return null;
  return (
    <section className="mt-8" aria-labelledby="waitlist-h">
      <h2 id="waitlist-h" className="mb-1 text-xl font-bold tracking-tight">
        My waitlist
      </h2>
      {/* Said once when an offer arrives (the list polls while an entry waits). */}
      <p className="mb-3 text-sm text-slate-600" role="status">
        {offers ? `Seats are held for you on ${offers} waitlist${offers === 1 ? '' : 's'}.` : 'We hold seats for you when some come back.'}
      </p>
      <ul className="space-y-3" aria-label="Your waitlist entries">
        {entries.map((e) => (
          <li key={e.entryId}>
            <WaitlistEntryCard entry={e} event={events[eventIds.indexOf(e.eventId)]?.data ?? { eventId: e.eventId, eventName: 'Event', eventDate: '' }} />
          </li>
        ))}
      </ul>
    </section>
  );
}

/**
 * On a sold-out event's page: the form to join its waitlist, or, once joined, the fan's place or the
 * seats held for them.
 */
export function WaitlistPanel({
  eventId,
  sections,
  maxQuantity = WAITLIST_MAX,
  onLogin,
}: {
  eventId: string;
  sections?: SectionAvailability[];
  /** At most this many (the per-buyer limit may allow fewer than 10). */
  maxQuantity?: number;
  /** Sends a signed-out fan to log in; true when it did. */
  onLogin: () => boolean;
}) {
  const user = useUser();
  const qc = useQueryClient();
  const formId = useId();
  const q = useMyWaitlist(!!user);
  const mine = q.data?.entries.find((e) => e.eventId === eventId && isOpenEntry(e));
  const [justJoined, setJustJoined] = useState<WaitlistEntry | null>(null);
  const max = Math.max(1, Math.min(WAITLIST_MAX, maxQuantity));
  const [qty, setQty] = useState(1);
  const [section, setSection] = useState('');
  const n = Math.min(qty, max);
  const join = useMutation({
    mutationFn: () => joinWaitlist(eventId, section ? { quantity: n, section } : { quantity: n }),
    onSuccess: (entry) => {
      setJustJoined(entry);
      qc.setQueryData<{ entries: WaitlistEntry[] }>(waitlistKey, (d) => ({
        entries: [entry, ...(d?.entries ?? []).filter((x) => x.entryId !== entry.entryId)],
      }));
      qc.invalidateQueries({ queryKey: waitlistKey });
    },
  });
  // Focus follows the fan from the form to what joining gave them.
  const joinedRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (justJoined) joinedRef.current?.focus();
  }, [justJoined]);

  // What joining answered, as the (polled) list has it now.
  const latest = justJoined ? (q.data?.entries.find((x) => x.entryId === justJoined.entryId) ?? justJoined) : null;
  const entry = mine ?? (latest && isOpenEntry(latest) ? latest : null);
  if (entry)
    return (
      <div ref={joinedRef} tabIndex={-1} className="outline-none" data-testid="waitlist-panel">
        <p className="sr-only" role="status">
          {justJoined ? (entry.position ? `You joined the waitlist: position ${entry.position}.` : 'You joined the waitlist.') : ''}
        </p>
        <WaitlistEntryCard entry={entry} headingLevel={2} onLeft={() => setJustJoined(null)} />
      </div>
    );
  return (
    <form
      className="rounded-xl border-2 border-brand-500 bg-white p-4 shadow-sm"
      aria-labelledby={`${formId}-h`}
      data-testid="waitlist-panel"
      onSubmit={(ev) => {
        ev.preventDefault();
        if (onLogin()) return;
        join.mutate();
      }}
    >
      <h2 id={`${formId}-h`} className="font-semibold">
        Join the waitlist
      </h2>
      <p className="text-sm text-slate-700">
        Seats that come back (expired holds, cancellations) go to the waitlist first, in the order fans joined. When seats come up for you, we
        hold them for you and email you.
      </p>
      {latest && !isOpenEntry(latest) && (
        <p className="mt-2 text-sm text-slate-700" role="status">
          {entryStatusLine(latest)}
        </p>
      )}
      <div className="mt-3 grid grid-cols-2 gap-2">
        <div>
          <label htmlFor={`${formId}-qty`} className={labelCls}>
            How many tickets
          </label>
          <select id={`${formId}-qty`} className={inputCls} value={n} onChange={(x) => setQty(Number(x.target.value))}>
            {Array.from({ length: max }, (_, i) => i + 1).map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={`${formId}-section`} className={labelCls}>
            Section (optional)
          </label>
          <select id={`${formId}-section`} className={inputCls} value={section} onChange={(x) => setSection(x.target.value)}>
            <option value="">Any section</option>
            {sections?.map((s) => (
              <option key={s.section} value={s.section}>
                {s.section}
              </option>
            ))}
          </select>
        </div>
      </div>
      <Button type="submit" className="mt-3 w-full" busy={join.isPending}>
        Join the waitlist
      </Button>
      <div className="mt-2">
        <ErrorBox error={join.error} title="You are not on the waitlist yet." />
      </div>
    </form>
  );
}
