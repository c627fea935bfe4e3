import { describe, expect, it } from 'vitest';
import { bookedSeats, fanLimit } from './limit';
import type { Booking } from '../api/types';

const booking = (eventId: string, status: Booking['status'], n: number): Booking => ({
  bookingId: `${eventId}-${status}-${n}`,
  bookingReference: 'R',
  eventId,
  userId: 'u',
  seats: Array.from({ length: n }, (_, i) => ({ seatId: `s${i}`, seatNumber: `A-1-${i + 1}`, section: 'A', rowNumber: 1, price: 10, reservationId: `r${i}` })),
  totalAmount: n * 10,
  currency: 'USD',
  status,
  paymentId: null,
  paymentStatus: 'SUCCESS',
  createdAt: '2026-01-01T00:00:00Z',
  confirmedAt: null,
});

describe('the per-buyer limit', () => {
  it('counts only the confirmed seats of this event', () => {
    const list = [booking('e1', 'CONFIRMED', 2), booking('e1', 'FAILED', 3), booking('e1', 'CANCELLED', 1), booking('e2', 'CONFIRMED', 4)];
    expect(bookedSeats(list, 'e1')).toBe(2);
    expect(bookedSeats(undefined, 'e1')).toBe(0);
  });
  it('tells what the fan may still take', () => {
    expect(fanLimit(4, 2, 10)).toEqual({ cap: 4, booked: 2, canTake: 2 });
    expect(fanLimit(4, 4, 10).canTake).toBe(0);
    expect(fanLimit(4, 6, 10).canTake).toBe(0);
    expect(fanLimit(null, 3, 10)).toEqual({ cap: null, booked: 3, canTake: 10 });
    expect(fanLimit(20, 0, 10).canTake).toBe(10);
  });
});
