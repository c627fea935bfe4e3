// The check-in page's offline mode: the ticket list kept on the device, the scans waiting to be sent,
// and what the server said when they were sent (conflicts: tickets admitted elsewhere meanwhile).
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import { getCheckinTickets, scanBatch, type BatchScanResult } from '../../api/tickets';
import { byGate, loadList, loadQueue, saveList, saveQueue, type OfflineList, type QueuedScan } from '../../lib/offlineCheckin';
import { Button, ErrorBox } from '../ui';
import { gateTime, scanWords } from './ScanResult';

/** The batch endpoint takes up to 1000 scans a call. */
const BATCH_MAX = 500;

export interface UploadReport {
  sent: number;
  admitted: number;
  /** Every answer that is not a plain ADMITTED, with the scan it answers. */
  problems: { scan: QueuedScan; result: BatchScanResult }[];
  at: string;
}

/** The state of a gate's offline mode, kept in localStorage per event. */
export function useOfflineGate(eventId: string, onSent?: () => void) {
  const [list, setList] = useState<OfflineList | null>(() => loadList(eventId));
  const [queue, setQueueState] = useState<QueuedScan[]>(() => loadQueue(eventId));
  const queueRef = useRef(queue);
  const [forced, setForced] = useState(false);
  const [online, setOnline] = useState(() => (typeof navigator === 'undefined' ? true : navigator.onLine !== false));
  const [report, setReport] = useState<UploadReport | null>(null);

  const setQueue = useCallback(
    (f: (q: QueuedScan[]) => QueuedScan[]) => {
      const next = f(queueRef.current);
      queueRef.current = next;
      saveQueue(eventId, next);
      setQueueState(next);
    },
    [eventId],
  );
  const enqueue = useCallback((s: QueuedScan) => setQueue((q) => [...q, s]), [setQueue]);

  const download = useMutation({
    mutationFn: () => getCheckinTickets(eventId),
    onSuccess: (r) => {
      const l: OfflineList = { eventId, publicKey: r.publicKey, tickets: r.tickets, fetchedAt: new Date().toISOString() };
      saveList(l);
      setList(l);
    },
  });

  const upload = useMutation({
    mutationFn: async () => {
      const rep: UploadReport = { sent: 0, admitted: 0, problems: [], at: new Date().toISOString() };
      // One gate a call; what a call took leaves the queue at once, so a failure later resends only the rest.
      const calls: [string, QueuedScan[]][] = [];
      for (const [gate, all] of byGate(queueRef.current))
        for (let i = 0; i < all.length; i += BATCH_MAX) calls.push([gate, all.slice(i, i + BATCH_MAX)]);
      for (const [gate, scans] of calls) {
        const { results } = await scanBatch(
          eventId,
          gate,
          scans.map((s) => ({ code: s.code, scannedAt: s.scannedAt })),
        );
        scans.forEach((scan, i) => {
          const result = results.find((r) => r.code === scan.code) ?? results[i];
          rep.sent++;
          if (result?.result === 'ADMITTED' && !result.conflict) rep.admitted++;
          else if (result) rep.problems.push({ scan, result });
        });
        setQueue((q) => q.filter((x) => !scans.includes(x)));
      }
      return rep;
    },
    onSuccess: (rep) => {
      setReport(rep);
      onSent?.();
    },
  });
  const { mutate: send, isPending: sending } = upload;

  useEffect(() => {
    const on = () => setOnline(true);
    const off = () => setOnline(false);
    window.addEventListener('online', on);
    window.addEventListener('offline', off);
    return () => {
      window.removeEventListener('online', on);
      window.removeEventListener('offline', off);
    };
  }, []);
  // Back online (and not held offline by hand): what waits is sent by itself.
  const wasOffline = useRef(!online);
  useEffect(() => {
    if (!online) {
      wasOffline.current = true;
      return;
    }
    if (wasOffline.current && !forced && queueRef.current.length > 0 && !sending) send();
    wasOffline.current = false;
  }, [online, forced, sending, send]);

  return { list, queue, queueRef, enqueue, forced, setForced, online, offlineNow: forced || !online, download, upload, report };
}
export type OfflineGate = ReturnType<typeof useOfflineGate>;

