import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createEvent, getEvent, getSeats, putLayout, setEventStatus, updateEvent } from '../../api/endpoints';
import { CATEGORIES, type EventInput, type EventStatus, type SeatType, type TicketEvent } from '../../api/types';
import { SeatMap } from '../../components/SeatMap';
import { Button, ErrorBox, Field, inputCls, Notice, PageTitle, Spinner, StatusBadge } from '../../components/ui';
import { isoToLocal, localToIso, money, titleCase } from '../../lib/format';
import { fromSeats, newKey, previewSeats, rowSizes, toLayout, type DraftSection } from '../../lib/layoutEditor';

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
  if (eventId && q.error) return <ErrorBox error={q.error} onRetry={() => q.refetch()} />;
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
          <div className="mb-6 flex gap-4 text-sm">
            <Link to={`/events/${event.eventId}`} className="font-semibold text-brand-700 hover:underline">
              View as a fan
            </Link>
            <Link to={`/admin/events/${event.eventId}/sales`} className="font-semibold text-brand-700 hover:underline">
              Sales dashboard
            </Link>
          </div>
        )}
      </div>
      {event && <StatusPanel event={event} />}
      <EventForm event={event} />
      {!isNew && <LayoutEditor event={event!} />}
    </div>
  );
}

function StatusPanel({ event }: { event: TicketEvent }) {
  const qc = useQueryClient();
  const [confirmCancel, setConfirmCancel] = useState(false);
  const m = useMutation({
    mutationFn: (s: EventStatus) => setEventStatus(event.eventId, s),
    onSuccess: (e) => {
      qc.setQueryData(['event', e.eventId], e);
      qc.invalidateQueries({ queryKey: ['admin-events'] });
      setConfirmCancel(false);
    },
  });
  return (
    <section className="rounded-2xl border border-slate-200 bg-white p-5 shadow-sm" aria-labelledby="status-h">
      <h2 id="status-h" className="mb-2 text-lg font-semibold">
        Status
      </h2>
      <div className="flex flex-wrap items-center gap-3">
        <StatusBadge status={event.status} />
        {MOVES[event.status].map((s) =>
          s === 'CANCELLED' ? (
            confirmCancel ? (
              <span key={s} className="flex flex-wrap items-center gap-2 text-sm">
                Cancel the event and refund every booking?
                <Button variant="danger" busy={m.isPending} onClick={() => m.mutate(s)}>
                  Yes, cancel it
                </Button>
                <Button variant="secondary" onClick={() => setConfirmCancel(false)}>
                  No
                </Button>
              </span>
            ) : (
              <Button key={s} variant="danger" onClick={() => setConfirmCancel(true)}>
                {MOVE_LABEL[s]}
              </Button>
            )
          ) : (
            <Button key={s} variant={s === 'ON_SALE' ? 'primary' : 'secondary'} busy={m.isPending && m.variables === s} onClick={() => m.mutate(s)}>
              {MOVE_LABEL[s]}
            </Button>
          ),
        )}
      </div>
      {event.status === 'UPCOMING' && event.totalSeats === 0 && (
        <p className="mt-2 text-sm text-amber-800">Lay out the seats below before putting the event on sale.</p>
      )}
      <div className="mt-2">
        <ErrorBox error={m.error} />
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
  const set = (k: keyof FormState) => (e: { target: { value: string } }) => {
    setSaved(false);
    setF((x) => ({ ...x, [k]: e.target.value }));
  };
  const m = useMutation({
    mutationFn: async () => {
      if (!f.eventName.trim() || !f.venueName.trim() || !f.city.trim()) throw new Error('Name, venue and city are required.');
      if (!f.eventDate || !f.saleStartTime) throw new Error('Give the event date and the sale start.');
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
      if (!event || f.waitingRoom !== (event.waitingRoom?.enabled ?? false))
        body.waitingRoom = { enabled: f.waitingRoom, admitPerMinute: Number(f.admitPerMinute) || 1000 };
      return event ? updateEvent(event.eventId, body) : createEvent(body);
    },
    onSuccess: (e) => {
      qc.setQueryData(['event', e.eventId], e);
      qc.invalidateQueries({ queryKey: ['admin-events'] });
      qc.invalidateQueries({ queryKey: ['search'] });
      setSaved(true);
      if (!event) nav(`/admin/events/${e.eventId}`, { replace: true });
    },
  });
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
                setF((x) => ({ ...x, waitingRoom: e.target.checked }));
              }}
            />
            Waiting room for this sale
          </label>
          {f.waitingRoom && (
            <label className="flex items-center gap-2 text-sm">
              Admit per minute
              <input type="number" min={1} className={`${inputCls} w-28`} value={f.admitPerMinute} onChange={set('admitPerMinute')} />
            </label>
          )}
        </div>
        <div className="flex flex-wrap items-center gap-3 md:col-span-2">
          <Button type="submit" busy={m.isPending}>
            {event ? 'Save changes' : 'Create event'}
          </Button>
          {saved && !m.isPending && <span className="text-sm text-emerald-700" role="status">Saved.</span>}
        </div>
        <div className="md:col-span-2">
          <ErrorBox error={m.error} />
        </div>
      </form>
    </section>
  );
}

