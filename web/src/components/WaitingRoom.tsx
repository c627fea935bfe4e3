// The waiting room (§12): join, then poll at the pace the server asks for until admitted.
//
// The fan's place is asked for only once this tab knows the fan joined (remembered per account and
// event in sessionStorage): before that, GET .../me would answer 404 and litter the console. Joining
// again is safe (the server returns the same place), so a fan who joined elsewhere just presses Join.
import { useEffect } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';
import { joinQueue, myQueuePlace } from '../api/endpoints';
import type { QueuePlaceView } from '../api/types';
import { when } from '../lib/format';
import { Button, ErrorBox } from './ui';

/** What the event page needs to know about the fan's place. */
export type QueueState = 'SIGNED_OUT' | 'NOT_JOINED' | 'PRE_QUEUE' | 'WAITING' | 'ADMITTED' | 'EXPIRED' | 'LOADING';

const joinedKey = (userId: string, eventId: string) => `ticketing.queue.${userId}.${eventId}`;
export function rememberJoined(userId: string, eventId: string, joined: boolean) {
  try {
    if (joined) sessionStorage.setItem(joinedKey(userId, eventId), '1');
    else sessionStorage.removeItem(joinedKey(userId, eventId));
  } catch {
    /* memory only */
  }
}
export function hasJoined(userId: string, eventId: string): boolean {
  try {
    return sessionStorage.getItem(joinedKey(userId, eventId)) === '1';
  } catch {
    return false;
  }
}

/** The caller's place, or null when they have not joined (404: then forget the remembered join). */
async function placeOrNull(userId: string, eventId: string): Promise<QueuePlaceView | null> {
  try {
    return await myQueuePlace(eventId);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      rememberJoined(userId, eventId, false);
      return null;
    }
    throw e;
  }
}

/** The server's place has no `paused`: a waiting place without an estimate is a paused room (§12). */
export function isPaused(p: QueuePlaceView | null): boolean {
  if (!p || p.status !== 'WAITING') return false;
  if (typeof p.paused === 'boolean') return p.paused;
  return p.estimatedWaitSecs == null;
}

function waitWords(secs: number): string {
  if (secs < 60) return 'less than a minute';
  const min = Math.ceil(secs / 60);
  return `about ${min} minute${min === 1 ? '' : 's'}`;
}

export function WaitingRoom({
  eventId,
  userId,
  onLogin,
  onAdmitted,
  onState,
}: {
  eventId: string;
  /** The signed-in fan, or null. */
  userId: string | null;
  onLogin: () => void;
  /** Told whether the fan may pick seats now (admitted and within the window). */
  onAdmitted: (admitted: boolean) => void;
  /** Told where the fan stands, so the page can explain what is disabled and why. */
  onState?: (s: QueueState) => void;
}) {
  const qc = useQueryClient();
  const signedIn = !!userId;
  const joined = !!userId && hasJoined(userId, eventId);
  const place = useQuery({
    queryKey: ['queue', eventId, userId],
    queryFn: () => placeOrNull(userId!, eventId),
    enabled: signedIn && joined,
    staleTime: 1000,
    // Keep asking while in the queue; once admitted, still look now and then for the window's end.
    refetchInterval: (q) => (q.state.data ? Math.max(1000, q.state.data.pollAfterMs ?? 5000) : false),
  });
  const join = useMutation({
    mutationFn: () => joinQueue(eventId),
    onSuccess: (p) => {
      if (userId) rememberJoined(userId, eventId, true);
      qc.setQueryData(['queue', eventId, userId], p);
    },
  });
  const p: QueuePlaceView | null = (joined ? place.data : null) ?? (join.data as QueuePlaceView | undefined) ?? null;
  const admitted = p?.status === 'ADMITTED';
  const paused = isPaused(p);
  const state: QueueState = !signedIn ? 'SIGNED_OUT' : joined && place.isLoading ? 'LOADING' : p ? p.status : 'NOT_JOINED';
  useEffect(() => {
    onAdmitted(admitted);
    // The sale may have opened meanwhile: refresh the event so the map takes picks.
    if (admitted) qc.invalidateQueries({ queryKey: ['event', eventId] });
  }, [admitted, onAdmitted, qc, eventId]);
  useEffect(() => onState?.(state), [state, onState]);

  return (
    <section className="mb-4 rounded-xl border border-brand-100 bg-brand-50 p-4 text-brand-900" aria-labelledby="waiting-room-heading" data-testid="waiting-room">
      <h2 id="waiting-room-heading" className="font-semibold">
        This sale has a waiting room
      </h2>
      <div role="status">
        {!signedIn && <p className="text-sm">To keep it fair, fans are let in to pick seats in turn. Log in to join the queue.</p>}
        {state === 'LOADING' && <p className="text-sm">Checking your place…</p>}
        {state === 'NOT_JOINED' && <p className="text-sm">To keep it fair, fans are let in to pick seats in turn. Join the queue to pick seats.</p>}
        {p && p.status === 'PRE_QUEUE' && <p className="text-sm">You are in. When the sale opens you get a random place among everyone who came early.</p>}
        {p && p.status === 'WAITING' && (
          <p className="text-sm">
            Your place: <strong>{p.position}</strong> ({p.aheadOfYou ?? 0} ahead of you).{' '}
            {paused ? (
              <strong>The sale is paused by the organizer: the queue moves again when it resumes, and you keep your place.</strong>
            ) : p.estimatedWaitSecs != null ? (
              <>Estimated wait: {waitWords(p.estimatedWaitSecs)}.</>
            ) : null}{' '}
            Keep this page open.
          </p>
        )}
        {admitted && (
          <p className="text-sm font-semibold">
            It is your turn: pick your seats now{p.admittedUntil && <> (until {when(p.admittedUntil)})</>}.
          </p>
        )}
        {p && p.status === 'EXPIRED' && <p className="text-sm">Your turn has passed. You can join again at the back of the queue.</p>}
      </div>
      {!signedIn && (
        <Button className="mt-2" onClick={onLogin}>
          Log in to join
        </Button>
      )}
      {state === 'NOT_JOINED' && (
        <Button className="mt-2" onClick={() => join.mutate()} busy={join.isPending}>
          Join the queue
        </Button>
      )}
      {p && p.status === 'EXPIRED' && (
        <Button className="mt-2" onClick={() => join.mutate()} busy={join.isPending}>
          Join again
        </Button>
      )}
      {!admitted && (join.error || place.error) ? (
        <div className="mt-2">
          <ErrorBox error={join.error ?? place.error} />
        </div>
      ) : null}
    </section>
  );
}
