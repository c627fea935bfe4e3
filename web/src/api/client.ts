// The HTTP client: JSON in and out, bearer tokens, one shared refresh when the access token expires
// (refresh tokens rotate, so two parallel refreshes would revoke the session), and errors of the
// contract shape turned into ApiError with a human sentence.
import type { LoginResponse, RefreshResponse, User } from './types';
import { sentence } from '../lib/format';

export class ApiError extends Error {
  status: number;
  code: string;
  details: Record<string, unknown>;
  retryAfter?: number;
  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const FALLBACK_MESSAGES: Record<string, string> = {
  UNAUTHORIZED: 'Please sign in again.',
  FORBIDDEN: 'You are not allowed to do that.',
  NOT_FOUND: 'We could not find that.',
  RATE_LIMITED: 'Too many requests. Please wait a moment and try again.',
  UNAVAILABLE: 'The service is temporarily unavailable. Nothing was changed; please try again.',
  SEAT_UNAVAILABLE: 'Some of those seats were just taken by someone else.',
  RESERVATION_EXPIRED: 'Your hold on these seats has expired.',
  PAYMENT_FAILED: 'Your payment was declined.',
  NETWORK: 'We could not reach the server. Check your connection and try again.',
};

/** The per-buyer limit, in the fan's words, from the `limit` and `held` of TICKET_LIMIT_EXCEEDED (§12). */
function limitMessage(err: ApiError): string {
  const limit = Number(err.details.limit);
  const held = Number(err.details.held);
  if (!Number.isFinite(limit)) return 'That would take you over the ticket limit for this event.';
  const left = Number.isFinite(held) ? Math.max(0, limit - held) : null;
  const base = `This event allows at most ${limit} ticket${limit === 1 ? '' : 's'} per fan`;
  if (left === null) return `${base}.`;
  if (left === 0) return `${base}, and you already have ${held}: you cannot take more.`;
  return `${base}, and you already have ${held}: you can take ${left} more.`;
}

/** A sentence for any error, never raw JSON, always starting with a capital letter. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'TICKET_LIMIT_EXCEEDED') return limitMessage(err);
    return sentence(err.message || FALLBACK_MESSAGES[err.code] || `Request failed (${err.status}).`);
  }
  if (err instanceof Error && err.message) return sentence(err.message);
  return 'Something went wrong. Please try again.';
}

// ---- tokens -------------------------------------------------------------------------------------

export interface Session {
  accessToken: string;
  refreshToken: string;
  user: User;
}
const STORAGE_KEY = 'ticketing.session';
type Listener = (s: Session | null) => void;
const listeners = new Set<Listener>();
let session: Session | null = load();

function load(): Session | null {
  try {
    const raw = globalThis.localStorage?.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}
export function getSession(): Session | null {
  return session;
}
export function setSession(s: Session | null): void {
  session = s;
  try {
    if (s) localStorage.setItem(STORAGE_KEY, JSON.stringify(s));
    else localStorage.removeItem(STORAGE_KEY);
  } catch {
    /* private mode: keep it in memory */
  }
  listeners.forEach((l) => l(s));
}
export function onSessionChange(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}
if (typeof window !== 'undefined') {
  // Another tab logged in, out or rotated the refresh token: follow it.
  window.addEventListener('storage', (e) => {
    if (e.key !== STORAGE_KEY) return;
    session = load();
    listeners.forEach((l) => l(session));
  });
}

/** Seconds until the JWT expires (NaN when it cannot be read). */
export function tokenSecondsLeft(token: string, now = Date.now()): number {
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return payload.exp - now / 1000;
  } catch {
    return Number.NaN;
  }
}

let refreshing: Promise<Session | null> | null = null;

