'use client';
import { useRef, type FormEvent } from 'react';
import { useConsole } from './console-context.tsx';
import { Button, Field, ProblemAlert, inputClass } from './ui.tsx';
import { useAction } from './use-action.ts';

export function CreateUserForm() {
  const { authority } = useConsole();
  const { run, pending, problem } = useAction();
  const form = useRef<HTMLFormElement>(null);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const displayName = String(f.get('displayName') ?? '').trim();
    void run(
      'createUser',
      { params: { authority }, body: { username: String(f.get('username') ?? '').trim(), password: String(f.get('password') ?? ''), ...(displayName ? { displayName } : {}) } },
      () => form.current?.reset(),
    );
  };
  return (
    <form ref={form} onSubmit={submit} className="grid grid-cols-1 gap-3 sm:grid-cols-3" aria-label="Create a user">
      {problem ? <ProblemAlert problem={problem} className="sm:col-span-3" /> : null}
      <Field label="Username" htmlFor="user-username">
        <input id="user-username" name="username" required maxLength={64} pattern="[A-Za-z0-9._@+\-]+" className={inputClass} />
      </Field>
      <Field label="Display name" htmlFor="user-display">
        <input id="user-display" name="displayName" maxLength={120} className={inputClass} />
      </Field>
      <Field label="Password" htmlFor="user-password" hint="At least 8 characters.">
        <input id="user-password" name="password" type="password" required minLength={8} autoComplete="new-password" className={inputClass} aria-describedby="user-password-hint" />
      </Field>
      <div className="sm:col-span-3">
        <Button type="submit" variant="primary" disabled={pending}>
          {pending ? 'Creating…' : 'Create user'}
        </Button>
      </div>
    </form>
  );
}

export function CreateLinkForm({ userId }: { userId: string }) {
  const { authority } = useConsole();
  const { run, pending, problem } = useAction();
  const form = useRef<HTMLFormElement>(null);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const peerUser = String(new FormData(e.currentTarget).get('peerUser') ?? '').trim();
    void run('createUserLink', { params: { authority, userId }, body: { peerUser } }, () => form.current?.reset());
  };
  return (
    <form ref={form} onSubmit={submit} className="flex flex-wrap items-end gap-3" aria-label="Link to an account at a peer">
      <Field label="Global ID at the peer" htmlFor="link-peer-user" hint="<user ID>@<peer issuer>, as the peer's console shows it." className="min-w-0 flex-1">
        <input id="link-peer-user" name="peerUser" required minLength={3} maxLength={600} className={`${inputClass} font-mono`} aria-describedby="link-peer-user-hint" />
      </Field>
      <Button type="submit" variant="primary" disabled={pending}>
        {pending ? 'Linking…' : 'Link account'}
      </Button>
      {problem ? <ProblemAlert problem={problem} className="w-full" /> : null}
    </form>
  );
}
