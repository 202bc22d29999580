import assert from 'node:assert/strict';
import { and, eq, inArray } from 'drizzle-orm';
import type { Side } from '../federation-fixtures.ts';
import { authorities, authorityKeys } from '../../../src/storage/schema.ts';

/*
 * Rotates an authority's keys the way its operator would: through the admin API
 * (`POST /admin/authorities/:a/keys/rotate`). Until that route is served, the same life cycle
 * is applied through the keyring and the database, as the keys module does it: under the
 * authority's row lock, per use, the `next` key becomes `active`, the `active` one `retired`,
 * and a fresh `next` key is published.
 */

export type RotationPath = 'admin-api' | 'keyring';

let path: RotationPath | undefined;

/** Whether this server serves the rotation route (probed once; a missing route answers not_found). */
export async function rotationPath(side: Side): Promise<RotationPath> {
  if (path) return path;
  const res = await side.admin.post(`/admin/authorities/${side.authority.slug}/keys/rotate`).send({ use: 'nonsense' });
  path = res.status === 404 && res.body?.code === 'not_found' ? 'keyring' : 'admin-api';
  return path;
}

/** The keys the authority publishes now, by status: what its entity configuration will carry. */
export async function keysOf(side: Side): Promise<{ sig: Record<string, string[]>; enc: Record<string, string[]> }> {
  const rows = await side.h.server.ctx.db.select().from(authorityKeys).where(eq(authorityKeys.authorityId, side.authority.id));
  const group = (use: 'sig' | 'enc') =>
    rows.filter((r) => r.use === use).reduce<Record<string, string[]>>((acc, r) => ((acc[r.status] ??= []).push(r.kid), acc), {});
  return { sig: group('sig'), enc: group('enc') };
}

/** Publishes a `next` key of each use where there is none yet, so peers can learn it before it signs. */
export async function announceNextKeys(side: Side): Promise<void> {
  const { ctx } = side.h.server;
  await ctx.db.transaction(async (tx) => {
    await tx.select({ id: authorities.id }).from(authorities).where(eq(authorities.id, side.authority.id)).for('update');
    for (const use of ['sig', 'enc'] as const) {
      const next = await tx
        .select()
        .from(authorityKeys)
        .where(and(eq(authorityKeys.authorityId, side.authority.id), eq(authorityKeys.use, use), eq(authorityKeys.status, 'next')));
      if (next.length === 0) await ctx.keyring.createKey(tx, side.authority.id, use, 'next');
    }
  });
  ctx.keyring.invalidate(side.authority.id);
}

/** One rotation of both key sets; returns the new active signing kid. */
export async function rotateKeys(side: Side): Promise<string> {
  if ((await rotationPath(side)) === 'admin-api') {
    const res = await side.admin.post(`/admin/authorities/${side.authority.slug}/keys/rotate`).send({ use: 'both' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  } else {
    const { ctx } = side.h.server;
    const now = new Date();
    await ctx.db.transaction(async (tx) => {
      await tx.select({ id: authorities.id }).from(authorities).where(eq(authorities.id, side.authority.id)).for('update');
      for (const use of ['sig', 'enc'] as const) {
        const inUse = await tx
          .select()
          .from(authorityKeys)
          .where(and(eq(authorityKeys.authorityId, side.authority.id), eq(authorityKeys.use, use), inArray(authorityKeys.status, ['next', 'active'])));
        const next = inUse.find((k) => k.status === 'next')?.kid ?? (await ctx.keyring.createKey(tx, side.authority.id, use, 'next'));
        for (const active of inUse.filter((k) => k.status === 'active')) {
          await tx
            .update(authorityKeys)
            .set({ status: 'retired', retiredAt: now })
            .where(and(eq(authorityKeys.authorityId, side.authority.id), eq(authorityKeys.kid, active.kid)));
        }
        await tx
          .update(authorityKeys)
          .set({ status: 'active', activatedAt: now })
          .where(and(eq(authorityKeys.authorityId, side.authority.id), eq(authorityKeys.kid, next)));
        await ctx.keyring.createKey(tx, side.authority.id, use, 'next');
      }
    });
    ctx.keyring.invalidate(side.authority.id);
  }
  const active = (await keysOf(side)).sig.active ?? [];
  assert.equal(active.length, 1, 'one active signing key after a rotation');
  return active[0]!;
}
