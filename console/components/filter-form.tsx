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

export function FilterInput({ name, label, defaultValue, placeholder, className }: { name: string; label: string; defaultValue?: string; placeholder?: string; className?: string }) {
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

export function FilterSelect({ name, label, defaultValue, options }: { name: string; label: string; defaultValue?: string; options: { value: string; label: string }[] }) {
  const id = `filter-${name}`;
  return (
    <div>
      <label htmlFor={id} className="block text-xs font-medium text-slate-600">
        {label}
      </label>
      <select id={id} name={name} defaultValue={defaultValue ?? ''} className={cx(inputClass, 'mt-1 w-44')}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}
