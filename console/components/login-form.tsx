'use client';
import { useActionState } from 'react';
import { signInAction, type SignInState } from '@/app/actions.ts';
import { TextField } from './form-fields.tsx';
import { ProblemAlert, buttonClass, cx } from './ui.tsx';

export function LoginForm({ serverKey }: { serverKey: string }) {
  const [state, action, pending] = useActionState(signInAction.bind(null, serverKey), {} as SignInState);
  return (
    <form action={action} className="space-y-4" aria-describedby={state.problem ? 'login-problem' : undefined}>
      {state.problem ? (
        <div id="login-problem">
          <ProblemAlert
            problem={state.problem.code === 'invalid_credentials' ? { ...state.problem, title: 'Wrong e-mail or password', detail: undefined } : state.problem}
          />
        </div>
      ) : null}
      <TextField label="E-mail" id="email" name="email" type="email" autoComplete="username" required defaultValue={state.email} />
      <TextField label="Password" id="password" name="password" type="password" autoComplete="current-password" required />
      <button type="submit" disabled={pending} className={cx(buttonClass('primary'), 'w-full')}>
        {pending ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}
