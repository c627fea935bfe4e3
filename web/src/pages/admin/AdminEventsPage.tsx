import { Link } from 'react-router-dom';
import { useQuery } from '@tanstack/react-query';
import { listEvents } from '../../api/endpoints';
import type { TicketEvent } from '../../api/types';
import { Empty, PageTitle, Spinner, StatusBadge } from '../../components/ui';
import { AdminError } from '../../components/admin/AdminError';
import { priceRange, when } from '../../lib/format';

const linkCls =
  'inline-flex min-h-[44px] items-center rounded-md px-2 font-semibold text-brand-700 hover:underline focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600';

export default function AdminEventsPage() {
  const q = useQuery({ queryKey: ['admin-events'], queryFn: () => listEvents({ size: 100 }) });
  const events = q.data?.events ?? [];
  return (
    <div>
      <div className="mb-6 flex flex-wrap items-end justify-between gap-3">
        <PageTitle sub="Create events, lay out seats, open sales and follow them.">Organizer</PageTitle>
        <Link
          to="/admin/events/new"
          className="mb-6 inline-flex min-h-[44px] items-center rounded-lg bg-brand-600 px-4 text-sm font-semibold text-white shadow-sm hover:bg-brand-700 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600"
        >
          + New event
        </Link>
      </div>
      {q.isLoading && <Spinner />}
      {q.error && <AdminError error={q.error} title="The events could not be loaded" onRetry={() => q.refetch()} />}
      {q.data && events.length === 0 && <Empty title="No events yet.">Create your first event.</Empty>}
      {events.length > 0 && (
        <>
          {/* Phones and small tablets: one card per event, the links in reach. */}
          <ul className="space-y-3 md:hidden" aria-label="Events">
            {events.map((e) => (
              <li key={e.eventId} className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm" data-testid="event-card">
                <div className="flex items-start justify-between gap-3">
                  <div className="min-w-0">
                    <p className="break-words font-semibold">{e.eventName}</p>
                    <p className="text-sm text-slate-600">
                      {e.venueName}, {e.city}
                    </p>
                  </div>
                  <StatusBadge status={e.status} />
                </div>
                <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5 text-sm">
                  <dt className="text-slate-600">Date</dt>
                  <dd>{when(e.eventDate)}</dd>
                  <dt className="text-slate-600">Sold</dt>
                  <dd className="tabular-nums">
                    {(e.totalSeats - e.availableSeats).toLocaleString('en-US')} of {e.totalSeats.toLocaleString('en-US')} seats
                  </dd>
                  <dt className="text-slate-600">Prices</dt>
                  <dd>{priceRange(e.minPrice, e.maxPrice)}</dd>
                </dl>
                <div className="mt-2 flex gap-2 border-t border-slate-100 pt-2 text-sm">
                  <EventLinks event={e} />
                </div>
              </li>
            ))}
          </ul>
          <div className="hidden rounded-xl border border-slate-200 bg-white shadow-sm md:block">
            <table className="w-full text-sm">
              <caption className="sr-only">Your events</caption>
              <thead className="bg-slate-50 text-left text-xs uppercase tracking-wide text-slate-600">
                <tr>
                  <th scope="col" className="px-4 py-2">
                    Event
                  </th>
                  <th scope="col" className="px-4 py-2">
                    Date
                  </th>
                  <th scope="col" className="px-4 py-2">
                    Status
                  </th>
                  <th scope="col" className="px-4 py-2 text-right">
                    Sold / seats
                  </th>
                  <th scope="col" className="px-4 py-2">
                    Prices
                  </th>
                  <th scope="col" className="px-4 py-2">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {events.map((e) => (
                  <tr key={e.eventId} className="border-t border-slate-100">
                    <td className="px-4 py-2">
                      <p className="font-semibold">{e.eventName}</p>
                      <p className="text-xs text-slate-600">
                        {e.venueName}, {e.city}
                      </p>
                    </td>
                    <td className="px-4 py-2">{when(e.eventDate)}</td>
                    <td className="px-4 py-2">
                      <StatusBadge status={e.status} />
                    </td>
                    <td className="px-4 py-2 text-right tabular-nums">
                      {(e.totalSeats - e.availableSeats).toLocaleString('en-US')} / {e.totalSeats.toLocaleString('en-US')}
                    </td>
                    <td className="px-4 py-2">{priceRange(e.minPrice, e.maxPrice)}</td>
                    <td className="whitespace-nowrap px-4 py-2 text-right">
                      <EventLinks event={e} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </div>
  );
}

/** An event's Edit and Sales links, named for screen readers ("Edit <event>", "Sales of <event>"). */
function EventLinks({ event: e }: { event: TicketEvent }) {
  return (
    <>
      <Link to={`/admin/events/${e.eventId}`} className={linkCls}>
        Edit<span className="sr-only"> {e.eventName}</span>
      </Link>
      <Link to={`/admin/events/${e.eventId}/sales`} className={linkCls}>
        Sales<span className="sr-only"> of {e.eventName}</span>
      </Link>
    </>
  );
}
