import Link from 'next/link';
import type { ComponentProps, ReactNode } from 'react';
import type { Problem } from '@/lib/problem.ts';

/* Presentational building blocks shared by every page (no state: usable from server components). */

export const focusRing = 'focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600';

export function cx(...classes: (string | false | null | undefined)[]): string {
  return classes.filter(Boolean).join(' ');
}

export function PageHeader({ title, description, actions }: { title: string; description?: ReactNode; actions?: ReactNode }) {
  return (
    <div className="mb-6 flex flex-col gap-3 sm:flex-row sm:items-end sm:justify-between">
      <div className="min-w-0">
        <h1 className="text-2xl font-semibold tracking-tight [overflow-wrap:anywhere] text-slate-900">{title}</h1>
        {description ? <p className="mt-1 text-sm text-slate-600">{description}</p> : null}
      </div>
      {actions ? <div className="flex flex-wrap items-center gap-2">{actions}</div> : null}
    </div>
  );
}

export function Card({ title, actions, children, className }: { title?: string; actions?: ReactNode; children: ReactNode; className?: string }) {
  return (
    <section className={cx('rounded-lg border border-slate-200 bg-white shadow-sm', className)} aria-label={title}>
      {title || actions ? (
        <header className="flex flex-wrap items-center justify-between gap-2 border-b border-slate-200 px-4 py-3">
          {title ? <h2 className="text-base font-semibold text-slate-900">{title}</h2> : <span />}
          {actions}
        </header>
      ) : null}
      <div className="p-4">{children}</div>
    </section>
  );
}

