import { api, ApiError, qs } from './client';
import type {
  Availability,
  Booking,
  ConfirmRequest,
  EventInput,
  EventList,
  EventStatus,
  Facet,
  Layout,
  QueuePlace,
  Reservation,
  ReserveRequest,
  ReserveResponse,
  SearchParams,
  SearchResponse,
  SearchResult,
  SeatList,
  TicketEvent,
} from './types';

// ---- events -------------------------------------------------------------------------------------

export interface EventFilters {
  page?: number;
  size?: number;
  status?: string;
  category?: string;
  city?: string;
  dateFrom?: string;
  dateTo?: string;
}
export const listEvents = (f: EventFilters = {}) => api<EventList>(`/api/events${qs({ ...f })}`, { auth: false });
export const getEvent = (id: string) => api<TicketEvent>(`/api/events/${encodeURIComponent(id)}`, { auth: false });
export const createEvent = (e: EventInput) => api<TicketEvent>('/api/events', { method: 'POST', body: e });
export const updateEvent = (id: string, e: Partial<EventInput>) =>
  api<TicketEvent>(`/api/events/${encodeURIComponent(id)}`, { method: 'PUT', body: e });
export const setEventStatus = (id: string, status: EventStatus) =>
  api<TicketEvent>(`/api/events/${encodeURIComponent(id)}/status`, { method: 'PUT', body: { status } });
export const deleteEvent = (id: string) => api<void>(`/api/events/${encodeURIComponent(id)}`, { method: 'DELETE' });

// ---- search (with a fallback while /api/search is not deployed) ------------------------------------

/** Day boundaries in UTC, RFC 3339, from the yyyy-mm-dd of a date input. */
export function dayStart(d?: string) {
  return d ? `${d}T00:00:00Z` : undefined;
}
export function dayEnd(d?: string) {
  return d ? `${d}T23:59:59Z` : undefined;
}

function fold(s: string) {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
}

function countFacet(items: SearchResult[], key: 'city' | 'category'): Facet[] {
  const m = new Map<string, number>();
  for (const r of items) m.set(r[key], (m.get(r[key]) ?? 0) + 1);
  return [...m.entries()].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
}

export function toResult(e: TicketEvent): SearchResult {
  const ratio = e.totalSeats ? e.availableSeats / e.totalSeats : 0;
  return {
    eventId: e.eventId,
    eventName: e.eventName,
    description: e.description,
    category: e.category,
    city: e.city,
    venueName: e.venueName,
    eventDate: e.eventDate,
    status: e.status,
    minPrice: e.minPrice,
    maxPrice: e.maxPrice,
    availableSeats: e.availableSeats,
    totalSeats: e.totalSeats,
    availability: e.availableSeats <= 0 || e.status === 'SOLD_OUT' ? 'SOLD_OUT' : ratio < 0.1 ? 'LIMITED' : 'AVAILABLE',
  };
}

/** /api/events with the same filters, text and price applied here, facets counted here. */
export async function searchViaEvents(p: SearchParams): Promise<SearchResponse> {
  const size = p.size ?? 20;
  const page = p.page ?? 0;
  const list = await listEvents({
    size: 100,
    page: 0,
    status: p.status,
    dateFrom: dayStart(p.dateFrom),
    dateTo: dayEnd(p.dateTo),
  });
  const q = fold(p.q?.trim() ?? '');
  const min = p.priceMin ? Number(p.priceMin) : undefined;
  const max = p.priceMax ? Number(p.priceMax) : undefined;
  const base = list.events
    .filter((e) => {
      if (!q) return true;
      const hay = fold([e.eventName, e.description ?? '', e.venueName, e.city, e.category, ...(e.tags ?? [])].join(' '));
      return q.split(/\s+/).every((w) => hay.includes(w));
    })
    .filter((e) => (min === undefined || (e.maxPrice ?? 0) >= min) && (max === undefined || (e.minPrice ?? Infinity) <= max))
    .map(toResult);
  const matches = base
    .filter((r) => !p.city || fold(r.city) === fold(p.city))
    .filter((r) => !p.category || r.category === p.category);
  const sorted = [...matches];
  if (p.sort === 'date') sorted.sort((a, b) => a.eventDate.localeCompare(b.eventDate));
  if (p.sort === 'price_asc') sorted.sort((a, b) => (a.minPrice ?? 0) - (b.minPrice ?? 0));
  if (p.sort === 'price_desc') sorted.sort((a, b) => (b.maxPrice ?? 0) - (a.maxPrice ?? 0));
  return {
    results: sorted.slice(page * size, page * size + size),
    page: { number: page, size, totalElements: sorted.length, totalPages: Math.max(1, Math.ceil(sorted.length / size)) },
    facets: { city: countFacet(matches, 'city'), category: countFacet(matches, 'category') },
    fallback: true,
  };
}

