'use client';
import { useId, useState, type ReactNode } from 'react';
import { Button, cx } from './ui.tsx';

/** A panel opened by a button (e.g. a "create" form above a list). */
export function Disclosure({
  label,
  children,
  className,
  variant = 'primary',
}: {
  label: string;
  children: ReactNode;
  className?: string;
  variant?: 'primary' | 'secondary';
}) {
  const [open, setOpen] = useState(false);
  const id = useId();
  return (
    <div className={className}>
      <Button variant={open ? 'secondary' : variant} aria-expanded={open} aria-controls={id} onClick={() => setOpen((o) => !o)}>
        {open ? 'Close' : label}
      </Button>
      <div id={id} hidden={!open} className={cx('mt-3 rounded-lg border border-slate-200 bg-white p-4 shadow-sm')}>
        {open ? children : null}
      </div>
    </div>
  );
}
