import { amountSchema, createAuthorityRequestSchema, newId, TesseraProblem } from '@tessera/protocol';
import { z } from 'zod';
import { actorName, type Actor } from '../audit/actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { AppContext } from '../context.ts';
import { isUniqueViolation } from '../storage/db-errors.ts';
import type { Executor } from '../storage/db.ts';
import { grantAdminRole } from '../admin/admin-queries.ts';
import { findAuthorityBySlug, insertAuthorityRow, insertPrices } from './authority-queries.ts';

export interface NewAuthority {
  slug: string;
  name: string;
  operator?: string | null;
  deviceLimit?: number;
  currency?: string;
  prices?: { license?: number; move?: number; federationFee?: number };
}

/**
 * Creates an authority in the caller's transaction, with an active and a next key for each use
 * (signing, encryption): the next keys are published from the start, so devices registered and
 * peers that pin the authority now already hold the keys its first rotation will activate.
 */
export async function insertAuthority(ctx: AppContext, tx: Executor, input: NewAuthority) {
  const id = newId('authority');
  const row = await insertAuthorityRow(tx, {
    id,
    slug: input.slug,
    name: input.name,
    operator: input.operator ?? null,
    deviceLimit: input.deviceLimit ?? 12,
    currency: input.currency ?? 'EUR',
  });
  for (const use of ['sig', 'enc'] as const) {
    await ctx.keyring.createKey(tx, id, use, 'active');
    await ctx.keyring.createKey(tx, id, use, 'next');
  }
  const priceRows = (
    [
      ['license', input.prices?.license],
      ['move', input.prices?.move],
      ['federation_fee', input.prices?.federationFee],
    ] as const
  ).flatMap(([kind, amount]) => (amount === undefined ? [] : [{ authorityId: id, kind, amount }]));
  await insertPrices(tx, priceRows);
  return row;
}

/** What creating an authority takes: the admin API's body, and optionally its first prices. */
export const newAuthoritySchema = createAuthorityRequestSchema.extend({
  prices: z.object({ license: amountSchema.optional(), move: amountSchema.optional(), federationFee: amountSchema.optional() }).strict().optional(),
});
export type NewAuthorityInput = z.input<typeof newAuthoritySchema>;

/**
 * Creates an authority for whoever asks (an operator through the admin API, `tessera-server`,
 * the demo seed): validated with the admin API's schema, audited as `authority.created`, and
 * refused as `authority_exists` when the slug is taken, also when two requests race for it.
 * `owner`, when given, is the administrator who becomes its first owner.
 */
export async function createAuthority(ctx: AppContext, actor: Actor, input: NewAuthorityInput, options: { owner?: string } = {}) {
  const body = newAuthoritySchema.parse(input);
  const exists = () => new TesseraProblem('authority_exists', `an authority with slug "${body.slug}" already exists`);
  try {
    return await ctx.db.transaction(async (tx) => {
      if (await findAuthorityBySlug(tx, body.slug)) throw exists();
      const authority = await insertAuthority(ctx, tx, {
        slug: body.slug,
        name: body.name,
        operator: body.operator ?? null,
        deviceLimit: body.deviceLimit,
        currency: body.currency,
        prices: body.prices ?? {},
      });
      if (options.owner) await grantAdminRole(tx, authority.id, { adminId: options.owner, role: 'owner' });
      await recordAudit(tx, {
        authorityId: authority.id,
        actor: actorName(actor),
        action: 'authority.created',
        target: authority.id,
        details: { slug: body.slug, name: body.name, currency: body.currency, deviceLimit: body.deviceLimit, ...(body.prices ? { prices: body.prices } : {}) },
      });
      return authority;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw exists();
    throw error;
  }
}
