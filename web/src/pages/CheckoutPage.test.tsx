import { cleanup, render, screen } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setSession } from '../api/client';
import type { Reservation } from '../api/types';
import { clearHold, getHold, startHold } from '../lib/hold';
import { fakeJwt, jsonResponse } from '../test/fixtures';
import { CheckoutPage, loadHeldReservations, requestedReservations } from './CheckoutPage';

const inTen = () => new Date(Date.now() + 600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const res = (id: string, seat: number, over: Partial<Reservation> = {}): Reservation => ({
  reservationId: id,
  eventId: 'e1',
  seatId: `s${seat}`,
  seatNumber: `A-1-${seat}`,
  section: 'A',
  rowNumber: 1,
  price: 45.5,
  status: 'ACTIVE',
  expiresAt: inTen(),
  ...over,
});

function serve(byId: Record<string, Reservation>) {
  const calls: string[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit = {}) => {
      calls.push(`${init.method ?? 'GET'} ${url}`);
      const m = /^\/api\/inventory\/reservations\/([^/]+)$/.exec(url);
      if (m && byId[m[1]]) return jsonResponse(200, byId[m[1]]);
      if (url === '/api/events/e1') return jsonResponse(200, { eventId: 'e1', eventName: 'Jazz Night' });
      if (url === '/api/inventory/reservations/cancel') return jsonResponse(200, { cancelled: 1 });
      return jsonResponse(404, { error: 'NOT_FOUND', message: 'not found' });
    }),
  );
  return calls;
}

function Where() {
  const l = useLocation();
  return <p data-testid="where">{l.pathname + l.search}</p>;
}
function renderAt(url: string) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={qc}>
      <MemoryRouter initialEntries={[url]}>
        <Routes>
          <Route
            path="/checkout"
            element={
              <>
                <CheckoutPage />
                <Where />
              </>
            }
          />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

describe('the checkout of seats held by a waitlist offer', () => {
  beforeEach(() => setSession({ accessToken: fakeJwt(), refreshToken: 'r', user: { userId: 'u1', email: 'a@b.c', name: 'A', role: 'USER' } }));
  afterEach(() => {
    cleanup();
    clearHold();
    setSession(null);
    vi.unstubAllGlobals();
  });

  it('reads the reservation ids from the address', () => {
    expect(requestedReservations(new URLSearchParams('reservations=r1,r2,r1,'))).toEqual(['r1', 'r2']);
    expect(requestedReservations(new URLSearchParams(''))).toEqual([]);
  });

  it('takes the offered holds as the checkout’s hold, with their total and deadline, and lets go of an older hold', async () => {
    startHold({ reservations: [res('old', 9)], expiresAt: inTen(), totalAmount: 45.5 }, 'e1', 'Jazz Night');
    const calls = serve({ r1: res('r1', 1), r2: res('r2', 2, { price: 30 }) });
    renderAt('/checkout?reservations=r1,r2');
    expect(await screen.findByRole('heading', { name: 'Checkout' })).toBeInTheDocument();
    expect(await screen.findByRole('button', { name: 'Pay $75.50' })).toBeInTheDocument();
    expect(screen.getByTestId('hold-countdown')).toHaveTextContent(/^Your seats are held for (9:5\d|10:00)/);
    expect(screen.getByTestId('where')).toHaveTextContent(/^\/checkout$/);
    const h = getHold()!;
    expect(h.reservations.map((r) => r.reservationId)).toEqual(['r1', 'r2']);
    expect(h.eventName).toBe('Jazz Night');
    expect(calls).toContain('POST /api/inventory/reservations/cancel');
  });

  it('says so when the offer is no longer held', async () => {
    serve({ r1: res('r1', 1, { status: 'EXPIRED' }) });
    renderAt('/checkout?reservations=r1');
    expect(await screen.findByRole('alert')).toHaveTextContent('These seats are no longer held for you');
    expect(screen.getByRole('link', { name: 'Back to my bookings and waitlist' })).toHaveAttribute('href', '/me/bookings');
    expect(getHold()).toBeNull();
  });

  it('throws for holds of different events', async () => {
    serve({ r1: res('r1', 1), r2: res('r2', 2, { eventId: 'e2' }) });
    await expect(loadHeldReservations(['r1', 'r2'])).rejects.toThrow(/not all for the same event/);
  });
});
