import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { errorMessage } from '../../api/client';
import { createEvent, getEvent, getSeats, putLayout, setEventStatus, setQueueControls, updateEvent } from '../../api/endpoints';
import { CATEGORIES, type EventInput, type EventStatus, type SeatType, type TicketEvent } from '../../api/types';
import { SeatMap } from '../../components/SeatMap';
import { Button, Field, inputCls, Notice, PageTitle, Spinner, StatusBadge } from '../../components/ui';
import { AdminError } from '../../components/admin/AdminError';
import { CheckinPanel } from '../../components/admin/CheckinPanel';
import { QueuePanel, queueRoomKey, saleIsOver } from '../../components/admin/QueuePanel';
import { isoToLocal, localToIso, money, titleCase } from '../../lib/format';
import { fromSeats, newKey, previewSeats, type DraftSection } from '../../lib/layoutEditor';
import { buildLayout, checkLayout, isRowList, parseCount, seatsPerRowParts, type FieldErrors } from '../../lib/layoutValidation';
import { sentence } from '../../lib/format';

const linkCls =
  'rounded font-semibold text-brand-700 hover:underline focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600';
const MAX_ADMIT_PER_MINUTE = 1_000_000;

const MOVES: Record<EventStatus, EventStatus[]> = {
  UPCOMING: ['ON_SALE', 'CANCELLED'],
  ON_SALE: ['SOLD_OUT', 'CANCELLED', 'COMPLETED'],
  SOLD_OUT: ['ON_SALE', 'CANCELLED', 'COMPLETED'],
  CANCELLED: [],
  COMPLETED: [],
};
const MOVE_LABEL: Record<EventStatus, string> = {
  ON_SALE: 'Put on sale',
  SOLD_OUT: 'Mark sold out',
  CANCELLED: 'Cancel event',
  COMPLETED: 'Mark completed',
  UPCOMING: 'Upcoming',
};

export default function AdminEventEditPage() {
  const { eventId } = useParams();
  const q = useQuery({ queryKey: ['event', eventId], queryFn: () => getEvent(eventId!), enabled: !!eventId });
  if (eventId && q.isLoading) return <Spinner />;
  if (eventId && q.error) return <AdminError error={q.error} onRetry={() => q.refetch()} />;
  return <Editor key={eventId ?? 'new'} event={q.data} />;
}

function Editor({ event }: { event?: TicketEvent }) {
  const isNew = !event;
  return (
    <div className="space-y-8">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <PageTitle sub={event ? `${event.venueName}, ${event.city}` : 'Details first; then the seat layout and the sale.'}>
          {event ? event.eventName : 'New event'}
        </PageTitle>
        {event && (
          <div className="mb-6 flex flex-wrap gap-x-4 gap-y-2 text-sm">
            <Link to={`/events/${event.eventId}`} className={linkCls}>
              View as a fan
            </Link>
            <Link to={`/admin/events/${event.eventId}/sales`} className={linkCls}>
              Sales dashboard
            </Link>
            <Link to={`/checkin/${event.eventId}`} className={linkCls}>
              Check-in
            </Link>
          </div>
        )}
      </div>
      {event && <StatusPanel event={event} />}
      <EventForm event={event} />
      {event?.waitingRoom?.enabled && !saleIsOver(event.status) && <QueuePanel eventId={event.eventId} enabled />}
      {event && event.status !== 'CANCELLED' && <CheckinPanel eventId={event.eventId} />}
      {!isNew && <LayoutEditor event={event!} />}
    </div>
  );
}

/** Whether the event's date has passed (only then can it be marked completed). */
function hasTakenPlace(event: Pick<TicketEvent, 'eventDate'>, now = Date.now()): boolean {
  const t = new Date(event.eventDate).getTime();
  return Number.isFinite(t) && t <= now;
}