let searchMissing = false;
export async function search(p: SearchParams): Promise<SearchResponse> {
  if (!searchMissing) {
    try {
      const r = await api<SearchResponse>(
        `/api/search${qs({
          q: p.q,
          city: p.city,
          category: p.category,
          dateFrom: dayStart(p.dateFrom),
          dateTo: dayEnd(p.dateTo),
          priceMin: p.priceMin,
          priceMax: p.priceMax,
          status: p.status,
          sort: p.sort,
          page: p.page,
          size: p.size,
        })}`,
        { auth: false },
      );
      return { ...r, facets: { city: r.facets?.city ?? [], category: r.facets?.category ?? [] } };
    } catch (e) {
      if (!(e instanceof ApiError) || (e.status !== 404 && e.status !== 405 && e.status !== 501)) throw e;
      searchMissing = true;
    }
  }
  return searchViaEvents(p);
}
/** For tests. */
export function resetSearchProbe() {
  searchMissing = false;
}

// ---- inventory ----------------------------------------------------------------------------------

export const getSeats = (eventId: string) =>
  api<SeatList>(`/api/inventory/events/${encodeURIComponent(eventId)}/seats`, { auth: false });
export const getAvailability = (eventId: string) =>
  api<Availability>(`/api/inventory/events/${encodeURIComponent(eventId)}/availability`, { auth: false });
export const putLayout = (eventId: string, layout: Layout) =>
  api<{ eventId: string; totalSeats: number }>(`/api/inventory/events/${encodeURIComponent(eventId)}/seats`, {
    method: 'PUT',
    body: layout,
  });
export const reserve = (r: ReserveRequest) => api<ReserveResponse>('/api/inventory/reservations', { method: 'POST', body: r });
export const myReservations = () => api<{ reservations: Reservation[] }>('/api/inventory/reservations/me');
export const cancelReservations = (reservationIds: string[]) =>
  api<{ cancelled: number }>('/api/inventory/reservations/cancel', { method: 'POST', body: { reservationIds } });

// ---- bookings -----------------------------------------------------------------------------------

export const confirmBooking = (req: ConfirmRequest, idempotencyKey: string) =>
  api<Booking>('/api/bookings/confirm', {
    method: 'POST',
    body: req,
    headers: { 'Idempotency-Key': idempotencyKey },
  });
export const myBookings = () => api<{ bookings: Booking[] }>('/api/bookings/me');
export const getBooking = (id: string) => api<Booking>(`/api/bookings/${encodeURIComponent(id)}`);
export const cancelBooking = (id: string) => api<Booking>(`/api/bookings/${encodeURIComponent(id)}/cancel`, { method: 'POST' });

// ---- waiting room -------------------------------------------------------------------------------

export const joinQueue = (eventId: string) =>
  api<QueuePlace>(`/api/queue/events/${encodeURIComponent(eventId)}/join`, { method: 'POST' });
export const myQueuePlace = (eventId: string) => api<QueuePlace>(`/api/queue/events/${encodeURIComponent(eventId)}/me`);
