// What a gate sees after a scan (§13): one big, unambiguous answer (in words, a symbol and a colour,
// never the colour alone), said to screen readers through a live region that is always on the page.
import { ApiError, errorMessage } from '../../api/client';
import type { ScanResponse, ScanResult } from '../../api/tickets';

export interface ScanOutcome {
  /** Increases with every scan, so the same answer twice is still announced and drawn anew. */
  n: number;
  code: string;
  /** When this device checked it. */
  at: string;
  /** 'camera' scans are de-duplicated; typed ones never are. */
  source: 'camera' | 'typed' | 'offline';
  response?: ScanResponse;
  error?: unknown;
  /** Decided on this device, without the server (offline mode). */
  offline?: boolean;
}

type Tone = 'ok' | 'used' | 'bad' | 'unknown';
const TONE: Record<Tone, string> = {
  ok: 'border-emerald-800 bg-emerald-700 text-white',
  used: 'border-amber-600 bg-amber-300 text-slate-950',
  bad: 'border-red-900 bg-red-700 text-white',
  unknown: 'border-slate-400 bg-slate-100 text-slate-900',
};
const SYMBOL: Record<Tone, string> = { ok: '✓', used: '!', bad: '✕', unknown: '?' };

const timeFmt = new Intl.DateTimeFormat('en-US', { hour: 'numeric', minute: '2-digit', second: '2-digit' });
const dayFmt = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric' });
/** A time at the gate: "7:02:11 PM", with the day when it is not today. */
export function gateTime(iso: string | null | undefined, now = new Date()): string {
  if (!iso) return 'an unknown time';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const sameDay = d.toDateString() === now.toDateString();
  return sameDay ? timeFmt.format(d) : `${dayFmt.format(d)}, ${timeFmt.format(d)}`;
}

/** The words, the tone and whether to let the person in, for one scan's answer. */
export function scanWords(r: ScanResponse): { title: string; detail: string; tone: Tone; admit: boolean } {
  const seat = r.seatNumber ? `Seat ${r.seatNumber}` : null;
  switch (r.result as ScanResult) {
    case 'ADMITTED':
      return { title: 'Admitted', detail: `${seat ? `${seat}. ` : ''}Let them in.`, tone: 'ok', admit: true };
    case 'ALREADY_USED':
      return {
        title: 'Already used',
        detail: `${seat ? `${seat}: this` : 'This'} ticket was first scanned at ${gateTime(r.usedAt)}${r.gate ? ` at gate ${r.gate}` : ''}. Do not let them in.`,
        tone: 'used',
        admit: false,
      };
    case 'REVOKED':
      return {
        title: 'Ticket revoked',
        detail: `${seat ? `${seat}: the` : 'The'} booking was cancelled or refunded, so this ticket is no longer valid. Do not let them in.`,
        tone: 'bad',
        admit: false,
      };
    case 'WRONG_EVENT':
      return { title: 'Wrong event', detail: 'This is a real ticket, but for another event. Do not let them in.', tone: 'bad', admit: false };
    case 'INVALID':
      return {
        title: 'Not a valid ticket',
        detail: 'This code is not one of our tickets: it may be forged, altered or mistyped. Do not let them in.',
        tone: 'bad',
        admit: false,
      };
    default:
      return { title: 'Unknown answer', detail: `The server answered "${String(r.result)}". Do not let them in; ask a supervisor.`, tone: 'unknown', admit: false };
  }
}

function outcomeWords(o: ScanOutcome): { title: string; detail: string; tone: Tone } {
  if (o.response) return scanWords(o.response);
  const offline = o.error instanceof ApiError && (o.error.code === 'NETWORK' || o.error.status === 503);
  return {
    title: 'Not checked',
    detail: offline ? 'We could not reach the server: the ticket was not checked. Try again.' : `The ticket was not checked. ${errorMessage(o.error)}`,
    tone: 'unknown',
  };
}

/** The end of a code, to tell scans apart without showing the whole token. */
export const codeTail = (code: string) => (code.length > 8 ? `…${code.slice(-6)}` : code);

export function ScanResultView({ outcome }: { outcome: ScanOutcome | null }) {
  const w = outcome ? outcomeWords(outcome) : null;
  return (
    // Always on the page, so that each new answer is announced.
    <div role="status" aria-live="polite" aria-atomic="true" data-testid="scan-result">
      {outcome && w ? (
        <div
          key={outcome.n}
          className={`rounded-2xl border-4 p-5 shadow sm:p-6 ${TONE[w.tone]}`}
          data-result={outcome.response?.result ?? 'ERROR'}
        >
          <p className="flex items-center gap-3 text-3xl font-extrabold uppercase tracking-wide sm:text-5xl">
            <span aria-hidden="true" className="inline-flex h-12 w-12 shrink-0 items-center justify-center rounded-full border-4 border-current text-3xl">
              {SYMBOL[w.tone]}
            </span>
            <span data-testid="scan-result-title">{w.title}</span>
          </p>
          <p className="mt-3 text-lg font-semibold sm:text-xl" data-testid="scan-result-detail">
            {w.detail}
          </p>
          {outcome.offline && (
            <p className="mt-2 text-sm font-semibold" data-testid="scan-offline">
              Checked on this device, without the network{outcome.response?.result === 'ADMITTED' ? ': sent to the server when the network is back.' : '.'}
            </p>
          )}
          <p className="mt-2 text-sm">
            Scan {outcome.n} at {gateTime(outcome.at)} · code <span className="font-mono">{codeTail(outcome.code)}</span>
          </p>
        </div>
      ) : (
        <p className="rounded-2xl border-2 border-dashed border-slate-300 bg-white p-6 text-center text-lg text-slate-600">
          Scan a ticket or type its code: the answer shows here.
        </p>
      )}
    </div>
  );
}

/** A short line per scan for the list of recent scans. */
export function outcomeLine(o: ScanOutcome): string {
  const w = outcomeWords(o);
  const seat = o.response?.seatNumber ? ` · seat ${o.response.seatNumber}` : '';
  return `${gateTime(o.at)} · ${w.title}${seat}`;
}