function StatusPanel({ event }: { event: TicketEvent }) {
  const qc = useQueryClient();
  const reasonId = useId();
  const [confirmCancel, setConfirmCancel] = useState(false);
  // The inventory answers at once after a layout is saved; the event's own counts follow within seconds.
  const seatsQ = useQuery({ queryKey: ['seats', event.eventId], queryFn: () => getSeats(event.eventId) });
  const hasSeats = event.totalSeats > 0 || (seatsQ.data?.seats.length ?? 0) > 0;
  const past = hasTakenPlace(event);
  const m = useMutation({
    mutationFn: (s: EventStatus) => setEventStatus(event.eventId, s),
    onSuccess: (e) => {
      qc.setQueryData(['event', e.eventId], e);
      qc.invalidateQueries({ queryKey: ['admin-events'] });
      qc.invalidateQueries({ queryKey: queueRoomKey(e.eventId) });
      setConfirmCancel(false);
    },
  });
  const { reset } = m;
  // A refusal that no longer applies (the layout was saved since) is not left on screen.
  useEffect(() => {
    if (hasSeats) reset();
  }, [hasSeats, reset]);
  const moves = MOVES[event.status].filter((s) => s !== 'COMPLETED' || past);
  const needsLayout = event.status === 'UPCOMING' && !hasSeats;
  return (
    <section className="rounded-2xl border border-slate-200 bg-white p-5 shadow-sm" aria-labelledby="status-h">
      <h2 id="status-h" className="mb-2 text-lg font-semibold">
        Status
      </h2>
      <div className="flex flex-wrap items-center gap-3">
        <StatusBadge status={event.status} />
        {moves.map((s) =>
          s === 'CANCELLED' ? (
            confirmCancel ? (
              <span key={s} className="flex flex-wrap items-center gap-2 text-sm">
                Cancel the event and refund every booking?
                <Button variant="danger" busy={m.isPending} onClick={() => m.mutate(s)}>
                  Yes, cancel it
                </Button>
                <Button variant="secondary" autoFocus onClick={() => setConfirmCancel(false)}>
                  No
                </Button>
              </span>
            ) : (
              <Button key={s} variant="danger" onClick={() => setConfirmCancel(true)}>
                {MOVE_LABEL[s]}
              </Button>
            )
          ) : s === 'ON_SALE' ? (
            <span key={s} className="flex flex-wrap items-center gap-2">
              <Button
                variant="primary"
                disabled={needsLayout}
                aria-describedby={needsLayout ? reasonId : undefined}
                busy={m.isPending && m.variables === s}
                onClick={() => m.mutate(s)}
              >
                {MOVE_LABEL[s]}
              </Button>
              {needsLayout && (
                <span id={reasonId} className="text-sm font-medium text-amber-900" data-testid="on-sale-reason">
                  {seatsQ.isLoading ? 'Checking the seat layout…' : 'Save a seat layout first: lay out the seats below.'}
                </span>
              )}
            </span>
          ) : (
            <Button key={s} variant="secondary" busy={m.isPending && m.variables === s} onClick={() => m.mutate(s)}>
              {MOVE_LABEL[s]}
            </Button>
          ),
        )}
      </div>
      {!past && (event.status === 'ON_SALE' || event.status === 'SOLD_OUT') && (
        <p className="mt-2 text-sm text-slate-600">You can mark the event completed once its date has passed.</p>
      )}
      <div className="mt-2">
        <AdminError error={m.error} title="The status was not changed" />
      </div>
    </section>
  );
}

interface FormState {
  eventName: string;
  description: string;
  category: string;
  venueName: string;
  city: string;
  eventDate: string;
  saleStartTime: string;
  saleEndTime: string;
  tags: string;
  imageUrl: string;
  maxTicketsPerUser: string;
  waitingRoom: boolean;
  admitPerMinute: string;
}
function initial(e?: TicketEvent): FormState {
  const inAMonth = new Date(Date.now() + 30 * 86400_000);
  inAMonth.setHours(20, 0, 0, 0);
  return {
    eventName: e?.eventName ?? '',
    description: e?.description ?? '',
    category: e?.category ?? 'CONCERT',
    venueName: e?.venueName ?? '',
    city: e?.city ?? '',
    eventDate: e ? isoToLocal(e.eventDate) : isoToLocal(inAMonth.toISOString()),
    saleStartTime: e ? isoToLocal(e.saleStartTime) : isoToLocal(new Date(Date.now() + 86400_000).toISOString()),
    saleEndTime: isoToLocal(e?.saleEndTime),
    tags: e?.tags?.join(', ') ?? '',
    imageUrl: e?.imageUrl ?? '',
    maxTicketsPerUser: e?.maxTicketsPerUser ? String(e.maxTicketsPerUser) : '',
    waitingRoom: e?.waitingRoom?.enabled ?? false,
    admitPerMinute: String(e?.waitingRoom?.admitPerMinute ?? 1000),
  };
}

