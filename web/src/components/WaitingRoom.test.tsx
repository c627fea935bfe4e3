import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WaitingRoom } from './WaitingRoom';
import { jsonResponse } from '../test/fixtures';

const place = (status: string, extra: Record<string, unknown> = {}) => ({
  eventId: 'e1',
  status,
  position: null,
  aheadOfYou: null,
  estimatedWaitSecs: null,
  admittedAt: null,
  admittedUntil: null,
  pollAfterMs: 1000,
  ...extra,
});

function setup(signedIn = true) {
  const onAdmitted = vi.fn();
  const onLogin = vi.fn();
  const onState = vi.fn();
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={qc}>
      <WaitingRoom eventId="e1" userId={signedIn ? 'u1' : null} onLogin={onLogin} onAdmitted={onAdmitted} onState={onState} />
    </QueryClientProvider>,
  );
  return { onAdmitted, onLogin, onState };
}

describe('WaitingRoom', () => {
  beforeEach(() => sessionStorage.clear());
  afterEach(() => vi.unstubAllGlobals());

  it('offers to join without asking for a place first, shows the pre-queue, then lets the fan in', async () => {
    const fetchMock = vi
      .fn()
      .mockResolvedValueOnce(jsonResponse(200, place('PRE_QUEUE')))
      .mockResolvedValue(jsonResponse(200, place('ADMITTED', { position: 1, aheadOfYou: 0, pollAfterMs: 30000 })));
    vi.stubGlobal('fetch', fetchMock);
    const { onAdmitted, onState } = setup();
    await userEvent.click(await screen.findByRole('button', { name: 'Join the queue' }));
    // No GET .../me before joining: it would only answer 404.
    expect(String(fetchMock.mock.calls[0][0])).toContain('/api/queue/events/e1/join');
    expect(await screen.findByText(/You are in/)).toBeInTheDocument();
    expect(onState).toHaveBeenCalledWith('PRE_QUEUE');
    expect(await screen.findByText(/It is your turn/, {}, { timeout: 3000 })).toBeInTheDocument();
    // The invitation to join is gone once the fan is in.
    expect(screen.queryByText(/Join the queue to pick seats/)).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Join the queue' })).not.toBeInTheDocument();
    await waitFor(() => expect(onAdmitted).toHaveBeenLastCalledWith(true));
  });

  it('asks for the place of a fan who joined in this tab, and says when the sale is paused', async () => {
    sessionStorage.setItem('ticketing.queue.u1.e1', '1');
    const fetchMock = vi.fn().mockResolvedValue(jsonResponse(200, place('WAITING', { position: 7, aheadOfYou: 6, estimatedWaitSecs: null, pollAfterMs: 10000 })));
    vi.stubGlobal('fetch', fetchMock);
    const { onState } = setup();
    expect(await screen.findByText(/The sale is paused by the organizer/)).toBeInTheDocument();
    expect(screen.queryByText(/Estimated wait/)).not.toBeInTheDocument();
    expect(String(fetchMock.mock.calls[0][0])).toContain('/api/queue/events/e1/me');
    await waitFor(() => expect(onState).toHaveBeenLastCalledWith('WAITING'));
  });

  it('gives an estimate while the queue moves', async () => {
    sessionStorage.setItem('ticketing.queue.u1.e1', '1');
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(jsonResponse(200, place('WAITING', { position: 3, aheadOfYou: 2, estimatedWaitSecs: 150, pollAfterMs: 10000 }))));
    setup();
    expect(await screen.findByText(/Estimated wait: about 3 minutes/)).toBeInTheDocument();
    expect(screen.queryByText(/paused/)).not.toBeInTheDocument();
  });

  it('asks a signed-out fan to log in and calls nothing', async () => {
    const fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
    const { onLogin, onAdmitted } = setup(false);
    await userEvent.click(screen.getByRole('button', { name: 'Log in to join' }));
    expect(onLogin).toHaveBeenCalled();
    expect(onAdmitted).toHaveBeenLastCalledWith(false);
    expect(fetchMock).not.toHaveBeenCalled();
  });
});
