// The waiting room (§12): join, then poll at the pace the server asks for until admitted.
import { useEffect } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { joinQueue, myQueuePlace } from '../api/endpoints';
import { Button, ErrorBox } from './ui';

export function WaitingRoom({ eventId, onAdmitted }: { eventId: string; onAdmitted: () => void }) {
  const join = useMutation({ mutationFn: () => joinQueue(eventId) });
  const place = useQuery({
    queryKey: ['queue', eventId],
    queryFn: () => myQueuePlace(eventId),
    enabled: join.isSuccess,
    refetchInterval: (q) => Math.max(1000, q.state.data?.pollAfterMs ?? 5000),
  });
  const p = place.data ?? join.data;
  useEffect(() => {
    if (p?.status === 'ADMITTED') onAdmitted();
  }, [p?.status, onAdmitted]);
  return (
    <div className="mb-4 rounded-xl border border-brand-100 bg-brand-50 p-4 text-brand-900" role="status">
      <h2 className="font-semibold">This sale has a waiting room</h2>
      {!p && (
        <>
          <p className="text-sm">To keep it fair, fans are let in to pick seats in turn.</p>
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
      {p && p.status === 'ADMITTED' && <p className="text-sm font-semibold">It is your turn: pick your seats now.</p>}
      {p && p.status === 'EXPIRED' && (
        <>
          <p className="text-sm">Your turn has passed. You can join again at the back of the queue.</p>
          <Button className="mt-2" onClick={() => join.mutate()}>
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
