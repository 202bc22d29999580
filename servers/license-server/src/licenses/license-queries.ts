import { and, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { adminLicenseSchema, LicenseOrigin, LicenseState, Rights } from '@tessera/protocol';
import type { z } from 'zod';
import { afterCursor, cursorAt, decodeCursor, toPage } from '../storage/list-cursor.ts';
import type { Executor } from '../storage/db.ts';
import { authorities, clients, contents, licenses, prices, users } from '../storage/schema.ts';

export type LicenseRow = typeof licenses.$inferSelect;
export type AdminLicense = z.infer<typeof adminLicenseSchema>;

/** States in which a license can still be used or is on its way to another device. */
export const LIVE_STATES = ['active', 'moving'] as const satisfies LicenseState[];

export const licenseOrigin = (row: Pick<LicenseRow, 'originType' | 'originMoveId'>): LicenseOrigin =>
  row.originType === 'move' ? { type: 'move', move: row.originMoveId ?? '' } : { type: 'purchase' };

/**
 * Everything a license supply needs, in one round trip: the device's key and standing, the
 * content, its price, and the license the device may already hold for it.
 */
export async function loadLicenseSupply(executor: Executor, authorityId: string, params: { clientId: string; contentId: string }) {
  const live = alias(licenses, 'live');
  const [row] = await executor
    .select({
      clientStatus: clients.status,
      publicJwk: clients.publicJwk,
      userStatus: users.status,
      currency: authorities.currency,
      listedPrice: prices.amount,
      content: {
        status: contents.status,
        contentKeySealed: contents.contentKeySealed,
        licensePrice: contents.licensePrice,
        movePrice: contents.movePrice,
      },
      live: {
        id: live.id,
        contentId: live.contentId,
        clientId: live.clientId,
        state: live.state,
        rights: live.rights,
        originType: live.originType,
        originMoveId: live.originMoveId,
        token: live.token,
        issuedAt: live.issuedAt,
        updatedAt: live.updatedAt,
      },
    })
    .from(clients)
    .innerJoin(users, and(eq(users.authorityId, clients.authorityId), eq(users.id, clients.userId)))
    .innerJoin(authorities, eq(authorities.id, clients.authorityId))
    .leftJoin(contents, and(eq(contents.authorityId, clients.authorityId), eq(contents.id, params.contentId)))
    .leftJoin(prices, and(eq(prices.authorityId, clients.authorityId), eq(prices.kind, 'license')))
    .leftJoin(
      live,
      and(eq(live.authorityId, clients.authorityId), eq(live.clientId, clients.id), eq(live.contentId, params.contentId), inArray(live.state, LIVE_STATES)),
    )
    .where(and(eq(clients.authorityId, authorityId), eq(clients.id, params.clientId)));
  return row ?? null;
}

export interface NewLiveLicense {
  authorityId: string;
  id: string;
  contentId: string;
  clientId: string;
  userId: string;
  rights: Rights;
  origin: LicenseOrigin;
  token: string;
}

/**
 * Inserts an active license, but only while the holder is an active device of `userId` in
 * good standing (and, for a purchase, while the content is available): the checks made before
 * the transaction are re-made by the insert itself at no extra round trip. Returns null when a
 * check failed or the device already holds a live license for the content (the partial unique
 * index `licenses_one_live_per_device_content`, which also settles concurrent requests).
 */
export async function insertLiveLicense(
  executor: Executor,
  row: NewLiveLicense,
  options: { requireAvailableContent: boolean },
): Promise<{ issuedAt: Date; updatedAt: Date } | null> {
  const moveId = row.origin.type === 'move' ? row.origin.move : null;
  const contentCheck = options.requireAvailableContent
    ? sql`and exists (select 1 from contents where authority_id = ${row.authorityId} and id = ${row.contentId} and status = 'available')`
    : sql``;
  const result = (await executor.execute(sql`
    insert into licenses (authority_id, id, content_id, client_id, user_id, rights, state, origin_type, origin_move_id, token)
    select ${row.authorityId}, ${row.id}, ${row.contentId}, ${row.clientId}, ${row.userId}, ${JSON.stringify(row.rights)}::jsonb,
           'active', ${row.origin.type}, ${moveId}, ${row.token}
    where exists (
      select 1 from clients c join users u on u.authority_id = c.authority_id and u.id = c.user_id
      where c.authority_id = ${row.authorityId} and c.id = ${row.clientId} and c.user_id = ${row.userId}
        and c.status = 'active' and u.status = 'active')
    ${contentCheck}
    on conflict do nothing
    returning issued_at, updated_at`)) as unknown as { rows: { issued_at: Date | string; updated_at: Date | string }[] };
  const inserted = result.rows[0];
  return inserted ? { issuedAt: new Date(inserted.issued_at), updatedAt: new Date(inserted.updated_at) } : null;
}

export async function findLiveLicense(executor: Executor, authorityId: string, params: { clientId: string; contentId: string }): Promise<LicenseRow | null> {
  const [row] = await executor
    .select()
    .from(licenses)
    .where(
      and(
        eq(licenses.authorityId, authorityId),
        eq(licenses.clientId, params.clientId),
        eq(licenses.contentId, params.contentId),
        inArray(licenses.state, LIVE_STATES),
      ),
    );
  return row ?? null;
}

export async function listClientLicenses(executor: Executor, authorityId: string, clientId: string): Promise<LicenseRow[]> {
  return executor
    .select()
    .from(licenses)
    .where(and(eq(licenses.authorityId, authorityId), eq(licenses.clientId, clientId)))
    .orderBy(desc(licenses.issuedAt), desc(licenses.id));
}

/** A license as its holder may see it: another device's license is no license at all. */
export async function findClientLicense(executor: Executor, authorityId: string, params: { clientId: string; licenseId: string }): Promise<LicenseRow | null> {
  const [row] = await executor
    .select()
    .from(licenses)
    .where(and(eq(licenses.authorityId, authorityId), eq(licenses.id, params.licenseId), eq(licenses.clientId, params.clientId)));
  return row ?? null;
}

// ---- the admin side ----

const adminColumns = {
  id: licenses.id,
  contentId: licenses.contentId,
  contentTitle: contents.title,
  clientId: licenses.clientId,
  userId: licenses.userId,
  username: users.username,
  state: licenses.state,
  rights: licenses.rights,
  originType: licenses.originType,
  originMoveId: licenses.originMoveId,
  issuedAt: licenses.issuedAt,
  updatedAt: licenses.updatedAt,
  cursorAt: cursorAt(licenses.issuedAt),
};

type AdminLicenseRow = Pick<
  LicenseRow,
  'id' | 'contentId' | 'clientId' | 'userId' | 'state' | 'rights' | 'originType' | 'originMoveId' | 'issuedAt' | 'updatedAt'
> & {
  contentTitle: string;
  username: string;
};

export function toAdminLicense(row: AdminLicenseRow): AdminLicense {
  return {
    id: row.id,
    contentId: row.contentId,
    contentTitle: row.contentTitle,
    clientId: row.clientId,
    userId: row.userId,
    username: row.username,
    state: row.state,
    rights: row.rights,
    origin: licenseOrigin(row),
    issuedAt: row.issuedAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export interface AdminLicenseFilters {
  limit: number;
  cursor?: string | undefined;
  state?: LicenseState | undefined;
  contentId?: string | undefined;
  userId?: string | undefined;
  clientId?: string | undefined;
}

export async function listAdminLicenses(executor: Executor, authorityId: string, filters: AdminLicenseFilters) {
  const where: SQL[] = [eq(licenses.authorityId, authorityId)];
  if (filters.state) where.push(eq(licenses.state, filters.state));
  if (filters.contentId) where.push(eq(licenses.contentId, filters.contentId));
  if (filters.userId) where.push(eq(licenses.userId, filters.userId));
  if (filters.clientId) where.push(eq(licenses.clientId, filters.clientId));
  if (filters.cursor) where.push(afterCursor(licenses.issuedAt, licenses.id, decodeCursor(filters.cursor)));
  const rows = await executor
    .select(adminColumns)
    .from(licenses)
    .innerJoin(contents, and(eq(contents.authorityId, licenses.authorityId), eq(contents.id, licenses.contentId)))
    .innerJoin(users, and(eq(users.authorityId, licenses.authorityId), eq(users.id, licenses.userId)))
    .where(and(...where))
    .orderBy(desc(licenses.issuedAt), desc(licenses.id))
    .limit(filters.limit + 1);
  const page = toPage(rows, filters.limit);
  return { items: page.rows.map(toAdminLicense), nextCursor: page.nextCursor };
}

export async function findAdminLicense(executor: Executor, authorityId: string, licenseId: string) {
  const [row] = await executor
    .select({ ...adminColumns, token: licenses.token })
    .from(licenses)
    .innerJoin(contents, and(eq(contents.authorityId, licenses.authorityId), eq(contents.id, licenses.contentId)))
    .innerJoin(users, and(eq(users.authorityId, licenses.authorityId), eq(users.id, licenses.userId)))
    .where(and(eq(licenses.authorityId, authorityId), eq(licenses.id, licenseId)));
  return row ? { ...toAdminLicense(row), token: row.token } : null;
}
