// Tickets and check-in (shared/API.md §13). Written by hand from the contract while the server's
// OpenAPI document does not describe them yet; to be replaced by the generated types (schema.ts).
import { api, apiBlob } from './client';

export type TicketStatus = 'VALID' | 'USED' | 'REVOKED';
export interface Ticket {
  ticketId: string;
  bookingId: string;
  eventId: string;
  seatNumber: string;
  /** Sent by the server beside the contract's fields; read when there. */
  section?: string;
  rowNumber?: number;
  /** The signed token the QR code carries (what a scanner reads or a gate types in). */
  code: string;
  status: TicketStatus;
  usedAt: string | null;
  gate: string | null;
}
export interface TicketList {
  tickets: Ticket[];
}

export type ScanResult = 'ADMITTED' | 'ALREADY_USED' | 'REVOKED' | 'WRONG_EVENT' | 'INVALID';
export const SCAN_RESULTS: ScanResult[] = ['ADMITTED', 'ALREADY_USED', 'REVOKED', 'WRONG_EVENT', 'INVALID'];
export interface ScanRequest {
  code: string;
  gate: string;
}
/** `usedAt` and `gate`: when ADMITTED, this scan's; when ALREADY_USED, the first scan's. */
export interface ScanResponse {
  result: ScanResult;
  ticketId?: string | null;
  seatNumber?: string | null;
  usedAt?: string | null;
  gate?: string | null;
}
export interface CheckinCounts {
  eventId: string;
  expected: number;
  admitted: number;
}

/** For a gate that may lose the network: every ticket of the event and the key to verify codes. */
export interface CheckinTicketList {
  eventId: string;
  publicKey: string;
  tickets: { ticketId: string; seatNumber: string; status: TicketStatus; usedAt: string | null; gate: string | null }[];
}
export interface BatchScan {
  code: string;
  scannedAt: string;
}
export interface BatchScanResult extends ScanResponse {
  code: string;
  /** The ticket was admitted elsewhere before this offline scan reached the server. */
  conflict?: boolean | null;
}

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
