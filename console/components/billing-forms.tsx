'use client';
import { useState } from 'react';
import { fromDecimal, toDecimal } from '@/lib/format.ts';
import { useConsole } from './console-context.tsx';
import { FormStatus, SaveRow, SubmitButton, TextField } from './form-fields.tsx';
import { ProblemAlert } from './ui.tsx';
import { useAction, withFields } from './use-action.ts';

export function PricesForm({ prices }: { prices: { currency: string; license: number | null; move: number | null; federationFee: number | null } }) {
  const { authority } = useConsole();
  const { run, pending, problem, setProblem } = useAction();
  const [saved, setSaved] = useState(false);
  const currency = prices.currency;
  const submit = withFields((f) => {
    setSaved(false);
    const values = (['license', 'move', 'federationFee'] as const).map((k) => fromDecimal(String(f.get(k) ?? ''), currency));
    if (values.some((v) => Number.isNaN(v))) {
      setProblem({ status: 400, code: 'invalid_request', title: 'Prices are amounts such as 2.99, or empty for none' });
      return;
    }
    const [license, move, federationFee] = values as (number | null)[];
    void run('updatePrices', { params: { authority }, body: { license, move, federationFee } }, () => setSaved(true));
  });
  const field = (name: 'license' | 'move' | 'federationFee', label: string, hint: string) => (
    <TextField
      label={`${label} (${currency})`}
      id={`price-${name}`}
      hint={hint}
      name={name}
      inputMode="decimal"
      defaultValue={toDecimal(prices[name], currency)}
    />
  );
  return (
    <form onSubmit={submit} className="grid grid-cols-1 gap-4 sm:grid-cols-3" aria-label="Edit prices">
      {problem ? <ProblemAlert problem={problem} className="sm:col-span-3" /> : null}
      {field('license', 'License', 'Charged when a device obtains a license.')}
      {field('move', 'Move', 'Charged for a copy certificate.')}
      {field('federationFee', 'Federation fee', 'Booked against a peer for a certificate signed on its behalf.')}
      <SaveRow pending={pending} saved={saved} label="Save prices" className="sm:col-span-3" />
    </form>
  );
}

export function IssueInvoicesForm({ defaultPeriod }: { defaultPeriod: string }) {
  const { authority } = useConsole();
  const { run, pending, problem } = useAction();
  const [result, setResult] = useState<string | null>(null);
  const submit = withFields((f) => {
    setResult(null);
    const period = String(f.get('period') ?? '');
    void run('issueInvoices', { params: { authority }, body: { period } }, (r) =>
      setResult(`${r.issued.length} invoice${r.issued.length === 1 ? '' : 's'} issued for ${r.period}.`),
    );
  });
  return (
    <form onSubmit={submit} className="flex flex-wrap items-end gap-3" aria-label="Issue invoices">
      <TextField label="Month" id="issue-period" name="period" type="month" required defaultValue={defaultPeriod} inputClassName="w-44" />
      <SubmitButton pending={pending} busyLabel="Issuing…">
        Issue invoices
      </SubmitButton>
      <FormStatus>{result}</FormStatus>
      {problem ? <ProblemAlert problem={problem} className="w-full" /> : null}
    </form>
  );
}
