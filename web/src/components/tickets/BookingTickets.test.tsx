import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setSession } from '../../api/client';
import type { Ticket } from '../../api/tickets';
import { fakeJwt, jsonResponse } from '../../test/fixtures';
import { when } from '../../lib/format';
import { BookingTickets, ticketStatusLine } from './BookingTickets';

const ticket = (id: string, seatNumber: string, over: Partial<Ticket> = {}): Ticket => ({
  ticketId: id,
  bookingId: 'b1',
  eventId: 'e1',
  seatNumber,
  section: 'A',
  rowNumber: 1,
  code: `TK1.${id}.sig`,
  status: 'VALID',
  usedAt: null,
  gate: null,
  ...over,
});
const seats = [
  { seatId: 's1', seatNumber: 'A-1-1', section: 'A', rowNumber: 1, price: 10 },
  { seatId: 's2', seatNumber: 'A-1-2', section: 'A', rowNumber: 1, price: 10 },
  { seatId: 's3', seatNumber: 'A-1-3', section: 'A', rowNumber: 1, price: 10 },
];

function setup(tickets: Ticket[] | Response) {
  const calls: { url: string; headers: Record<string, string> }[] = [];
  const fetchMock = vi.fn(async (url: string, init: RequestInit = {}) => {
    calls.push({ url, headers: (init.headers ?? {}) as Record<string, string> });
    if (url === '/api/bookings/b1/tickets') return tickets instanceof Response ? tickets : jsonResponse(200, { tickets });
    if (url.endsWith('/qr')) return new Response(new Blob(['png'], { type: 'image/png' }), { status: 200, headers: { 'Content-Type': 'image/png' } });
    if (url.endsWith('/pdf')) return new Response(new Blob(['%PDF'], { type: 'application/pdf' }), { status: 200, headers: { 'Content-Type': 'application/pdf' } });
    return jsonResponse(404, { error: 'NOT_FOUND', message: 'not found' });
  });
  vi.stubGlobal('fetch', fetchMock);
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const view = render(
    <QueryClientProvider client={qc}>
      <BookingTickets bookingId="b1" seats={seats} fileStem="ticket-REF1" />
    </QueryClientProvider>,
  );
  return { calls, ...view };
}

describe('a booking’s tickets', () => {
  let n = 0;
  const created: string[] = [];
  const revoked: string[] = [];
  beforeEach(() => {
    setSession({ accessToken: fakeJwt(), refreshToken: 'r', user: { userId: 'u1', email: 'a@b.c', name: 'A', role: 'USER' } });
    created.length = 0;
    revoked.length = 0;
    // jsdom has no object URLs: count the ones made and let go.
    URL.createObjectURL = vi.fn(() => {
      const u = `blob:test/${++n}`;
      created.push(u);
      return u;
    });
    URL.revokeObjectURL = vi.fn((u: string) => void revoked.push(u));
  });
  afterEach(() => {
    setSession(null);
    vi.unstubAllGlobals();
    // @ts-expect-error put back as jsdom has it: absent
    delete URL.createObjectURL;
    // @ts-expect-error as above
    delete URL.revokeObjectURL;
  });

  it('lists each ticket with its seat, status and, when it can still be used, its QR code fetched with the token', async () => {
    const { calls, unmount } = setup([
      ticket('t1', 'A-1-1'),
      ticket('t2', 'A-1-2', { status: 'USED', usedAt: '2026-12-05T19:02:00Z', gate: 'North 2' }),
      ticket('t3', 'A-1-3', { status: 'REVOKED' }),
    ]);
    const items = await screen.findAllByTestId('ticket');
    expect(items).toHaveLength(3);

    const [valid, used, revokedCard] = items;
    expect(within(valid).getByText('A · row 1 · seat 1')).toBeInTheDocument();
    expect(within(valid).getByText('Valid')).toBeInTheDocument();
    const qr = await within(valid).findByRole('img', { name: 'QR code of the ticket for A · row 1 · seat 1' });
    expect(qr.getAttribute('src')).toMatch(/^blob:test\//);

    expect(within(used).getByText('Used')).toBeInTheDocument();
    expect(within(used).getByTestId('ticket-status-line')).toHaveTextContent(`Used: scanned ${when('2026-12-05T19:02:00Z')} at gate North 2.`);
    await within(used).findByRole('img', { name: /QR code of the ticket for A · row 1 · seat 2/ });

    // A revoked ticket says so and offers neither a QR code nor a PDF.
    expect(within(revokedCard).getByText('Revoked')).toBeInTheDocument();
    expect(within(revokedCard).getByTestId('ticket-status-line')).toHaveTextContent(/no longer gets anyone in/);
    expect(within(revokedCard).queryByRole('img', { name: /QR code/ })).not.toBeInTheDocument();
    expect(within(revokedCard).queryByRole('button', { name: /Download PDF/ })).not.toBeInTheDocument();
    expect(calls.some((c) => c.url === '/api/tickets/t3/qr')).toBe(false);

    const qrCall = calls.find((c) => c.url === '/api/tickets/t1/qr')!;
    expect(qrCall.headers.Authorization).toMatch(/^Bearer /);
    expect(qrCall.headers.Accept).toBe('image/png');

    // The object URLs go when the tickets are no longer shown.
    unmount();
    expect(created.length).toBeGreaterThanOrEqual(2);
    expect([...revoked].sort()).toEqual([...created].sort());
  });

  it('downloads the PDF with the token and hands it to the browser as a file', async () => {
    const clicks: { href: string; download: string }[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicks.push({ href: this.href, download: this.download });
    });
    const { calls } = setup([ticket('t1', 'A-1-1')]);
    await userEvent.click(await screen.findByRole('button', { name: 'Download PDF of the ticket for A · row 1 · seat 1' }));
    await waitFor(() => expect(clicks).toHaveLength(1));
    expect(clicks[0].download).toBe('ticket-REF1-A-1-1.pdf');
    expect(clicks[0].href).toMatch(/^blob:test\//);
    const pdf = calls.find((c) => c.url === '/api/tickets/t1/pdf')!;
    expect(pdf.headers.Authorization).toMatch(/^Bearer /);
    expect(pdf.headers.Accept).toBe('application/pdf');
    click.mockRestore();
  });

  it('says tickets come with confirmation for a booking that has none yet', async () => {
    setup(jsonResponse(409, { error: 'INVALID_STATE_TRANSITION', message: 'booking is PENDING' }));
    expect(await screen.findByText('Tickets are issued once the booking is confirmed.')).toBeInTheDocument();
  });

  it('words each status', () => {
    expect(ticketStatusLine({ status: 'VALID', usedAt: null, gate: null })).toMatch(/^Show this QR code/);
    expect(ticketStatusLine({ status: 'USED', usedAt: null, gate: 'A' })).toBe('Used: scanned already at gate A.');
    expect(ticketStatusLine({ status: 'REVOKED', usedAt: null, gate: null })).toMatch(/^Revoked/);
  });
});