/** Rotates the refresh token once, however many requests ask at the same time. */
export function refreshSession(): Promise<Session | null> {
  if (refreshing) return refreshing;
  const current = session;
  if (!current) return Promise.resolve(null);
  refreshing = (async () => {
    try {
      const res = await rawFetch('/api/auth/refresh', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refreshToken: current.refreshToken }),
      });
      if (!res.ok) {
        // Another tab may have rotated it already: use theirs if it is newer.
        const stored = load();
        if (stored && stored.refreshToken !== current.refreshToken) {
          session = stored;
          return stored;
        }
        if (res.status === 401 || res.status === 400 || res.status === 403) setSession(null);
        return null;
      }
      const body = (await res.json()) as RefreshResponse;
      const next: Session = { ...current, accessToken: body.accessToken, refreshToken: body.refreshToken };
      setSession(next);
      return next;
    } catch {
      return null;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

// ---- requests -----------------------------------------------------------------------------------

function rawFetch(url: string, init: RequestInit): Promise<Response> {
  return fetch(url, init);
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Send the bearer token if there is one (default true). */
  auth?: boolean;
  signal?: AbortSignal;
}

async function toError(res: Response): Promise<ApiError> {
  let body: Record<string, unknown> = {};
  try {
    const text = await res.text();
    body = text ? JSON.parse(text) : {};
  } catch {
    body = {};
  }
  const code = typeof body.error === 'string' ? body.error : res.status === 404 ? 'NOT_FOUND' : 'HTTP_' + res.status;
  const message =
    typeof body.message === 'string' && body.message
      ? body.message
      : FALLBACK_MESSAGES[code] ?? `The server answered ${res.status}. Please try again.`;
  const { error: _e, message: _m, ...details } = body;
  const err = new ApiError(res.status, code, message, details);
  const ra = res.headers.get('Retry-After');
  if (ra) err.retryAfter = Number(ra);
  return err;
}

/** The request with the bearer token (refreshed once on a 401); the answer when it is 2xx, else an ApiError. */
async function send(path: string, opts: RequestOptions): Promise<Response> {
  const { method = 'GET', body, auth = true, signal } = opts;
  const build = (s: Session | null): RequestInit => {
    const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (auth && s) headers.Authorization = `Bearer ${s.accessToken}`;
    return { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal };
  };

  let s = auth ? session : null;
  // Refresh a little before expiry so a long form does not fail on submit.
  if (s && tokenSecondsLeft(s.accessToken) < 20) s = (await refreshSession()) ?? null;

  let res: Response;
  try {
    res = await rawFetch(path, build(s));
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e;
    throw new ApiError(0, 'NETWORK', FALLBACK_MESSAGES.NETWORK);
  }
  if (res.status === 401 && s) {
    const next = await refreshSession();
    if (next) {
      try {
        res = await rawFetch(path, build(next));
      } catch {
        throw new ApiError(0, 'NETWORK', FALLBACK_MESSAGES.NETWORK);
      }
    }
  }
  if (!res.ok) throw await toError(res);
  return res;
}

export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await send(path, opts);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/**
 * A file the API serves behind the bearer token (a ticket's QR code or PDF): fetched with the
 * token, since an <img src> or a plain link cannot carry it. `accept` is the media type asked for.
 */
export async function apiBlob(path: string, accept: string, opts: Omit<RequestOptions, 'body'> = {}): Promise<Blob> {
  const res = await send(path, { ...opts, headers: { ...opts.headers, Accept: accept } });
  return res.blob();
}

export function qs(params: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

// ---- auth calls ---------------------------------------------------------------------------------

export async function login(email: string, password: string): Promise<User> {
  const r = await api<LoginResponse>('/api/auth/login', { method: 'POST', body: { email, password }, auth: false });
  setSession({ accessToken: r.accessToken, refreshToken: r.refreshToken, user: r.user });
  return r.user;
}
export async function register(email: string, password: string, name: string): Promise<User> {
  await api('/api/auth/register', { method: 'POST', body: { email, password, name }, auth: false });
  return login(email, password);
}
export async function logout(): Promise<void> {
  const s = session;
  setSession(null);
  if (s) {
    try {
      await rawFetch('/api/auth/logout', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${s.accessToken}` },
        body: JSON.stringify({ refreshToken: s.refreshToken }),
      });
    } catch {
      /* logged out locally either way */
    }
  }
}
