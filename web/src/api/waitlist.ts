// The waitlist of a sold-out event (shared/API.md §14). Written by hand from the contract while the
// server's OpenAPI document does not describe it yet; to be replaced by the generated types (schema.ts).
import { api } from './client';

export type WaitlistStatus = 'WAITING' | 'OFFERED' | 'FULFILLED' | 'EXPIRED' | 'CANCELLED';
export interface WaitlistOffer {
  /** Ordinary ACTIVE holds of the fan: bought with POST /api/bookings/confirm as usual. */
  reservationIds: string[];
  expiresAt: string;
}
export interface WaitlistEntry {
  entryId: string;
  eventId: string;
  quantity: number;
  section: string | null;
  status: WaitlistStatus;
  /** Place in line, from 1. */
  position: number | null;
  offer: WaitlistOffer | null;
  createdAt: string;
}
export interface JoinWaitlistRequest {
  quantity: number;
  section?: string;
}

export const WAITLIST_MAX = 10;
/** The entries that still hold the fan's place (joining again is refused or returns them). */
export const isOpenEntry = (e: Pick<WaitlistEntry, 'status'>) => e.status === 'WAITING' || e.status === 'OFFERED';

export const joinWaitlist = (eventId: string, req: JoinWaitlistRequest) =>
  api<WaitlistEntry>(`/api/events/${encodeURIComponent(eventId)}/waitlist`, { method: 'POST', body: req });
export const myWaitlist = () => api<{ entries: WaitlistEntry[] }>('/api/waitlist/me');
export const leaveWaitlist = (entryId: string) => api<void>(`/api/waitlist/${encodeURIComponent(entryId)}`, { method: 'DELETE' });
