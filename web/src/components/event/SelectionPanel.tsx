// The seats the fan picked on the map: the list with its total and the Hold button (desktop), and the
// same at hand under the thumb on a phone.
import type { Seat } from '../../api/types';
import { money, seatName, tapOrClick } from '../../lib/format';
import { Button } from '../ui';

export function LimitLine({ canTake, cap, booked }: { canTake: number; cap: number | null; booked: number }) {
  if (cap === null) return null;
  if (canTake === 0)
    return (
      <p className="text-sm font-medium text-amber-900" data-testid="limit-line">
        You have booked {booked} of the {cap} tickets allowed per fan for this event: you cannot take more.
      </p>
    );
  return (
    <p className="text-sm text-slate-700" data-testid="limit-line">
      {booked > 0
        ? `You have booked ${booked} of the ${cap} tickets allowed per fan: you can take ${canTake} more.`
        : `Up to ${cap} tickets per fan: you can take ${canTake}.`}
    </p>
  );
}

export function SelectionPanel({
  selected,
  total,
  canTake,
  canPick,
  busy,
  disabledReason,
  onRemove,
  onHold,
}: {
  selected: Seat[];
  total: number;
  /** How many more seats the fan may take now. */
  canTake: number;
  canPick: boolean;
  busy: boolean;
  disabledReason?: string | null;
  onRemove: (s: Seat) => void;
  onHold: () => void;
}) {
  const verb = tapOrClick();
  return (
    <div className="hidden rounded-xl border border-slate-200 bg-white p-4 shadow-sm lg:block">
      <h2 className="font-semibold">
        Your seats{' '}
        <span className="text-sm font-normal text-slate-600">
          ({selected.length} of {canTake} you can take)
        </span>
      </h2>
      {selected.length === 0 ? (
        <p className="mt-1 text-sm text-slate-600">{verb} seats on the map, or use the arrow keys and Enter.</p>
      ) : (
        <ul className="mt-2 divide-y divide-slate-100 text-sm" aria-label="Selected seats">
          {selected.map((s) => (
            <li key={s.seatNumber} className="flex items-center justify-between py-1.5">
              <span>{seatName(s)}</span>
              <span className="flex items-center gap-2">
                {money(s.price)}
                <button
                  type="button"
                  className="min-h-[24px] min-w-[24px] text-slate-600 hover:text-red-700"
                  aria-label={`Remove ${seatName(s)}`}
                  onClick={() => onRemove(s)}
                >
                  ×
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
      {selected.length > 0 && (
        <p className="mt-2 flex justify-between border-t border-slate-200 pt-2 font-semibold">
          <span>Total</span>
          <span>{money(total)}</span>
        </p>
      )}
      <Button className="mt-3 w-full" disabled={!canPick || selected.length === 0} busy={busy} onClick={onHold}>
        {selected.length ? `Hold ${selected.length} seat${selected.length === 1 ? '' : 's'}` : 'Select seats on the map'}
      </Button>
      {disabledReason && <p className="mt-2 text-xs text-slate-600">{disabledReason}</p>}
    </div>
  );
}

export function PhoneSelectionBar({
  selected,
  total,
  canTake,
  canPick,
  busy,
  onHold,
}: {
  selected: Seat[];
  total: number;
  canTake: number;
  canPick: boolean;
  busy: boolean;
  onHold: () => void;
}) {
  return (
    <div className="fixed inset-x-0 bottom-0 z-20 border-t border-slate-200 bg-white/95 px-4 py-3 shadow-[0_-4px_12px_rgba(0,0,0,0.06)] backdrop-blur lg:hidden">
      <div className="mx-auto flex max-w-6xl items-center gap-3">
        <div className="min-w-0 flex-1 text-sm">
          <p className="font-semibold">
            {selected.length} of {canTake} seats · {money(total)}
          </p>
          <p className="truncate text-xs text-slate-600">{selected.map(seatName).join(', ') || `${tapOrClick()} seats on the map`}</p>
        </div>
        <Button disabled={!canPick || selected.length === 0} busy={busy} onClick={onHold}>
          Hold seats
        </Button>
      </div>
    </div>
  );
}