export function ProblemAlert({ problem, className }: { problem: Problem; className?: string }) {
  return (
    <div role="alert" className={cx('rounded-md border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800', className)}>
      <p className="font-medium">{problem.title}</p>
      {problem.detail && problem.detail !== problem.title ? <p className="mt-1">{problem.detail}</p> : null}
      {problem.errors?.length ? (
        <ul className="mt-1 list-inside list-disc">
          {problem.errors.map((e, i) => (
            <li key={i}>
              {e.path ? <code>{e.path}</code> : null} {e.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="rounded-lg border border-dashed border-slate-300 bg-white px-6 py-10 text-center">
      <p className="text-sm font-medium text-slate-900">{title}</p>
      {children ? <div className="mt-1 text-sm text-slate-600">{children}</div> : null}
    </div>
  );
}

const badgeTones: Record<string, string> = {
  active: 'bg-emerald-50 text-emerald-800 ring-emerald-600/20',
  available: 'bg-emerald-50 text-emerald-800 ring-emerald-600/20',
  completed: 'bg-emerald-50 text-emerald-800 ring-emerald-600/20',
  delivered: 'bg-emerald-50 text-emerald-800 ring-emerald-600/20',
  paid: 'bg-emerald-50 text-emerald-800 ring-emerald-600/20',
  ok: 'bg-emerald-50 text-emerald-800 ring-emerald-600/20',
  next: 'bg-sky-50 text-sky-800 ring-sky-600/20',
  issued: 'bg-sky-50 text-sky-800 ring-sky-600/20',
  reserved: 'bg-amber-50 text-amber-800 ring-amber-600/20',
  moving: 'bg-amber-50 text-amber-800 ring-amber-600/20',
  pending: 'bg-amber-50 text-amber-800 ring-amber-600/20',
  suspended: 'bg-amber-50 text-amber-800 ring-amber-600/20',
  retired: 'bg-slate-100 text-slate-700 ring-slate-500/20',
  moved: 'bg-slate-100 text-slate-700 ring-slate-500/20',
  expired: 'bg-slate-100 text-slate-700 ring-slate-500/20',
  withdrawn: 'bg-slate-100 text-slate-700 ring-slate-500/20',
  void: 'bg-slate-100 text-slate-700 ring-slate-500/20',
  revoked: 'bg-red-50 text-red-800 ring-red-600/20',
  aborted: 'bg-red-50 text-red-800 ring-red-600/20',
};

export function Badge({ children, tone }: { children: ReactNode; tone?: string }) {
  const key = tone ?? (typeof children === 'string' ? children : '');
  return (
    <span
      className={cx(
        'inline-flex items-center rounded-md px-2 py-0.5 text-xs font-medium ring-1 ring-inset',
        badgeTones[key] ?? 'bg-slate-50 text-slate-700 ring-slate-500/20',
      )}
    >
      {children}
    </span>
  );
}

const buttonStyles = {
  primary: 'bg-indigo-600 text-white shadow-sm hover:bg-indigo-500 disabled:bg-indigo-300',
  secondary: 'bg-white text-slate-900 ring-1 ring-inset ring-slate-300 hover:bg-slate-50 disabled:text-slate-400',
  danger: 'bg-red-600 text-white shadow-sm hover:bg-red-500 disabled:bg-red-300',
  ghost: 'text-slate-700 hover:bg-slate-100',
} as const;
export type ButtonVariant = keyof typeof buttonStyles;

export const buttonClass = (variant: ButtonVariant = 'secondary', size: 'sm' | 'md' = 'md') =>
  cx(
    'inline-flex items-center justify-center gap-1.5 rounded-md font-medium whitespace-nowrap disabled:cursor-not-allowed',
    size === 'sm' ? 'px-2.5 py-1.5 text-xs' : 'px-3 py-2 text-sm',
    buttonStyles[variant],
    focusRing,
  );

export function Button({
  variant = 'secondary',
  size = 'md',
  className,
  ...props
}: ComponentProps<'button'> & { variant?: ButtonVariant; size?: 'sm' | 'md' }) {
  return <button type="button" {...props} className={cx(buttonClass(variant, size), className)} />;
}

export function ButtonLink({
  variant = 'secondary',
  size = 'md',
  className,
  ...props
}: ComponentProps<typeof Link> & { variant?: ButtonVariant; size?: 'sm' | 'md' }) {
  return <Link {...props} className={cx(buttonClass(variant, size), className)} />;
}

export const inputClass = cx(
  'block w-full rounded-md border-0 bg-white px-3 py-2 text-sm text-slate-900 ring-1 ring-inset ring-slate-300 placeholder:text-slate-400',
  'focus:ring-2 focus:ring-inset focus:ring-indigo-600 focus:outline-none disabled:bg-slate-50 disabled:text-slate-500',
);

export function Field({
  label,
  htmlFor,
  hint,
  children,
  className,
}: {
  label: string;
  htmlFor: string;
  hint?: ReactNode;
  children: ReactNode;
  className?: string;
}) {
  return (
    <div className={className}>
      <label htmlFor={htmlFor} className="block text-sm font-medium text-slate-800">
        {label}
      </label>
      <div className="mt-1">{children}</div>
      {hint ? (
        <p id={`${htmlFor}-hint`} className="mt-1 text-xs text-slate-500">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/** A table that scrolls sideways on narrow screens, reachable by keyboard. */
export function Table({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm" role="region" aria-label={label} tabIndex={0}>
      <table className="min-w-full divide-y divide-slate-200 text-sm">{children}</table>
    </div>
  );
}

export function Th({ children, className }: { children?: ReactNode; className?: string }) {
  return (
    <th scope="col" className={cx('bg-slate-50 px-3 py-2.5 text-left text-xs font-semibold tracking-wide text-slate-600 uppercase', className)}>
      {children}
    </th>
  );
}

export function Td({ children, className }: { children?: ReactNode; className?: string }) {
  return <td className={cx('px-3 py-2.5 align-top text-slate-800', className)}>{children}</td>;
}

export function TextLink({ className, ...props }: ComponentProps<typeof Link>) {
  return (
    <Link
      {...props}
      className={cx('font-medium [overflow-wrap:anywhere] text-indigo-700 underline-offset-2 hover:underline', focusRing, 'rounded-sm', className)}
    />
  );
}

export function Mono({ children, className }: { children: ReactNode; className?: string }) {
  return <code className={cx('font-mono text-xs break-all text-slate-700', className)}>{children}</code>;
}

/** A definition list of label/value pairs. */
export function Details({ items }: { items: [string, ReactNode][] }) {
  return (
    <dl className="grid grid-cols-1 gap-x-6 gap-y-3 sm:grid-cols-[minmax(9rem,max-content)_1fr]">
      {items.map(([label, value]) => (
        <div key={label} className="contents">
          <dt className="text-sm font-medium text-slate-500">{label}</dt>
          <dd className="min-w-0 text-sm text-slate-900">{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A card holding nothing but label/value pairs: the facts at the top of a detail page. */
export function DetailsCard({ title, items }: { title: string; items: [string, ReactNode][] }) {
  return (
    <Card title={title}>
      <Details items={items} />
    </Card>
  );
}

export function JsonView({ value, label }: { value: unknown; label: string }) {
  return (
    <pre
      aria-label={label}
      tabIndex={0}
      className={cx('max-h-[28rem] overflow-auto rounded-md bg-slate-900 p-3 font-mono text-xs leading-relaxed text-slate-100', focusRing)}
    >
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

export function Stat({ label, value, hint }: { label: string; value: ReactNode; hint?: string }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white px-4 py-3 shadow-sm">
      <dt className="text-xs font-medium tracking-wide text-slate-500 uppercase">{label}</dt>
      <dd className="mt-1 text-2xl font-semibold text-slate-900 tabular-nums">{value}</dd>
      {hint ? <dd className="text-xs text-slate-500">{hint}</dd> : null}
    </div>
  );
}

/** A detail page that could not be loaded: its heading, the server's problem, and the way back. */
export function ProblemPage({ title, problem, back }: { title: string; problem: Problem; back: { href: string; label: string } }) {
  return (
    <>
      <PageHeader title={title} />
      <ProblemAlert problem={problem} />
      <p className="mt-4 text-sm">
        <TextLink href={back.href}>← {back.label}</TextLink>
      </p>
    </>
  );
}
