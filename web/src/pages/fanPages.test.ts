import { afterEach, describe, expect, it, vi } from 'vitest';
import { splitBookings } from './MyBookingsPage';
import { bookingWords } from './ConfirmationPage';
import { ApiError, errorMessage } from '../api/client';
import { searchPublic } from '../api/endpoints';
import type { Booking } from '../api/types';
import { jsonResponse } from '../test/fixtures';

const b = (id: string, status: Booking['status'], paymentStatus: Booking['paymentStatus'] = 'SUCCESS'): Booking => ({
  bookingId: id,
  bookingReference: id.toUpperCase(),
  eventId: 'e1',
  userId: 'u1',
  seats: [],
  totalAmount: 110,
  currency: 'USD',
  status,
  paymentId: null,
  paymentStatus,
  createdAt: '2026-01-01T00:00:00Z',
  confirmedAt: null,
});

afterEach(() => vi.unstubAllGlobals());

describe('the fan pages', () => {
  it('lists real bookings first and keeps declined attempts apart', () => {
    const { real, failed } = splitBookings([b('f1', 'FAILED'), b('c1', 'CANCELLED'), b('ok1', 'CONFIRMED'), b('f2', 'FAILED'), b('ok2', 'CONFIRMED')]);
    expect(real.map((x) => x.bookingId)).toEqual(['ok1', 'ok2', 'c1']);
    expect(failed.map((x) => x.bookingId)).toEqual(['f1', 'f2']);
  });

  it('never says "paid" for a booking that was not', () => {
    expect(bookingWords(b('x', 'CONFIRMED', 'SUCCESS')).totalLabel).toBe('Total paid');
    for (const w of [bookingWords(b('x', 'FAILED', 'FAILED')), bookingWords(b('x', 'FAILED', 'REFUNDED')), bookingWords(b('x', 'CANCELLED', 'REFUNDED')), bookingWords(b('x', 'PENDING'))])
      expect(`${w.title} ${w.detail} ${w.totalLabel}`).not.toMatch(/\bpaid\b/i);
    expect(bookingWords(b('x', 'FAILED', 'FAILED')).detail).toMatch(/Payment declined, nothing charged/);
  });

  it('words the per-buyer limit as a sentence with what is left', () => {
    const e = new ApiError(409, 'TICKET_LIMIT_EXCEEDED', 'ticket limit exceeded', { limit: 4, held: 2 });
    expect(errorMessage(e)).toBe('This event allows at most 4 tickets per fan, and you already have 2: you can take 2 more.');
  });

  it('leaves cancelled and completed events out of the public list unless asked for', async () => {
    const page = (n: number) => ({ number: 0, size: 12, totalElements: n, totalPages: 1 });
    const r = (id: string, status: string) => ({ eventId: id, eventName: id, category: 'CONCERT', city: 'Lisbon', venueName: 'V', eventDate: '2026-01-01T00:00:00Z', status, minPrice: 1, maxPrice: 2, availableSeats: 1, totalSeats: 1, availability: 'AVAILABLE' });
    const fetchMock = vi.fn(async (url: string) => {
      if (url.includes('status=CANCELLED')) return jsonResponse(200, { results: [r('c', 'CANCELLED')], page: page(1), facets: { city: [{ value: 'Lisbon', count: 1 }], category: [] } });
      if (url.includes('status=COMPLETED')) return jsonResponse(200, { results: [], page: page(0), facets: { city: [], category: [] } });
      return jsonResponse(200, { results: [r('a', 'ON_SALE'), r('c', 'CANCELLED')], page: page(2), facets: { city: [{ value: 'Lisbon', count: 2 }], category: [] } });
    });
    vi.stubGlobal('fetch', fetchMock);
    const res = await searchPublic({ q: 'Lisbon', size: 12 });
    expect(res.results.map((x) => x.eventId)).toEqual(['a']);
    expect(res.page.totalElements).toBe(1);
    expect(res.facets.city).toEqual([{ value: 'Lisbon', count: 1 }]);
    expect(res.hiddenCount).toBe(1);
    // The text goes to the server as typed: the client does not match it itself.
    expect(String(fetchMock.mock.calls[0][0])).toContain('/api/search?q=Lisbon');
    fetchMock.mockClear();
    const asked = await searchPublic({ status: 'CANCELLED' });
    expect(asked.results.map((x) => x.eventId)).toEqual(['c']);
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});
