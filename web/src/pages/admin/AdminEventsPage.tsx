import { Link } from 'react-router-dom';
import { useQuery } from '@tanstack/react-query';
import { listEvents } from '../../api/endpoints';
import { Empty, ErrorBox, PageTitle, Spinner, StatusBadge } from '../../components/ui';
import { priceRange, when } from '../../lib/format';

export default function AdminEventsPage() {
  const q = useQuery({ queryKey: ['admin-events'], queryFn: () => listEvents({ size: 100 }) });
  return (
    <div>
      <div className="mb-6 flex flex-wrap items-end justify-between gap-3">
        <PageTitle sub="Create events, lay out seats, open sales and follow them.">Organizer</PageTitle>
        <Link to="/admin/events/new" className="mb-6 inline-flex min-h-[44px] items-center rounded-lg bg-brand-600 px-4 text-sm font-semibold text-white shadow-sm hover:bg-brand-700">
          + New event
        </Link>
      </div>
      {q.isLoading && <Spinner />}
      {q.error && <ErrorBox error={q.error} onRetry={() => q.refetch()} />}
      {q.data && q.data.events.length === 0 && <Empty title="No events yet.">Create your first event.</Empty>}
      {q.data && q.data.events.length > 0 && (
        <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm">
          <table className="w-full min-w-[640px] text-sm">
            <thead className="bg-slate-50 text-left text-xs uppercase tracking-wide text-slate-500">
              <tr>
                <th className="px-4 py-2">Event</th>
                <th className="px-4 py-2">Date</th>
                <th className="px-4 py-2">Status</th>
                <th className="px-4 py-2 text-right">Sold / seats</th>
                <th className="px-4 py-2">Prices</th>
                <th className="px-4 py-2" />
              </tr>
            </thead>
            <tbody>
              {q.data.events.map((e) => (
                <tr key={e.eventId} className="border-t border-slate-100">
                  <td className="px-4 py-2">
                    <p className="font-semibold">{e.eventName}</p>
                    <p className="text-xs text-slate-500">
                      {e.venueName}, {e.city}
                    </p>
                  </td>
                  <td className="px-4 py-2">{when(e.eventDate)}</td>
                  <td className="px-4 py-2">
                    <StatusBadge status={e.status} />
                  </td>
                  <td className="px-4 py-2 text-right tabular-nums">
                    {(e.totalSeats - e.availableSeats).toLocaleString()} / {e.totalSeats.toLocaleString()}
                  </td>
                  <td className="px-4 py-2">{priceRange(e.minPrice, e.maxPrice)}</td>
                  <td className="whitespace-nowrap px-4 py-2 text-right">
                    <Link to={`/admin/events/${e.eventId}`} className="mr-3 font-semibold text-brand-700 hover:underline">
                      Edit
                    </Link>
                    <Link to={`/admin/events/${e.eventId}/sales`} className="font-semibold text-brand-700 hover:underline">
                      Sales
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
