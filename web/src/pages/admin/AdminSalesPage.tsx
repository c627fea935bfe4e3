import { useMemo } from 'react';
import { Link, useParams } from 'react-router-dom';
import { useQuery } from '@tanstack/react-query';
import { getAvailability, getEvent, getSeats } from '../../api/endpoints';
import type { Seat } from '../../api/types';
import { PageTitle, Spinner, StatusBadge } from '../../components/ui';
import { AdminError } from '../../components/admin/AdminError';
import { QueuePanel, saleIsOver } from '../../components/admin/QueuePanel';
import { money, when } from '../../lib/format';

interface Row {
  section: string;
  total: number;
  sold: number;
  held: number;
  available: number;
  blocked: number;
  revenue: number; // in cents, summed as integers
}

export function salesBySection(seats: Seat[]): Row[] {
  const m = new Map<string, Row>();
  for (const s of seats) {
    let r = m.get(s.section);
    if (!r) {
      r = { section: s.section, total: 0, sold: 0, held: 0, available: 0, blocked: 0, revenue: 0 };
      m.set(s.section, r);
    }
    r.total++;
    if (s.status === 'BOOKED') {
      r.sold++;
      r.revenue += Math.round(s.price * 100);
    } else if (s.status === 'RESERVED') r.held++;
    else if (s.status === 'AVAILABLE') r.available++;
    else r.blocked++;
  }
  return [...m.values()];
}

const C = { sold: '#4f46e5', held: '#f59e0b', available: '#d1fae5', blocked: '#cbd5e1' };

