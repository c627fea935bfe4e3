import { useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { searchPublic } from '../api/endpoints';
import { CATEGORIES, type Facet, type SearchParams } from '../api/types';
import { Button, Empty, ErrorBox, inputCls, labelCls, Spinner, StatusBadge } from '../components/ui';
import { priceRange, titleCase, when } from '../lib/format';

const KEYS = ['q', 'city', 'category', 'status', 'dateFrom', 'dateTo', 'priceMin', 'priceMax', 'sort'] as const;

export function HomePage() {
  const [sp, setSp] = useSearchParams();
  const params: SearchParams = { size: 12, page: Number(sp.get('page') ?? 0) };
  for (const k of KEYS) {
    const v = sp.get(k);
    if (v) (params as Record<string, unknown>)[k] = v;
  }
  const q = useQuery({ queryKey: ['search', params], queryFn: () => searchPublic(params), placeholderData: keepPreviousData });

  const [draft, setDraft] = useState<Record<string, string>>(() => Object.fromEntries(KEYS.map((k) => [k, sp.get(k) ?? ''])));
  const set = (k: string) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [k]: e.target.value }));

  const apply = (next: Record<string, string>) => {
    const p = new URLSearchParams();
    for (const k of KEYS) if (next[k]) p.set(k, next[k]);
    setSp(p);
  };
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    apply(draft);
  };
  const pick = (k: 'city' | 'category', v: string) => {
    const next = { ...draft, [k]: draft[k] === v ? '' : v };
    setDraft(next);
    apply(next);
  };
  const clear = () => {
    const empty = Object.fromEntries(KEYS.map((k) => [k, '']));
    setDraft(empty);
    setSp(new URLSearchParams());
  };
  const data = q.data;
  const filtersOn = KEYS.some((k) => k !== 'q' && k !== 'sort' && sp.get(k));

  return (
    <div>
      <section className="mb-6 rounded-2xl bg-gradient-to-br from-brand-700 to-brand-900 px-5 py-6 text-white shadow sm:px-8 sm:py-8">
        <h1 className="text-2xl font-bold sm:text-3xl">Find your next live event</h1>
        <p className="mt-1 text-brand-100">Concerts, sports, theatre and more. Pick your exact seats.</p>
        <form onSubmit={onSubmit} role="search" className="mt-4 flex gap-2" aria-label="Search events">
          <label htmlFor="q" className="sr-only">
            Search
          </label>
          <input
            id="q"
            type="search"
            value={draft.q}
            onChange={set('q')}
            placeholder="Artist, team, show or venue"
            className={`${inputCls} text-slate-900`}
          />
          <Button type="submit" className="bg-white !text-brand-700 hover:bg-brand-50">
            Search
          </Button>
        </form>
        <a
          href="#results-heading"
          className="sr-only rounded bg-white px-3 py-2 text-sm font-semibold text-brand-700 focus:not-sr-only focus:mt-3 focus:inline-block"
          onClick={(e) => {
            e.preventDefault();
            const first = document.querySelector<HTMLElement>('[data-testid="results"] a') ?? document.getElementById('results-heading');
            first?.focus();
          }}
        >
          Skip to results
        </a>
      </section>

      <div className="grid gap-6 lg:grid-cols-[260px_1fr]">
        <aside>
          <details className="group rounded-xl border border-slate-200 bg-white p-4 lg:open:block" open={typeof window !== 'undefined' && window.innerWidth >= 1024 ? true : filtersOn}>
            <summary className="cursor-pointer select-none font-semibold text-slate-800 lg:pointer-events-none lg:list-none">
              Filters{filtersOn ? ' (on)' : ''}
            </summary>
            <form onSubmit={onSubmit} className="mt-3 space-y-3">
              <div>
                <label htmlFor="city" className={labelCls}>
                  City
                </label>
                <input id="city" value={draft.city} onChange={set('city')} className={inputCls} placeholder="Any city" />
              </div>
              <div>
                <label htmlFor="category" className={labelCls}>
                  Category
                </label>
                <select id="category" value={draft.category} onChange={set('category')} className={inputCls}>
                  <option value="">Any category</option>
                  {CATEGORIES.map((c) => (
                    <option key={c} value={c}>
                      {titleCase(c)}
                    </option>
                  ))}
                </select>
              </div>
              <div>
                <label htmlFor="status" className={labelCls}>
                  Status
                </label>
                <select id="status" value={draft.status} onChange={set('status')} className={inputCls}>
                  <option value="">On sale, upcoming or sold out</option>
                  <option value="ON_SALE">On sale</option>
                  <option value="UPCOMING">Upcoming</option>
                  <option value="SOLD_OUT">Sold out</option>
                  <option value="CANCELLED">Cancelled</option>
                  <option value="COMPLETED">Past (completed)</option>
                </select>
              </div>
              <div className="grid grid-cols-2 gap-2">
                <div>
                  <label htmlFor="dateFrom" className={labelCls}>
                    From
                  </label>
                  <input id="dateFrom" type="date" value={draft.dateFrom} onChange={set('dateFrom')} className={inputCls} />
                </div>
                <div>
                  <label htmlFor="dateTo" className={labelCls}>
                    To
                  </label>
                  <input id="dateTo" type="date" value={draft.dateTo} onChange={set('dateTo')} className={inputCls} />
                </div>
              </div>
              <div className="grid grid-cols-2 gap-2">
                <div>
                  <label htmlFor="priceMin" className={labelCls}>
                    Min price
                  </label>
                  <input id="priceMin" type="number" min={0} inputMode="decimal" value={draft.priceMin} onChange={set('priceMin')} className={inputCls} />
                </div>
                <div>
                  <label htmlFor="priceMax" className={labelCls}>
                    Max price
                  </label>
                  <input id="priceMax" type="number" min={0} inputMode="decimal" value={draft.priceMax} onChange={set('priceMax')} className={inputCls} />
                </div>
              </div>
              <div>
                <label htmlFor="sort" className={labelCls}>
                  Sort by
                </label>
                <select id="sort" value={draft.sort} onChange={set('sort')} className={inputCls}>
                  <option value="">Best match</option>
                  <option value="date">Date</option>
                  <option value="price_asc">Price: low to high</option>
                  <option value="price_desc">Price: high to low</option>
                </select>
              </div>
              <div className="flex gap-2">
                <Button type="submit" className="flex-1">
                  Apply
                </Button>
                <Button type="button" variant="secondary" onClick={clear}>
                  Clear
                </Button>
              </div>
            </form>
            {data && (
              <div className="mt-5 space-y-4">
                <FacetList title="City" facets={data.facets.city} active={sp.get('city') ?? ''} onPick={(v) => pick('city', v)} />
                <FacetList
                  title="Category"
                  facets={data.facets.category}
                  active={sp.get('category') ?? ''}
                  onPick={(v) => pick('category', v)}
                  format={titleCase}
                />
              </div>
            )}
          </details>
        </aside>

        <section aria-labelledby="results-heading" aria-busy={q.isFetching}>
          <div className="mb-3 flex items-baseline justify-between">
            <h2 id="results-heading" tabIndex={-1} className="text-lg font-semibold">
              {data ? `${data.page.totalElements} event${data.page.totalElements === 1 ? '' : 's'}` : 'Events'}
            </h2>
            {q.isFetching && !q.isLoading && <span className="text-xs text-slate-500">Updating…</span>}
          </div>
          {q.isLoading && <Spinner label="Finding events…" />}
          {q.error && <ErrorBox error={q.error} title="We could not load events." onRetry={() => q.refetch()} />}
          {data && data.results.length === 0 && (
            <Empty title="No events match your search.">
              Try fewer filters.{' '}
              <button type="button" className="text-brand-700 underline" onClick={clear}>
                Clear all
              </button>
            </Empty>
          )}
          {data?.hiddenCount ? (
            <p className="mb-3 text-sm text-slate-600">
              {data.hiddenCount} cancelled or past event{data.hiddenCount === 1 ? ' is' : 's are'} not listed. Choose them under Status to see them.
            </p>
          ) : null}
          <ul className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3" data-testid="results">
            {data?.results.map((r) => (
              <li key={r.eventId}>
                <Link
                  to={`/events/${r.eventId}`}
                  className="flex h-full flex-col rounded-xl border border-slate-200 bg-white p-4 shadow-sm transition hover:border-brand-500 hover:shadow-md focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-600"
                >
                  <div className="flex items-center justify-between gap-2 text-xs font-semibold uppercase tracking-wide text-brand-700">
                    <span>{titleCase(r.category)}</span>
                    <StatusBadge status={r.status === 'ON_SALE' && r.availability === 'LIMITED' ? 'LIMITED' : r.status} />
                  </div>
                  <h3 className="mt-1 text-lg font-semibold leading-snug text-slate-900">{r.eventName}</h3>
                  <p className="text-sm text-slate-600">{when(r.eventDate)}</p>
                  <p className="text-sm text-slate-600">
                    {r.venueName}, {r.city}
                  </p>
                  <div className="mt-auto flex items-end justify-between pt-3">
                    <span className="font-semibold">{priceRange(r.minPrice, r.maxPrice)}</span>
                    <span className="text-xs text-slate-500">
                      {r.availableSeats.toLocaleString()} / {r.totalSeats.toLocaleString()} left
                    </span>
                  </div>
                </Link>
              </li>
            ))}
          </ul>
          {data && data.page.totalPages > 1 && (
            <nav className="mt-6 flex items-center justify-center gap-3" aria-label="Pages">
              <Button
                variant="secondary"
                disabled={data.page.number <= 0}
                onClick={() => {
                  const p = new URLSearchParams(sp);
                  p.set('page', String(data.page.number - 1));
                  setSp(p);
                }}
              >
                Previous
              </Button>
              <span className="text-sm text-slate-600">
                Page {data.page.number + 1} of {data.page.totalPages}
              </span>
              <Button
                variant="secondary"
                disabled={data.page.number + 1 >= data.page.totalPages}
                onClick={() => {
                  const p = new URLSearchParams(sp);
                  p.set('page', String(data.page.number + 1));
                  setSp(p);
                }}
              >
                Next
              </Button>
            </nav>
          )}
        </section>
      </div>
    </div>
  );
}

