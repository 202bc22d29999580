'use client';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import type { Authority } from '@tessera/protocol';
import { SaveRow, SubmitButton, TextField } from './form-fields.tsx';
import { ProblemAlert } from './ui.tsx';
import { useAction, withFields } from './use-action.ts';

export function CreateAuthorityForm({ serverKey, onDone }: { serverKey: string; onDone?: () => void }) {
  const { run, pending, problem } = useAction(serverKey);
  const router = useRouter();
  const submit = withFields((f) => {
    const operator = String(f.get('operator') ?? '').trim();
    void run(
      'createAuthority',
      {
        body: {
          slug: String(f.get('slug') ?? '').trim(),
          name: String(f.get('name') ?? '').trim(),
          ...(operator ? { operator } : {}),
          currency: String(f.get('currency') ?? 'EUR')
            .trim()
            .toUpperCase(),
          deviceLimit: Number(f.get('deviceLimit') ?? 12),
        },
      },
      (created) => {
        onDone?.();
        router.push(`/${serverKey}/${created.slug}`);
      },
    );
  });
  return (
    <form onSubmit={submit} className="grid grid-cols-1 gap-4 sm:grid-cols-2" aria-label="Create an authority">
      {problem ? <ProblemAlert problem={problem} className="sm:col-span-2" /> : null}
      <TextField
        label="Slug"
        id="new-slug"
        hint="Lower-case letters, digits and dashes; part of the issuer URL."
        name="slug"
        required
        pattern="[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?"
        minLength={2}
        maxLength={40}
      />
      <TextField label="Name" id="new-name" name="name" required maxLength={120} />
      <TextField label="Operator" id="new-operator" hint="The company that runs it (optional)." name="operator" maxLength={120} />
      <TextField label="Currency" id="new-currency" name="currency" defaultValue="EUR" required pattern="[A-Za-z]{3}" />
      <TextField label="Device limit per user" id="new-limit" name="deviceLimit" type="number" min={1} max={1000} defaultValue={12} required />
      <div className="flex items-end">
        <SubmitButton pending={pending} busyLabel="Creating…">
          Create authority
        </SubmitButton>
      </div>
    </form>
  );
}

export function EditAuthorityForm({ authority }: { authority: Authority }) {
  const { run, pending, problem } = useAction();
  const [saved, setSaved] = useState(false);
  const submit = withFields((f) => {
    setSaved(false);
    const operator = String(f.get('operator') ?? '').trim();
    void run(
      'updateAuthority',
      {
        params: { authority: authority.slug },
        body: { name: String(f.get('name') ?? '').trim(), operator: operator || null, deviceLimit: Number(f.get('deviceLimit')) },
      },
      () => setSaved(true),
    );
  });
  return (
    <form onSubmit={submit} className="grid grid-cols-1 gap-4 sm:grid-cols-3" aria-label={`Edit ${authority.name}`}>
      {problem ? <ProblemAlert problem={problem} className="sm:col-span-3" /> : null}
      <TextField label="Name" id="edit-name" name="name" required maxLength={120} defaultValue={authority.name} />
      <TextField label="Operator" id="edit-operator" name="operator" maxLength={120} defaultValue={authority.operator ?? ''} />
      <TextField
        label="Device limit per user"
        id="edit-limit"
        name="deviceLimit"
        type="number"
        min={1}
        max={1000}
        required
        defaultValue={authority.deviceLimit}
      />
      <SaveRow pending={pending} saved={saved} label="Save changes" className="sm:col-span-3" />
    </form>
  );
}
