'use client';
import { useState } from 'react';
import type { AdminContent } from '@tessera/protocol';
import { fromDecimal, toDecimal } from '@/lib/format.ts';
import { useConsole } from './console-context.tsx';
import { SaveRow, TextField } from './form-fields.tsx';
import { Field, ProblemAlert, inputClass } from './ui.tsx';
import { useAction, withFields } from './use-action.ts';

export function EditContentForm({ content, currency }: { content: AdminContent; currency: string }) {
  const { authority } = useConsole();
  const { run, pending, problem, setProblem } = useAction();
  const [saved, setSaved] = useState(false);
  const submit = withFields((f) => {
    setSaved(false);
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
  });
  return (
    <form onSubmit={submit} className="grid grid-cols-1 gap-4 sm:grid-cols-2" aria-label={`Edit ${content.title}`}>
      {problem ? <ProblemAlert problem={problem} className="sm:col-span-2" /> : null}
      <TextField label="Title" id="content-title" name="title" required maxLength={200} defaultValue={content.title} />
      <Field label="Status" htmlFor="content-status" hint="A withdrawn content gets no new license.">
        <select id="content-status" name="status" defaultValue={content.status} className={inputClass} aria-describedby="content-status-hint">
          <option value="available">available</option>
          <option value="withdrawn">withdrawn</option>
        </select>
      </Field>
      <Field label="Description" htmlFor="content-description" className="sm:col-span-2">
        <textarea id="content-description" name="description" rows={2} maxLength={2000} defaultValue={content.description ?? ''} className={inputClass} />
      </Field>
      <TextField
        label={`License price (${currency})`}
        id="content-license-price"
        hint="Empty: the authority’s price."
        name="licensePrice"
        inputMode="decimal"
        defaultValue={toDecimal(content.licensePrice, currency)}
      />
      <TextField
        label={`Move price (${currency})`}
        id="content-move-price"
        hint="Empty: the authority’s price."
        name="movePrice"
        inputMode="decimal"
        defaultValue={toDecimal(content.movePrice, currency)}
      />
      <SaveRow pending={pending} saved={saved} label="Save changes" className="sm:col-span-2" />
    </form>
  );
}
