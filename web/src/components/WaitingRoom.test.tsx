import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { afterEach, describe, expect, it, vi } from 'vitest';
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
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={qc}>
      <WaitingRoom eventId="e1" signedIn={signedIn} onLogin={onLogin} onAdmitted={onAdmitted} />
    </QueryClientProvider>,
  );
  return { onAdmitted, onLogin };
}

describe('WaitingRoom', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('offers to join when the fan has no place, shows the pre-queue, then lets the fan in', async () => {
    const fetchMock = vi
      .fn()
      .mockResolvedValueOnce(jsonResponse(404, { error: 'NOT_FOUND', message: 'not joined' }))
      .mockResolvedValueOnce(jsonResponse(200, place('PRE_QUEUE')))
      .mockResolvedValue(jsonResponse(200, place('ADMITTED', { position: 1, aheadOfYou: 0, pollAfterMs: 30000 })));
    vi.stubGlobal('fetch', fetchMock);
    const { onAdmitted } = setup();
    await userEvent.click(await screen.findByRole('button', { name: 'Join the queue' }));
    expect(await screen.findByText(/You are in/)).toBeInTheDocument();
    expect(String(fetchMock.mock.calls[1][0])).toContain('/api/queue/events/e1/join');
    expect(await screen.findByText(/It is your turn/, {}, { timeout: 3000 })).toBeInTheDocument();
    await waitFor(() => expect(onAdmitted).toHaveBeenLastCalledWith(true));
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
