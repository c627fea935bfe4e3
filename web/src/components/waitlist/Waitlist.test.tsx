import { act, cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter } from 'react-router-dom';
import type { ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setSession } from '../../api/client';
import { AuthProvider } from '../../auth/AuthContext';
import type { WaitlistEntry } from '../../api/waitlist';
import { fakeJwt, jsonResponse } from '../../test/fixtures';
import { MyWaitlist, offerCheckoutUrl, sortEntries, WaitlistEntryCard, WaitlistPanel } from './Waitlist';

const entry = (over: Partial<WaitlistEntry> = {}): WaitlistEntry => ({
  entryId: 'w1',
  eventId: 'e1',
  quantity: 2,
  section: null,
  status: 'WAITING',
  position: 3,
  offer: null,
  createdAt: '2026-12-01T09:00:00Z',
  ...over,
});
const offered = (expiresAt: string) => entry({ status: 'OFFERED', position: 1, offer: { reservationIds: ['r1', 'r2'], expiresAt } });

function wrap(ui: ReactNode) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={qc}>
      <AuthProvider>
        <MemoryRouter>{ui}</MemoryRouter>
      </AuthProvider>
    </QueryClientProvider>,
  );
}

beforeEach(() => setSession({ accessToken: fakeJwt(), refreshToken: 'r', user: { userId: 'u1', email: 'a@b.c', name: 'A', role: 'USER' } }));
afterEach(() => {
  cleanup();
  setSession(null);
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('a waitlist entry', () => {
  it('shows the place in line while waiting', () => {
    wrap(<WaitlistEntryCard entry={entry()} />);
    expect(screen.getByTestId('waitlist-position')).toHaveTextContent('Position 3');
    expect(screen.getByText('Waiting')).toBeInTheDocument();
    expect(screen.getByText(/You are number 3 in line/)).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Buy these seats' })).not.toBeInTheDocument();
  });

  it('shows an offer with a countdown to its deadline and a way to the checkout with its holds', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-12-01T10:00:00Z'));
    wrap(<WaitlistEntryCard entry={offered('2026-12-01T10:14:30Z')} event={{ eventId: 'e1', eventName: 'Jazz Night', eventDate: '2026-12-20T20:00:00Z' }} />);
    const offer = screen.getByTestId('waitlist-offer');
    expect(within(offer).getByTestId('hold-countdown')).toHaveTextContent('14:30');
    expect(screen.getByText('Offered')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Jazz Night' })).toHaveAttribute('href', '/events/e1');
    expect(within(offer).getByRole('link', { name: 'Buy these seats' })).toHaveAttribute('href', '/checkout?reservations=r1,r2');
    act(() => vi.advanceTimersByTime(14 * 60_000));
    expect(within(offer).getByTestId('hold-countdown')).toHaveTextContent('0:30');
    expect(within(offer).getByRole('alert')).toHaveTextContent('Less than a minute left');
  });

  it('words the closed states and offers no way to leave them', () => {
    for (const status of ['FULFILLED', 'EXPIRED', 'CANCELLED'] as const) {
      const { unmount } = wrap(<WaitlistEntryCard entry={entry({ status, position: null })} />);
      expect(screen.queryByRole('button', { name: 'Leave the waitlist' })).not.toBeInTheDocument();
      unmount();
    }
  });

  it('leaves the waitlist after a confirmation that says the held seats go', async () => {
    const fetchMock = vi.fn(async () => new Response(null, { status: 204 }));
    vi.stubGlobal('fetch', fetchMock);
    wrap(<WaitlistEntryCard entry={offered(new Date(Date.now() + 600_000).toISOString())} />);
    await userEvent.click(screen.getByRole('button', { name: 'Leave the waitlist' }));
    expect(screen.getByText('Leave the waitlist and let the held seats go?')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Yes, leave' }));
    await waitFor(() => expect(fetchMock).toHaveBeenCalledWith('/api/waitlist/w1', expect.objectContaining({ method: 'DELETE' })));
  });

  it('puts offers first, then the waiting entries', () => {
    const list = sortEntries([entry({ entryId: 'a', status: 'EXPIRED' }), entry({ entryId: 'b' }), offered('2026-12-01T10:00:00Z')]);
    expect(list.map((e) => e.status)).toEqual(['OFFERED', 'WAITING', 'EXPIRED']);
    expect(offerCheckoutUrl(offered('x'))).toBe('/checkout?reservations=r1,r2');
  });
});

describe('My waitlist', () => {
  it('polls while an entry waits, so an offer appears without a reload', async () => {
    const expiresAt = new Date(Date.now() + 600_000).toISOString();
    let calls = 0;
    const fetchMock = vi.fn(async (url: string) => {
      if (url === '/api/waitlist/me') return jsonResponse(200, { entries: [++calls < 2 ? entry() : offered(expiresAt)] });
      if (url === '/api/events/e1') return jsonResponse(200, { eventId: 'e1', eventName: 'Jazz Night', eventDate: '2026-12-20T20:00:00Z' });
      return jsonResponse(404, { error: 'NOT_FOUND', message: 'nope' });
    });
    vi.stubGlobal('fetch', fetchMock);
    wrap(<MyWaitlist />);
    expect(await screen.findByTestId('waitlist-position')).toHaveTextContent('Position 3');
    // The list asks again after 5 s while an entry is waiting.
    expect(await screen.findByRole('link', { name: 'Buy these seats' }, { timeout: 7000 })).toHaveAttribute('href', '/checkout?reservations=r1,r2');
    expect(screen.getByText('Seats are held for you on 1 waitlist.')).toBeInTheDocument();
  }, 10_000);

  it('is not shown to a fan who never joined one', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => jsonResponse(200, { entries: [] })));
    const { container } = wrap(<MyWaitlist />);
    await waitFor(() => expect(container).toBeEmptyDOMElement());
  });
});

