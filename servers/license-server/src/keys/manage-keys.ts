import { keyParamsSchema, rotateKeysRequestSchema, TesseraProblem } from '@tessera/protocol';
import { actorName, type Actor } from '../audit/actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import type { AppContext } from '../context.ts';
import type { Tx } from '../storage/db.ts';
import {
  activateKey,
  countPublishedKeys,
  findAuthorityKey,
  keysInUse,
  listAuthorityKeys,
  lockAuthorityKeys,
  retireKey,
  revokeKey,
  type AuthorityKeyRow,
  type KeyUse,
} from './key-queries.ts';

/*
 * The key life cycle (SPEC §2.4): next → active → retired (→ revoked), per use (`sig`, `enc`).
 * Every change runs in one transaction under the authority's row lock and leaves exactly one
 * active and one next key per use. The admin API and the `tessera-server keys` commands both
 * call these functions, which validate with the admin API's schemas and audit themselves.
 */

export type RotationScope = KeyUse | 'both';

/** What a rotation did to one use: the key promoted, the key retired and the fresh next key. */
export interface UseRotation {
  use: KeyUse;
  /** Null when the use had no next key yet (an authority created before next keys existed). */
  activated: string | null;
  retired: string | null;
  next: string;
}

/** jwksSchema's limit: a larger set could no longer be published, nor sent at registration. */
export const PUBLISHED_KEY_LIMIT = 64;

export async function listKeys(ctx: AppContext, authority: AuthorityRef): Promise<AuthorityKeyRow[]> {
  return listAuthorityKeys(ctx.db, authority.id);
}

/** Rotates one use or both: the next key becomes active, the active one retired, a fresh next key is published. */
export async function rotateAuthorityKeys(
  ctx: AppContext,
  authority: AuthorityRef,
  actor: Actor,
  scope: RotationScope,
): Promise<{ rotations: UseRotation[]; keys: AuthorityKeyRow[] }> {
  const { use } = rotateKeysRequestSchema.parse({ use: scope });
  const uses: KeyUse[] = use === 'both' ? ['sig', 'enc'] : [use];
  return changeKeys(ctx, authority, async (tx, now) => {
    await ensureRoomForKeys(tx, authority, uses.length);
    const rotations: UseRotation[] = [];
    for (const use of uses) rotations.push(await rotateUse(ctx, tx, authority.id, use, now));
    await recordAudit(tx, { authorityId: authority.id, actor: actorName(actor), action: 'keys.rotate', target: authority.id, details: { use, rotations } });
    return { rotations, keys: await listAuthorityKeys(tx, authority.id) };
  });
}

/** Retiring the active key of a use is a rotation of that use: its next key takes over. */
export async function retireAuthorityKey(ctx: AppContext, authority: AuthorityRef, actor: Actor, kidInput: string): Promise<AuthorityKeyRow> {
  const kid = validKid(kidInput);
  return changeKeys(ctx, authority, async (tx, now) => {
    const key = await findAuthorityKey(tx, authority.id, kid);
    if (!key) throw new TesseraProblem('key_unknown', `${authority.issuer} has no key ${kid}`);
    if (key.status !== 'active') {
      throw new TesseraProblem('key_state_invalid', `key ${kid} is ${key.status}: only an active key can be retired (its next key takes over)`);
    }
    const { next } = await keysInUse(tx, authority.id, key.use);
    if (next.length === 0) {
      throw new TesseraProblem('key_state_invalid', `there is no next ${key.use} key to take over from ${kid}: rotate once to announce one, then retire`);
    }
    await ensureRoomForKeys(tx, authority, 1);
    const rotation = await rotateUse(ctx, tx, authority.id, key.use, now);
    await recordAudit(tx, { authorityId: authority.id, actor: actorName(actor), action: 'key.retire', target: kid, details: { ...rotation } });
    return (await findAuthorityKey(tx, authority.id, kid))!;
  });
}

