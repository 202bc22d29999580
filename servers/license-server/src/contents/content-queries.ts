import { and, desc, eq, getTableColumns, ilike, sql, type SQL } from 'drizzle-orm';
import type { AdminContent, CatalogEntry } from '@tessera/protocol';
import type { Executor, Tx } from '../storage/db.ts';
import { authorities, contents, downloads } from '../storage/schema.ts';
import { afterCursor, containsPattern, cursorAt, decodeCursor, toPage } from '../storage/list-cursor.ts';

export type ContentRow = typeof contents.$inferSelect;
export type NewContentRow = typeof contents.$inferInsert;

interface PageParams {
  limit: number;
  cursor?: string | undefined;
}

// Correlated subqueries keep the counts in the same statement as the page; both are
// served by the (authority_id, content_id) indexes.
const adminColumns = {
  ...getTableColumns(contents),
  downloads: sql<number>`(select count(*)::int from downloads d where d.authority_id = "contents"."authority_id" and d.content_id = "contents"."id")`.mapWith(
    Number,
  ),
  licenses: sql<number>`(select count(*)::int from licenses l where l.authority_id = "contents"."authority_id" and l.content_id = "contents"."id")`.mapWith(
    Number,
  ),
  cursorAt: cursorAt(contents.createdAt),
};

type AdminContentRow = ContentRow & { downloads: number; licenses: number };

export function toAdminContent(row: AdminContentRow): AdminContent {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    mediaType: row.mediaType,
    size: row.size,
    packageSize: row.packageSize,
    sha256: row.sha256,
    packageSha256: row.packageSha256,
    status: row.status,
    originIssuer: row.originIssuer,
    licensePrice: row.licensePrice,
    movePrice: row.movePrice,
    downloads: row.downloads,
    licenses: row.licenses,
    createdAt: row.createdAt.toISOString(),
  };
}

export async function listAdminContents(
  executor: Executor,
  authorityId: string,
  params: PageParams & { status?: ContentRow['status'] | undefined; q?: string | undefined },
): Promise<{ items: AdminContent[]; nextCursor: string | null }> {
  const where: SQL[] = [eq(contents.authorityId, authorityId)];
  if (params.status) where.push(eq(contents.status, params.status));
  if (params.q?.trim()) where.push(ilike(contents.title, containsPattern(params.q.trim())));
  if (params.cursor) where.push(afterCursor(contents.createdAt, contents.id, decodeCursor(params.cursor)));
  const rows = await executor
    .select(adminColumns)
    .from(contents)
    .where(and(...where))
    .orderBy(desc(contents.createdAt), desc(contents.id))
    .limit(params.limit + 1);
  const page = toPage(rows, params.limit);
  return { items: page.rows.map(toAdminContent), nextCursor: page.nextCursor };
}

export async function findAdminContent(executor: Executor, authorityId: string, contentId: string): Promise<AdminContent | null> {
  const [row] = await executor
    .select(adminColumns)
    .from(contents)
    .where(and(eq(contents.authorityId, authorityId), eq(contents.id, contentId)));
  return row ? toAdminContent(row) : null;
}

export async function insertContent(executor: Executor, row: NewContentRow & { authorityId: string }): Promise<ContentRow> {
  const [inserted] = await executor.insert(contents).values(row).returning();
  return inserted!;
}

export async function findContent(executor: Executor, authorityId: string, contentId: string): Promise<ContentRow | null> {
  const [row] = await executor
    .select()
    .from(contents)
    .where(and(eq(contents.authorityId, authorityId), eq(contents.id, contentId)));
  return row ?? null;
}

export async function listContentIds(executor: Executor, authorityId: string): Promise<string[]> {
  const rows = await executor.select({ id: contents.id }).from(contents).where(eq(contents.authorityId, authorityId));
  return rows.map((r) => r.id);
}

/** Locks the row the caller is about to change. */
export async function lockContent(tx: Tx, authorityId: string, contentId: string): Promise<ContentRow | null> {
  const [row] = await tx
    .select()
    .from(contents)
    .where(and(eq(contents.authorityId, authorityId), eq(contents.id, contentId)))
    .for('update');
  return row ?? null;
}

export type ContentPatch = Partial<Pick<ContentRow, 'title' | 'description' | 'status' | 'licensePrice' | 'movePrice'>>;

export async function updateContentRow(tx: Tx, authorityId: string, contentId: string, patch: ContentPatch): Promise<void> {
  await tx
    .update(contents)
    .set(patch)
    .where(and(eq(contents.authorityId, authorityId), eq(contents.id, contentId)));
}

// ---- the device side ----

const catalogColumns = {
  ...getTableColumns(contents),
  currency: authorities.currency,
  // The content's own override, else the authority's license price; null when neither is set.
  priceAmount: sql<
    number | null
  >`coalesce("contents"."license_price", (select p.amount from prices p where p.authority_id = "contents"."authority_id" and p.kind = 'license'))`,
  cursorAt: cursorAt(contents.createdAt),
};

type CatalogRow = ContentRow & { currency: string; priceAmount: number | null };

export function toCatalogEntry(row: CatalogRow): CatalogEntry {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    mediaType: row.mediaType,
    size: row.size,
    packageSize: row.packageSize,
    sha256: row.sha256,
    packageSha256: row.packageSha256,
    price: row.priceAmount === null ? null : { amount: Number(row.priceAmount), currency: row.currency },
    status: row.status,
  };
}

/** Available contents only: a withdrawn content stays reachable by its ID, not in the list. */
export async function listCatalog(executor: Executor, authorityId: string, params: PageParams): Promise<{ items: CatalogEntry[]; nextCursor: string | null }> {
  const where: SQL[] = [eq(contents.authorityId, authorityId), eq(contents.status, 'available')];
  if (params.cursor) where.push(afterCursor(contents.createdAt, contents.id, decodeCursor(params.cursor)));
  const rows = await executor
    .select(catalogColumns)
    .from(contents)
    .innerJoin(authorities, eq(authorities.id, contents.authorityId))
    .where(and(...where))
    .orderBy(desc(contents.createdAt), desc(contents.id))
    .limit(params.limit + 1);
  const page = toPage(rows, params.limit);
  return { items: page.rows.map(toCatalogEntry), nextCursor: page.nextCursor };
}

export async function findCatalogEntry(executor: Executor, authorityId: string, contentId: string): Promise<CatalogEntry | null> {
  const [row] = await executor
    .select(catalogColumns)
    .from(contents)
    .innerJoin(authorities, eq(authorities.id, contents.authorityId))
    .where(and(eq(contents.authorityId, authorityId), eq(contents.id, contentId)));
  return row ? toCatalogEntry(row) : null;
}

/** What serving a package needs, and nothing more: this is on the download path. */
export async function findPackage(executor: Executor, authorityId: string, contentId: string) {
  const [row] = await executor
    .select({ status: contents.status, storageKey: contents.storageKey, packageSize: contents.packageSize, packageSha256: contents.packageSha256 })
    .from(contents)
    .where(and(eq(contents.authorityId, authorityId), eq(contents.id, contentId)));
  return row ?? null;
}

export async function insertDownload(executor: Executor, row: typeof downloads.$inferInsert & { authorityId: string }): Promise<void> {
  await executor.insert(downloads).values(row);
}
