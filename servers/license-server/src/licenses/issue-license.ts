import { newId, TesseraProblem, type LicenseResponse, type Money, type Rights } from '@tessera/protocol';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import { priceOverride, recordCharge, resolvePrice } from '../billing/charges.ts';
import type { AppContext } from '../context.ts';
import type { Executor } from '../storage/db.ts';
import { findLiveLicense, insertLiveLicense, licenseOrigin, loadLicenseSupply, type LicenseRow } from './license-queries.ts';
import { openContentKey, signLicenseToken } from './license-token.ts';

/** What a purchase grants. Richer rights (rentals, play counts) would be decided here. */
const PURCHASE_RIGHTS: Rights = { play: true };

export interface LicenseHolder {
  authority: AuthorityRef;
  clientId: string;
  userId: string;
}

export interface IssuedLicense {
  /** False when the device already held a live license and got that one back. */
  created: boolean;
  license: LicenseResponse;
}

/** Caller-chosen IDs: a seam for imports and for tests that must make a step fail on purpose. */
export interface IssueLicenseOptions {
  licenseId?: string;
  ledgerEntryId?: string;
}

export const toLicenseResponse = (
  row: Pick<LicenseRow, 'id' | 'contentId' | 'clientId' | 'state' | 'rights' | 'originType' | 'originMoveId' | 'token' | 'issuedAt'>,
  charged: Money | null,
): LicenseResponse => ({
  licenseId: row.id,
  contentId: row.contentId,
  clientId: row.clientId,
  state: row.state,
  rights: row.rights,
  origin: licenseOrigin(row),
  token: row.token,
  issuedAt: row.issuedAt.toISOString(),
  charged,
});

/**
 * Supplies a license, which is the sale (claims 1, 6, 7): the license row (content ⇔ license,
 * user ⇔ license) and its ledger entry are written in one transaction or not at all. A device
 * that already holds a live license for the content gets it back, uncharged.
 *
 * One read gathers everything; the key wrapping and signing happen before the transaction so
 * it stays two short statements; the insert re-checks content and device standing itself.
 */
export async function issueLicense(ctx: AppContext, holder: LicenseHolder, contentId: string, options: IssueLicenseOptions = {}): Promise<IssuedLicense> {
  const { authority, clientId, userId } = holder;
  const supply = await loadLicenseSupply(ctx.db, authority.id, { clientId, contentId });
  if (!supply) throw new TesseraProblem('client_unknown', `no device ${clientId} at ${authority.issuer}`);
  if (supply.live) return { created: false, license: toLicenseResponse(supply.live, null) };
  assertHolderInGoodStanding(supply, clientId);
  const content = supply.content;
  if (!content) throw new TesseraProblem('content_unknown', `no content ${contentId} at ${authority.issuer}`);
  if (content.status !== 'available') throw new TesseraProblem('content_unavailable', `content ${contentId} has been withdrawn`);
  const price = resolvePrice('license', { override: priceOverride('license', content), listed: supply.listedPrice, currency: supply.currency });

  const licenseId = options.licenseId ?? newId('license');
  const { token } = await signLicenseToken(ctx, {
    authorityId: authority.id,
    issuer: authority.issuer,
    licenseId,
    clientId,
    userId,
    contentId,
    rights: PURCHASE_RIGHTS,
    origin: { type: 'purchase' },
    contentKey: openContentKey(ctx, authority.id, contentId, content.contentKeySealed),
    devicePublicJwk: supply.publicJwk,
  });
  const row = { authorityId: authority.id, id: licenseId, contentId, clientId, userId, rights: PURCHASE_RIGHTS, origin: { type: 'purchase' as const }, token };

  return ctx.db.transaction(async (tx) => {
    const inserted = await insertLiveLicense(tx, row, { requireAvailableContent: true });
    if (!inserted) return { created: false, license: toLicenseResponse(await explainRefusedInsert(tx, holder, contentId), null) };
    await recordCharge(tx, {
      authorityId: authority.id,
      kind: 'license',
      userId,
      contentId,
      licenseId,
      price,
      ...(options.ledgerEntryId ? { id: options.ledgerEntryId } : {}),
    });
    return {
      created: true,
      license: toLicenseResponse({ ...row, state: 'active', originType: 'purchase', originMoveId: null, issuedAt: inserted.issuedAt }, price),
    };
  });
}

function assertHolderInGoodStanding(supply: { clientStatus: string; userStatus: string }, clientId: string): void {
  if (supply.clientStatus !== 'active') throw new TesseraProblem('client_revoked', `device ${clientId} has been revoked`);
  if (supply.userStatus !== 'active') throw new TesseraProblem('user_suspended', 'the account is suspended');
}

/**
 * The conditional insert wrote nothing: either a concurrent request of the same device won
 * (its license is returned, so every request gets the one license and one charge) or the
 * content or device changed since the first read.
 */
async function explainRefusedInsert(tx: Executor, holder: LicenseHolder, contentId: string): Promise<LicenseRow> {
  const existing = await findLiveLicense(tx, holder.authority.id, { clientId: holder.clientId, contentId });
  if (existing) return existing;
  const supply = await loadLicenseSupply(tx, holder.authority.id, { clientId: holder.clientId, contentId });
  if (!supply) throw new TesseraProblem('client_unknown', `no device ${holder.clientId} at ${holder.authority.issuer}`);
  assertHolderInGoodStanding(supply, holder.clientId);
  if (!supply.content) throw new TesseraProblem('content_unknown', `no content ${contentId} at ${holder.authority.issuer}`);
  throw new TesseraProblem('content_unavailable', `content ${contentId} has been withdrawn`);
}
