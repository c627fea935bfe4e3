import { errorMessage } from '../../api/client';
import { sentence } from '../../lib/format';

/** An error as a sentence (the server's lower-case messages capitalised), announced to screen readers. */
export function AdminError({ error, title, onRetry, id }: { error: unknown; title?: string; onRetry?: () => void; id?: string }) {
  if (!error) return null;
  return (
    <div id={id} role="alert" className="rounded-xl border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800">
      {title && <p className="font-semibold">{sentence(title)}</p>}
      <p>{sentence(errorMessage(error))}</p>
      {onRetry && (
        <button
          type="button"
          onClick={onRetry}
          className="mt-2 font-semibold underline focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-700"
        >
          Try again
        </button>
      )}
    </div>
  );
}
