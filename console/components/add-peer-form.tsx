'use client';
import { useState, type FormEvent } from 'react';
import type { z } from 'zod';
import type { discoveredPeerSchema } from '@tessera/protocol';
import { useConsole } from './console-context.tsx';
import { TextField } from './form-fields.tsx';
import { Button, Mono, ProblemAlert } from './ui.tsx';
import { useAction } from './use-action.ts';

type Discovered = z.infer<typeof discoveredPeerSchema>;

/** Groups a thumbprint in fours, easier to read aloud when comparing over the phone. */
const grouped = (t: string) => t.match(/.{1,4}/g)?.join(' ') ?? t;

/**
 * Peering in two steps: fetch the peer's entity configuration and show the thumbprint of the key
 * that signed it; the operator pastes the thumbprint the peer's operator gave them out of band,
 * and only a match can be pinned (the server checks again against what it fetches).
 */
export function AddPeerForm({ onDone }: { onDone?: () => void }) {
  const { authority } = useConsole();
  const discover = useAction();
  const add = useAction();
  const [found, setFound] = useState<Discovered | null>(null);
  const [pasted, setPasted] = useState('');
  const [name, setName] = useState('');
  const [added, setAdded] = useState<string | null>(null);

  const fetchConfiguration = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setFound(null);
    setAdded(null);
    const issuer = String(new FormData(e.currentTarget).get('issuer') ?? '').trim();
    void discover.run('discoverPeer', { params: { authority }, query: { issuer } }, (d) => {
      setFound(d);
      setName(d.name);
    });
  };
  const matches = found !== null && pasted.trim() === found.thumbprint;
  const pin = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (!found) return;
    void add.run(
      'addPeer',
      { params: { authority }, body: { issuer: found.issuer, thumbprint: pasted.trim(), ...(name.trim() ? { name: name.trim() } : {}) } },
      (peer) => {
        setAdded(peer.issuer);
        setFound(null);
        setPasted('');
        onDone?.();
      },
    );
  };

  return (
    <div className="space-y-5">
      <form onSubmit={fetchConfiguration} className="flex flex-wrap items-end gap-3" aria-label="Find a peer authority">
        <TextField
          label="Issuer URL of the peer authority"
          id="peer-issuer"
          className="min-w-0 flex-1"
          name="issuer"
          type="url"
          required
          placeholder="https://licenses.example.com/t/borealis"
        />
        <Button type="submit" disabled={discover.pending}>
          {discover.pending ? 'Fetching…' : 'Fetch its configuration'}
        </Button>
      </form>
      {discover.problem ? <ProblemAlert problem={discover.problem} /> : null}
      <div role="status">{added ? <p className="rounded-md bg-emerald-50 px-3 py-2 text-sm text-emerald-900">Peered with {added}.</p> : null}</div>
      {found ? (
        <form onSubmit={pin} className="space-y-4 rounded-md border border-slate-200 p-4" aria-label="Pin the peer's key">
          <div>
            <p className="text-sm text-slate-700">
              <span className="font-semibold">{found.name}</span>
              {found.operator ? ` · ${found.operator}` : ''} · protocol {found.versions.join(', ')}
            </p>
            <p className="mt-1 text-sm text-slate-500">
              <Mono>{found.issuer}</Mono>
            </p>
          </div>
          <div>
            <p className="text-sm font-medium text-slate-800">Thumbprint of the key that signed its entity configuration</p>
            <p
              id="fetched-thumbprint"
              className="mt-1 rounded-md bg-slate-100 px-3 py-2 font-mono text-base tracking-wide break-all text-slate-900"
              aria-label="Fetched thumbprint"
            >
              {grouped(found.thumbprint)}
            </p>
            <p className="mt-1 text-xs text-slate-500">
              Compare it with the thumbprint the peer’s operator gave you by another channel (phone, signed e-mail) before you pin it.
            </p>
          </div>
          <TextField
            label="Thumbprint received out of band"
            id="peer-thumbprint"
            name="thumbprint"
            required
            value={pasted}
            onChange={(e) => setPasted(e.target.value.replace(/\s+/g, ''))}
            autoComplete="off"
            spellCheck={false}
            inputClassName="font-mono"
            aria-describedby="peer-thumbprint-match"
          />
          <p id="peer-thumbprint-match" aria-live="polite" className={`text-sm ${pasted ? (matches ? 'text-emerald-700' : 'text-red-700') : 'text-slate-500'}`}>
            {!pasted
              ? 'Paste it to compare.'
              : matches
                ? '✓ Matches the fetched thumbprint.'
                : '✗ Does not match the fetched thumbprint: do not pin this peer.'}
          </p>
          <TextField label="Display name" id="peer-name" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
          {add.problem ? <ProblemAlert problem={add.problem} /> : null}
          <Button type="submit" variant="primary" disabled={!matches || add.pending}>
            {add.pending ? 'Adding…' : 'Add peer'}
          </Button>
        </form>
      ) : null}
    </div>
  );
}
