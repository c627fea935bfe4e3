// Check-in at the gates (§13), for the organizer and for the gate staff given the scanner role of the
// event: name the gate, scan with the camera or type the code, see the answer big; the admitted and
// expected counts follow every few seconds.
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router-dom';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';
import { getEvent } from '../api/endpoints';
import { getCheckinCounts, scanTicket } from '../api/tickets';
import { useUser } from '../auth/AuthContext';
import { CameraScanner, isRepeatSighting } from '../components/checkin/CameraScanner';
import { OfflinePanel, useOfflineGate } from '../components/checkin/OfflineGate';
import { outcomeLine, ScanResultView, type ScanOutcome } from '../components/checkin/ScanResult';
import { checkOffline, type OfflineList } from '../lib/offlineCheckin';
import { Button, ErrorBox, inputCls, labelCls, PageTitle, Spinner } from '../components/ui';
import { when } from '../lib/format';

export const COUNTS_POLL_MS = 3000;
export const GATE_KEY = 'ticketing.checkin.gate';
const RECENT = 8;

const isForbidden = (e: unknown) => e instanceof ApiError && e.status === 403;

function readGate(): string {
  try {
    return localStorage.getItem(GATE_KEY) ?? '';
  } catch {
    return '';
  }
}

export function NotAScanner({ userId }: { userId?: string }) {
  return (
    <div role="alert" className="rounded-xl border-2 border-red-300 bg-red-50 px-4 py-4 text-red-900" data-testid="not-scanner">
      <p className="text-lg font-bold">You are not a scanner for this event.</p>
      <p className="mt-1 text-sm">
        Only the organizer and the gate staff they name can check tickets in here. Ask the organizer to give your account the scanner role for
        this event, then reload this page.
      </p>
      {userId && (
        <p className="mt-2 text-sm">
          Your user id: <code className="break-all rounded bg-white px-1.5 py-0.5 font-mono text-red-950">{userId}</code>
        </p>
      )}
    </div>
  );
}

