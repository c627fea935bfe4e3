import { useState } from 'react';
import { render, screen, fireEvent, act } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Seat } from '../api/types';
import { SeatMap, seatLabel } from './SeatMap';
import { makeSeats } from '../test/fixtures';
import { computeLayout, priceBands, bandColour } from '../lib/seatLayout';

function Harness({ seats, max = 10, onToggleSpy }: { seats: Seat[]; max?: number; onToggleSpy?: (s: Seat) => void }) {
  const [sel, setSel] = useState<Set<string>>(new Set());
  return (
    <SeatMap
      seats={seats}
      selected={sel}
      maxSelect={max}
      onToggle={(s) => {
        onToggleSpy?.(s);
        setSel((prev) => {
          const next = new Set(prev);
          if (next.has(s.seatNumber)) next.delete(s.seatNumber);
          else if (next.size < max) next.add(s.seatNumber);
          return next;
        });
      }}
    />
  );
}

const seats = makeSeats([
  { section: 'A', rows: 2, perRow: 4, price: 100, seatType: 'VIP' },
  { section: 'B', rows: 3, perRow: 5, price: 50 },
]);

const seat = (n: string) => screen.getByRole('checkbox', { name: new RegExp(`^Section ${n.split('-')[0]}, row ${n.split('-')[1]}, seat ${n.split('-')[2]},`) });