describe('joining from the event page', () => {
  it('sends the quantity and the section, then shows the place in line', async () => {
    const bodies: unknown[] = [];
    const fetchMock = vi.fn(async (url: string, init: RequestInit = {}) => {
      if (url === '/api/waitlist/me') return jsonResponse(200, { entries: bodies.length ? [entry({ quantity: 3, section: 'B', position: 4 })] : [] });
      if (url === '/api/events/e1/waitlist' && init.method === 'POST') {
        bodies.push(JSON.parse(String(init.body)));
        return jsonResponse(201, entry({ quantity: 3, section: 'B', position: 4 }));
      }
      return jsonResponse(404, { error: 'NOT_FOUND', message: 'nope' });
    });
    vi.stubGlobal('fetch', fetchMock);
    const onLogin = vi.fn(() => false);
    wrap(
      <WaitlistPanel
        eventId="e1"
        onLogin={onLogin}
        sections={[
          { section: 'A', total: 10, available: 0, minPrice: 50, maxPrice: 50 },
          { section: 'B', total: 10, available: 0, minPrice: 30, maxPrice: 30 },
        ]}
      />,
    );
    await userEvent.selectOptions(await screen.findByLabelText('How many tickets'), '3');
    expect(screen.getByLabelText('How many tickets').querySelectorAll('option')).toHaveLength(10);
    await userEvent.selectOptions(screen.getByLabelText('Section (optional)'), 'B');
    await userEvent.click(screen.getByRole('button', { name: 'Join the waitlist' }));
    expect(await screen.findByTestId('waitlist-position')).toHaveTextContent('Position 4');
    expect(bodies).toEqual([{ quantity: 3, section: 'B' }]);
    expect(screen.getByText('You joined the waitlist: position 4.')).toBeInTheDocument();
    expect(screen.getByText(/3 tickets · section B/)).toBeInTheDocument();
  });

  it('sends no section for "any", and a signed-out fan to log in first', async () => {
    setSession(null);
    const fetchMock = vi.fn(async () => jsonResponse(404, { error: 'NOT_FOUND', message: 'nope' }));
    vi.stubGlobal('fetch', fetchMock);
    const onLogin = vi.fn(() => true);
    wrap(<WaitlistPanel eventId="e1" onLogin={onLogin} />);
    await userEvent.click(screen.getByRole('button', { name: 'Join the waitlist' }));
    expect(onLogin).toHaveBeenCalled();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('shows the refusal of an event that is not sold out or on sale', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) =>
        url === '/api/waitlist/me'
          ? jsonResponse(200, { entries: [] })
          : jsonResponse(409, { error: 'INVALID_STATE_TRANSITION', message: 'the event is not sold out or on sale' }),
      ),
    );
    wrap(<WaitlistPanel eventId="e1" onLogin={() => false} />);
    await userEvent.click(await screen.findByRole('button', { name: 'Join the waitlist' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The event is not sold out or on sale.');
  });
});
