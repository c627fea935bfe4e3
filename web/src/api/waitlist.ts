// The waitlist of a sold-out event (shared/API.md §14): the calls, typed with the shapes generated
// from the server's OpenAPI document (schema.ts).
import { api } from './client';
import type { components } from './schema';

type Schemas = components['schemas'];

export type WaitlistStatus = Schemas['EntryStatus'];
export type WaitlistOffer = Schemas['Offer'];
export type WaitlistEntry = Schemas['EntryView'];
export type JoinWaitlistRequest = Schemas['JoinInput'];

export const WAITLIST_MAX = 10;
/** The entries that still hold the fan's place (joining again is refused or returns them). */
export const isOpenEntry = (e: Pick<WaitlistEntry, 'status'>) => e.status === 'WAITING' || e.status === 'OFFERED';

export const joinWaitlist = (eventId: string, req: JoinWaitlistRequest) =>
  api<WaitlistEntry>(`/api/events/${encodeURIComponent(eventId)}/waitlist`, { method: 'POST', body: req });
export const myWaitlist = () => api<Schemas['EntryList']>('/api/waitlist/me');
export const leaveWaitlist = (entryId: string) => api<void>(`/api/waitlist/${encodeURIComponent(entryId)}`, { method: 'DELETE' });
