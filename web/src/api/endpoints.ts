import { api, qs } from './client';
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

// ---- search (the server's rules only: /api/search) -------------------------------------------------

/** Day boundaries in UTC, RFC 3339, from the yyyy-mm-dd of a date input. */
export function dayStart(d?: string) {
  return d ? `${d}T00:00:00Z` : undefined;
}
export function dayEnd(d?: string) {
  return d ? `${d}T23:59:59Z` : undefined;
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

// ---- waiting room: the organizer's controls -----------------------------------------------------

export const getQueueRoom = (eventId: string) =>
  api<import('./types').QueueRoom>(`/api/queue/events/${encodeURIComponent(eventId)}`);
export const setQueueControls = (eventId: string, controls: import('./types').QueueControls) =>
  api<import('./types').QueueRoom>(`/api/queue/events/${encodeURIComponent(eventId)}`, { method: 'PUT', body: controls });

// ---- the fans' search (added for the public home page) ---------------------------------------------

/** Statuses the public list leaves out unless the fan filters for them. */
export const HIDDEN_BY_DEFAULT: EventStatus[] = ['CANCELLED', 'COMPLETED'];

function subtractFacets(all: Facet[], ...minus: Facet[][]): Facet[] {
  const m = new Map(all.map((f) => [f.value, f.count]));
  for (const list of minus) for (const f of list) if (m.has(f.value)) m.set(f.value, (m.get(f.value) ?? 0) - f.count);
  return all.map((f) => ({ value: f.value, count: m.get(f.value) ?? 0 })).filter((f) => f.count > 0);
}

/**
 * GET /api/search as it is: the server alone decides what the text matches (name, description,
 * venue, city, tags); the client never filters the matches by text itself. Without a status filter,
 * cancelled and completed events are left out of the list, the count and the facets.
 */
export type PublicSearchResponse = SearchResponse & { hiddenCount?: number };
export async function searchPublic(p: SearchParams): Promise<PublicSearchResponse> {
  const call = (extra: Partial<SearchParams>) => {
    const q = { ...p, ...extra };
    return api<SearchResponse>(
      `/api/search${qs({
        q: q.q,
        city: q.city,
        category: q.category,
        dateFrom: dayStart(q.dateFrom),
        dateTo: dayEnd(q.dateTo),
        priceMin: q.priceMin,
        priceMax: q.priceMax,
        status: q.status,
        sort: q.sort,
        page: q.page,
        size: q.size,
      })}`,
      { auth: false },
    ).then((r) => ({ ...r, facets: { city: r.facets?.city ?? [], category: r.facets?.category ?? [] } }));
  };
  if (p.status) return call({});
  // The contract filters on one status at a time: count the hidden ones to take them out.
  const [all, ...hidden] = await Promise.all([call({}), ...HIDDEN_BY_DEFAULT.map((status) => call({ status, page: 0, size: 1 }))]);
  const hiddenCount = hidden.reduce((a, h) => a + h.page.totalElements, 0);
  if (hiddenCount === 0) return all;
  const total = Math.max(0, all.page.totalElements - hiddenCount);
  return {
    ...all,
    results: all.results.filter((r) => !HIDDEN_BY_DEFAULT.includes(r.status)),
    page: { ...all.page, totalElements: total, totalPages: Math.max(1, Math.ceil(total / (all.page.size || 1))) },
    facets: {
      city: subtractFacets(all.facets.city, ...hidden.map((h) => h.facets.city)),
      category: subtractFacets(all.facets.category, ...hidden.map((h) => h.facets.category)),
    },
    hiddenCount,
  };
}

// ---- one hold (a waitlist offer's seats are ordinary holds of the fan) ------------------------------

export const getReservation = (id: string) => api<Reservation>(`/api/inventory/reservations/${encodeURIComponent(id)}`);
