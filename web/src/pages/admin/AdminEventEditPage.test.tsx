import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import AdminEventEditPage from './AdminEventEditPage';
import { jsonResponse, makeSeats } from '../../test/fixtures';
import type { TicketEvent } from '../../api/types';

const DAY = 86400_000;
const event = (over: Partial<TicketEvent> = {}): TicketEvent => ({
  eventId: 'e1',
  eventName: 'Jazz Night',
  description: '',
  category: 'CONCERT',
  venueName: 'Blue Note',
  city: 'Porto',
  eventDate: new Date(Date.now() + 30 * DAY).toISOString(),
  saleStartTime: new Date(Date.now() + DAY).toISOString(),
  saleEndTime: null,
  tags: [],
  imageUrl: null,
  status: 'UPCOMING',
  totalSeats: 0,
  availableSeats: 0,
  minPrice: null,
  maxPrice: null,
  maxTicketsPerUser: null,
  waitingRoom: { enabled: true, admitPerMinute: 600 },
  ...over,
});
const room = { eventId: 'e1', enabled: true, admitPerMinute: 600, paused: false, waiting: 3, admitted: 2, admittedTotal: 5 };

/** A fetch that answers by method and path; records every call. */
function serve(ev: TicketEvent, seats = makeSeats([])) {
  const calls: { method: string; url: string; body?: unknown }[] = [];
  const fetchMock = vi.fn(async (url: string, init: RequestInit = {}) => {
    const method = init.method ?? 'GET';
    const body = init.body ? JSON.parse(String(init.body)) : undefined;
    calls.push({ method, url, body });
    if (url === '/api/events/e1' && method === 'GET') return jsonResponse(200, ev);
    if (url === '/api/events/e1' && method === 'PUT') return jsonResponse(200, { ...ev, ...body, waitingRoom: body.waitingRoom ?? ev.waitingRoom });
    if (url === '/api/events/e1/status')
      return jsonResponse(409, { error: 'INVALID_STATE_TRANSITION', message: 'an event with no seat layout cannot go on sale: save its seats first' });
    if (url === '/api/inventory/events/e1/seats') return jsonResponse(200, { eventId: 'e1', seats });
    if (url === '/api/queue/events/e1') return jsonResponse(200, method === 'PUT' ? { ...room, ...body } : room);
    return jsonResponse(404, { error: 'NOT_FOUND', message: 'not found' });
  });
  vi.stubGlobal('fetch', fetchMock);
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={qc}>
      <MemoryRouter initialEntries={['/admin/events/e1']}>
        <Routes>
          <Route path="/admin/events/:eventId" element={<AdminEventEditPage />} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return calls;
}

describe('AdminEventEditPage', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('keeps "Put on sale" disabled with its reason until the event has seats', async () => {
    serve(event());
    expect(await screen.findByText(/Save a seat layout first/)).toBeVisible();
    const btn = screen.getByRole('button', { name: 'Put on sale' });
    expect(btn).toBeDisabled();
    expect(btn).toHaveAccessibleDescription(/Save a seat layout first/);
    expect(screen.queryByText(/Lay out the seats below before/)).not.toBeInTheDocument();
  });

  it('enables "Put on sale" once seats exist, and shows a refusal as a sentence', async () => {
    serve(event(), makeSeats([{ section: 'A', rows: 1, perRow: 2, price: 10 }]));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Put on sale' })).toBeEnabled());
    const btn = screen.getByRole('button', { name: 'Put on sale' });
    expect(screen.queryByText(/Save a seat layout first/)).not.toBeInTheDocument();
    await userEvent.click(btn);
    expect(await screen.findByText('An event with no seat layout cannot go on sale: save its seats first.')).toBeInTheDocument();
  });

  it('offers "Mark completed" only once the event date has passed', async () => {
    serve(event({ status: 'ON_SALE', totalSeats: 2, availableSeats: 2 }));
    await screen.findByRole('button', { name: 'Mark sold out' });
    expect(screen.queryByRole('button', { name: 'Mark completed' })).not.toBeInTheDocument();
    expect(screen.getByText(/once its date has passed/)).toBeInTheDocument();
  });

  it('offers "Mark completed" after the event date', async () => {
    serve(event({ status: 'ON_SALE', totalSeats: 2, availableSeats: 2, eventDate: new Date(Date.now() - DAY).toISOString(), saleStartTime: new Date(Date.now() - 2 * DAY).toISOString() }));
    expect(await screen.findByRole('button', { name: 'Mark completed' })).toBeEnabled();
  });

  it('saves a change of "Admit per minute" alone, to the event and to the queue', async () => {
    const calls = serve(event({ status: 'ON_SALE', totalSeats: 2, availableSeats: 2 }));
    const input = await screen.findByLabelText('Admit per minute');
    await userEvent.clear(input);
    await userEvent.type(input, '1234');
    await userEvent.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(await screen.findByText('Saved.')).toBeInTheDocument();
    const put = calls.find((c) => c.method === 'PUT' && c.url === '/api/events/e1');
    expect(put?.body).toMatchObject({ waitingRoom: { enabled: true, admitPerMinute: 1234 } });
    expect(calls.find((c) => c.method === 'PUT' && c.url === '/api/queue/events/e1')?.body).toEqual({ admitPerMinute: 1234 });
  });

  it('refuses a bad rate inline', async () => {
    serve(event());
    const input = await screen.findByLabelText('Admit per minute');
    await userEvent.clear(input);
    await userEvent.type(input, '-3');
    expect(screen.getByText(/Admit per minute must be a whole number/)).toBeInTheDocument();
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByRole('button', { name: 'Save changes' })).toBeDisabled();
  });

  it('shows the waiting room numbers and pauses it', async () => {
    const calls = serve(event({ status: 'ON_SALE', totalSeats: 2, availableSeats: 2 }));
    const region = await screen.findByRole('region', { name: 'Waiting room' });
    expect(await within(region).findByTestId('queue-waiting')).toHaveTextContent('3');
    expect(within(region).getByTestId('queue-admitted')).toHaveTextContent('2');
    expect(within(region).getByTestId('queue-rate')).toHaveTextContent('600/min');
    await userEvent.click(within(region).getByRole('button', { name: 'Pause admissions' }));
    expect(await within(region).findByRole('button', { name: 'Resume admissions' })).toHaveFocus();
    expect(within(region).getByTestId('queue-state')).toHaveTextContent('Paused');
    expect(calls.find((c) => c.method === 'PUT' && c.url === '/api/queue/events/e1')?.body).toEqual({ paused: true });
  });

  it('shows per-field layout errors and never NaN or a negative price', async () => {
    serve(event());
    const price = await screen.findByLabelText('Section 1 price');
    await userEvent.clear(price);
    await userEvent.type(price, '-5');
    const rows = screen.getByLabelText('Section 1 rows');
    await userEvent.clear(rows);
    const seats = screen.getByLabelText('Section 1 seats per row');
    await userEvent.clear(seats);
    await userEvent.type(seats, 'abc');
    expect(screen.getByText('The price cannot be negative.')).toBeInTheDocument();
    expect(screen.getByText('Enter the number of rows.')).toBeInTheDocument();
    expect(price).toHaveAccessibleDescription('The price cannot be negative.');
    expect(screen.getByRole('button', { name: 'Save layout' })).toBeDisabled();
    expect(document.body.textContent).not.toMatch(/NaN|-\$/);
  });
});