/** One Tab stop per list: arrow keys move between the choices (roving tabindex), Enter or Space picks. */
function FacetList({
  title,
  facets,
  active,
  onPick,
  format = (s: string) => s,
}: {
  title: string;
  facets: Facet[];
  active: string;
  onPick: (v: string) => void;
  format?: (s: string) => string;
}) {
  const activeIdx = facets.findIndex((f) => active.toLowerCase() === f.value.toLowerCase());
  const [focusIdx, setFocusIdx] = useState(0);
  const current = Math.min(focusIdx, facets.length - 1);
  const tabStop = activeIdx >= 0 ? activeIdx : current;
  const refs = useRef<(HTMLButtonElement | null)[]>([]);
  if (!facets.length) return null;
  const headingId = `facet-${title.toLowerCase()}`;
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const i = refs.current.findIndex((b) => b === document.activeElement);
    if (i < 0) return;
    let next = -1;
    if (e.key === 'ArrowDown' || e.key === 'ArrowRight') next = (i + 1) % facets.length;
    else if (e.key === 'ArrowUp' || e.key === 'ArrowLeft') next = (i - 1 + facets.length) % facets.length;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = facets.length - 1;
    if (next < 0) return;
    e.preventDefault();
    setFocusIdx(next);
    refs.current[next]?.focus();
  };
  return (
    <div>
      <h3 id={headingId} className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-600">
        {title}
      </h3>
      <div role="toolbar" aria-labelledby={headingId} onKeyDown={onKeyDown} className="flex flex-wrap gap-1.5 lg:flex-col lg:gap-0.5">
        {facets.map((f, i) => {
          const on = i === activeIdx;
          return (
            <button
              key={f.value}
              ref={(el) => {
                refs.current[i] = el;
              }}
              type="button"
              aria-pressed={on}
              tabIndex={i === tabStop ? 0 : -1}
              onFocus={() => setFocusIdx(i)}
              onClick={() => onPick(f.value)}
              className={`flex w-full items-center justify-between gap-3 rounded-full px-3 py-1.5 text-sm lg:rounded-md ${
                on ? 'bg-brand-600 text-white' : 'bg-slate-100 text-slate-700 hover:bg-slate-200 lg:bg-transparent'
              }`}
            >
              <span>{format(f.value)}</span>
              <span className={`text-xs ${on ? 'text-brand-100' : 'text-slate-600'}`}>
                {f.count}
                <span className="sr-only"> events</span>
              </span>
            </button>
          );
        })}
      </div>
    </div>
  );
}
