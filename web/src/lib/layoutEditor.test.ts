import { describe, expect, it } from 'vitest';
import { fromSeats, previewSeats, toLayout, type DraftSection } from './layoutEditor';

const d = (over: Partial<DraftSection>): DraftSection => ({ key: 'k', section: 'A', seatType: 'REGULAR', price: '50.00', rows: '2', seatsPerRow: '3', ...over });

describe('layout editor', () => {
  it('turns sections into the API layout', () => {
    const r = toLayout([d({}), d({ key: 'k2', section: 'B', seatType: 'VIP', price: '120.5', seatsPerRow: '4, 5, 6' })]);
    expect(r.error).toBeUndefined();
    expect(r.layout).toEqual({
      sections: [
        { section: 'A', seatType: 'REGULAR', price: 50, rows: [{ rowNumber: 1, seats: 3 }, { rowNumber: 2, seats: 3 }] },
        { section: 'B', seatType: 'VIP', price: 120.5, rows: [{ rowNumber: 1, seats: 4 }, { rowNumber: 2, seats: 5 }, { rowNumber: 3, seats: 6 }] },
      ],
    });
  });

  it('names the problem in a draft', () => {
    expect(toLayout([]).error).toMatch(/at least one section/);
    expect(toLayout([d({}), d({ key: 'x' })]).error).toMatch(/Two sections are called A/);
    expect(toLayout([d({ price: '12.345' })]).error).toMatch(/two decimals/);
    expect(toLayout([d({ rows: '0' })]).error).toMatch(/rows/);
  });

  it('previews the seats and reads an existing layout back', () => {
    const seats = previewSeats([d({ seatsPerRow: '2, 4' })]);
    expect(seats.map((s) => s.seatNumber)).toEqual(['A-1-1', 'A-1-2', 'A-2-1', 'A-2-2', 'A-2-3', 'A-2-4']);
    const back = fromSeats(seats);
    expect(back[0]).toMatchObject({ section: 'A', rows: '2', seatsPerRow: '2, 4', price: '50.00' });
  });
});
