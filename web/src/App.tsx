import { lazy, Suspense, useEffect, useRef } from 'react';
import { Link, NavLink, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { useQueryClient } from '@tanstack/react-query';
import { logout } from './api/client';
import { useUser } from './auth/AuthContext';
import { RequireAuth, Spinner } from './components/ui';
import { useHold } from './lib/hold';
import { useSecondsLeft } from './components/HoldCountdown';
import { mmss } from './lib/format';
import { HomePage } from './pages/HomePage';
import { EventPage } from './pages/EventPage';
import { CheckoutPage } from './pages/CheckoutPage';
import { ConfirmationPage } from './pages/ConfirmationPage';
import { MyBookingsPage } from './pages/MyBookingsPage';
import { LoginPage, RegisterPage } from './pages/AuthPages';

// The organizer side is loaded only by organizers.
const AdminEventsPage = lazy(() => import('./pages/admin/AdminEventsPage'));
const AdminEventEditPage = lazy(() => import('./pages/admin/AdminEventEditPage'));
const AdminSalesPage = lazy(() => import('./pages/admin/AdminSalesPage'));
// Check-in at the gates: organizers and the gate staff they name (the server says who may).
const CheckinPage = lazy(() => import('./pages/CheckinPage'));

function HoldBanner() {
  const hold = useHold();
  const loc = useLocation();
  if (!hold || loc.pathname === '/checkout') return null;
  return <HoldBannerInner expiresAt={hold.expiresAt} count={hold.reservations.length} />;
}
function HoldBannerInner({ expiresAt, count }: { expiresAt: string; count: number }) {
  const left = useSecondsLeft(expiresAt);
  if (left <= 0) return null;
  return (
    <div className="bg-amber-100 text-amber-900">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-2 px-4 py-2 text-sm">
        <span>
          {count} seat{count === 1 ? '' : 's'} held for you for <span className="font-mono font-bold">{mmss(left)}</span>
        </span>
        <Link to="/checkout" className="font-semibold underline">
          Go to checkout
        </Link>
      </div>
    </div>
  );
}

/**
 * After an in-app page change, focus goes to the new page's main heading (its h1), so keyboard and
 * screen-reader users start at the top of the new content instead of on the body. Pages that load
 * their data first get their h1 a moment later: wait for it (up to a few seconds).
 */
export function useFocusHeadingOnRouteChange() {
  const { pathname } = useLocation();
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    let done = false;
    const tryFocus = () => {
      if (done) return true;
      const h1 = document.querySelector<HTMLHeadingElement>('main h1');
      if (!h1) return false;
      // Someone already moved focus into the new page (an autofocus, a form): leave it there.
      const active = document.activeElement;
      if (active && active !== document.body && document.querySelector('main')?.contains(active)) return (done = true);
      if (!h1.hasAttribute('tabindex')) h1.setAttribute('tabindex', '-1');
      h1.focus({ preventScroll: false });
      done = true;
      return true;
    };
    if (tryFocus()) return;
    const obs = new MutationObserver(() => {
      if (tryFocus()) obs.disconnect();
    });
    const main = document.querySelector('main');
    if (main) obs.observe(main, { childList: true, subtree: true });
    const t = setTimeout(() => obs.disconnect(), 5000);
    return () => {
      done = true;
      obs.disconnect();
      clearTimeout(t);
    };
  }, [pathname]);
}

function Header() {
  const user = useUser();
  const nav = useNavigate();
  const qc = useQueryClient();
  const link = ({ isActive }: { isActive: boolean }) =>
    `rounded-md px-2.5 py-2 text-sm font-medium ${isActive ? 'bg-white/15 text-white' : 'text-brand-100 hover:text-white'}`;
  return (
    <header className="bg-brand-700 text-white shadow">
      <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-2 gap-y-1 px-4 py-2">
        <Link to="/" className="mr-auto flex items-center gap-2 py-1 text-lg font-bold tracking-tight">
          <svg viewBox="0 0 32 32" className="h-7 w-7" aria-hidden="true">
            <rect width="32" height="32" rx="7" fill="#fff" fillOpacity=".15" />
            <path d="M8 11h16v3a2 2 0 0 0 0 4v3H8v-3a2 2 0 0 0 0-4z" fill="#fff" />
          </svg>
          Ticketing
        </Link>
        <nav className="flex flex-wrap items-center gap-1" aria-label="Main">
          <NavLink to="/" end className={link}>
            Events
          </NavLink>
          {user && (
            <NavLink to="/me/bookings" className={link}>
              My bookings
            </NavLink>
          )}
          {user?.role === 'ADMIN' && (
            <NavLink to="/admin" className={link}>
              Organizer
            </NavLink>
          )}
          {user ? (
            <button
              type="button"
              className="rounded-md px-2.5 py-2 text-sm font-medium text-brand-100 hover:text-white"
              onClick={async () => {
                await logout();
                qc.clear();
                nav('/');
              }}
              title={user.email}
            >
              Log out
            </button>
          ) : (
            <>
              <NavLink to="/login" className={link}>
                Log in
              </NavLink>
              <NavLink to="/register" className={link}>
                Sign up
              </NavLink>
            </>
          )}
        </nav>
      </div>
    </header>
  );
}

export function App() {
  useFocusHeadingOnRouteChange();
  return (
    <div className="flex min-h-screen flex-col">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:p-2">
        Skip to content
      </a>
      <Header />
      <HoldBanner />
      <main id="main" className="mx-auto w-full max-w-6xl flex-1 px-4 py-6">
        <Suspense fallback={<Spinner />}>
          <Routes>
            <Route path="/" element={<HomePage />} />
            <Route path="/events/:eventId" element={<EventPage />} />
            <Route path="/login" element={<LoginPage />} />
            <Route path="/register" element={<RegisterPage />} />
            <Route
              path="/checkout"
              element={
                <RequireAuth>
                  <CheckoutPage />
                </RequireAuth>
              }
            />
            <Route
              path="/bookings/:bookingId"
              element={
                <RequireAuth>
                  <ConfirmationPage />
                </RequireAuth>
              }
            />
            <Route
              path="/me/bookings"
              element={
                <RequireAuth>
                  <MyBookingsPage />
                </RequireAuth>
              }
            />
            <Route
              path="/checkin/:eventId"
              element={
                <RequireAuth>
                  <CheckinPage />
                </RequireAuth>
              }
            />
            <Route
              path="/admin"
              element={
                <RequireAuth admin>
                  <AdminEventsPage />
                </RequireAuth>
              }
            />
            <Route
              path="/admin/events/new"
              element={
                <RequireAuth admin>
                  <AdminEventEditPage />
                </RequireAuth>
              }
            />
            <Route
              path="/admin/events/:eventId"
              element={
                <RequireAuth admin>
                  <AdminEventEditPage />
                </RequireAuth>
              }
            />
            <Route
              path="/admin/events/:eventId/sales"
              element={
                <RequireAuth admin>
                  <AdminSalesPage />
                </RequireAuth>
              }
            />
            <Route
              path="*"
              element={
                <div className="py-16 text-center">
                  <h1 className="text-2xl font-bold">Page not found</h1>
                  <Link to="/" className="mt-4 inline-block text-brand-700 underline">
                    Back to events
                  </Link>
                </div>
              }
            />
          </Routes>
        </Suspense>
      </main>
      <footer className="border-t border-slate-200 py-4 text-center text-xs text-slate-500">Ticketing · open source</footer>
    </div>
  );
}
