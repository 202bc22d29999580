'use client';
import { useId, useRef, useState, type ReactNode } from 'react';
import type { AdminInput, AdminRouteName } from '@/lib/admin-api.ts';
import { useCan } from './console-context.tsx';
import { Button, ProblemAlert, type ButtonVariant } from './ui.tsx';
import { useAction } from './use-action.ts';

export interface Confirmation {
  title: string;
  body: ReactNode;
  confirmLabel: string;
}

/**
 * A button that calls one admin action; shown only when the role allows it. Destructive actions
 * pass `confirm` and are asked about in a modal dialog first (Escape or Cancel backs out).
 */
export function ActionButton<N extends AdminRouteName>({
  name,
  input,
  children,
  variant = 'secondary',
  size = 'sm',
  confirm,
  accessibleLabel,
}: {
  name: N;
  input: AdminInput<N>;
  children: ReactNode;
  variant?: ButtonVariant;
  size?: 'sm' | 'md';
  confirm?: Confirmation;
  accessibleLabel?: string;
}) {
  const allowed = useCan(name);
  const { run, pending, problem, setProblem } = useAction();
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const [open, setOpen] = useState(false);
  if (!allowed) return null;

  const close = () => {
    dialog.current?.close();
    setOpen(false);
    setProblem(null);
  };

  if (!confirm) {
    return (
      <span className="inline-flex flex-col items-start gap-1">
        <Button variant={variant} size={size} disabled={pending} aria-label={accessibleLabel} onClick={() => void run(name, input)}>
          {pending ? 'Working…' : children}
        </Button>
        {problem ? <ProblemAlert problem={problem} className="max-w-sm" /> : null}
      </span>
    );
  }

  return (
    <>
      <Button
        variant={variant}
        size={size}
        aria-label={accessibleLabel}
        aria-haspopup="dialog"
        onClick={() => {
          setOpen(true);
          dialog.current?.showModal();
        }}
      >
        {children}
      </Button>
      <dialog
        ref={dialog}
        aria-labelledby={titleId}
        onClose={() => {
          setOpen(false);
          setProblem(null);
        }}
        className="m-auto w-[min(28rem,calc(100vw-2rem))] rounded-lg bg-white p-0 text-left shadow-xl backdrop:bg-slate-900/50"
      >
        {open ? (
          <div className="p-5">
            <h2 id={titleId} className="text-lg font-semibold text-slate-900">
              {confirm.title}
            </h2>
            <div className="mt-2 text-sm text-slate-700">{confirm.body}</div>
            {problem ? <ProblemAlert problem={problem} className="mt-3" /> : null}
            <div className="mt-5 flex justify-end gap-2">
              <Button onClick={close} autoFocus>
                Cancel
              </Button>
              <Button
                variant={variant === 'secondary' ? 'primary' : variant}
                disabled={pending}
                onClick={() => void run(name, input).then((ok) => ok && close())}
              >
                {pending ? 'Working…' : confirm.confirmLabel}
              </Button>
            </div>
          </div>
        ) : null}
      </dialog>
    </>
  );
}
