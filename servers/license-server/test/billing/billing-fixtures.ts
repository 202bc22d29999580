import { newId } from '@tessera/protocol';
import type { Harness } from '../support/harness.ts';
import { contents, ledgerEntries } from '../../src/storage/schema.ts';

/** A catalogue row without a package: billing tests only need its ID, title and price overrides. */
export async function insertContent(h: Harness, authorityId: string, title: string, overrides: { licensePrice?: number; movePrice?: number } = {}) {
  const id = newId('content');
  await h.server.ctx.db.insert(contents).values({
    authorityId,
    id,
    title,
    mediaType: 'video/mp4',
    size: 10,
    packageSize: 42,
    sha256: 'a'.repeat(64),
    packageSha256: 'b'.repeat(64),
    storageKey: `test/${id}`,
    contentKeySealed: 'sealed',
    ...overrides,
  });
  return id;
}

/** Ledger rows written directly, with chosen times, as license and move issuance would write them. */
export async function insertCharge(
  h: Harness,
  authorityId: string,
  charge: {
    kind?: 'license' | 'move' | 'federation_fee';
    userId: string | null;
    contentId: string;
    amount: number;
    at: string;
    currency?: string;
    counterparty?: string;
  },
) {
  const id = newId('ledgerEntry');
  await h.server.ctx.db.insert(ledgerEntries).values({
    authorityId,
    id,
    kind: charge.kind ?? 'license',
    userId: charge.userId,
    contentId: charge.contentId,
    moveId: charge.kind === 'license' || !charge.kind ? null : newId('move'),
    counterparty: charge.counterparty ?? null,
    amount: charge.amount,
    currency: charge.currency ?? 'EUR',
    createdAt: new Date(charge.at),
  });
  return id;
}
