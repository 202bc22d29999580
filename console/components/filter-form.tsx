import Form from 'next/form';
import type { ReactNode } from 'react';
import { buttonClass, inputClass, cx } from './ui.tsx';

/** A GET form whose fields become the page's query string (filters survive reloads and links). */
export function FilterForm({ action, label, children }: { action: string; label: string; children: ReactNode }) {
  return (
    <Form action={action} role="search" aria-label={label} className="mb-4 flex flex-wrap items-end gap-3">
      {children}
      <button type="submit" className={buttonClass('secondary')}>
        Apply
      </button>
    </Form>
  );
}

export function FilterInput({
  name,
  label,
  defaultValue,
  placeholder,
  className,
}: {
  name: string;
  label: string;
  defaultValue?: string;
  placeholder?: string;
  className?: string;
}) {
  const id = `filter-${name}`;
  return (
    <div className={cx('min-w-0', className)}>
      <label htmlFor={id} className="block text-xs font-medium text-slate-600">
        {label}
      </label>
      <input id={id} name={name} type="search" defaultValue={defaultValue} placeholder={placeholder} className={cx(inputClass, 'mt-1 w-56 max-w-full')} />
    </div>
  );
}

/** A choice among `options` (a plain string is its own label); `any`, when given, is the first option: no filter. */
export function FilterSelect({
  name,
  label,
  defaultValue,
  any,
  options,
}: {
  name: string;
  label: string;
  defaultValue?: string;
  any?: string;
  options: readonly (string | { value: string; label: string })[];
}) {
  const id = `filter-${name}`;
  const choices = [...(any === undefined ? [] : [{ value: '', label: any }]), ...options.map((o) => (typeof o === 'string' ? { value: o, label: o } : o))];
  return (
    <div>
      <label htmlFor={id} className="block text-xs font-medium text-slate-600">
        {label}
      </label>
      <select id={id} name={name} defaultValue={defaultValue ?? ''} className={cx(inputClass, 'mt-1 w-44')}>
        {choices.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/* Filters that several lists share, labelled and hinted alike on every page. */

export function MonthFilter({ value }: { value: string | undefined }) {
  return <FilterInput name="period" label="Month (YYYY-MM)" defaultValue={value} placeholder="2026-11" />;
}

export function UserIdFilter({ value }: { value: string | undefined }) {
  return <FilterInput name="userId" label="User ID" defaultValue={value} placeholder="usr_…" />;
}

export function ContentIdFilter({ value }: { value: string | undefined }) {
  return <FilterInput name="contentId" label="Content ID" defaultValue={value} placeholder="cnt_…" />;
}