const SEAT_TYPES: SeatType[] = ['REGULAR', 'PREMIUM', 'VIP'];

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
  const preview = useMemo(() => previewSeats(drafts ?? []), [drafts]);
  const check = useMemo(() => toLayout(drafts ?? []), [drafts]);
  const save = useMutation({
    mutationFn: () => {
      if (check.error) throw new Error(check.error);
      return putLayout(event.eventId, check.layout!);
    },
    onSuccess: (r) => {
      setSaved(`Layout saved: ${r.totalSeats.toLocaleString()} seats.`);
      qc.invalidateQueries({ queryKey: ['seats', event.eventId] });
      qc.invalidateQueries({ queryKey: ['event', event.eventId] });
    },
  });
  const upd = (key: string, patch: Partial<DraftSection>) => {
    setSaved(null);
    setDrafts((d) => (d ?? []).map((s) => (s.key === key ? { ...s, ...patch } : s)));
  };
  if (seatsQ.isLoading || drafts === null) return <Spinner label="Loading the seat layout…" />;
  const total = preview.length;
  return (
    <section className="rounded-2xl border border-slate-200 bg-white p-5 shadow-sm" aria-labelledby="layout-h">
      <div className="mb-4 flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="layout-h" className="text-lg font-semibold">
          Seat layout
        </h2>
        <span className="text-sm text-slate-600">{total.toLocaleString()} seats</span>
      </div>
      {!editable && (
        <div className="mb-4">
          <Notice tone="warn">The layout can only be changed while the event is Upcoming (before the sale opens).</Notice>
        </div>
      )}
      <div className="grid gap-6 xl:grid-cols-[minmax(0,600px)_1fr]">
        <fieldset disabled={!editable} className="space-y-3">
          <legend className="sr-only">Sections</legend>
          {drafts.map((d, i) => (
            <div key={d.key} className="rounded-xl border border-slate-200 p-3" role="group" aria-label={`Section ${i + 1}`}>
              <div className="grid grid-cols-2 gap-2 sm:grid-cols-[1fr_8rem_5.5rem_4.5rem_1fr]">
                <label className="col-span-1 text-xs font-medium text-slate-600">
                  Section
                  <input className={inputCls} value={d.section} onChange={(e) => upd(d.key, { section: e.target.value })} aria-label={`Section ${i + 1} name`} />
                </label>
                <label className="text-xs font-medium text-slate-600">
                  Type
                  <select className={inputCls} value={d.seatType} onChange={(e) => upd(d.key, { seatType: e.target.value as SeatType })} aria-label={`Section ${i + 1} seat type`}>
                    {SEAT_TYPES.map((t) => (
                      <option key={t} value={t}>
                        {titleCase(t)}
                      </option>
                    ))}
                  </select>
                </label>
                <label className="text-xs font-medium text-slate-600">
                  Price
                  <input className={inputCls} inputMode="decimal" value={d.price} onChange={(e) => upd(d.key, { price: e.target.value })} aria-label={`Section ${i + 1} price`} />
                </label>
                <label className="text-xs font-medium text-slate-600">
                  Rows
                  <input
                    className={inputCls}
                    type="number"
                    min={1}
                    max={200}
                    value={rowSizes(d).length > 1 && d.seatsPerRow.includes(',') ? String(rowSizes(d).length) : d.rows}
                    disabled={d.seatsPerRow.includes(',')}
                    onChange={(e) => upd(d.key, { rows: e.target.value })}
                    aria-label={`Section ${i + 1} rows`}
                  />
                </label>
                <label className="text-xs font-medium text-slate-600">
                  Seats per row
                  <input
                    className={inputCls}
                    value={d.seatsPerRow}
                    onChange={(e) => upd(d.key, { seatsPerRow: e.target.value })}
                    aria-label={`Section ${i + 1} seats per row`}
                    title="One number for every row, or one per row separated by commas"
                  />
                </label>
              </div>
              <div className="mt-2 flex items-center justify-between text-xs text-slate-500">
                <span>
                  {rowSizes(d).reduce((a, b) => a + b, 0)} seats · {money(Number(d.price) || 0)} each. Seats per row can be a list: 18, 20, 22
                </span>
                <button
                  type="button"
                  className="font-semibold text-red-700 hover:underline disabled:text-slate-400"
                  onClick={() => setDrafts((x) => (x ?? []).filter((s) => s.key !== d.key))}
                >
                  Remove
                </button>
              </div>
            </div>
          ))}
          <div className="flex flex-wrap gap-2">
            <Button
              type="button"
              variant="secondary"
              onClick={() =>
                setDrafts((x) => [
                  ...(x ?? []),
                  { key: newKey(), section: String.fromCharCode(65 + (x?.length ?? 0) % 26), seatType: 'REGULAR', price: '50.00', rows: '10', seatsPerRow: '20' },
                ])
              }
            >
              + Add section
            </Button>
            <Button type="button" busy={save.isPending} onClick={() => save.mutate()} disabled={!!check.error}>
              Save layout
            </Button>
          </div>
          {check.error && <p className="text-sm text-amber-800">{check.error}</p>}
          {saved && (
            <p className="text-sm text-emerald-700" role="status">
              {saved}
            </p>
          )}
          <ErrorBox error={save.error} />
        </fieldset>
        <div>
          <h3 className="mb-2 text-sm font-semibold text-slate-700">Preview</h3>
          {preview.length ? <SeatMap seats={preview} selected={new Set()} readOnly /> : <Notice>Add a section to see the map.</Notice>}
        </div>
      </div>
    </section>
  );
}