function EventForm({ event }: { event?: TicketEvent }) {
  const nav = useNavigate();
  const qc = useQueryClient();
  const [f, setF] = useState<FormState>(() => initial(event));
  const [saved, setSaved] = useState(false);
  const [warning, setWarning] = useState<string | null>(null);
  const rate = parseCount(f.admitPerMinute, 1, MAX_ADMIT_PER_MINUTE);
  const rateError = f.waitingRoom && rate === null ? `Admit per minute must be a whole number from 1 to ${MAX_ADMIT_PER_MINUTE.toLocaleString('en-US')}.` : null;
  const m = useMutation({
    mutationFn: async () => {
      if (!f.eventName.trim() || !f.venueName.trim() || !f.city.trim()) throw new Error('Name, venue and city are required.');
      if (!f.eventDate || !f.saleStartTime) throw new Error('Give the event date and the sale start.');
      if (rateError) throw new Error(rateError);
      const body: EventInput = {
        eventName: f.eventName.trim(),
        description: f.description.trim(),
        category: f.category,
        venueName: f.venueName.trim(),
        city: f.city.trim(),
        eventDate: localToIso(f.eventDate),
        saleStartTime: localToIso(f.saleStartTime),
        saleEndTime: f.saleEndTime ? localToIso(f.saleEndTime) : null,
        tags: f.tags
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
        imageUrl: f.imageUrl.trim() || null,
        maxTicketsPerUser: f.maxTicketsPerUser ? Number(f.maxTicketsPerUser) : null,
      };
      // The waiting room always goes with the details: before, it was sent only when the checkbox
      // changed, so a new admission rate on its own was never saved.
      body.waitingRoom = f.waitingRoom ? { enabled: true, admitPerMinute: rate! } : { enabled: false };
      const saved = event ? await updateEvent(event.eventId, body) : await createEvent(body);
      let warn: string | null = null;
      if (event && event.waitingRoom?.enabled && f.waitingRoom) {
        // The room may run on a rate set directly on the queue: make it follow the saved one at once.
        try {
          await setQueueControls(event.eventId, { admitPerMinute: rate! });
        } catch (err) {
          warn = `The details were saved, but the waiting room did not take the new rate yet: ${sentence(errorMessage(err))}`;
        }
      }
      return { saved, warn };
    },
    onSuccess: ({ saved: e, warn }) => {
      qc.setQueryData(['event', e.eventId], e);
      qc.invalidateQueries({ queryKey: ['admin-events'] });
      qc.invalidateQueries({ queryKey: ['search'] });
      qc.invalidateQueries({ queryKey: queueRoomKey(e.eventId) });
      setSaved(true);
      setWarning(warn);
      if (!event) nav(`/admin/events/${e.eventId}`, { replace: true });
    },
  });
  const { reset } = m;
  const set = (k: keyof FormState) => (e: { target: { value: string } }) => {
    setSaved(false);
    setWarning(null);
    reset();
    setF((x) => ({ ...x, [k]: e.target.value }));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate();
  };
  return (
    <section className="rounded-2xl border border-slate-200 bg-white p-5 shadow-sm" aria-labelledby="details-h">
      <h2 id="details-h" className="mb-4 text-lg font-semibold">
        Details
      </h2>
      <form onSubmit={submit} className="grid gap-4 md:grid-cols-2">
        <Field label="Event name" htmlFor="eventName">
          <input id="eventName" className={inputCls} value={f.eventName} onChange={set('eventName')} required />
        </Field>
        <Field label="Category" htmlFor="category">
          <select id="category" className={inputCls} value={f.category} onChange={set('category')}>
            {[...new Set([...CATEGORIES, f.category])].map((c) => (
              <option key={c} value={c}>
                {titleCase(c)}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Venue" htmlFor="venueName">
          <input id="venueName" className={inputCls} value={f.venueName} onChange={set('venueName')} required />
        </Field>
        <Field label="City" htmlFor="city">
          <input id="city" className={inputCls} value={f.city} onChange={set('city')} required />
        </Field>
        <Field label="Event date and time" htmlFor="eventDate">
          <input id="eventDate" type="datetime-local" className={inputCls} value={f.eventDate} onChange={set('eventDate')} required />
        </Field>
        <Field label="Sale opens" htmlFor="saleStartTime">
          <input id="saleStartTime" type="datetime-local" className={inputCls} value={f.saleStartTime} onChange={set('saleStartTime')} required />
        </Field>
        <Field label="Sale ends (optional)" htmlFor="saleEndTime">
          <input id="saleEndTime" type="datetime-local" className={inputCls} value={f.saleEndTime} onChange={set('saleEndTime')} />
        </Field>
        <Field label="Tickets per fan (optional, 1–50)" htmlFor="maxTicketsPerUser">
          <input id="maxTicketsPerUser" type="number" min={1} max={50} className={inputCls} value={f.maxTicketsPerUser} onChange={set('maxTicketsPerUser')} />
        </Field>
        <Field label="Tags (comma separated)" htmlFor="tags">
          <input id="tags" className={inputCls} value={f.tags} onChange={set('tags')} />
        </Field>
        <Field label="Image URL (optional)" htmlFor="imageUrl">
          <input id="imageUrl" type="url" className={inputCls} value={f.imageUrl} onChange={set('imageUrl')} />
        </Field>
        <div className="md:col-span-2">
          <Field label="Description" htmlFor="description">
            <textarea id="description" rows={3} className={inputCls} value={f.description} onChange={set('description')} />
          </Field>
        </div>
        <div className="flex flex-wrap items-center gap-4 md:col-span-2">
          <label className="flex items-center gap-2 text-sm">
            <input
              type="checkbox"
              className="h-5 w-5"
              checked={f.waitingRoom}
              onChange={(e) => {
                setSaved(false);
                setWarning(null);
                reset();
                setF((x) => ({ ...x, waitingRoom: e.target.checked }));
              }}
            />
            Waiting room for this sale
          </label>
          {f.waitingRoom && (
            <div className="flex flex-wrap items-center gap-2 text-sm">
              <label htmlFor="admitPerMinute">Admit per minute</label>
              <input
                id="admitPerMinute"
                inputMode="numeric"
                className={`${inputCls.replace('w-full', '')} w-32`}
                value={f.admitPerMinute}
                onChange={set('admitPerMinute')}
                aria-invalid={rateError ? true : undefined}
                aria-describedby={rateError ? 'admitPerMinute-error' : undefined}
              />
              {rateError && (
                <p id="admitPerMinute-error" className="basis-full text-sm text-red-700">
                  {rateError}
                </p>
              )}
            </div>
          )}
        </div>
        <div className="flex flex-wrap items-center gap-3 md:col-span-2">
          <Button type="submit" busy={m.isPending} disabled={!!rateError}>
            {event ? 'Save changes' : 'Create event'}
          </Button>
          <span className="text-sm text-emerald-700" role="status">
            {saved && !m.isPending ? 'Saved.' : ''}
          </span>
        </div>
        {(m.error || warning) && (
          <div className="space-y-2 md:col-span-2">
            <AdminError error={m.error} title={event ? 'The changes were not saved' : 'The event was not created'} />
            {warning && <Notice tone="warn">{warning}</Notice>}
          </div>
        )}
      </form>
    </section>
  );
}

const SEAT_TYPES: SeatType[] = ['REGULAR', 'PREMIUM', 'VIP'];
const SEAT_TYPE_LABEL: Record<SeatType, string> = { REGULAR: 'Regular', PREMIUM: 'Premium', VIP: 'VIP' };

function FieldError({ id, msg }: { id: string; msg?: string }) {
  if (!msg) return null;
  return (
    <p id={id} className="mt-1 text-xs font-medium text-red-700">
      {msg}
    </p>
  );
}

function LayoutEditor({ event }: { event: TicketEvent }) {
  const qc = useQueryClient();
  const seatsQ = useQuery({ queryKey: ['seats', event.eventId], queryFn: () => getSeats(event.eventId) });
  const [drafts, setDrafts] = useState<DraftSection[] | null>(null);
  useEffect(() => {
    if (drafts === null && seatsQ.data) {
      const existing = fromSeats(seatsQ.data.seats);
      setDrafts(
        existing.length
          ? existing
          : [
              { key: newKey(), section: 'A', seatType: 'VIP', price: '150.00', rows: '5', seatsPerRow: '16' },
              { key: newKey(), section: 'B', seatType: 'REGULAR', price: '75.00', rows: '10', seatsPerRow: '20' },
            ],
      );
    }
  }, [seatsQ.data, drafts]);
  const [saved, setSaved] = useState<string | null>(null);
  const editable = event.status === 'UPCOMING';
  const check = useMemo(() => checkLayout(drafts ?? []), [drafts]);
  // Only sections without errors are drawn and counted: never NaN seats or a negative price.
  const preview = useMemo(() => previewSeats((drafts ?? []).filter((_, i) => check.sections[i]?.valid)), [drafts, check]);
  const save = useMutation({
    mutationFn: () => {
      const layout = buildLayout(drafts ?? [], check);
      if (!layout) throw new Error(check.message ?? 'Fix the seat layout first.');
      return putLayout(event.eventId, layout);
    },
    onSuccess: (r) => {
      setSaved(`Layout saved: ${r.totalSeats.toLocaleString('en-US')} seats.`);
      qc.invalidateQueries({ queryKey: ['seats', event.eventId] });
      qc.invalidateQueries({ queryKey: ['event', event.eventId] });
      qc.invalidateQueries({ queryKey: ['admin-events'] });
    },
  });
  const { reset } = save;
  const upd = (key: string, patch: Partial<DraftSection>) => {
    setSaved(null);
    reset();
    setDrafts((d) => (d ?? []).map((s) => (s.key === key ? { ...s, ...patch } : s)));
  };
  if (seatsQ.isLoading || drafts === null) return <Spinner label="Loading the seat layout…" />;
  const total = check.total;
  const fieldProps = (key: string, field: keyof FieldErrors, errors: FieldErrors) => ({
    id: `${key}-${field}`,
    'aria-invalid': errors[field] ? true : undefined,
    'aria-describedby': errors[field] ? `${key}-${field}-error` : undefined,
    className: `${inputCls} ${errors[field] ? 'border-red-600' : ''}`,
  });
  return (
    <section className="rounded-2xl border border-slate-200 bg-white p-5 shadow-sm" aria-labelledby="layout-h">
      <div className="mb-4 flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="layout-h" className="text-lg font-semibold">
          Seat layout
        </h2>
        <span className="text-sm text-slate-600" data-testid="layout-total">
          {total.toLocaleString('en-US')} seats
        </span>
      </div>
      {!editable && (
        <div className="mb-4">
          <Notice tone="warn">The layout can only be changed while the event is Upcoming (before the sale opens).</Notice>
        </div>
      )}
      <div className="grid gap-6 xl:grid-cols-[minmax(0,600px)_1fr]">
        <fieldset disabled={!editable} className="min-w-0 space-y-3">
          <legend className="sr-only">Sections</legend>
          {drafts.map((d, i) => {
            const c = check.sections[i];
            const e = c?.errors ?? {};
            const list = isRowList(d.seatsPerRow);
            return (
              <div key={d.key} className="rounded-xl border border-slate-200 p-3" role="group" aria-label={`Section ${i + 1}`}>
                <div className="grid grid-cols-2 gap-2 sm:grid-cols-[1fr_8rem_5.5rem_4.5rem_1fr]">
                  <div>
                    <label htmlFor={`${d.key}-section`} className="text-xs font-medium text-slate-700">
                      Section
                    </label>
                    <input {...fieldProps(d.key, 'section', e)} value={d.section} onChange={(ev) => upd(d.key, { section: ev.target.value })} aria-label={`Section ${i + 1} name`} />
                    <FieldError id={`${d.key}-section-error`} msg={e.section} />
                  </div>
                  <div>
                    <label htmlFor={`${d.key}-type`} className="text-xs font-medium text-slate-700">
                      Type
                    </label>
                    <select
                      id={`${d.key}-type`}
                      className={inputCls}
                      value={d.seatType}
                      onChange={(ev) => upd(d.key, { seatType: ev.target.value as SeatType })}
                      aria-label={`Section ${i + 1} seat type`}
                    >
                      {SEAT_TYPES.map((t) => (
                        <option key={t} value={t}>
                          {SEAT_TYPE_LABEL[t]}
                        </option>
                      ))}
                    </select>
                  </div>
                  <div>
                    <label htmlFor={`${d.key}-price`} className="text-xs font-medium text-slate-700">
                      Price
                    </label>
                    <input {...fieldProps(d.key, 'price', e)} inputMode="decimal" value={d.price} onChange={(ev) => upd(d.key, { price: ev.target.value })} aria-label={`Section ${i + 1} price`} />
                    <FieldError id={`${d.key}-price-error`} msg={e.price} />
                  </div>
                  <div>
                    <label htmlFor={`${d.key}-rows`} className="text-xs font-medium text-slate-700">
                      Rows
                    </label>
                    <input
                      {...fieldProps(d.key, 'rows', e)}
                      inputMode="numeric"
                      value={list ? String(seatsPerRowParts(d.seatsPerRow).length) : d.rows}
                      disabled={list}
                      onChange={(ev) => upd(d.key, { rows: ev.target.value })}
                      aria-label={`Section ${i + 1} rows`}
                    />
                    <FieldError id={`${d.key}-rows-error`} msg={e.rows} />
                  </div>
                  <div>
                    <label htmlFor={`${d.key}-seatsPerRow`} className="text-xs font-medium text-slate-700">
                      Seats per row
                    </label>
                    <input
                      {...fieldProps(d.key, 'seatsPerRow', e)}
                      inputMode="numeric"
                      value={d.seatsPerRow}
                      onChange={(ev) => upd(d.key, { seatsPerRow: ev.target.value })}
                      aria-label={`Section ${i + 1} seats per row`}
                    />
                    <FieldError id={`${d.key}-seatsPerRow-error`} msg={e.seatsPerRow} />
                  </div>
                </div>
                <div className="mt-2 flex flex-wrap items-center justify-between gap-2 text-xs text-slate-600">
                  <span data-testid="section-summary">
                    {c?.seats != null ? `${c.seats.toLocaleString('en-US')} seats` : 'Seats not counted yet'}
                    {c?.price != null ? ` · ${money(c.price)} each.` : '.'} Seats per row can be a list: 18, 20, 22
                  </span>
                  <button
                    type="button"
                    className="rounded px-1 py-1 font-semibold text-red-700 hover:underline focus-visible:outline focus-visible:outline-2 focus-visible:outline-red-700 disabled:text-slate-500"
                    onClick={() => {
                      setSaved(null);
                      reset();
                      setDrafts((x) => (x ?? []).filter((s) => s.key !== d.key));
                    }}
                  >
                    Remove<span className="sr-only"> section {i + 1}</span>
                  </button>
                </div>
              </div>
            );
          })}
          <div className="flex flex-wrap gap-2">
            <Button
              type="button"
              variant="secondary"
              onClick={() => {
                setSaved(null);
                setDrafts((x) => [
                  ...(x ?? []),
                  { key: newKey(), section: String.fromCharCode(65 + ((x?.length ?? 0) % 26)), seatType: 'REGULAR', price: '50.00', rows: '10', seatsPerRow: '20' },
                ]);
              }}
            >
              + Add section
            </Button>
            <Button
              type="button"
              busy={save.isPending}
              onClick={() => save.mutate()}
              disabled={!check.valid}
              aria-describedby={check.message ? 'layout-problem' : undefined}
            >
              Save layout
            </Button>
          </div>
          {editable && check.message && (
            <p id="layout-problem" className="text-sm font-medium text-red-700">
              {check.message}
            </p>
          )}
          <p className="text-sm text-emerald-700" role="status">
            {saved ?? ''}
          </p>
          <AdminError error={save.error} title="The layout was not saved" />
        </fieldset>
        <div className="min-w-0">
          <h3 className="mb-2 text-sm font-semibold text-slate-700">Preview</h3>
          {preview.length ? (
            <SeatMap seats={preview} selected={new Set()} readOnly />
          ) : (
            <Notice>{drafts.length ? 'Fix the sections to see the map.' : 'Add a section to see the map.'}</Notice>
          )}
        </div>
      </div>
    </section>
  );
}
