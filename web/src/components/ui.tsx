import type { ButtonHTMLAttributes, ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router-dom';
import { errorMessage } from '../api/client';
import { useUser } from '../auth/AuthContext';
import type { EventStatus } from '../api/types';
import { titleCase } from '../lib/format';

export function ErrorBox({ error, title, onRetry }: { error: unknown; title?: string; onRetry?: () => void }) {
  if (!error) return null;
  return (
    <div role="alert" className="rounded-xl border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800">
      {title && <p className="font-semibold">{title}</p>}
      <p>{errorMessage(error)}</p>
      {onRetry && (
        <button type="button" onClick={onRetry} className="mt-2 font-semibold underline">
          Try again
        </button>
      )}
    </div>
  );
}

export function Notice({ children, tone = 'info' }: { children: ReactNode; tone?: 'info' | 'warn' | 'ok' }) {
  const cls =
    tone === 'warn'
      ? 'border-amber-300 bg-amber-50 text-amber-900'
      : tone === 'ok'
        ? 'border-emerald-300 bg-emerald-50 text-emerald-900'
        : 'border-sky-200 bg-sky-50 text-sky-900';
  return (
    <div role="status" className={`rounded-xl border px-4 py-3 text-sm ${cls}`}>
      {children}
    </div>
  );
}

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="flex items-center gap-3 py-8 text-slate-500" role="status">
      <span className="h-5 w-5 animate-spin rounded-full border-2 border-slate-300 border-t-brand-600" aria-hidden="true" />
      {label}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="rounded-xl border border-dashed border-slate-300 bg-white px-6 py-10 text-center">
      <p className="font-semibold text-slate-700">{title}</p>
      {children && <div className="mt-2 text-sm text-slate-500">{children}</div>}
    </div>
  );
}

type BtnProps = ButtonHTMLAttributes<HTMLButtonElement> & { variant?: 'primary' | 'secondary' | 'danger' | 'ghost'; busy?: boolean };
export function Button({ variant = 'primary', busy, className = '', children, disabled, ...rest }: BtnProps) {
  const v =
    variant === 'primary'
      ? 'bg-brand-600 text-white hover:bg-brand-700 disabled:bg-brand-500/50'
      : variant === 'danger'
        ? 'bg-white text-red-700 border border-red-300 hover:bg-red-50 disabled:opacity-50'
        : variant === 'ghost'
          ? 'text-brand-700 hover:bg-brand-50 disabled:opacity-50'
          : 'bg-white text-slate-800 border border-slate-300 hover:bg-slate-50 disabled:opacity-50';
  return (
    <button
      {...rest}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
      className={`inline-flex min-h-[44px] items-center justify-center gap-2 rounded-lg px-4 py-2 text-sm font-semibold shadow-sm transition focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-600 disabled:cursor-not-allowed ${v} ${className}`}
    >
      {busy && <span className="h-4 w-4 animate-spin rounded-full border-2 border-current border-t-transparent" aria-hidden="true" />}
      {children}
    </button>
  );
}

const STATUS_STYLE: Record<string, string> = {
  ON_SALE: 'bg-emerald-100 text-emerald-800',
  UPCOMING: 'bg-sky-100 text-sky-800',
  SOLD_OUT: 'bg-slate-200 text-slate-700',
  CANCELLED: 'bg-red-100 text-red-800',
  COMPLETED: 'bg-slate-100 text-slate-600',
  CONFIRMED: 'bg-emerald-100 text-emerald-800',
  PENDING: 'bg-amber-100 text-amber-800',
  FAILED: 'bg-red-100 text-red-800',
  LIMITED: 'bg-amber-100 text-amber-800',
  AVAILABLE: 'bg-emerald-100 text-emerald-800',
  // Tickets (§13) and waitlist entries (§14).
  VALID: 'bg-emerald-100 text-emerald-800',
  USED: 'bg-slate-200 text-slate-800',
  REVOKED: 'bg-red-100 text-red-800',
  WAITING: 'bg-sky-100 text-sky-800',
  OFFERED: 'bg-amber-100 text-amber-900',
  FULFILLED: 'bg-emerald-100 text-emerald-800',
  EXPIRED: 'bg-slate-200 text-slate-700',
};
export function StatusBadge({ status }: { status: EventStatus | string }) {
  const label = status === 'LIMITED' ? 'Few left' : titleCase(status);
  return <span className={`inline-block rounded-full px-2.5 py-0.5 text-xs font-semibold ${STATUS_STYLE[status] ?? 'bg-slate-100'}`}>{label}</span>;
}

export const inputCls =
  'block w-full min-h-[44px] rounded-lg border border-slate-300 bg-white px-3 py-2 text-base sm:text-sm shadow-sm focus:border-brand-500 focus:outline-none focus:ring-2 focus:ring-brand-500/30';
export const labelCls = 'block text-sm font-medium text-slate-700 mb-1';

export function Field({ label, htmlFor, children, hint }: { label: string; htmlFor: string; children: ReactNode; hint?: ReactNode }) {
  return (
    <div>
      <label htmlFor={htmlFor} className={labelCls}>
        {label}
      </label>
      {children}
      {hint && <p className="mt-1 text-xs text-slate-500">{hint}</p>}
    </div>
  );
}

export function RequireAuth({ children, admin = false }: { children: ReactNode; admin?: boolean }) {
  const user = useUser();
  const loc = useLocation();
  if (!user) return <Navigate to={`/login?next=${encodeURIComponent(loc.pathname + loc.search)}`} replace />;
  if (admin && user.role !== 'ADMIN')
    return (
      <div className="mx-auto max-w-xl">
        <ErrorBox error={new Error('This page is for organizers. Sign in with an admin account.')} />
      </div>
    );
  return <>{children}</>;
}

export function PageTitle({ children, sub }: { children: ReactNode; sub?: ReactNode }) {
  return (
    <div className="mb-6">
      <h1 className="text-2xl font-bold tracking-tight text-slate-900 sm:text-3xl">{children}</h1>
      {sub && <p className="mt-1 text-slate-600">{sub}</p>}
    </div>
  );
}
