// Check-in without the network (optional, §13): the gate downloads the event's tickets and the
// platform's public key beforehand; while offline, a code is checked on the device (its Ed25519
// signature, its event, the ticket's status in the list, the scans made here) and the admitted scans
// are queued in localStorage, to be sent with the batch endpoint once the network is back. The server
// has the last word: a ticket admitted elsewhere in the meantime comes back as a conflict.
import type { CheckinTicketList, ScanResponse } from '../api/tickets';

export interface OfflineList {
  eventId: string;
  publicKey: string;
  tickets: CheckinTicketList['tickets'];
  /** When this device downloaded it (ISO). */
  fetchedAt: string;
}
export interface QueuedScan {
  code: string;
  scannedAt: string;
  gate: string;
  ticketId: string;
  seatNumber: string;
}
export interface Claims {
  t: string;
  e: string;
  s: string;
}

const listKey = (eventId: string) => `ticketing.checkin.offline.${eventId}`;
const queueKey = (eventId: string) => `ticketing.checkin.queue.${eventId}`;

function read<T>(key: string): T | null {
  try {
    const raw = localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}
function write(key: string, value: unknown) {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
  } catch {
    /* storage full or off: the caller still has the value in memory */
  }
}

export const loadList = (eventId: string) => read<OfflineList>(listKey(eventId));
export const saveList = (list: OfflineList) => write(listKey(list.eventId), list);
export const loadQueue = (eventId: string) => read<QueuedScan[]>(queueKey(eventId)) ?? [];
export const saveQueue = (eventId: string, q: QueuedScan[]) => write(queueKey(eventId), q.length ? q : null);

function fromBase64(s: string, url: boolean): Uint8Array<ArrayBuffer> | null {
  try {
    let b = url ? s.replace(/-/g, '+').replace(/_/g, '/') : s;
    while (b.length % 4) b += '=';
    const bin = atob(b);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/** `TK1.<payload>.<signature>` (base64url): the claims and the bytes to verify, or null if malformed. */
export function parseCode(code: string): { claims: Claims; payload: Uint8Array<ArrayBuffer>; signature: Uint8Array<ArrayBuffer> } | null {
  const parts = code.trim().split('.');
  if (parts.length !== 3 || parts[0] !== 'TK1') return null;
  const payload = fromBase64(parts[1], true);
  const signature = fromBase64(parts[2], true);
  if (!payload || !signature || signature.length !== 64) return null;
  try {
    const claims = JSON.parse(new TextDecoder().decode(payload)) as Partial<Claims>;
    if (typeof claims.t !== 'string' || typeof claims.e !== 'string' || typeof claims.s !== 'string') return null;
    return { claims: claims as Claims, payload, signature };
  } catch {
    return null;
  }
}

/** 'valid' or 'invalid' by the platform's key; 'unverifiable' where the browser has no Ed25519. */
export async function verifySignature(payload: Uint8Array<ArrayBuffer>, signature: Uint8Array<ArrayBuffer>, publicKeyB64: string): Promise<'valid' | 'invalid' | 'unverifiable'> {
  const raw = fromBase64(publicKeyB64, false);
  if (!raw || raw.length !== 32) return 'unverifiable';
  let key: CryptoKey;
  try {
    key = await crypto.subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']);
  } catch {
    return 'unverifiable';
  }
  try {
    return (await crypto.subtle.verify({ name: 'Ed25519' }, key, signature, payload)) ? 'valid' : 'invalid';
  } catch {
    return 'invalid';
  }
}

export type OfflineAnswer = ScanResponse & { verified: boolean; claims?: Claims };

/**
 * The answer the device gives without the server. Without Ed25519 in the browser, only codes of
 * tickets in the downloaded list are accepted (a code cannot be checked otherwise).
 */
export async function checkOffline(code: string, eventId: string, list: OfflineList, queue: readonly QueuedScan[]): Promise<OfflineAnswer> {
  const parsed = parseCode(code);
  if (!parsed) return { result: 'INVALID', verified: false };
  const { claims } = parsed;
  const sig = await verifySignature(parsed.payload, parsed.signature, list.publicKey);
  if (sig === 'invalid') return { result: 'INVALID', verified: true };
  const verified = sig === 'valid';
  const listed = list.tickets.find((t) => t.ticketId === claims.t);
  if (claims.e !== eventId) return verified ? { result: 'WRONG_EVENT', verified, claims } : { result: 'INVALID', verified, claims };
  if (listed && listed.seatNumber !== claims.s) return { result: 'INVALID', verified, claims };
  // Not in the list: a ticket bought after the download, taken on the strength of its signature alone.
  if (!listed && !verified) return { result: 'INVALID', verified, claims };
  const base = { ticketId: claims.t, seatNumber: claims.s, verified, claims };
  if (listed?.status === 'REVOKED') return { ...base, result: 'REVOKED' };
  if (listed?.status === 'USED') return { ...base, result: 'ALREADY_USED', usedAt: listed.usedAt, gate: listed.gate };
  const here = queue.find((q) => q.ticketId === claims.t);
  if (here) return { ...base, result: 'ALREADY_USED', usedAt: here.scannedAt, gate: here.gate };
  return { ...base, result: 'ADMITTED' };
}

/** The queue by gate (the batch endpoint takes one gate a call), in the order scanned. */
export function byGate(queue: readonly QueuedScan[]): Map<string, QueuedScan[]> {
  const m = new Map<string, QueuedScan[]>();
  for (const q of queue) m.set(q.gate, [...(m.get(q.gate) ?? []), q]);
  return m;
}
