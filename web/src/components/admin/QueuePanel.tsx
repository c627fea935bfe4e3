// The organizer's live view of an event's waiting room: how many fans wait, how many are admitted, the
// admission rate, and Pause / Resume. Polls while it is on screen.
import { useId } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { getQueueRoom, setQueueControls } from '../../api/endpoints';
import type { QueueRoom } from '../../api/types';
import { Button } from '../ui';
import { AdminError } from './AdminError';

export const QUEUE_POLL_MS = 3000;
export const queueRoomKey = (eventId: string) => ['queue-room', eventId] as const;

/** A cancelled or completed event's sale is over: its waiting room has nothing left to control. */
export const saleIsOver = (status: string) => status === 'CANCELLED' || status === 'COMPLETED';

function Stat({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="rounded-xl border border-slate-200 bg-slate-50 px-3 py-2">
      <dt className="text-xs font-medium uppercase tracking-wide text-slate-600">{label}</dt>
      <dd className="mt-0.5 text-xl font-bold tabular-nums text-slate-900" data-testid={testId}>
        {value}
      </dd>
    </div>
  );
}

/** `enabled`: whether the event has a waiting room (from the event); without one the panel says so. */
export function QueuePanel({ eventId, enabled, headingLevel = 2 }: { eventId: string; enabled: boolean; headingLevel?: 2 | 3 }) {
  const qc = useQueryClient();
  const headingId = useId();
  const q = useQuery({
    queryKey: queueRoomKey(eventId),
    queryFn: () => getQueueRoom(eventId),
    enabled,
    refetchInterval: QUEUE_POLL_MS,
    refetchIntervalInBackground: false,
  });
  const control = useMutation({
    mutationFn: (paused: boolean) => setQueueControls(eventId, { paused }),
    onSuccess: (room: QueueRoom) => qc.setQueryData(queueRoomKey(eventId), room),
  });
  const H = headingLevel === 2 ? 'h2' : 'h3';
  const room = q.data;
  const paused = room?.paused ?? false;
  return (
    <section className="rounded-2xl border border-slate-200 bg-white p-5 shadow-sm" aria-labelledby={headingId}>
      <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
        <H id={headingId} className="text-lg font-semibold">
          Waiting room
        </H>
        {enabled && room && (
          <span
            className={`inline-block rounded-full px-2.5 py-0.5 text-xs font-semibold ${paused ? 'bg-amber-100 text-amber-900' : 'bg-emerald-100 text-emerald-800'}`}
            data-testid="queue-state"
          >
            {paused ? 'Paused' : 'Admitting'}
          </span>
        )}
      </div>
      {!enabled ? (
        <p className="text-sm text-slate-600">This sale has no waiting room: fans go straight to the seats. Turn it on in the event details.</p>
      ) : q.isLoading ? (
        <p className="text-sm text-slate-600" role="status">
          Loading the waiting room…
        </p>
      ) : (
        <>
          {room && (
            <dl className="grid grid-cols-2 gap-3 sm:grid-cols-4">
              <Stat label="Waiting" value={room.waiting.toLocaleString('en-US')} testId="queue-waiting" />
              <Stat label="Admitted now" value={room.admitted.toLocaleString('en-US')} testId="queue-admitted" />
              <Stat label="Admitted in total" value={room.admittedTotal.toLocaleString('en-US')} testId="queue-admitted-total" />
              <Stat label="Admission rate" value={`${room.admitPerMinute.toLocaleString('en-US')}/min`} testId="queue-rate" />
            </dl>
          )}
          <div className="mt-3 flex flex-wrap items-center gap-3">
            {room && (
              <Button
                type="button"
                variant={paused ? 'primary' : 'secondary'}
                // Not disabled while the change is sent, so the keyboard focus stays on the button.
                onClick={() => {
                  if (!control.isPending) control.mutate(!paused);
                }}
              >
                {paused ? 'Resume admissions' : 'Pause admissions'}
              </Button>
            )}
            <p className="text-sm text-slate-600" role="status" aria-live="polite">
              {room
                ? paused
                  ? 'Admissions are paused: fans keep their places and nobody new is let in.'
                  : `Letting in up to ${room.admitPerMinute.toLocaleString('en-US')} fans a minute.`
                : ''}
            </p>
          </div>
          <p className="mt-2 text-xs text-slate-600">Refreshed every {QUEUE_POLL_MS / 1000} seconds.</p>
          <div className="mt-2 space-y-2">
            <AdminError error={q.error} title="The waiting room's numbers could not be loaded" onRetry={() => q.refetch()} />
            <AdminError error={control.error} />
          </div>
        </>
      )}
    </section>
  );
}
