// The event's facts at the top of its page, and the sections with their prices and seats left.
import type { ReactNode } from 'react';
import type { SectionAvailability, TicketEvent } from '../../api/types';
import { priceRange, titleCase, when } from '../../lib/format';
import { StatusBadge } from '../ui';

export function EventHeader({ event: e, available, total, limitLine }: { event: TicketEvent; available: number; total: number; limitLine: ReactNode }) {
  return (
    <header className="mb-6 rounded-2xl border border-slate-200 bg-white p-5 shadow-sm">
      <div className="flex flex-wrap items-center gap-2 text-xs font-semibold uppercase tracking-wide text-brand-700">
        {titleCase(e.category)} <StatusBadge status={e.status} />
      </div>
      <h1 className="mt-1 text-2xl font-bold tracking-tight sm:text-3xl">{e.eventName}</h1>
      <dl className="mt-3 grid gap-x-6 gap-y-2 text-sm sm:grid-cols-2 lg:grid-cols-4">
        <div>
          <dt className="text-slate-600">Date</dt>
          <dd className="font-medium">{when(e.eventDate)}</dd>
        </div>
        <div>
          <dt className="text-slate-600">Venue</dt>
          <dd className="font-medium">
            {e.venueName}, {e.city}
          </dd>
        </div>
        <div>
          <dt className="text-slate-600">Prices</dt>
          <dd className="font-medium">{priceRange(e.minPrice, e.maxPrice)}</dd>
        </div>
        <div>
          <dt className="text-slate-600">Availability</dt>
          <dd className="font-medium">
            {available.toLocaleString()} of {total.toLocaleString()} seats
          </dd>
        </div>
      </dl>
      {e.description && <p className="mt-3 text-slate-700">{e.description}</p>}
      {e.status === 'UPCOMING' && <p className="mt-3 text-sm font-medium text-sky-800">Sale opens {when(e.saleStartTime)}.</p>}
      {e.maxTicketsPerUser && <div className="mt-2">{limitLine ?? <p className="text-sm text-slate-600">Limit: {e.maxTicketsPerUser} tickets per fan.</p>}</div>}
    </header>
  );
}

export function SectionsTable({ sections }: { sections: SectionAvailability[] }) {
  return (
    <div className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
      <h2 className="mb-2 font-semibold">Sections</h2>
      <table className="w-full text-sm">
        <thead className="text-left text-xs text-slate-600">
          <tr>
            <th className="font-medium">Section</th>
            <th className="font-medium">Price</th>
            <th className="text-right font-medium">Left</th>
          </tr>
        </thead>
        <tbody>
          {sections.map((s) => (
            <tr key={s.section} className="border-t border-slate-100">
              <td className="py-1">{s.section}</td>
              <td>{priceRange(s.minPrice, s.maxPrice)}</td>
              <td className="text-right tabular-nums">{s.available}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