describe('SeatMap', () => {
  it('labels every seat for screen readers, with section, row, number, price and status', () => {
    const withTaken = seats.map((s) => (s.seatNumber === 'B-1-2' ? { ...s, status: 'BOOKED' as const } : s));
    render(<Harness seats={withTaken} />);
    expect(screen.getAllByRole('checkbox')).toHaveLength(seats.length);
    expect(screen.getByRole('checkbox', { name: 'Section A, row 1, seat 1, vip, $100.00, available' })).toBeInTheDocument();
    expect(screen.getByRole('checkbox', { name: 'Section B, row 1, seat 2, $50.00, sold' })).toHaveAttribute('aria-disabled', 'true');
  });

  it('selects and deselects a seat with a click', async () => {
    render(<Harness seats={seats} />);
    const s = seat('A-1-2');
    fireEvent.click(s);
    expect(seat('A-1-2')).toHaveAttribute('aria-checked', 'true');
    fireEvent.click(seat('A-1-2'));
    expect(seat('A-1-2')).toHaveAttribute('aria-checked', 'false');
  });

  it('does not select a seat that is held or sold', () => {
    const spy = vi.fn();
    const taken = seats.map((s) => (s.seatNumber === 'A-1-1' ? { ...s, status: 'RESERVED' as const } : s));
    render(<Harness seats={taken} onToggleSpy={spy} />);
    fireEvent.click(seat('A-1-1'));
    expect(spy).not.toHaveBeenCalled();
    expect(seat('A-1-1')).toHaveAttribute('aria-checked', 'false');
    expect(screen.getByRole('status')).toHaveTextContent('cannot be selected');
  });

  it('moves with the arrow keys and selects with Enter and Space (roving tabindex)', () => {
    render(<Harness seats={seats} />);
    // Only one seat is in the tab order: the first one.
    const tabbable = screen.getAllByRole('checkbox').filter((e) => e.getAttribute('tabindex') === '0');
    expect(tabbable).toEqual([seat('A-1-1')]);
    act(() => (seat('A-1-1') as unknown as HTMLElement).focus());
    const key = (k: string) => fireEvent.keyDown(document.activeElement!, { key: k });
    key('ArrowRight');
    expect(document.activeElement).toBe(seat('A-1-2'));
    expect(seat('A-1-2')).toHaveAttribute('tabindex', '0');
    expect(seat('A-1-1')).toHaveAttribute('tabindex', '-1');
    key('Enter');
    expect(seat('A-1-2')).toHaveAttribute('aria-checked', 'true');
    key('ArrowDown');
    expect(document.activeElement).toBe(seat('A-2-2'));
    key(' ');
    expect(seat('A-2-2')).toHaveAttribute('aria-checked', 'true');
    key('PageDown');
    expect(document.activeElement).toBe(seat('B-1-1'));
    key('End');
    expect(document.activeElement).toBe(seat('B-1-5'));
    key('PageUp');
    expect(document.activeElement).toBe(seat('A-1-1'));
    key('Enter');
    expect(screen.getAllByRole('checkbox', { checked: true })).toHaveLength(3);
  });

  it('stops at the seat limit and says so', () => {
    const many = makeSeats([{ section: 'C', rows: 2, perRow: 8, price: 20 }]);
    render(<Harness seats={many} max={10} />);
    for (let i = 1; i <= 8; i++) fireEvent.click(seat(`C-1-${i}`));
    fireEvent.click(seat('C-2-1'));
    fireEvent.click(seat('C-2-2'));
    fireEvent.click(seat('C-2-3'));
    expect(screen.getAllByRole('checkbox', { checked: true })).toHaveLength(10);
    expect(seat('C-2-3')).toHaveAttribute('aria-checked', 'false');
    expect(screen.getByRole('status')).toHaveTextContent('up to 10 seats');
  });

  it('follows fresh statuses without losing its layout', () => {
    const { rerender } = render(<SeatMap seats={seats} selected={new Set()} onToggle={() => undefined} />);
    expect(seat('B-3-5')).toHaveAttribute('aria-disabled', 'false');
    const later = seats.map((s) => (s.seatNumber === 'B-3-5' ? { ...s, status: 'RESERVED' as const } : s));
    act(() => rerender(<SeatMap seats={later} selected={new Set()} onToggle={() => undefined} />));
    expect(seat('B-3-5')).toHaveAttribute('aria-disabled', 'true');
    expect(seat('B-3-5').getAttribute('fill')).toMatch(/^url\(#held-/);
  });

  it('shows a legend with price bands and statuses', () => {
    render(<Harness seats={seats} />);
    const legend = screen.getByRole('list', { name: 'Legend' });
    expect(legend).toHaveTextContent('$50.00');
    expect(legend).toHaveTextContent('$100.00');
    expect(legend).toHaveTextContent('Sold');
    expect(legend).toHaveTextContent('Your selection');
  });

  it('zooms in and back out to the whole venue', async () => {
    const user = userEvent.setup();
    const { container } = render(<Harness seats={seats} />);
    const svg = container.querySelector('svg[viewBox]')!;
    const before = svg.getAttribute('viewBox');
    await user.click(screen.getByRole('button', { name: 'Zoom in' }));
    expect(svg.getAttribute('viewBox')).not.toBe(before);
    await user.click(screen.getByRole('button', { name: 'Whole venue' }));
    expect(svg.getAttribute('viewBox')).toBe(before);
  });
});

describe('seat layout', () => {
  it('lays out the 5,600-seat arena quickly, every seat placed once', () => {
    const arena = makeSeats([
      { section: 'FLOOR-A', rows: 10, perRow: 20, price: 249 },
      { section: 'FLOOR-B', rows: 10, perRow: 20, price: 199 },
      ...['L101', 'L102', 'L103', 'L104'].map((s) => ({ section: s, rows: 20, perRow: 30, price: 129 })),
      ...['U201', 'U202', 'U203', 'U204'].map((s) => ({ section: s, rows: 20, perRow: 35, price: 49 })),
    ]);
    expect(arena).toHaveLength(5600);
    const t = performance.now();
    const layout = computeLayout(arena);
    expect(performance.now() - t).toBeLessThan(200);
    expect(layout.byNumber.size).toBe(5600);
    const spots = new Set([...layout.byNumber.values()].map((p) => `${p.x},${p.y}`));
    expect(spots.size).toBe(5600);
  });

  it('orders seats in a row by their number, not by the order of the list', () => {
    const shuffled = makeSeats([{ section: 'A', rows: 1, perRow: 12, price: 1 }]).reverse();
    const layout = computeLayout(shuffled);
    expect(layout.sections[0].rows[0].seats.map((p) => p.seat.seatNumber)).toEqual(Array.from({ length: 12 }, (_, i) => `A-1-${i + 1}`));
  });

  it('colours seats by price band, cheapest first', () => {
    const bands = priceBands(makeSeats([{ section: 'A', rows: 1, perRow: 1, price: 10 }, { section: 'B', rows: 1, perRow: 1, price: 90 }]));
    expect(bands).toHaveLength(2);
    expect(bandColour(bands, 10)).toBe(bands[0].colour);
    expect(bandColour(bands, 90)).toBe(bands[1].colour);
    expect(seatLabel(seats[0], true)).toMatch(/selected$/);
  });
});

describe('SeatMap: the fan\'s own hold', () => {
  it('names and draws the fan\'s held seats apart from anyone else\'s, and held apart from sold', () => {
    const list = makeSeats([{ section: 'A', rows: 1, perRow: 4, price: 50 }]).map((s, i) =>
      i === 0 ? { ...s, status: 'RESERVED' as const } : i === 1 ? { ...s, status: 'RESERVED' as const } : i === 2 ? { ...s, status: 'BOOKED' as const } : s,
    );
    render(<SeatMap seats={list} selected={new Set()} mine={new Set(['A-1-1'])} onToggle={() => undefined} />);
    const mineSeat = screen.getByRole('checkbox', { name: /seat 1,.*held by you$/ });
    const other = screen.getByRole('checkbox', { name: /seat 2,.*held by another fan$/ });
    const sold = screen.getByRole('checkbox', { name: /seat 3,.*sold$/ });
    expect(mineSeat.getAttribute('fill')).toMatch(/^url\(#mine-/);
    expect(other.getAttribute('fill')).toMatch(/^url\(#held-/);
    expect(sold.getAttribute('fill')).toMatch(/^url\(#sold-/);
    const legend = screen.getByRole('list', { name: 'Legend' });
    expect(legend).toHaveTextContent('Your hold');
    expect(legend).toHaveTextContent('Held by someone');
  });
});
