import type { ReactNode } from 'react';

/*
 * Small inline-SVG charts: no client JavaScript, crisp at any width, and each carries its data
 * as a table for screen readers (and for anyone who wants the exact numbers).
 */

export interface Point {
  label: string;
  value: number;
}

function niceMax(max: number): number {
  if (max <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= max) return step * magnitude;
  return 10 * magnitude;
}

export function DailyBarChart({
  title,
  points,
  format = String,
  color = 'fill-indigo-500',
  minScale = 2,
}: {
  title: string;
  points: Point[];
  format?: (n: number) => string;
  color?: string;
  /** The smallest top of the scale (counts: 2, money: one currency unit). */
  minScale?: number;
}) {
  const width = 600;
  const height = 160;
  const pad = { top: 10, right: 8, bottom: 22, left: 44 };
  const max = niceMax(Math.max(minScale, ...points.map((p) => p.value)));
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const slot = innerW / Math.max(points.length, 1);
  const barW = Math.max(1, slot * 0.7);
  const total = points.reduce((s, p) => s + p.value, 0);
  const ticks = Number.isInteger(max / 2) ? [0, max / 2, max] : [0, max];
  const labelEvery = Math.ceil(points.length / 6);
  return (
    <figure className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <figcaption className="flex items-baseline justify-between gap-2">
        <span className="text-sm font-semibold text-slate-900">{title}</span>
        <span className="text-xs text-slate-500">
          {format(total)} in {points.length} days
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} className="mt-2 h-auto w-full" role="img" aria-label={`${title}: ${format(total)} over ${points.length} days`}>
        {ticks.map((t) => {
          const y = pad.top + innerH - (t / max) * innerH;
          return (
            <g key={t}>
              <line x1={pad.left} x2={width - pad.right} y1={y} y2={y} className="stroke-slate-200" strokeWidth={1} />
              <text x={pad.left - 6} y={y + 4} textAnchor="end" className="fill-slate-500 text-[12px]">
                {format(t)}
              </text>
            </g>
          );
        })}
        {points.map((p, i) => {
          const h = (p.value / max) * innerH;
          const x = pad.left + i * slot + (slot - barW) / 2;
          return (
            <g key={p.label}>
              <rect x={x} y={pad.top + innerH - h} width={barW} height={Math.max(h, p.value > 0 ? 1 : 0)} rx={1.5} className={color}>
                <title>{`${p.label}: ${format(p.value)}`}</title>
              </rect>
              {i % labelEvery === 0 ? (
                <text x={x + barW / 2} y={height - 6} textAnchor="middle" className="fill-slate-500 text-[12px]">
                  {p.label.slice(5)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <DataTable caption={title} rows={points.filter((p) => p.value > 0).map((p) => [p.label, format(p.value)])} headers={['Day', title]} />
    </figure>
  );
}

export function HorizontalBars({ title, points, empty }: { title: string; points: Point[]; empty: ReactNode }) {
  const max = Math.max(1, ...points.map((p) => p.value));
  return (
    <figure className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
      <figcaption className="text-sm font-semibold text-slate-900">{title}</figcaption>
      {points.length === 0 ? (
        <p className="mt-3 text-sm text-slate-500">{empty}</p>
      ) : (
        <ul className="mt-3 space-y-2">
          {points.map((p) => (
            <li key={p.label} className="text-sm">
              <div className="flex justify-between gap-2">
                <span className="truncate text-slate-700" title={p.label}>
                  {p.label}
                </span>
                <span className="font-medium text-slate-900 tabular-nums">{p.value}</span>
              </div>
              <div className="mt-1 h-2 rounded-full bg-slate-100" aria-hidden="true">
                <div className="h-2 rounded-full bg-teal-500" style={{ width: `${(p.value / max) * 100}%` }} />
              </div>
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}

function DataTable({ caption, headers, rows }: { caption: string; headers: string[]; rows: string[][] }) {
  // The wrapper is what is visually hidden: a table ignores the 1px width of `sr-only` and would widen the page.
  return (
    <div className="sr-only">
      <table>
        <caption>{caption}, days with activity</caption>
        <thead>
          <tr>
            {headers.map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={headers.length}>none</td>
            </tr>
          ) : (
            rows.map((r) => (
              <tr key={r[0]}>
                {r.map((c, i) => (
                  <td key={i}>{c}</td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}
