import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, ApiError, errorMessage, getSession, login, logout, setSession } from './client';
import { fakeJwt, jsonResponse } from '../test/fixtures';

const noError = (): never => {
  throw new Error('expected an error');
};
const asApiError = (e: unknown) => e as ApiError;

const user = { userId: 'u1', email: 'a@b.c', name: 'A', role: 'USER' as const };

beforeEach(() => setSession(null));
afterEach(() => vi.unstubAllGlobals());

describe('api client', () => {
  it('turns an error of the contract into ApiError with the message and details', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn().mockResolvedValue(jsonResponse(409, { error: 'SEAT_UNAVAILABLE', message: 'Seats A-1-1 are not available', unavailableSeats: ['A-1-1'] })),
    );
    const err = await api('/api/inventory/reservations', { method: 'POST', body: {} }).then(noError, asApiError);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(409);
    expect(err.code).toBe('SEAT_UNAVAILABLE');
    expect(err.details.unavailableSeats).toEqual(['A-1-1']);
    expect(errorMessage(err)).toBe('Seats A-1-1 are not available.');
  });

  it('gives a sentence for a body that is not the contract shape, and for a network failure', async () => {
    vi.stubGlobal('fetch', vi.fn().mockResolvedValueOnce(new Response('<html>bad gateway</html>', { status: 502 })).mockRejectedValueOnce(new TypeError('x')));
    const e1 = await api('/api/x').then(noError, asApiError);
    expect(errorMessage(e1)).toBe('The server answered 502. Please try again.');
    const e2 = await api('/api/x').then(noError, asApiError);
    expect(e2.code).toBe('NETWORK');
    expect(errorMessage(e2)).toMatch(/could not reach the server/);
  });

  it('reads the Retry-After of a rate-limited answer', async () => {
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(jsonResponse(429, { error: 'RATE_LIMITED', message: 'slow down' }, { 'Retry-After': '7' })));
    const err = await api('/api/events').then(noError, asApiError);
    expect(err.retryAfter).toBe(7);
  });

  it('logs in, keeps the session, and sends the bearer token', async () => {
    const access = fakeJwt();
    const fetchMock = vi
      .fn()
      .mockResolvedValueOnce(jsonResponse(200, { accessToken: access, refreshToken: 'r1', tokenType: 'bearer', expiresIn: 3600, user }))
      .mockResolvedValueOnce(jsonResponse(200, user));
    vi.stubGlobal('fetch', fetchMock);
    await login('a@b.c', 'password1');
    expect(JSON.parse(localStorage.getItem('ticketing.session')!).refreshToken).toBe('r1');
    await api('/api/auth/me');
    expect(fetchMock.mock.calls[1][1].headers.Authorization).toBe(`Bearer ${access}`);
  });

  it('refreshes once on 401 for parallel requests, rotates the refresh token and retries', async () => {
    setSession({ accessToken: fakeJwt(3600, 'old'), refreshToken: 'r1', user });
    const fresh = fakeJwt(3600, 'new');
    let refreshCalls = 0;
    const fetchMock = vi.fn(async (url: string, init: RequestInit) => {
      if (url === '/api/auth/refresh') {
        refreshCalls++;
        expect(JSON.parse(init.body as string)).toEqual({ refreshToken: 'r1' });
        await new Promise((r) => setTimeout(r, 5));
        return jsonResponse(200, { accessToken: fresh, refreshToken: 'r2', expiresIn: 3600 });
      }
      const auth = (init.headers as Record<string, string>).Authorization;
      return auth === `Bearer ${fresh}` ? jsonResponse(200, { ok: url }) : jsonResponse(401, { error: 'UNAUTHORIZED', message: 'expired' });
    });
    vi.stubGlobal('fetch', fetchMock);
    const [a, b, c] = await Promise.all([api('/api/a'), api('/api/b'), api('/api/c')]);
    expect([a, b, c]).toEqual([{ ok: '/api/a' }, { ok: '/api/b' }, { ok: '/api/c' }]);
    expect(refreshCalls).toBe(1);
    expect(getSession()?.refreshToken).toBe('r2');
    expect(getSession()?.user).toEqual(user); // the page and the user stay
  });

  it('refreshes ahead of time when the access token is about to expire', async () => {
    setSession({ accessToken: fakeJwt(5), refreshToken: 'r1', user });
    const fresh = fakeJwt(3600);
    const fetchMock = vi
      .fn()
      .mockResolvedValueOnce(jsonResponse(200, { accessToken: fresh, refreshToken: 'r2', expiresIn: 3600 }))
      .mockResolvedValueOnce(jsonResponse(200, {}));
    vi.stubGlobal('fetch', fetchMock);
    await api('/api/bookings/me');
    expect(fetchMock.mock.calls[0][0]).toBe('/api/auth/refresh');
    expect(fetchMock.mock.calls[1][1].headers.Authorization).toBe(`Bearer ${fresh}`);
  });

  it('signs out when the refresh token is refused', async () => {
    setSession({ accessToken: fakeJwt(3600), refreshToken: 'used', user });
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) =>
        url === '/api/auth/refresh' ? jsonResponse(401, { error: 'UNAUTHORIZED', message: 'refresh token reused' }) : jsonResponse(401, { error: 'UNAUTHORIZED', message: 'Token expired' }),
      ),
    );
    const err = await api('/api/bookings/me').then(noError, asApiError);
    expect(err.code).toBe('UNAUTHORIZED');
    expect(getSession()).toBeNull();
  });

  it('logs out with the refresh token and forgets the session', async () => {
    setSession({ accessToken: fakeJwt(), refreshToken: 'r9', user });
    const fetchMock = vi.fn().mockResolvedValue(new Response(null, { status: 204 }));
    vi.stubGlobal('fetch', fetchMock);
    await logout();
    expect(getSession()).toBeNull();
    expect(fetchMock.mock.calls[0][0]).toBe('/api/auth/logout');
    expect(JSON.parse(fetchMock.mock.calls[0][1].body)).toEqual({ refreshToken: 'r9' });
  });
});
