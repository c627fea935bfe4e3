// Tickets and check-in (shared/API.md §13): the calls, typed with the shapes generated from the
// server's OpenAPI document (schema.ts).
import { api, apiBlob } from './client';
import type { components } from './schema';

type Schemas = components['schemas'];

export type TicketStatus = Schemas['TicketStatus'];
export type Ticket = Schemas['TicketView'];
export type TicketList = Schemas['TicketList'];
export type ScanResult = Schemas['ScanResult'];
export const SCAN_RESULTS: ScanResult[] = ['ADMITTED', 'ALREADY_USED', 'REVOKED', 'WRONG_EVENT', 'INVALID'];
export type ScanRequest = Schemas['ScanInput'];
/** `usedAt` and `gate`: when ADMITTED, this scan's; when ALREADY_USED, the first scan's. */
export type ScanResponse = Schemas['ScanView'];
export type CheckinCounts = Schemas['CheckinCounts'];
/** For a gate that may lose the network: every ticket of the event and the key to verify codes. */
export type CheckinTicketList = Schemas['OfflineList'];
export type BatchScan = Schemas['OfflineScan'];
/** `conflict`: the ticket was admitted elsewhere before this offline scan reached the server. */
export type BatchScanResult = Schemas['BatchResult'];

const enc = encodeURIComponent;

export const getBookingTickets = (bookingId: string) => api<TicketList>(`/api/bookings/${enc(bookingId)}/tickets`);
export const getTicketQr = (ticketId: string, signal?: AbortSignal) => apiBlob(`/api/tickets/${enc(ticketId)}/qr`, 'image/png', { signal });
export const getTicketPdf = (ticketId: string) => apiBlob(`/api/tickets/${enc(ticketId)}/pdf`, 'application/pdf');

export const scanTicket = (eventId: string, req: ScanRequest) =>
  api<ScanResponse>(`/api/checkin/events/${enc(eventId)}/scans`, { method: 'POST', body: req });
export const getCheckinCounts = (eventId: string) => api<CheckinCounts>(`/api/checkin/events/${enc(eventId)}`);
export const grantScanner = (eventId: string, userId: string) =>
  api<void>(`/api/checkin/events/${enc(eventId)}/scanners/${enc(userId)}`, { method: 'PUT' });
export const getCheckinTickets = (eventId: string) => api<CheckinTicketList>(`/api/checkin/events/${enc(eventId)}/tickets`);
export const scanBatch = (eventId: string, gate: string, scans: BatchScan[]) =>
  api<{ results: BatchScanResult[] }>(`/api/checkin/events/${enc(eventId)}/scans/batch`, { method: 'POST', body: { gate, scans } });
