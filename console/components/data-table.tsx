import type { ReactNode } from 'react';
import type { Loaded } from '@/lib/admin-api.ts';
import { Pagination, type SearchParams } from './pagination.tsx';
import { ProblemAlert, Table, Td, Th, cx } from './ui.tsx';

/** One column of a DataTable: its heading and what each row shows in it. */
export interface Column<T> {
  header: ReactNode;
  cell: (row: T) => ReactNode;
  /** A secondary column, shown only from this screen width up so narrow screens keep the essentials. */
  from?: 'sm' | 'md' | 'lg';
  /** Amounts line up on the right, heading included. */
  align?: 'right';
  /** Further classes of the body cells (width, wrapping, figures). */
  className?: string;
}

// Spelled out in full: Tailwind only generates the classes it finds written in the sources.
const shownFrom = { sm: 'hidden sm:table-cell', md: 'hidden md:table-cell', lg: 'hidden lg:table-cell' } as const;

/** Spread into the last column, the one holding a row's buttons: its heading is only for screen readers. */
export const actionsColumn = { header: <span className="sr-only">Actions</span>, className: 'text-right' } as const;

interface TableOptions<T> {
  /** The accessible name of the table's scrolling region (what the browser tests find it by). */
  label: string;
  /** `false` leaves a column out (one that only some rows or some views need). */
  columns: (Column<T> | false)[];
  rowKey?: (row: T) => string;
  /** Marks the row of the thing the page is about (e.g. the authority in the URL). */
  current?: (row: T) => boolean;
}

/** Rows of things with an `id` are keyed by it; other rows need a `rowKey`. */
export type DataTableProps<T> = TableOptions<T> & (T extends { id: string } ? unknown : { rowKey: (row: T) => string });

export function DataTable<T>(props: DataTableProps<T> & { rows: T[] }) {
  return <Rows {...props} />;
}

const byId = (row: unknown) => (row as { id: string }).id;

function Rows<T>({ label, columns, rows, rowKey = byId, current }: TableOptions<T> & { rows: T[] }) {
  const shown = columns.filter((c): c is Column<T> => c !== false);
  return (
    <Table label={label}>
      <thead>
        <tr>
          {shown.map((c, i) => (
            <Th key={i} className={cx(c.from && shownFrom[c.from], c.align === 'right' && 'text-right')}>
              {c.header}
            </Th>
          ))}
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {rows.map((row) => (
          <tr key={rowKey(row)} aria-current={current?.(row) ? 'true' : undefined}>
            {shown.map((c, i) => (
              <Td key={i} className={cx(c.from && shownFrom[c.from], c.align === 'right' && 'text-right', c.className)}>
                {c.cell(row)}
              </Td>
            ))}
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

/** Where a list's pager points: the page's path and query, and what the list is called ("contents"). */
export interface Pages {
  basePath: string;
  searchParams: SearchParams;
  label: string;
}

/**
 * A list as loaded from the admin API, shown the one way every page shows it: the server's
 * problem, or `empty` when there is nothing, or the table (with its pager when the list is paged).
 */
export function LoadedTable<T>({
  result,
  empty,
  pages,
  label,
  columns,
  rowKey,
  current,
}: DataTableProps<T> & { result: Loaded<{ items: T[]; nextCursor?: string | null }>; empty: ReactNode; pages?: Pages }) {
  if (!result.ok) return <ProblemAlert problem={result.problem} />;
  if (result.data.items.length === 0) return <>{empty}</>;
  return (
    <>
      <Rows label={label} columns={columns} rowKey={rowKey} current={current} rows={result.data.items} />
      {pages ? <Pagination {...pages} nextCursor={result.data.nextCursor ?? null} /> : null}
    </>
  );
}
