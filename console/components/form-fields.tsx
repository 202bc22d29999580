import type { ComponentProps, ReactNode } from 'react';
import { Button, Field, cx, inputClass } from './ui.tsx';

/* The parts every admin form is made of (no state: the form keeps it and passes it in). */

/** A labelled input; its hint, when there is one, is what screen readers read with it. */
export function TextField({
  label,
  id,
  hint,
  className,
  inputClassName,
  ...input
}: Omit<ComponentProps<'input'>, 'className'> & { label: string; id: string; hint?: ReactNode; className?: string; inputClassName?: string }) {
  return (
    <Field label={label} htmlFor={id} hint={hint} className={className}>
      <input id={id} aria-describedby={hint ? `${id}-hint` : undefined} {...input} className={cx(inputClass, inputClassName)} />
    </Field>
  );
}

/** The form's primary button, saying what it is doing (`busyLabel`) while the action runs. */
export function SubmitButton({ pending, busyLabel, children }: { pending: boolean; busyLabel: string; children: ReactNode }) {
  return (
    <Button type="submit" variant="primary" disabled={pending}>
      {pending ? busyLabel : children}
    </Button>
  );
}

/** The foot of an edit form: its button, and a status line that says "Saved." once the change is stored. */
export function SaveRow({ pending, saved, label, className }: { pending: boolean; saved: boolean; label: string; className: string }) {
  return (
    <div className={cx('flex items-center gap-3', className)}>
      <SubmitButton pending={pending} busyLabel="Saving…">
        {label}
      </SubmitButton>
      <FormStatus>{saved ? 'Saved.' : ''}</FormStatus>
    </div>
  );
}

/** A polite live region for what a form achieved. */
export function FormStatus({ children }: { children: ReactNode }) {
  return (
    <p role="status" className="text-sm text-emerald-700">
      {children}
    </p>
  );
}
