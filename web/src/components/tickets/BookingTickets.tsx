// A booking's tickets (§13): one per seat, with its status, its QR code and a PDF to print or keep.
// The QR code and the PDF are served behind the bearer token, so they are fetched with it and shown
// through object URLs, each revoked when it is no longer shown.
import { useEffect, useRef, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { ApiError, errorMessage } from '../../api/client';
import { getBookingTickets, getTicketPdf, getTicketQr, type Ticket } from '../../api/tickets';
import { seatName, when } from '../../lib/format';
import { Button, ErrorBox, Notice, Spinner, StatusBadge } from '../ui';

type SeatLike = { seatNumber: string; section: string; rowNumber: number };

/** An object URL for a blob while the component shows it; revoked when the blob changes or on unmount. */
export function useObjectUrl(blob: Blob | null | undefined): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!blob) {
      setUrl(null);
      return;
    }
    const u = URL.createObjectURL(blob);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [blob]);
  return url;
}

/** The seat in the app's words ("A · row 1 · seat 3") when the booking knows it, else its number. */
export function ticketSeatLabel(t: Pick<Ticket, 'seatNumber' | 'section' | 'rowNumber'>, seats: readonly SeatLike[] = []): string {
  const s = seats.find((x) => x.seatNumber === t.seatNumber);
  if (s) return seatName(s);
  if (t.section && t.rowNumber != null) return seatName({ section: t.section, rowNumber: t.rowNumber, seatNumber: t.seatNumber });
  return `Seat ${t.seatNumber}`;
}

/** What a ticket's status means for the fan, in a sentence. */
export function ticketStatusLine(t: Pick<Ticket, 'status' | 'usedAt' | 'gate'>): string {
  switch (t.status) {
    case 'VALID':
      return 'Show this QR code at the entrance. It gets one person in, once.';
    case 'USED':
      return `Used: scanned ${t.usedAt ? when(t.usedAt) : 'already'}${t.gate ? ` at gate ${t.gate}` : ''}.`;
    case 'REVOKED':
      return 'Revoked: the booking was cancelled, so this ticket no longer gets anyone in.';
  }
}

export function BookingTickets({ bookingId, seats, fileStem = 'ticket' }: { bookingId: string; seats?: readonly SeatLike[]; fileStem?: string }) {
  const q = useQuery({ queryKey: ['tickets', bookingId], queryFn: () => getBookingTickets(bookingId) });
  if (q.isLoading) return <Spinner label="Loading your tickets…" />;
  if (q.error) {
    if (q.error instanceof ApiError && q.error.code === 'INVALID_STATE_TRANSITION')
      return <Notice>Tickets are issued once the booking is confirmed.</Notice>;
    return <ErrorBox error={q.error} title="We could not load your tickets." onRetry={() => q.refetch()} />;
  }
  const tickets = q.data?.tickets ?? [];
  if (tickets.length === 0) return <Notice>No tickets for this booking yet.</Notice>;
  return (
    <ul className="grid gap-3 sm:grid-cols-2" aria-label="Tickets" data-testid="tickets">
      {tickets.map((t) => (
        <TicketCard key={t.ticketId} ticket={t} seatLabel={ticketSeatLabel(t, seats)} fileName={`${fileStem}-${t.seatNumber}.pdf`} />
      ))}
    </ul>
  );
}

export function TicketCard({ ticket: t, seatLabel, fileName }: { ticket: Ticket; seatLabel: string; fileName: string }) {
  const revoked = t.status === 'REVOKED';
  return (
    <li
      className={`flex gap-4 rounded-xl border p-3 ${revoked ? 'border-red-200 bg-red-50' : 'border-slate-200 bg-white'}`}
      data-testid="ticket"
      data-status={t.status}
    >
      {revoked ? (
        <div className="flex h-32 w-32 shrink-0 items-center justify-center rounded-lg border-2 border-dashed border-red-300 text-center text-sm font-bold text-red-800">
          No entry
        </div>
      ) : (
        <TicketQr ticketId={t.ticketId} alt={`QR code of the ticket for ${seatLabel}`} dim={t.status === 'USED'} />
      )}
      <div className="min-w-0 flex-1 space-y-1.5">
        <p className="font-semibold text-slate-900">{seatLabel}</p>
        <StatusBadge status={t.status} />
        <p className={`text-sm ${revoked ? 'font-medium text-red-800' : 'text-slate-700'}`} data-testid="ticket-status-line">
          {ticketStatusLine(t)}
        </p>
        {!revoked && (
          <>
            <PdfButton ticketId={t.ticketId} seatLabel={seatLabel} fileName={fileName} />
            <details className="text-xs text-slate-700">
              <summary className="cursor-pointer py-1 font-medium">
                Code for typing in<span className="sr-only"> ({seatLabel})</span>
              </summary>
              <code className="block break-all rounded bg-slate-100 p-2 font-mono" data-testid="ticket-code">
                {t.code}
              </code>
            </details>
          </>
        )}
      </div>
    </li>
  );
}

function TicketQr({ ticketId, alt, dim }: { ticketId: string; alt: string; dim: boolean }) {
  const q = useQuery({
    queryKey: ['ticket-qr', ticketId],
    queryFn: ({ signal }) => getTicketQr(ticketId, signal),
    // The code of a ticket never changes: one download per ticket while the page is open.
    staleTime: Infinity,
    gcTime: 60_000,
  });
  const url = useObjectUrl(q.data);
  const box = 'h-32 w-32 shrink-0 rounded-lg border border-slate-200 bg-white';
  if (q.error)
    return (
      <div className={`${box} flex flex-col items-center justify-center p-2 text-center text-xs text-slate-700`}>
        <p>The QR code could not be loaded.</p>
        <button type="button" className="mt-1 font-semibold text-brand-700 underline" onClick={() => q.refetch()}>
          Try again
        </button>
      </div>
    );
  if (!url)
    return (
      <div className={`${box} animate-pulse bg-slate-100`} role="img" aria-label={`Loading the ${alt}`} aria-busy="true" />
    );
  return <img src={url} alt={alt} width={128} height={128} className={`${box} [image-rendering:pixelated] ${dim ? 'opacity-60' : ''}`} />;
}

function PdfButton({ ticketId, seatLabel, fileName }: { ticketId: string; seatLabel: string; fileName: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // The URLs handed to the browser's download: revoked a minute later, or when the card goes away.
  const urls = useRef(new Set<string>());
  useEffect(() => {
    const live = urls.current;
    return () => {
      live.forEach((u) => URL.revokeObjectURL(u));
      live.clear();
    };
  }, []);
  const download = async () => {
    setBusy(true);
    setError(null);
    try {
      const blob = await getTicketPdf(ticketId);
      const u = URL.createObjectURL(blob);
      urls.current.add(u);
      const a = document.createElement('a');
      a.href = u;
      a.download = fileName;
      a.rel = 'noopener';
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => {
        if (urls.current.delete(u)) URL.revokeObjectURL(u);
      }, 60_000);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div>
      <Button variant="secondary" busy={busy} onClick={() => void download()}>
        Download PDF<span className="sr-only"> of the ticket for {seatLabel}</span>
      </Button>
      {error ? (
        <p role="alert" className="mt-1 text-sm text-red-700">
          The PDF could not be downloaded. {errorMessage(error)}
        </p>
      ) : null}
    </div>
  );
}