export function OfflinePanel({ gate: g }: { gate: OfflineGate }) {
  const id = useId();
  const n = g.queue.length;
  return (
    <section className="rounded-xl border border-slate-200 bg-white p-4 shadow-sm" aria-labelledby={`${id}-h`} data-testid="offline-panel">
      <h2 id={`${id}-h`} className="mb-1 font-semibold">
        Offline mode
      </h2>
      <p className="text-sm text-slate-700">
        If the network may drop at this gate, download the ticket list first. Without the network, codes are then checked on this device
        and the scans are sent when the network is back.
      </p>
      {!g.online && (
        <p className="mt-2 rounded-lg bg-amber-100 px-3 py-2 text-sm font-semibold text-amber-900" role="status">
          No network: {g.list ? 'checking on this device.' : 'download the ticket list when the network is back to check offline.'}
        </p>
      )}
      <div className="mt-3 flex flex-wrap items-center gap-3">
        <Button type="button" variant="secondary" busy={g.download.isPending} onClick={() => g.download.mutate()}>
          {g.list ? 'Refresh the ticket list' : 'Download the ticket list'}
        </Button>
        <span className="text-sm text-slate-700" data-testid="offline-list">
          {g.list
            ? `${g.list.tickets.length.toLocaleString('en-US')} ticket${g.list.tickets.length === 1 ? '' : 's'}, downloaded at ${gateTime(g.list.fetchedAt)}.`
            : 'No list on this device yet.'}
        </span>
      </div>
      <ErrorBox error={g.download.error} title="The ticket list could not be downloaded." />
      <label className="mt-3 flex items-center gap-2 text-sm">
        <input
          type="checkbox"
          className="h-5 w-5"
          checked={g.forced}
          disabled={!g.list}
          onChange={(e) => g.setForced(e.target.checked)}
          aria-describedby={!g.list ? `${id}-needs-list` : undefined}
        />
        Check on this device only (the network is unreliable here)
      </label>
      {!g.list && (
        <p id={`${id}-needs-list`} className="text-xs text-slate-600">
          Download the ticket list to turn this on.
        </p>
      )}
      <div className="mt-3 flex flex-wrap items-center gap-3">
        <span className="text-sm font-medium text-slate-800" data-testid="offline-queue">
          {n === 0 ? 'No scans waiting to be sent.' : `${n} scan${n === 1 ? '' : 's'} waiting to be sent.`}
        </span>
        {n > 0 && (
          <Button type="button" variant="secondary" busy={g.upload.isPending} disabled={!g.online} onClick={() => g.upload.mutate()}>
            Send now
          </Button>
        )}
      </div>
      <ErrorBox error={g.upload.error} title="The scans could not be sent: they stay on this device." />
      {g.report && <UploadResult report={g.report} />}
    </section>
  );
}

function UploadResult({ report: r }: { report: UploadReport }) {
  return (
    <div className="mt-3 rounded-lg border border-slate-200 bg-slate-50 p-3 text-sm" role="status" data-testid="offline-report">
      <p className="font-semibold">
        Sent {r.sent} scan{r.sent === 1 ? '' : 's'} at {gateTime(r.at)}: {r.admitted} admitted
        {r.problems.length ? `, ${r.problems.length} to look at` : ', no conflict'}.
      </p>
      {r.problems.length > 0 && (
        <ul className="mt-2 space-y-1" aria-label="Scans the server did not take">
          {r.problems.map(({ scan, result }) => (
            <li key={`${scan.code}-${scan.scannedAt}`} className="text-red-800" data-testid="offline-conflict">
              {result.conflict ? 'Conflict: ' : ''}seat {result.seatNumber ?? scan.seatNumber}, let in here at {gateTime(scan.scannedAt)}:{' '}
              {scanWords(result).title.toLowerCase()}
              {result.result === 'ALREADY_USED' || result.conflict
                ? ` (first admitted${result.gate ? ` at gate ${result.gate}` : ''}${result.usedAt ? ` at ${gateTime(result.usedAt)}` : ''}).`
                : '.'}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
