// The fan's current hold (reservations waiting for payment), kept in sessionStorage so a reload
// or a token refresh never loses it. The idempotency key is created once, with the checkout.
import { useSyncExternalStore } from 'react';
import type { ReserveResponse } from '../api/types';
import { newIdempotencyKey } from './format';

export interface Hold extends ReserveResponse {
  eventId: string;
  eventName: string;
  currency: string;
  /** One key per checkout: every retry and double click of "Pay" sends this same key. */
  idempotencyKey: string;
}
const KEY = 'ticketing.hold';
let current: Hold | null = read();
const subs = new Set<() => void>();

function read(): Hold | null {
  try {
    const raw = globalThis.sessionStorage?.getItem(KEY);
    return raw ? (JSON.parse(raw) as Hold) : null;
  } catch {
    return null;
  }
}
export function getHold(): Hold | null {
  return current;
}
export function startHold(r: ReserveResponse, eventId: string, eventName: string, currency = 'USD'): Hold {
  const h: Hold = { ...r, eventId, eventName, currency, idempotencyKey: newIdempotencyKey() };
  write(h);
  return h;
}
export function clearHold(): void {
  write(null);
}
function write(h: Hold | null) {
  current = h;
  try {
    if (h) sessionStorage.setItem(KEY, JSON.stringify(h));
    else sessionStorage.removeItem(KEY);
  } catch {
    /* memory only */
  }
  subs.forEach((f) => f());
}
export function useHold(): Hold | null {
  return useSyncExternalStore(
    (f) => {
      subs.add(f);
      return () => subs.delete(f);
    },
    () => current,
    () => current,
  );
}

/** A new key, only after the server refused the request before acting on it (400) or bound the old key to other card details (422). */
export function rotateIdempotencyKey(): string | null {
  if (!current) return null;
  write({ ...current, idempotencyKey: newIdempotencyKey() });
  return current.idempotencyKey;
}