export default function CheckinPage() {
  const { eventId = '' } = useParams();
  const user = useUser();
  const qc = useQueryClient();
  const ev = useQuery({ queryKey: ['event', eventId], queryFn: () => getEvent(eventId) });
  const [forbidden, setForbidden] = useState(false);
  const counts = useQuery({
    queryKey: ['checkin', eventId],
    queryFn: () => getCheckinCounts(eventId),
    refetchInterval: (q) => (isForbidden(q.state.error) ? false : COUNTS_POLL_MS),
    refetchIntervalInBackground: false,
    retry: false,
  });
  const notScanner = forbidden || isForbidden(counts.error);
  const offline = useOfflineGate(eventId, () => qc.invalidateQueries({ queryKey: ['checkin', eventId] }));

  const [gate, setGate] = useState(readGate);
  const [gateError, setGateError] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [codeError, setCodeError] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);
  const [outcome, setOutcome] = useState<ScanOutcome | null>(null);
  const [recent, setRecent] = useState<ScanOutcome[]>([]);
  const gateInput = useRef<HTMLInputElement>(null);
  const codeInput = useRef<HTMLInputElement>(null);
  const scans = useRef(0);
  const inFlight = useRef(false);
  const lastSighting = useRef<{ code: string; at: number } | null>(null);

  const changeGate = (g: string) => {
    setGate(g);
    setGateError(null);
    try {
      localStorage.setItem(GATE_KEY, g);
    } catch {
      /* kept for this page only */
    }
  };

  const check = useCallback(
    async (c: string, source: ScanOutcome['source']) => {
      const g = gate.trim();
      if (!g) {
        setGateError('Enter the name of this gate first.');
        gateInput.current?.focus();
        return;
      }
      inFlight.current = true;
      setChecking(true);
      const base = { n: ++scans.current, code: c, at: new Date().toISOString(), source };
      // Without the network, against the list on this device; the admitted scans wait to be sent.
      const onDevice = async (list: OfflineList): Promise<ScanOutcome> => {
        const response = await checkOffline(c, eventId, list, offline.queueRef.current);
        if (response.result === 'ADMITTED' && response.ticketId && response.seatNumber)
          offline.enqueue({ code: c, scannedAt: base.at, gate: g, ticketId: response.ticketId, seatNumber: response.seatNumber });
        return { ...base, response, offline: true };
      };
      let o: ScanOutcome;
      try {
        if (offline.offlineNow && offline.list) o = await onDevice(offline.list);
        else {
          o = { ...base, response: await scanTicket(eventId, { code: c, gate: g }) };
          qc.invalidateQueries({ queryKey: ['checkin', eventId] });
        }
      } catch (e) {
        if (isForbidden(e)) setForbidden(true);
        const unreachable = e instanceof ApiError && (e.code === 'NETWORK' || e.status === 503);
        o = unreachable && offline.list ? await onDevice(offline.list) : { ...base, error: e };
      } finally {
        inFlight.current = false;
        setChecking(false);
      }
      setOutcome(o);
      setRecent((r) => [o, ...r].slice(0, RECENT));
      if (o.response?.result === 'ADMITTED') navigator.vibrate?.(80);
      else if (o.response) navigator.vibrate?.([60, 60, 60, 60, 60]);
    },
    [gate, eventId, qc, offline],
  );

  // The camera reads a code many times a second: one check per sighting. The same code is not sent
  // again while it stays in view (or comes back within 3 s); another code waits for the answer.
  const onCameraCode = useCallback(
    (c: string) => {
      const now = Date.now();
      if (isRepeatSighting(lastSighting.current, c, now)) {
        lastSighting.current = { code: c, at: now };
        return;
      }
      if (inFlight.current) return;
      lastSighting.current = { code: c, at: now };
      void check(c, 'camera');
    },
    [check],
  );

  const onType = async (e: FormEvent) => {
    e.preventDefault();
    const c = code.trim();
    if (!c) {
      setCodeError('Type the code printed under the ticket’s QR code.');
      codeInput.current?.focus();
      return;
    }
    if (!gate.trim()) {
      setGateError('Enter the name of this gate first.');
      gateInput.current?.focus();
      return;
    }
    setCodeError(null);
    setCode('');
    await check(c, 'typed');
    codeInput.current?.focus();
  };

  // A gate opened with no name yet starts there.
  useEffect(() => {
    if (!readGate()) gateInput.current?.focus();
  }, []);

  const e = ev.data;
  const isAdmin = user?.role === 'ADMIN';
  return (
    <div className="mx-auto max-w-3xl">
      <PageTitle sub={e ? `${e.eventName} · ${when(e.eventDate)} · ${e.venueName}, ${e.city}` : ev.isLoading ? 'Loading the event…' : undefined}>Check-in</PageTitle>
      {isAdmin && (
        <p className="-mt-4 mb-4 text-sm">
          <Link to={`/admin/events/${eventId}`} className="font-semibold text-brand-700 hover:underline">
            ← Back to the event
          </Link>
        </p>
      )}
      {ev.error && !(ev.error instanceof ApiError && ev.error.status === 403) && (
        <div className="mb-4">
          <ErrorBox error={ev.error} title="We could not load this event." onRetry={() => ev.refetch()} />
        </div>
      )}
      {notScanner ? (
        <NotAScanner userId={user?.userId} />
      ) : (
        <div className="space-y-5">
          <div className="grid gap-4 sm:grid-cols-[1fr_auto] sm:items-end">
            <div>
              <label htmlFor="gate" className={labelCls}>
                Gate
              </label>
              <input
                id="gate"
                ref={gateInput}
                className={`${inputCls} ${gateError ? 'border-red-600' : ''}`}
                value={gate}
                onChange={(x) => changeGate(x.target.value)}
                placeholder="For example: North 2"
                autoComplete="off"
                aria-invalid={gateError ? true : undefined}
                aria-describedby={gateError ? 'gate-error' : 'gate-hint'}
              />
              {gateError ? (
                <p id="gate-error" className="mt-1 text-sm font-medium text-red-700">
                  {gateError}
                </p>
              ) : (
                <p id="gate-hint" className="mt-1 text-xs text-slate-600">
                  Kept on this device for the next scans.
                </p>
              )}
            </div>
            <Counts data={counts.data} loading={counts.isLoading} />
          </div>
          {counts.error && !notScanner && !offline.offlineNow && <ErrorBox error={counts.error} title="The counts could not be loaded." onRetry={() => counts.refetch()} />}

          <ScanResultView outcome={outcome} />

          <form onSubmit={(x) => void onType(x)} className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm" aria-labelledby="type-h" noValidate>
            <h2 id="type-h" className="mb-2 font-semibold">
              Type a code
            </h2>
            <label htmlFor="checkin-code" className={labelCls}>
              Ticket code
            </label>
            <div className="flex flex-col gap-2 sm:flex-row">
              <input
                id="checkin-code"
                ref={codeInput}
                className={`${inputCls} font-mono ${codeError ? 'border-red-600' : ''}`}
                value={code}
                onChange={(x) => {
                  setCode(x.target.value);
                  setCodeError(null);
                }}
                autoComplete="off"
                autoCapitalize="off"
                autoCorrect="off"
                spellCheck={false}
                aria-invalid={codeError ? true : undefined}
                aria-describedby={codeError ? 'checkin-code-error' : undefined}
              />
              <Button type="submit" busy={checking} className="sm:w-32">
                Check
              </Button>
            </div>
            {codeError && (
              <p id="checkin-code-error" className="mt-1 text-sm font-medium text-red-700">
                {codeError}
              </p>
            )}
          </form>

          <section className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm" aria-labelledby="camera-h">
            <h2 id="camera-h" className="mb-2 font-semibold">
              Scan with the camera
            </h2>
            <CameraScanner onCode={onCameraCode} />
          </section>

          <OfflinePanel gate={offline} />

          {recent.length > 0 && (
            <section aria-labelledby="recent-h">
              <h2 id="recent-h" className="mb-2 font-semibold">
                Recent scans at this gate
              </h2>
              <ol className="divide-y divide-slate-100 rounded-xl border border-slate-200 bg-white text-sm" data-testid="recent-scans">
                {recent.map((o) => (
                  <li key={o.n} className="px-3 py-2">
                    {outcomeLine(o)}
                  </li>
                ))}
              </ol>
            </section>
          )}
        </div>
      )}
    </div>
  );
}

function Counts({ data, loading }: { data?: { expected: number; admitted: number }; loading: boolean }) {
  if (loading && !data) return <Spinner label="Loading the counts…" />;
  if (!data) return null;
  const pct = data.expected > 0 ? Math.min(100, Math.round((data.admitted / data.expected) * 100)) : 0;
  return (
    <div className="min-w-[12rem] rounded-xl border border-slate-200 bg-white px-4 py-2 shadow-sm">
      <p className="text-xs font-medium uppercase tracking-wide text-slate-600">Admitted / expected</p>
      <p className="text-2xl font-bold tabular-nums text-slate-900" data-testid="checkin-counts">
        {data.admitted.toLocaleString('en-US')} / {data.expected.toLocaleString('en-US')}
      </p>
      <div className="mt-1 h-2 w-full overflow-hidden rounded-full bg-slate-200" aria-hidden="true">
        <div className="h-full bg-emerald-600" style={{ width: `${pct}%` }} />
      </div>
      <p className="mt-1 text-xs text-slate-600">Updated every {COUNTS_POLL_MS / 1000} seconds.</p>
    </div>
  );
}
