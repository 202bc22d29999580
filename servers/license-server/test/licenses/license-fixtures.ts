import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import {
  copyCertificateClaimsSchema,
  jwksSchema,
  licenseClaimsSchema,
  newId,
  TOKEN_TYPES,
  verifyJws,
  type CopyCertificateClaims,
  type LicenseClaims,
} from '@tessera/protocol';
import { clients, contents, ledgerEntries, licenses, moveEvents, moves } from '../../src/storage/schema.ts';
import { TestDevice, type Harness } from '../support/harness.ts';

/*
 * Shared by the license and move suites. Contents are inserted as rows (the upload route belongs
 * to contents/); devices register through the real registration route.
 */

export interface TestContent {
  id: string;
  key: Buffer;
}

export async function addContent(
  h: Harness,
  authorityId: string,
  options: { title?: string; licensePrice?: number | null; movePrice?: number | null; status?: 'available' | 'withdrawn' } = {},
): Promise<TestContent> {
  const id = newId('content');
  const key = randomBytes(32);
  await h.server.ctx.db.insert(contents).values({
    authorityId,
    id,
    title: options.title ?? `Title ${id}`,
    mediaType: 'video/mp4',
    size: 1000,
    packageSize: 1100,
    sha256: 'a'.repeat(64),
    packageSha256: 'b'.repeat(64),
    storageKey: `${authorityId}/${id}.tpk`,
    contentKeySealed: h.server.ctx.secrets.seal(key, `content-key:${authorityId}:${id}`),
    status: options.status ?? 'available',
    licensePrice: options.licensePrice ?? null,
    movePrice: options.movePrice ?? null,
  });
  return { id, key };
}

export async function registeredDevice(h: Harness, slug: string, user: { username: string; password: string }, label?: string): Promise<TestDevice> {
  const device = await TestDevice.create(h, slug);
  const res = await device.register(user.username, user.password, label);
  assert.equal(res.status, 201, `registration failed: ${JSON.stringify(res.body)}`);
  return device;
}

export async function revokeDevice(h: Harness, authorityId: string, clientId: string): Promise<void> {
  await h.server.ctx.db
    .update(clients)
    .set({ status: 'revoked', revokedAt: new Date() })
    .where(and(eq(clients.authorityId, authorityId), eq(clients.id, clientId)));
}

/** Verifies a token the way a device does: against the keys the authority publishes. */
async function publishedKeys(h: Harness, slug: string) {
  const res = await h.request().get(`/t/${slug}/jwks.json`).expect(200);
  return jwksSchema.parse(res.body);
}

export async function verifyLicense(h: Harness, slug: string, token: string): Promise<LicenseClaims> {
  const jwks = await publishedKeys(h, slug);
  const { payload } = await verifyJws(token, {
    typ: TOKEN_TYPES.license,
    schema: licenseClaimsSchema,
    problem: 'invalid_request',
    resolveKey: (header) => jwks.keys.find((k) => k.kid === header.kid && k.use === 'sig') ?? null,
  });
  return payload;
}

export async function verifyCopyCertificate(h: Harness, slug: string, token: string): Promise<CopyCertificateClaims> {
  const jwks = await publishedKeys(h, slug);
  const { payload } = await verifyJws(token, {
    typ: TOKEN_TYPES.copyCertificate,
    schema: copyCertificateClaimsSchema,
    problem: 'invalid_request',
    resolveKey: (header) => jwks.keys.find((k) => k.kid === header.kid && k.use === 'sig') ?? null,
  });
  return payload;
}

/** The rows a license or a move leaves behind, for assertions on stored state. */
export async function storedRows(h: Harness, authorityId: string) {
  const db = h.server.ctx.db;
  const [licenseRows, ledgerRows, moveRows, eventRows] = await Promise.all([
    db.select().from(licenses).where(eq(licenses.authorityId, authorityId)),
    db.select().from(ledgerEntries).where(eq(ledgerEntries.authorityId, authorityId)),
    db.select().from(moves).where(eq(moves.authorityId, authorityId)),
    db.select().from(moveEvents).where(eq(moveEvents.authorityId, authorityId)),
  ]);
  return { licenses: licenseRows, ledger: ledgerRows, moves: moveRows, events: eventRows };
}
