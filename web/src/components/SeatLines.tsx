// The seats of a hold with their prices, one line each (the best-available offer, the checkout).
import type { Reservation } from '../api/types';
import { money, seatName } from '../lib/format';

export function SeatLines({ reservations, currency, label }: { reservations: Reservation[]; currency: string; label?: string }) {
  return (
    <ul className="mt-3 divide-y divide-slate-100 text-sm" aria-label={label}>
      {reservations.map((r) => (
        <li key={r.reservationId} className="flex justify-between py-1.5">
          <span>{seatName(r)}</span>
          <span>{money(r.price, currency)}</span>
        </li>
      ))}
    </ul>
  );
}
