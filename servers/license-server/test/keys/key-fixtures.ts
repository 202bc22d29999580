import assert from 'node:assert/strict';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { jwksSchema, type Jwks } from '@tessera/protocol';
import type { Actor } from '../../src/audit/actor.ts';
import { auditLog, authorityKeys } from '../../src/storage/schema.ts';
import type { Harness } from '../support/harness.ts';

/** Who changes keys when a test calls the domain functions directly. */
export const TEST_ACTOR: Actor = { kind: 'system', id: 'test' };

export type KeyRow = typeof authorityKeys.$inferSelect;

export async function storedKeys(h: Harness, authorityId: string): Promise<KeyRow[]> {
  return h.server.ctx.db.select().from(authorityKeys).where(eq(authorityKeys.authorityId, authorityId));
}

/** The kids of one use and state, as stored. */
export function kidsOf(rows: KeyRow[], use: 'sig' | 'enc', status: KeyRow['status']): string[] {
  return rows.filter((r) => r.use === use && r.status === status).map((r) => r.kid);
}

/** The invariant every key change keeps: exactly one active and one next key per use. */
export async function assertOneActiveAndOneNextPerUse(
  h: Harness,
  authorityId: string,
): Promise<{ sig: { active: string; next: string }; enc: { active: string; next: string } }> {
  const rows = await storedKeys(h, authorityId);
  const shape = (use: 'sig' | 'enc') => {
    const active = kidsOf(rows, use, 'active');
    const next = kidsOf(rows, use, 'next');
    assert.equal(active.length, 1, `exactly one active ${use} key, found ${active.length}`);
    assert.equal(next.length, 1, `exactly one next ${use} key, found ${next.length}`);
    return { active: active[0]!, next: next[0]! };
  };
  return { sig: shape('sig'), enc: shape('enc') };
}

export async function publishedKeys(h: Harness, slug: string): Promise<Jwks> {
  const res = await h.request().get(`/t/${slug}/jwks.json`).expect(200);
  return jwksSchema.parse(res.body);
}

export const publishedKids = async (h: Harness, slug: string): Promise<string[]> => (await publishedKeys(h, slug)).keys.map((k) => k.kid!).sort();

export async function auditEntries(h: Harness, authorityId: string, actions: string[]) {
  return h.server.ctx.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.authorityId, authorityId), inArray(auditLog.action, actions)))
    .orderBy(asc(auditLog.at));
}
