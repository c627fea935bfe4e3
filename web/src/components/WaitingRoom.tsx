// The waiting room (§12): join, then poll at the pace the server asks for until admitted.
import { useEffect } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';
import { joinQueue, myQueuePlace } from '../api/endpoints';
import type { QueuePlace } from '../api/types';
import { when } from '../lib/format';
import { Button, ErrorBox } from './ui';

/** The caller's place, or null when they have not joined (404). */
async function placeOrNull(eventId: string): Promise<QueuePlace | null> {
  try {
    return await myQueuePlace(eventId);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

export function WaitingRoom({
  eventId,
  signedIn,
  onLogin,
  onAdmitted,
}: {
  eventId: string;
  signedIn: boolean;
  onLogin: () => void;
  /** Told whether the fan may pick seats now (admitted and within the window). */
  onAdmitted: (admitted: boolean) => void;
}) {
  const qc = useQueryClient();
  const place = useQuery({
    queryKey: ['queue', eventId],
    queryFn: () => placeOrNull(eventId),
    enabled: signedIn,
    // Keep asking while in the queue; once admitted, still look now and then for the window's end.
    refetchInterval: (q) => (q.state.data ? Math.max(1000, q.state.data.pollAfterMs ?? 5000) : false),
  });
  const join = useMutation({
    mutationFn: () => joinQueue(eventId),
    onSuccess: (p) => qc.setQueryData(['queue', eventId], p),
  });
  const p = place.data ?? null;
  const admitted = p?.status === 'ADMITTED';
  useEffect(() => {
    onAdmitted(admitted);
    // The sale may have opened meanwhile: refresh the event so the map takes picks.
    if (admitted) qc.invalidateQueries({ queryKey: ['event', eventId] });
  }, [admitted, onAdmitted, qc, eventId]);
  return (
    <div className="mb-4 rounded-xl border border-brand-100 bg-brand-50 p-4 text-brand-900" role="status" data-testid="waiting-room">
      <h2 className="font-semibold">This sale has a waiting room</h2>
      {!signedIn && (
        <>
          <p className="text-sm">To keep it fair, fans are let in to pick seats in turn. Log in to join the queue.</p>
          <Button className="mt-2" onClick={onLogin}>
            Log in to join
          </Button>
        </>
      )}
      {signedIn && place.isLoading && <p className="text-sm">Checking your place…</p>}
      {signedIn && place.isSuccess && !p && (
        <>
          <p className="text-sm">To keep it fair, fans are let in to pick seats in turn. Join the queue to pick seats.</p>
          <Button className="mt-2" onClick={() => join.mutate()} busy={join.isPending}>
            Join the queue
          </Button>
        </>
      )}
      {p && p.status === 'PRE_QUEUE' && <p className="text-sm">You are in. When the sale opens you get a random place among everyone who came early.</p>}
      {p && p.status === 'WAITING' && (
        <p className="text-sm">
          Your place: <strong>{p.position}</strong> ({p.aheadOfYou ?? 0} ahead of you)
          {p.estimatedWaitSecs != null && <>, about {Math.ceil(p.estimatedWaitSecs / 60)} min</>}. Keep this page open.
        </p>
      )}
      {admitted && (
        <p className="text-sm font-semibold">
          It is your turn: pick your seats now{p.admittedUntil && <> (until {when(p.admittedUntil)})</>}.
        </p>
      )}
      {p && p.status === 'EXPIRED' && (
        <>
          <p className="text-sm">Your turn has passed. You can join again at the back of the queue.</p>
          <Button className="mt-2" onClick={() => join.mutate()} busy={join.isPending}>
            Join again
          </Button>
        </>
      )}
      <div className="mt-2">
        <ErrorBox error={join.error ?? place.error} />
      </div>
    </div>
  );
}
