import { cleanup, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { setSession } from '../api/client';
import { AuthProvider } from '../auth/AuthContext';
import { fakeJwt, jsonResponse } from '../test/fixtures';
import CheckinPage, { GATE_KEY } from './CheckinPage';

const event = { eventId: 'e1', eventName: 'Jazz Night', venueName: 'Blue Note', city: 'Porto', eventDate: '2026-12-20T20:00:00Z', status: 'ON_SALE' };

function setup(answer: (url: string, body: { code: string; gate: string }) => Response | undefined = () => undefined) {
  const scans: { code: string; gate: string }[] = [];
  let admitted = 0;
  const fetchMock = vi.fn(async (url: string, init: RequestInit = {}) => {
    if (url === '/api/events/e1') return jsonResponse(200, event);
    const body = init.body ? JSON.parse(String(init.body)) : undefined;
    const custom = answer(url, body);
    if (custom) return custom;
    if (url === '/api/checkin/events/e1') return jsonResponse(200, { eventId: 'e1', expected: 2, admitted });
    if (url === '/api/checkin/events/e1/scans') {
      scans.push(body);
      const first = scans.findIndex((s) => s.code === body.code) === scans.length - 1;
      if (first) admitted++;
      return jsonResponse(
        200,
        first
          ? { result: 'ADMITTED', ticketId: 't1', seatNumber: 'A-1-1', usedAt: '2026-12-20T19:00:00Z', gate: body.gate }
          : { result: 'ALREADY_USED', ticketId: 't1', seatNumber: 'A-1-1', usedAt: '2026-12-20T19:00:00Z', gate: scans[0].gate },
      );
    }
    return jsonResponse(404, { error: 'NOT_FOUND', message: 'not found' });
  });
  vi.stubGlobal('fetch', fetchMock);
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={qc}>
      <AuthProvider>
        <MemoryRouter initialEntries={['/checkin/e1']}>
          <Routes>
            <Route path="/checkin/:eventId" element={<CheckinPage />} />
          </Routes>
        </MemoryRouter>
      </AuthProvider>
    </QueryClientProvider>,
  );
  return { scans, fetchMock };
}

