import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/client';
import type { ScanResponse } from '../../api/tickets';
import { isRepeatSighting } from './CameraScanner';
import { gateTime, outcomeLine, scanWords, ScanResultView, type ScanOutcome } from './ScanResult';

const outcome = (response: ScanResponse, n = 1): ScanOutcome => ({ n, code: 'TK1.payload.signature123', at: '2026-12-05T19:02:11Z', source: 'typed', response });

describe('the answer at the gate', () => {
  it('says ADMITTED in green with the seat, and tells the gate to let them in', () => {
    render(<ScanResultView outcome={outcome({ result: 'ADMITTED', ticketId: 't1', seatNumber: 'A-1-3', usedAt: '2026-12-05T19:02:11Z', gate: 'A' })} />);
    const region = screen.getByRole('status');
    expect(region).toHaveAttribute('aria-live', 'polite');
    expect(screen.getByTestId('scan-result-title')).toHaveTextContent('Admitted');
    expect(region).toHaveTextContent('Seat A-1-3. Let them in.');
    expect(region.querySelector('[data-result="ADMITTED"]')).toHaveClass('bg-emerald-700');
  });

  it('says ALREADY_USED with the first scan’s time and gate, apart from the red refusals', () => {
    const usedAt = '2026-12-05T18:40:00Z';
    render(<ScanResultView outcome={outcome({ result: 'ALREADY_USED', ticketId: 't1', seatNumber: 'A-1-3', usedAt, gate: 'North 2' })} />);
    expect(screen.getByTestId('scan-result-title')).toHaveTextContent('Already used');
    const detail = screen.getByTestId('scan-result-detail');
    expect(detail).toHaveTextContent(`first scanned at ${gateTime(usedAt)} at gate North 2`);
    expect(detail).toHaveTextContent('Do not let them in.');
    const box = screen.getByRole('status').querySelector('[data-result="ALREADY_USED"]');
    expect(box).toHaveClass('bg-amber-300');
    expect(box).not.toHaveClass('bg-red-700');
  });

  it.each([
    ['REVOKED', 'Ticket revoked', /cancelled or refunded/],
    ['WRONG_EVENT', 'Wrong event', /for another event/],
    ['INVALID', 'Not a valid ticket', /forged, altered or mistyped/],
  ] as const)('says %s in red with a plain explanation', (result, title, why) => {
    render(<ScanResultView outcome={outcome({ result })} />);
    expect(screen.getByTestId('scan-result-title')).toHaveTextContent(title);
    expect(screen.getByTestId('scan-result-detail')).toHaveTextContent(why);
    expect(screen.getByTestId('scan-result-detail')).toHaveTextContent('Do not let them in.');
    expect(screen.getByRole('status').querySelector(`[data-result="${result}"]`)).toHaveClass('bg-red-700');
    expect(scanWords({ result }).admit).toBe(false);
  });

  it('never says a ticket was admitted when the server could not be reached', () => {
    render(<ScanResultView outcome={{ n: 2, code: 'x', at: '2026-12-05T19:02:11Z', source: 'typed', error: new ApiError(0, 'NETWORK', 'offline') }} />);
    expect(screen.getByTestId('scan-result-title')).toHaveTextContent('Not checked');
    expect(screen.getByRole('status')).toHaveTextContent('could not reach the server');
    expect(screen.getByRole('status')).not.toHaveTextContent(/Admitted/);
  });

  it('keeps the live region on the page before the first scan, and numbers each scan so a repeat is announced', () => {
    const { rerender } = render(<ScanResultView outcome={null} />);
    expect(screen.getByRole('status')).toHaveTextContent('the answer shows here');
    rerender(<ScanResultView outcome={outcome({ result: 'ALREADY_USED', gate: 'A', usedAt: '2026-12-05T19:00:00Z' }, 1)} />);
    const first = screen.getByRole('status').textContent;
    rerender(<ScanResultView outcome={outcome({ result: 'ALREADY_USED', gate: 'A', usedAt: '2026-12-05T19:00:00Z' }, 2)} />);
    expect(screen.getByRole('status').textContent).not.toBe(first);
    expect(screen.getByRole('status')).toHaveTextContent('Scan 2');
  });

  it('writes a line per scan for the recent list', () => {
    expect(outcomeLine(outcome({ result: 'ADMITTED', seatNumber: 'B-2-7' }))).toMatch(/Admitted · seat B-2-7$/);
  });

  it('gives the time alone today and the day too otherwise', () => {
    const now = new Date('2026-12-05T20:00:00');
    expect(gateTime('2026-12-05T19:02:11', now)).toMatch(/^\d{1,2}:02:11\sPM$/);
    expect(gateTime('2026-12-04T19:02:11', now)).toMatch(/^Dec 4, \d{1,2}:02:11\sPM$/);
    expect(gateTime(null)).toBe('an unknown time');
  });

  it('takes a code the camera keeps seeing as one sighting for 3 seconds', () => {
    expect(isRepeatSighting(null, 'a', 1000)).toBe(false);
    expect(isRepeatSighting({ code: 'a', at: 1000 }, 'a', 3999)).toBe(true);
    expect(isRepeatSighting({ code: 'a', at: 1000 }, 'a', 4000)).toBe(false);
    expect(isRepeatSighting({ code: 'a', at: 1000 }, 'b', 1001)).toBe(false);
  });
});
