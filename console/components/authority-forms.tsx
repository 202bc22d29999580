'use client';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import type { Authority } from '@tessera/protocol';
import { Button, Field, ProblemAlert, inputClass } from './ui.tsx';
import { useAction } from './use-action.ts';

export function CreateAuthorityForm({ serverKey, onDone }: { serverKey: string; onDone?: () => void }) {
  const { run, pending, problem } = useAction(serverKey);
  const router = useRouter();
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const operator = String(f.get('operator') ?? '').trim();
    void run(
      'createAuthority',
      {
        body: {
          slug: String(f.get('slug') ?? '').trim(),
          name: String(f.get('name') ?? '').trim(),
          ...(operator ? { operator } : {}),
          currency: String(f.get('currency') ?? 'EUR').trim().toUpperCase(),
          deviceLimit: Number(f.get('deviceLimit') ?? 12),
        },
      },
      (created) => {
        onDone?.();
        router.push(`/${serverKey}/${created.slug}`);
      },
    );
  };
  return (
    <form onSubmit={submit} className="grid grid-cols-1 gap-4 sm:grid-cols-2" aria-label="Create an authority">
      {problem ? <ProblemAlert problem={problem} className="sm:col-span-2" /> : null}
      <Field label="Slug" htmlFor="new-slug" hint="Lower-case letters, digits and dashes; part of the issuer URL.">
        <input id="new-slug" name="slug" required pattern="[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?" minLength={2} maxLength={40} className={inputClass} aria-describedby="new-slug-hint" />
      </Field>
      <Field label="Name" htmlFor="new-name">
        <input id="new-name" name="name" required maxLength={120} className={inputClass} />
      </Field>
      <Field label="Operator" htmlFor="new-operator" hint="The company that runs it (optional).">
        <input id="new-operator" name="operator" maxLength={120} className={inputClass} aria-describedby="new-operator-hint" />
      </Field>
      <Field label="Currency" htmlFor="new-currency">
        <input id="new-currency" name="currency" defaultValue="EUR" required pattern="[A-Za-z]{3}" className={inputClass} />
      </Field>
      <Field label="Device limit per user" htmlFor="new-limit">
        <input id="new-limit" name="deviceLimit" type="number" min={1} max={1000} defaultValue={12} required className={inputClass} />
      </Field>
      <div className="flex items-end">
        <Button type="submit" variant="primary" disabled={pending}>
          {pending ? 'Creating…' : 'Create authority'}
        </Button>
      </div>
    </form>
  );
}

export function EditAuthorityForm({ authority }: { authority: Authority }) {
  const { run, pending, problem } = useAction();
  const [saved, setSaved] = useState(false);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setSaved(false);
    const f = new FormData(e.currentTarget);
    const operator = String(f.get('operator') ?? '').trim();
    void run(
      'updateAuthority',
      { params: { authority: authority.slug }, body: { name: String(f.get('name') ?? '').trim(), operator: operator || null, deviceLimit: Number(f.get('deviceLimit')) } },
      () => setSaved(true),
    );
  };
  return (
    <form onSubmit={submit} className="grid grid-cols-1 gap-4 sm:grid-cols-3" aria-label={`Edit ${authority.name}`}>
      {problem ? <ProblemAlert problem={problem} className="sm:col-span-3" /> : null}
      <Field label="Name" htmlFor="edit-name">
        <input id="edit-name" name="name" required maxLength={120} defaultValue={authority.name} className={inputClass} />
      </Field>
      <Field label="Operator" htmlFor="edit-operator">
        <input id="edit-operator" name="operator" maxLength={120} defaultValue={authority.operator ?? ''} className={inputClass} />
      </Field>
      <Field label="Device limit per user" htmlFor="edit-limit">
        <input id="edit-limit" name="deviceLimit" type="number" min={1} max={1000} required defaultValue={authority.deviceLimit} className={inputClass} />
      </Field>
      <div className="flex items-center gap-3 sm:col-span-3">
        <Button type="submit" variant="primary" disabled={pending}>
          {pending ? 'Saving…' : 'Save changes'}
        </Button>
        <p role="status" className="text-sm text-emerald-700">
          {saved ? 'Saved.' : ''}
        </p>
      </div>
    </form>
  );
}
