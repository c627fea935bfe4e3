// The organizer's check-in controls on an event's page (§13): the way to the check-in page, and the
// scanner role of this event given to a gate worker's account.
import { useId, useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { useMutation } from '@tanstack/react-query';
import { grantScanner } from '../../api/tickets';
import { Button, inputCls, labelCls } from '../ui';
import { AdminError } from './AdminError';

export function CheckinPanel({ eventId }: { eventId: string }) {
  const id = useId();
  const [userId, setUserId] = useState('');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [granted, setGranted] = useState<string | null>(null);
  const m = useMutation({
    mutationFn: (uid: string) => grantScanner(eventId, uid),
    onSuccess: (_, uid) => {
      setGranted(uid);
      setUserId('');
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const uid = userId.trim();
    setGranted(null);
    if (!uid) {
      setFieldError('Enter the user id of the account to grant.');
      return;
    }
    setFieldError(null);
    m.mutate(uid);
  };
  return (
    <section className="rounded-2xl border border-slate-200 bg-white p-5 shadow-sm" aria-labelledby={`${id}-h`}>
      <div className="mb-2 flex flex-wrap items-baseline justify-between gap-2">
        <h2 id={`${id}-h`} className="text-lg font-semibold">
          Check-in
        </h2>
        <Link
          to={`/checkin/${eventId}`}
          className="rounded text-sm font-semibold text-brand-700 hover:underline focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600"
        >
          Open the check-in page
        </Link>
      </div>
      <p className="text-sm text-slate-600">
        Gate staff check tickets in on the check-in page of this event. Give their account the scanner role: it lets them scan for this
        event only. They find their user id on the check-in page.
      </p>
      <form onSubmit={submit} className="mt-3 flex flex-col gap-2 sm:flex-row sm:items-end" noValidate>
        <div className="flex-1">
          <label htmlFor={`${id}-user`} className={labelCls}>
            User id of the gate worker
          </label>
          <input
            id={`${id}-user`}
            className={`${inputCls} font-mono ${fieldError ? 'border-red-600' : ''}`}
            value={userId}
            onChange={(e) => {
              setUserId(e.target.value);
              setFieldError(null);
              setGranted(null);
              m.reset();
            }}
            autoComplete="off"
            spellCheck={false}
            aria-invalid={fieldError ? true : undefined}
            aria-describedby={fieldError ? `${id}-user-error` : undefined}
          />
        </div>
        <Button type="submit" variant="secondary" busy={m.isPending}>
          Grant the scanner role
        </Button>
      </form>
      {fieldError && (
        <p id={`${id}-user-error`} className="mt-1 text-sm font-medium text-red-700">
          {fieldError}
        </p>
      )}
      <p className="mt-2 text-sm text-emerald-700" role="status">
        {granted ? `User ${granted} can now check tickets in for this event.` : ''}
      </p>
      <AdminError error={m.error} title="The scanner role was not granted" />
    </section>
  );
}
