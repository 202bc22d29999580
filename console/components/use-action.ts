'use client';
import { useRouter } from 'next/navigation';
import { useCallback, useState, useTransition, type FormEvent } from 'react';
import { perform } from '@/app/actions.ts';
import type { AdminInput, AdminOutput, AdminRouteName } from '@/lib/admin-api.ts';
import type { Problem } from '@/lib/problem.ts';
import { useOptionalConsole } from './console-context.tsx';

/** Calls an admin action; on success refreshes the page's data, on failure keeps the server's problem to show. */
export function useAction(server?: string) {
  const context = useOptionalConsole();
  const serverKey = server ?? context?.serverKey ?? '';
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [problem, setProblem] = useState<Problem | null>(null);

  const run = useCallback(
    <N extends AdminRouteName>(name: N, input: AdminInput<N>, onSuccess?: (data: AdminOutput<N>) => void): Promise<boolean> =>
      new Promise((resolve) => {
        startTransition(async () => {
          const result = await perform(serverKey, name, input);
          if (result.ok) {
            setProblem(null);
            onSuccess?.(result.data);
            router.refresh();
            resolve(true);
          } else {
            if (result.problem.code === 'unauthenticated') router.push(`/${serverKey}/login?expired=1`);
            setProblem(result.problem);
            resolve(false);
          }
        });
      }),
    [serverKey, router],
  );

  return { run, pending, problem, setProblem };
}

/**
 * A form's submit handler that hands `handle` the form's fields instead of letting the browser
 * submit; `form` is kept for after the action (e.g. to reset it once the user was created).
 */
export function withFields(handle: (fields: FormData, form: HTMLFormElement) => void) {
  return (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    handle(new FormData(e.currentTarget), e.currentTarget);
  };
}
