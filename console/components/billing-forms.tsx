'use client';
import { useState, type FormEvent } from 'react';
import { fromDecimal, toDecimal } from '@/lib/format.ts';
import { useConsole } from './console-context.tsx';
import { Button, Field, ProblemAlert, inputClass } from './ui.tsx';
import { useAction } from './use-action.ts';

export function PricesForm({ prices }: { prices: { currency: string; license: number | null; move: number | null; federationFee: number | null } }) {
  const { authority } = useConsole();
  const { run, pending, problem, setProblem } = useAction();
  const [saved, setSaved] = useState(false);
  const currency = prices.currency;
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setSaved(false);
    const f = new FormData(e.currentTarget);
    const values = (['license', 'move', 'federationFee'] as const).map((k) => fromDecimal(String(f.get(k) ?? ''), currency));
    if (values.some((v) => Number.isNaN(v))) {
      setProblem({ status: 400, code: 'invalid_request', title: 'Prices are amounts such as 2.99, or empty for none' });
      return;
    }
    const [license, move, federationFee] = values as (number | null)[];
    void run('updatePrices', { params: { authority }, body: { license, move, federationFee } }, () => setSaved(true));
  };
  const field = (name: 'license' | 'move' | 'federationFee', label: string, hint: string) => (
    <Field label={`${label} (${currency})`} htmlFor={`price-${name}`} hint={hint}>
      <input id={`price-${name}`} name={name} inputMode="decimal" defaultValue={toDecimal(prices[name], currency)} className={inputClass} aria-describedby={`price-${name}-hint`} />
    </Field>
  );
  return (
    <form onSubmit={submit} className="grid grid-cols-1 gap-4 sm:grid-cols-3" aria-label="Edit prices">
      {problem ? <ProblemAlert problem={problem} className="sm:col-span-3" /> : null}
      {field('license', 'License', 'Charged when a device obtains a license.')}
      {field('move', 'Move', 'Charged for a copy certificate.')}
      {field('federationFee', 'Federation fee', 'Booked against a peer for a certificate signed on its behalf.')}
      <div className="flex items-center gap-3 sm:col-span-3">
        <Button type="submit" variant="primary" disabled={pending}>
          {pending ? 'Saving…' : 'Save prices'}
        </Button>
        <p role="status" className="text-sm text-emerald-700">
          {saved ? 'Saved.' : ''}
        </p>
      </div>
    </form>
  );
}

export function IssueInvoicesForm({ defaultPeriod }: { defaultPeriod: string }) {
  const { authority } = useConsole();
  const { run, pending, problem } = useAction();
  const [result, setResult] = useState<string | null>(null);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setResult(null);
    const period = String(new FormData(e.currentTarget).get('period') ?? '');
    void run('issueInvoices', { params: { authority }, body: { period } }, (r) => setResult(`${r.issued.length} invoice${r.issued.length === 1 ? '' : 's'} issued for ${r.period}.`));
  };
  return (
    <form onSubmit={submit} className="flex flex-wrap items-end gap-3" aria-label="Issue invoices">
      <Field label="Month" htmlFor="issue-period">
        <input id="issue-period" name="period" type="month" required defaultValue={defaultPeriod} className={`${inputClass} w-44`} />
      </Field>
      <Button type="submit" variant="primary" disabled={pending}>
        {pending ? 'Issuing…' : 'Issue invoices'}
      </Button>
      <p role="status" className="text-sm text-emerald-700">
        {result}
      </p>
      {problem ? <ProblemAlert problem={problem} className="w-full" /> : null}
    </form>
  );
}