function SalesChart({ rows }: { rows: Row[] }) {
  const max = Math.max(1, ...rows.map((r) => r.total));
  const barH = 24;
  const labelW = 78;
  const W = 420;
  const H = rows.length * (barH + 10) + 10;
  return (
    <figure className="max-w-2xl">
      <svg viewBox={`0 0 ${W} ${H}`} className="h-auto w-full" role="img" aria-label="Seats sold, held and available by section">
        {rows.map((r, i) => {
          const y = 10 + i * (barH + 10);
          const scale = (W - labelW - 44) / max;
          let x = labelW;
          const parts: [keyof typeof C, number][] = [
            ['sold', r.sold],
            ['held', r.held],
            ['blocked', r.blocked],
            ['available', r.available],
          ];
          return (
            <g key={r.section}>
              <text x={labelW - 8} y={y + barH / 2 + 4} textAnchor="end" fontSize={13} fill="#334155">
                {r.section}
              </text>
              {parts.map(([k, v]) => {
                const w = v * scale;
                const el = w > 0 ? <rect key={k} x={x} y={y} width={w} height={barH} fill={C[k]} /> : null;
                x += w;
                return el;
              })}
              <text x={x + 6} y={y + barH / 2 + 4} fontSize={12} fill="#64748b">
                {r.total ? Math.round((r.sold / r.total) * 100) : 0}%
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption className="mt-2 flex flex-wrap gap-4 text-xs text-slate-600">
        {(['sold', 'held', 'available', 'blocked'] as const).map((k) => (
          <span key={k} className="flex items-center gap-1.5">
            <span className="inline-block h-3 w-3 rounded-sm" style={{ background: C[k] }} aria-hidden="true" />
            {k[0].toUpperCase() + k.slice(1)}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

export default function AdminSalesPage() {
  const { eventId = '' } = useParams();
  const ev = useQuery({ queryKey: ['event', eventId], queryFn: () => getEvent(eventId) });
  const avail = useQuery({ queryKey: ['availability', eventId], queryFn: () => getAvailability(eventId), refetchInterval: 5000 });
  const seats = useQuery({ queryKey: ['seats', eventId], queryFn: () => getSeats(eventId), refetchInterval: 10000 });
  const rows = useMemo(() => (seats.data ? salesBySection(seats.data.seats) : []), [seats.data]);
  const revenue = rows.reduce((a, r) => a + r.revenue, 0) / 100;
  const a = avail.data;
  if (ev.isLoading) return <Spinner />;
  if (ev.error) return <AdminError error={ev.error} title="The event could not be loaded" onRetry={() => ev.refetch()} />;
  const e = ev.data!;
  const stat = (label: string, value: string, cls = '') => (
    <div className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm">
      <p className="text-xs font-medium uppercase tracking-wide text-slate-600">{label}</p>
      <p className={`mt-1 text-2xl font-bold tabular-nums ${cls}`}>{value}</p>
    </div>
  );
  return (
    <div>
      <div className="mb-4 flex flex-wrap items-start justify-between gap-2">
        <PageTitle sub={`${when(e.eventDate)} · ${e.venueName}, ${e.city}`}>Sales: {e.eventName}</PageTitle>
        <div className="flex items-center gap-3 text-sm">
          <StatusBadge status={e.status} />
          <Link
            to={`/admin/events/${eventId}`}
            className="rounded font-semibold text-brand-700 hover:underline focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600"
          >
            Edit event
          </Link>
        </div>
      </div>
      {(avail.error || seats.error) && (
        <div className="mb-4">
          <AdminError error={avail.error ?? seats.error} title="The live numbers could not be refreshed" />
        </div>
      )}
      <div className="grid grid-cols-2 gap-3 lg:grid-cols-5">
        {stat('Revenue', money(revenue), 'text-brand-700')}
        {stat('Sold', (a?.booked ?? 0).toLocaleString())}
        {stat('Held', (a?.reserved ?? 0).toLocaleString(), 'text-amber-700')}
        {stat('Available', (a?.available ?? 0).toLocaleString(), 'text-emerald-700')}
        {stat('Total seats', (a?.total ?? 0).toLocaleString())}
      </div>
      <div className="mt-6">
        {!saleIsOver(e.status) && <QueuePanel eventId={eventId} enabled={!!e.waitingRoom?.enabled} />}
      </div>
      <section className="mt-6 rounded-2xl border border-slate-200 bg-white p-4 shadow-sm sm:p-5" aria-labelledby="by-section-h">
        <h2 id="by-section-h" className="mb-3 text-lg font-semibold">
          By section
        </h2>
        {seats.isLoading ? <Spinner /> : rows.length ? <SalesChart rows={rows} /> : <p className="text-sm text-slate-600">No seats laid out yet.</p>}
        {rows.length > 0 && (
          <div className="mt-4">
            <table className="w-full text-sm">
              <caption className="sr-only">Seats and revenue by section</caption>
              <thead className="text-left text-[11px] uppercase text-slate-600 sm:text-xs sm:tracking-wide">
                <tr>
                  <th scope="col" className="py-2 pr-2">Section</th>
                  <th scope="col" className="px-1 text-right">Sold</th>
                  <th scope="col" className="px-1 text-right">Held</th>
                  <th scope="col" className="px-1 text-right">
                    <span className="sm:hidden">Avail.</span>
                    <span className="hidden sm:inline">Available</span>
                  </th>
                  <th scope="col" className="px-1 text-right">Total</th>
                  <th scope="col" className="pl-1 text-right">Revenue</th>
                </tr>
              </thead>
              <tbody className="tabular-nums">
                {rows.map((r) => {
                  const live = a?.sections.find((s) => s.section === r.section);
                  return (
                    <tr key={r.section} className="border-t border-slate-100">
                      <td className="py-1.5 font-medium">{r.section}</td>
                      <td className="text-right">{r.sold}</td>
                      <td className="text-right">{r.held}</td>
                      <td className="text-right">{live?.available ?? r.available}</td>
                      <td className="text-right">{r.total}</td>
                      <td className="text-right">{money(r.revenue / 100)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        <p className="mt-3 text-xs text-slate-600">Totals from the live availability, refreshed every 5 s; per-section counts from the seat map.</p>
      </section>
    </div>
  );
}
