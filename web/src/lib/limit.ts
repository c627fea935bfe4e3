// The per-buyer limit (§12) as the fan sees it: how many more seats they may still take for an event.
import type { Booking } from '../api/types';

/** Seats of the fan's CONFIRMED bookings for this event (cancelled and failed ones do not count). */
export function bookedSeats(bookings: readonly Booking[] | undefined, eventId: string): number {
  if (!bookings) return 0;
  return bookings.filter((b) => b.eventId === eventId && b.status === 'CONFIRMED').reduce((n, b) => n + b.seats.length, 0);
}

export interface FanLimit {
  /** The event's cap per fan, or null when there is none beyond the per-request maximum. */
  cap: number | null;
  /** Seats already booked by the fan for this event. */
  booked: number;
  /** How many more the fan may pick now (never more than the per-request maximum). */
  canTake: number;
}

export function fanLimit(maxTicketsPerUser: number | null | undefined, booked: number, perRequest: number): FanLimit {
  const cap = maxTicketsPerUser ?? null;
  const left = cap === null ? perRequest : Math.max(0, cap - booked);
  return { cap, booked, canTake: Math.min(perRequest, left) };
}
