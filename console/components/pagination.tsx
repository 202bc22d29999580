import { buttonClass } from './ui.tsx';
import Link from 'next/link';

/*
 * Server cursors only go forward, so the way back is kept in the URL: `trail` lists the
 * cursors of the pages before this one ('' for the first page).
 */
export type SearchParams = Record<string, string | string[] | undefined>;

export const param = (sp: SearchParams, name: string): string | undefined => {
  const v = sp[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined || s === '' ? undefined : s;
};

export function pageOf(sp: SearchParams): { cursor: string | undefined; trail: string[] } {
  const trail = param(sp, 'trail');
  return { cursor: param(sp, 'cursor'), trail: trail === undefined ? [] : trail.split(',') };
}

function href(basePath: string, sp: SearchParams, cursor: string | undefined, trail: string[]): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(sp)) {
    const s = Array.isArray(v) ? v[0] : v;
    if (k !== 'cursor' && k !== 'trail' && s) q.set(k, s);
  }
  if (cursor) q.set('cursor', cursor);
  if (trail.length) q.set('trail', trail.join(','));
  const qs = q.toString();
  return qs ? `${basePath}?${qs}` : basePath;
}

export function Pagination({
  basePath,
  searchParams,
  nextCursor,
  label,
}: {
  basePath: string;
  searchParams: SearchParams;
  nextCursor: string | null;
  label: string;
}) {
  const { cursor, trail } = pageOf(searchParams);
  const hasPrevious = cursor !== undefined;
  if (!hasPrevious && !nextCursor) return null;
  const previous = trail.length ? trail[trail.length - 1] : undefined;
  const pageNumber = hasPrevious ? Math.max(trail.length, 1) + 1 : 1;
  return (
    <nav aria-label={`${label} pages`} className="mt-3 flex items-center justify-between gap-2">
      <p className="text-sm text-slate-600">Page {pageNumber}</p>
      <div className="flex gap-2">
        {hasPrevious ? (
          <Link className={buttonClass('secondary', 'sm')} href={href(basePath, searchParams, previous || undefined, trail.slice(0, -1))}>
            ← Previous<span className="sr-only"> page of {label}</span>
          </Link>
        ) : null}
        {nextCursor ? (
          <Link className={buttonClass('secondary', 'sm')} href={href(basePath, searchParams, nextCursor, [...trail, cursor ?? ''])}>
            Next<span className="sr-only"> page of {label}</span> →
          </Link>
        ) : null}
      </div>
    </nav>
  );
}