describe('the check-in page', () => {
  beforeEach(() => setSession({ accessToken: fakeJwt(), refreshToken: 'r', user: { userId: 'u-gate-7', email: 'g@b.c', name: 'Gate', role: 'USER' } }));
  afterEach(() => {
    cleanup();
    setSession(null);
    vi.unstubAllGlobals();
  });

  it('checks a typed code at the gate: admitted, then already used naming the gate; the counts follow', async () => {
    const { scans } = setup();
    expect(await screen.findByTestId('checkin-counts')).toHaveTextContent('0 / 2');
    // No gate yet: the gate is asked for first.
    const code = screen.getByLabelText('Ticket code');
    await userEvent.type(code, 'TK1.abc.def');
    await userEvent.click(screen.getByRole('button', { name: 'Check' }));
    expect(screen.getByText('Enter the name of this gate first.')).toBeInTheDocument();
    expect(screen.getByLabelText('Gate')).toHaveFocus();
    expect(scans).toHaveLength(0);

    await userEvent.type(screen.getByLabelText('Gate'), 'A');
    expect(localStorage.getItem(GATE_KEY)).toBe('A');
    await userEvent.click(screen.getByRole('button', { name: 'Check' }));
    expect(await screen.findByTestId('scan-result-title')).toHaveTextContent('Admitted');
    expect(screen.getByTestId('scan-result')).toHaveTextContent('Seat A-1-1. Let them in.');
    expect(scans).toEqual([{ code: 'TK1.abc.def', gate: 'A' }]);
    // The field is empty and focused again for the next ticket.
    expect(code).toHaveValue('');
    expect(code).toHaveFocus();
    await waitFor(() => expect(screen.getByTestId('checkin-counts')).toHaveTextContent('1 / 2'));

    await userEvent.type(code, 'TK1.abc.def{Enter}');
    await waitFor(() => expect(screen.getByTestId('scan-result-title')).toHaveTextContent('Already used'));
    expect(screen.getByTestId('scan-result-detail')).toHaveTextContent(/at gate A\. Do not let them in\./);
    expect(screen.getByTestId('recent-scans').querySelectorAll('li')).toHaveLength(2);
  });

  it('remembers the gate on this device', async () => {
    localStorage.setItem(GATE_KEY, 'North 2');
    setup();
    expect(await screen.findByLabelText('Gate')).toHaveValue('North 2');
  });

  it('tells a user who is not a scanner of the event so, with the user id to give the organizer', async () => {
    setup((url) => (url.startsWith('/api/checkin/') ? jsonResponse(403, { error: 'FORBIDDEN', message: 'not a scanner of this event' }) : undefined));
    const msg = await screen.findByTestId('not-scanner');
    expect(msg).toHaveAttribute('role', 'alert');
    expect(msg).toHaveTextContent('You are not a scanner for this event.');
    expect(msg).toHaveTextContent('u-gate-7');
    expect(screen.queryByLabelText('Ticket code')).not.toBeInTheDocument();
  });

  it('checks on the device with the downloaded list, queues the scan, and shows a conflict when it is sent', async () => {
    const keys = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const publicKey = btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.exportKey('raw', keys.publicKey))));
    const b64url = (b: Uint8Array) => btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    const payload = new TextEncoder().encode(JSON.stringify({ t: 't1', e: 'e1', s: 'A-1-1' }));
    const code = `TK1.${b64url(payload)}.${b64url(new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, keys.privateKey, payload)))}`;
    const batches: unknown[] = [];
    const { scans } = setup((url, body) => {
      if (url === '/api/checkin/events/e1/tickets')
        return jsonResponse(200, { eventId: 'e1', publicKey, tickets: [{ ticketId: 't1', seatNumber: 'A-1-1', status: 'VALID', usedAt: null, gate: null }] });
      if (url === '/api/checkin/events/e1/scans/batch') {
        batches.push(body);
        return jsonResponse(200, {
          results: [{ code, result: 'ALREADY_USED', ticketId: 't1', seatNumber: 'A-1-1', usedAt: '2026-12-20T18:00:00Z', gate: 'North', conflict: true }],
        });
      }
      return undefined;
    });
    const panel = await screen.findByTestId('offline-panel');
    const only = screen.getByLabelText(/Check on this device only/);
    expect(only).toBeDisabled();
    await userEvent.click(screen.getByRole('button', { name: 'Download the ticket list' }));
    expect(await screen.findByTestId('offline-list')).toHaveTextContent(/^1 ticket, downloaded at/);
    await userEvent.click(only);
    await userEvent.type(screen.getByLabelText('Gate'), 'South');
    await userEvent.type(screen.getByLabelText('Ticket code'), `${code}{Enter}`);
    expect(await screen.findByTestId('scan-result-title')).toHaveTextContent('Admitted');
    expect(screen.getByTestId('scan-offline')).toHaveTextContent('Checked on this device');
    expect(scans).toHaveLength(0);
    expect(screen.getByTestId('offline-queue')).toHaveTextContent('1 scan waiting to be sent.');
    // The same ticket again at this gate: already used here.
    await userEvent.type(screen.getByLabelText('Ticket code'), `${code}{Enter}`);
    await waitFor(() => expect(screen.getByTestId('scan-result-title')).toHaveTextContent('Already used'));
    expect(screen.getByTestId('scan-result-detail')).toHaveTextContent('at gate South');
    expect(screen.getByTestId('offline-queue')).toHaveTextContent('1 scan waiting');

    await userEvent.click(only);
    await userEvent.click(screen.getByRole('button', { name: 'Send now' }));
    const conflict = await screen.findByTestId('offline-conflict');
    expect(conflict).toHaveTextContent(/^Conflict: seat A-1-1, let in here at .*: already used \(first admitted at gate North at /);
    expect(batches).toEqual([{ gate: 'South', scans: [{ code, scannedAt: expect.any(String) }] }]);
    expect(panel).toHaveTextContent('No scans waiting to be sent.');
    expect(localStorage.getItem('ticketing.checkin.queue.e1')).toBeNull();
  });

  it('offers typing when the browser cannot read QR codes with the camera', async () => {
    setup();
    expect(await screen.findByTestId('camera-unsupported')).toHaveTextContent('Type the code');
    expect(screen.getByRole('button', { name: 'Check' })).toBeInTheDocument();
  });
});
