'use client';
import type { AdminRole } from '@tessera/protocol';
import { useCan, useConsole } from './console-context.tsx';
import { SubmitButton, TextField } from './form-fields.tsx';
import { Field, ProblemAlert, inputClass } from './ui.tsx';
import { useAction, withFields } from './use-action.ts';

const ROLES: AdminRole[] = ['owner', 'admin', 'billing', 'viewer'];

export function AddAdminForm() {
  const { authority } = useConsole();
  const { run, pending, problem } = useAction();
  const submit = withFields((f, form) => {
    const name = String(f.get('name') ?? '').trim();
    void run(
      'addAdmin',
      {
        params: { authority },
        body: {
          email: String(f.get('email') ?? '').trim(),
          role: f.get('role') as AdminRole,
          ...(name ? { name } : {}),
          password: String(f.get('password') ?? ''),
        },
      },
      () => form.reset(),
    );
  });
  return (
    <form onSubmit={submit} className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-5" aria-label="Add an administrator">
      {problem ? <ProblemAlert problem={problem} className="sm:col-span-2 lg:col-span-5" /> : null}
      <TextField label="E-mail" id="admin-email" name="email" type="email" required />
      <TextField label="Name" id="admin-name" name="name" maxLength={120} />
      <TextField
        label="Password"
        id="admin-password"
        hint="At least 10 characters. Someone who already administers on this server keeps their own password."
        name="password"
        type="password"
        minLength={10}
        required
        autoComplete="new-password"
      />
      <Field label="Role" htmlFor="admin-role">
        <select id="admin-role" name="role" defaultValue="viewer" className={inputClass}>
          {ROLES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
      </Field>
      <div className="flex items-start sm:pt-6">
        <SubmitButton pending={pending} busyLabel="Adding…">
          Add administrator
        </SubmitButton>
      </div>
    </form>
  );
}

export function AdminRoleSelect({ adminId, email, role }: { adminId: string; email: string; role: AdminRole }) {
  const { authority } = useConsole();
  const canChange = useCan('updateAdmin');
  const { run, pending, problem } = useAction();
  if (!canChange) return <span>{role}</span>;
  return (
    <div>
      <label htmlFor={`role-${adminId}`} className="sr-only">
        Role of {email}
      </label>
      <select
        id={`role-${adminId}`}
        defaultValue={role}
        disabled={pending}
        onChange={(e) => void run('updateAdmin', { params: { authority, adminId }, body: { role: e.target.value as AdminRole } })}
        className={`${inputClass} w-32 py-1`}
      >
        {ROLES.map((r) => (
          <option key={r}>{r}</option>
        ))}
      </select>
      {problem ? <ProblemAlert problem={problem} className="mt-1" /> : null}
    </div>
  );
}
