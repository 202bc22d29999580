'use client';
import { useConsole } from './console-context.tsx';
import { SubmitButton, TextField } from './form-fields.tsx';
import { ProblemAlert } from './ui.tsx';
import { useAction, withFields } from './use-action.ts';

export function CreateUserForm() {
  const { authority } = useConsole();
  const { run, pending, problem } = useAction();
  const submit = withFields((f, form) => {
    const displayName = String(f.get('displayName') ?? '').trim();
    void run(
      'createUser',
      {
        params: { authority },
        body: { username: String(f.get('username') ?? '').trim(), password: String(f.get('password') ?? ''), ...(displayName ? { displayName } : {}) },
      },
      () => form.reset(),
    );
  });
  return (
    <form onSubmit={submit} className="grid grid-cols-1 gap-3 sm:grid-cols-3" aria-label="Create a user">
      {problem ? <ProblemAlert problem={problem} className="sm:col-span-3" /> : null}
      <TextField label="Username" id="user-username" name="username" required maxLength={64} pattern="[A-Za-z0-9._@+\-]+" />
      <TextField label="Display name" id="user-display" name="displayName" maxLength={120} />
      <TextField
        label="Password"
        id="user-password"
        hint="At least 8 characters."
        name="password"
        type="password"
        required
        minLength={8}
        autoComplete="new-password"
      />
      <div className="sm:col-span-3">
        <SubmitButton pending={pending} busyLabel="Creating…">
          Create user
        </SubmitButton>
      </div>
    </form>
  );
}

export function CreateLinkForm({ userId }: { userId: string }) {
  const { authority } = useConsole();
  const { run, pending, problem } = useAction();
  const submit = withFields((f, form) => {
    const peerUser = String(f.get('peerUser') ?? '').trim();
    void run('createUserLink', { params: { authority, userId }, body: { peerUser } }, () => form.reset());
  });
  return (
    <form onSubmit={submit} className="flex flex-wrap items-end gap-3" aria-label="Link to an account at a peer">
      <TextField
        label="Global ID at the peer"
        id="link-peer-user"
        hint="<user ID>@<peer issuer>, as the peer's console shows it."
        className="min-w-0 flex-1"
        name="peerUser"
        required
        minLength={3}
        maxLength={600}
        inputClassName="font-mono"
      />
      <SubmitButton pending={pending} busyLabel="Linking…">
        Link account
      </SubmitButton>
      {problem ? <ProblemAlert problem={problem} className="w-full" /> : null}
    </form>
  );
}
