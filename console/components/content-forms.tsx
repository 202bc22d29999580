'use client';
import { useState, type FormEvent } from 'react';
import type { AdminContent } from '@tessera/protocol';
import { fromDecimal, toDecimal } from '@/lib/format.ts';
import { useConsole } from './console-context.tsx';
import { Button, Field, ProblemAlert, inputClass } from './ui.tsx';
import { useAction } from './use-action.ts';

export function EditContentForm({ content, currency }: { content: AdminContent; currency: string }) {
  const { authority } = useConsole();
  const { run, pending, problem, setProblem } = useAction();
  const [saved, setSaved] = useState(false);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setSaved(false);
    const f = new FormData(e.currentTarget);
    const licensePrice = fromDecimal(String(f.get('licensePrice') ?? ''), currency);
    const movePrice = fromDecimal(String(f.get('movePrice') ?? ''), currency);
    if (Number.isNaN(licensePrice) || Number.isNaN(movePrice)) {
      setProblem({ status: 400, code: 'invalid_request', title: 'Prices are amounts such as 2.99, or empty for the authority’s price' });
      return;
    }
    const description = String(f.get('description') ?? '').trim();
    void run(
      'updateContent',
      {
        params: { authority, contentId: content.id },
        body: {
          title: String(f.get('title') ?? '').trim(),
          description: description || null,
          status: f.get('status') as 'available' | 'withdrawn',
          licensePrice,
          movePrice,
        },
      },
      () => setSaved(true),
    );
  };
  return (
    <form onSubmit={submit} className="grid grid-cols-1 gap-4 sm:grid-cols-2" aria-label={`Edit ${content.title}`}>
      {problem ? <ProblemAlert problem={problem} className="sm:col-span-2" /> : null}
      <Field label="Title" htmlFor="content-title">
        <input id="content-title" name="title" required maxLength={200} defaultValue={content.title} className={inputClass} />
      </Field>
      <Field label="Status" htmlFor="content-status" hint="A withdrawn content gets no new license.">
        <select id="content-status" name="status" defaultValue={content.status} className={inputClass} aria-describedby="content-status-hint">
          <option value="available">available</option>
          <option value="withdrawn">withdrawn</option>
        </select>
      </Field>
      <Field label="Description" htmlFor="content-description" className="sm:col-span-2">
        <textarea id="content-description" name="description" rows={2} maxLength={2000} defaultValue={content.description ?? ''} className={inputClass} />
      </Field>
      <Field label={`License price (${currency})`} htmlFor="content-license-price" hint="Empty: the authority’s price.">
        <input id="content-license-price" name="licensePrice" inputMode="decimal" defaultValue={toDecimal(content.licensePrice, currency)} className={inputClass} aria-describedby="content-license-price-hint" />
      </Field>
      <Field label={`Move price (${currency})`} htmlFor="content-move-price" hint="Empty: the authority’s price.">
        <input id="content-move-price" name="movePrice" inputMode="decimal" defaultValue={toDecimal(content.movePrice, currency)} className={inputClass} aria-describedby="content-move-price-hint" />
      </Field>
      <div className="flex items-center gap-3 sm:col-span-2">
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