/**
 * Withdraws a next or retired key from the key set and the entity configuration. The active
 * key cannot be revoked: rotate first, then revoke it as a retired key. A revoked next key is
 * replaced by a fresh one, so the authority always has a key to rotate to. Revoking a revoked
 * key changes nothing.
 */
export async function revokeAuthorityKey(
  ctx: AppContext,
  authority: AuthorityRef,
  actor: Actor,
  kidInput: string,
): Promise<{ key: AuthorityKeyRow; replacedBy: string | null }> {
  const kid = validKid(kidInput);
  return changeKeys(ctx, authority, async (tx, now) => {
    const key = await findAuthorityKey(tx, authority.id, kid);
    if (!key) throw new TesseraProblem('key_unknown', `${authority.issuer} has no key ${kid}`);
    if (key.status === 'revoked') return { key, replacedBy: null };
    if (key.status === 'active') {
      throw new TesseraProblem('key_state_invalid', `key ${kid} is the active ${key.use} key: rotate first, then revoke it once it is retired`);
    }
    const revoked = await revokeKey(tx, authority.id, kid, now);
    const replacedBy = key.status === 'next' ? await ctx.keyring.createKey(tx, authority.id, key.use, 'next') : null;
    await recordAudit(tx, {
      authorityId: authority.id,
      actor: actorName(actor),
      action: 'key.revoke',
      target: kid,
      details: { use: key.use, was: key.status, replacedBy },
    });
    return { key: revoked, replacedBy };
  });
}

const kidSchema = keyParamsSchema.pick({ kid: true });
/** A kid in the form the admin API's path accepts (an RFC 7638 thumbprint), refused as it refuses it. */
const validKid = (kid: string): string => kidSchema.parse({ kid }).kid;

async function rotateUse(ctx: AppContext, tx: Tx, authorityId: string, use: KeyUse, now: Date): Promise<UseRotation> {
  const { active, next } = await keysInUse(tx, authorityId, use);
  const incoming = next[0];
  if (!incoming) {
    // A key becomes active only after it was published as next: activating a key nobody has
    // seen would make peers refuse our entity configuration (signed by a key they do not
    // trust) until their operators re-pin us. So an authority without a next key first gets
    // one announced; the following rotation promotes it.
    return { use, activated: null, retired: null, next: await ctx.keyring.createKey(tx, authorityId, use, 'next') };
  }
  for (const old of active) await retireKey(tx, authorityId, old.kid, now);
  await activateKey(tx, authorityId, incoming.kid, now);
  const fresh = await ctx.keyring.createKey(tx, authorityId, use, 'next');
  return { use, activated: incoming.kid, retired: active[0]?.kid ?? null, next: fresh };
}

async function ensureRoomForKeys(tx: Tx, authority: AuthorityRef, adding: number): Promise<void> {
  const published = await countPublishedKeys(tx, authority.id);
  if (published + adding > PUBLISHED_KEY_LIMIT) {
    throw new TesseraProblem(
      'key_state_invalid',
      `${authority.issuer} already publishes ${published} keys and a key set holds at most ${PUBLISHED_KEY_LIMIT}: revoke retired keys that no longer need to verify anything, then rotate`,
    );
  }
}

async function changeKeys<T>(ctx: AppContext, authority: AuthorityRef, change: (tx: Tx, now: Date) => Promise<T>): Promise<T> {
  try {
    return await ctx.db.transaction(async (tx) => {
      if (!(await lockAuthorityKeys(tx, authority.id))) throw new TesseraProblem('authority_unknown', `no authority "${authority.slug}" on this server`);
      return change(tx, new Date());
    });
  } finally {
    // This process signs with the new keys from its next request on. Other instances (and
    // running servers, after a CLI change) keep their cached keys for up to KEY_CACHE_MS:
    // harmless, because the key now active was already published as next and the key now
    // retired stays published, so tokens signed on either side of the change verify everywhere.
    ctx.keyring.invalidate(authority.id);
  }
}
