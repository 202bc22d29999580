import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { TesseraProblem } from '@tessera/protocol';
import { addAdministrator } from '../admin/manage-admins.ts';
import type { Actor } from '../audit/actor.ts';
import { findAuthorityBySlug } from '../authorities/authority-queries.ts';
import { createAuthority } from '../authorities/create-authority.ts';
import { listContentIds } from '../contents/content-queries.ts';
import type { AppContext } from '../context.ts';
import { createUser } from '../users/manage-users.ts';

/** The demo's seed, as it appears in the audit log. */
const SEED_ACTOR: Actor = { kind: 'system', id: 'demo-seed' };

export interface DemoAuthoritySpec {
  slug: string;
  name: string;
  operator: string;
  currency: string;
  prices: { license: number; move: number; federationFee?: number };
  admin: { email: string; password: string };
  users: { username: string; password: string; displayName: string }[];
  contents: { id: string; title: string; description: string; mediaType: string; size: number; text?: string }[];
}

export const auroraDemo: DemoAuthoritySpec = {
  slug: 'aurora',
  name: 'Aurora Media',
  operator: 'Aurora Media Ltd.',
  currency: 'EUR',
  prices: { license: 299, move: 99 },
  admin: { email: 'admin@aurora.test', password: 'tessera-admin' },
  users: [
    { username: 'alice', password: 'wonderland', displayName: 'Alice Liddell' },
    { username: 'bob', password: 'the-builder', displayName: 'Bob Builder' },
  ],
  contents: [
    {
      id: 'cnt_northern-lights',
      title: 'Northern Lights (timelapse)',
      description: 'A night of aurora over Tromsø, 4K timelapse (demo bytes).',
      mediaType: 'video/mp4',
      size: 6 * 1024 * 1024,
    },
    {
      id: 'cnt_songs-of-the-fjord',
      title: 'Songs of the Fjord',
      description: 'Field recordings from the Lyngen Alps (demo bytes).',
      mediaType: 'audio/flac',
      size: 1536 * 1024,
    },
    {
      id: 'cnt_field-notes',
      title: 'Field Notes',
      description: 'A short text: readable after `tessera-device play`.',
      mediaType: 'text/plain',
      size: 0,
      text: 'Field notes, 24 November.\nThe sky turned green at 21:40 and stayed so for an hour.\nThis text was encrypted by the license server and decrypted by your device.\n',
    },
  ],
};

export const borealisDemo: DemoAuthoritySpec = {
  slug: 'borealis',
  name: 'Borealis Books',
  operator: 'Borealis Books AS',
  currency: 'EUR',
  prices: { license: 349, move: 149, federationFee: 25 },
  admin: { email: 'admin@borealis.test', password: 'tessera-admin' },
  users: [
    { username: 'alice', password: 'wonderland', displayName: 'Alice Liddell' },
    { username: 'bob', password: 'the-builder', displayName: 'Bob Builder' },
  ],
  contents: [
    {
      id: 'cnt_polar-night-poems',
      title: 'Polar Night Poems',
      description: 'Three short poems: readable after `tessera-device play`.',
      mediaType: 'text/plain',
      size: 0,
      text: 'I. The sun forgot us in November.\nII. The snow remembers every step.\nIII. Light is a rumour from the south.\n',
    },
  ],
};

export const demoSpecs: Record<string, DemoAuthoritySpec> = { aurora: auroraDemo, borealis: borealisDemo };

function generated(size: number): Readable {
  let left = size;
  return new Readable({
    read() {
      if (left <= 0) return this.push(null);
      const n = Math.min(left, 256 * 1024);
      left -= n;
      this.push(randomBytes(n));
    },
  });
}

/**
 * Seeds one demo authority, step by step and idempotently: each piece is created only if it
 * is missing, so an interrupted first start completes on the next. Contents go through the
 * real admin upload API, as an operator would add them.
 */
export async function seedDemoAuthority(ctx: AppContext, baseUrl: string, spec: DemoAuthoritySpec): Promise<void> {
  let authority = await findAuthorityBySlug(ctx.db, spec.slug);
  if (!authority) {
    authority = await createAuthority(ctx, SEED_ACTOR, {
      slug: spec.slug,
      name: spec.name,
      operator: spec.operator,
      currency: spec.currency,
      prices: spec.prices,
    });
  }
  const authorityId = authority.id;
  const ref = await ctx.authorities.bySlug(spec.slug);

  // The same domain functions as the admin API and tessera-server; what exists already is kept.
  const already = (code: string) => (error: unknown) => {
    if (!(error instanceof TesseraProblem && error.code === code)) throw error;
  };
  await addAdministrator(
    ctx,
    ref,
    SEED_ACTOR,
    { email: spec.admin.email, password: spec.admin.password, name: `${spec.name} administrator`, role: 'owner' },
    { operator: true },
  ).catch(already('admin_exists'));
  for (const u of spec.users) {
    await createUser(ctx, ref, SEED_ACTOR, { username: u.username, password: u.password, displayName: u.displayName }).catch(already('user_exists'));
  }

  const have = new Set(await listContentIds(ctx.db, authorityId));
  const missing = spec.contents.filter((c) => !have.has(c.id));
  if (!missing.length) return;

  const login = await fetch(`${baseUrl}/admin/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: spec.admin.email, password: spec.admin.password }),
  });
  if (!login.ok) throw new Error(`demo seed: admin login failed (${login.status}): ${await login.text()}`);
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  for (const c of missing) {
    const body = c.text ? Buffer.from(c.text) : undefined;
    const size = body ? body.length : c.size;
    const query = new URLSearchParams({ id: c.id, title: c.title, description: c.description, mediaType: c.mediaType });
    const res = await fetch(`${baseUrl}/admin/authorities/${spec.slug}/contents?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size), cookie },
      body: body ?? (Readable.toWeb(generated(size)) as ReadableStream),
      duplex: 'half',
    } as RequestInit);
    if (res.status !== 201) throw new Error(`demo seed: upload of "${c.title}" failed (${res.status}): ${await res.text()}`);
  }
}
