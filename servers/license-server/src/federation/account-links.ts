import { randomBytes } from 'node:crypto';
import {
  decodeJwsUnverified,
  LINK_ASSERTION_MAX_LIFETIME_SECONDS,
  linkAssertionClaimsSchema,
  newId,
  issuerInputSchema,
  parseUserGlobalId,
  routes,
  signJws,
  TesseraProblem,
  TOKEN_TYPES,
  userGlobalId,
  verifyJws,
  type AccountLink,
} from '@tessera/protocol';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import type { AppContext } from '../context.ts';
import type { RouteModule } from '../http/principals.ts';
import { bindRoute, created, noContent, ok } from '../http/route.ts';
import { isUniqueViolation } from '../storage/db-errors.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { findUser } from '../users/user-queries.ts';
import { deleteLinkOfUser, findLinkOfPeerAccount, insertLink, listLinksOfUser, type LinkRow } from './account-link-queries.ts';
import { findPeerByIssuer } from './peer-queries.ts';
import { activePeer } from './peers.ts';
import { signingKeyIn } from './trusted-keys.ts';
import { verifyFromPeer } from './verify-from-peer.ts';
import { claimNonce } from '../storage/replay-queries.ts';

/*
 * Account linking (DESIGN §7): the person signed in at A asks A for a link assertion addressed
 * to B; signed in at B, they present it; B records that its user and `<user>@A` are one person.
 * Devices at B of that user then count as the person's for moves from A. A link is recorded on
 * the side where it is presented, so a person who moves both ways links both ways.
 */

const toLink = (row: LinkRow): AccountLink => ({
  linkId: row.id,
  peerIssuer: row.peerIssuer,
  peerUser: userGlobalId(row.peerUserId, row.peerIssuer),
  createdAt: row.createdAt.toISOString(),
});

/** Signs a short-lived assertion that `userId` is signed in at this authority, for `audience` only. */
export async function createLinkAssertion(
  ctx: AppContext,
  authority: AuthorityRef,
  userId: string,
  audience: string,
): Promise<{ assertion: string; expiresAt: string }> {
  await activePeer(ctx.db, authority, audience);
  const key = await ctx.keyring.signingKey(authority.id);
  const iat = Math.floor(Date.now() / 1000);
  const exp = iat + LINK_ASSERTION_MAX_LIFETIME_SECONDS;
  const claims = linkAssertionClaimsSchema.parse({
    iss: authority.issuer,
    aud: audience,
    sub: userGlobalId(userId, authority.issuer),
    iat,
    exp,
    jti: randomBytes(18).toString('base64url'),
  });
  return { assertion: await signJws(claims, { typ: TOKEN_TYPES.linkAssertion, key: key.key, kid: key.kid }), expiresAt: new Date(exp * 1000).toISOString() };
}

/**
 * Verifies an assertion from a peer (signature with the peer's pinned keys, audience, time,
 * one-time use) and links the presenting user to the account it vouches for. Presenting the
 * same link again answers the existing link; an account already linked to another user here
 * is a conflict, never silently moved.
 */
export async function presentLinkAssertion(
  ctx: AppContext,
  authority: AuthorityRef,
  userId: string,
  assertion: string,
): Promise<{ link: AccountLink; created: boolean }> {
  let issuer = '';
  try {
    const iss = decodeJwsUnverified(assertion).payload.iss;
    issuer = typeof iss === 'string' ? iss : '';
  } catch {
    throw new TesseraProblem('link_assertion_invalid', 'the assertion is not a compact JWS');
  }
  const peer = await findPeerByIssuer(ctx.db, authority.id, issuer);
  if (!peer) throw new TesseraProblem('peer_untrusted', `${issuer || 'the issuer of the assertion'} is not a peer of ${authority.issuer}`);
  if (peer.status !== 'active') throw new TesseraProblem('peer_suspended', `the peer ${issuer} is suspended at ${authority.issuer}`);
  const { verified: payload } = await verifyFromPeer(ctx, authority, peer, assertion, async (keys) => {
    const verified = await verifyJws(assertion, {
      typ: TOKEN_TYPES.linkAssertion,
      schema: linkAssertionClaimsSchema,
      problem: 'link_assertion_invalid',
      resolveKey: (header) => signingKeyIn(keys, header.kid),
      // jose's claim checks: addressed to this authority, not expired, not dated ahead or too old.
      claims: { audience: authority.issuer, clockToleranceSeconds: ctx.config.clockSkewSeconds, maxAgeSeconds: LINK_ASSERTION_MAX_LIFETIME_SECONDS },
    });
    return verified.payload;
  });
  const peerUser = parseUserGlobalId(payload.sub);
  if (!peerUser || peerUser.issuer !== peer.issuer)
    throw new TesseraProblem('link_assertion_invalid', `the assertion's subject ${payload.sub} is not an account of ${peer.issuer}`);

  return ctx.db.transaction(async (tx) => {
    // One-time: the same store as envelopes, so every instance refuses a replay.
    const fresh = await claimNonce(tx, {
      store: 'federation',
      authorityId: authority.id,
      issuer: peer.issuer,
      jti: `link:${payload.jti}`,
      expiresAt: new Date((payload.exp + ctx.config.clockSkewSeconds) * 1000),
    });
    if (!fresh) throw new TesseraProblem('link_assertion_invalid', 'the assertion was already used; ask for a new one');
    const existing = await findLinkOfPeerAccount(tx, authority.id, peer.issuer, peerUser.userId);
    if (existing) {
      if (existing.userId !== userId) throw new TesseraProblem('conflict', `${payload.sub} is already linked to another account at ${authority.issuer}`);
      return { link: toLink(existing), created: false };
    }
    try {
      const row = await insertLink(tx, { authorityId: authority.id, id: newId('link'), userId, peerIssuer: peer.issuer, peerUserId: peerUser.userId });
      return { link: toLink(row), created: true };
    } catch (error) {
      if (isUniqueViolation(error)) throw new TesseraProblem('conflict', `${payload.sub} was just linked by another request`);
      throw error;
    }
  });
}

/**
 * An operator links a user to a peer account directly (identity checked out of band; the demo
 * seed does this). Audited. Linking the same pair again answers the existing link.
 */
export async function linkAccountsByOperator(
  ctx: AppContext,
  authority: AuthorityRef,
  actor: string,
  userId: string,
  peerUser: string,
): Promise<{ link: AccountLink; created: boolean }> {
  const named = parseUserGlobalId(peerUser);
  const issuer = named ? issuerInputSchema.safeParse(named.issuer) : null;
  if (!named || !issuer?.success)
    throw new TesseraProblem('invalid_request', `${peerUser} is not a global user ID (<userId>@<issuer URL>)`, {
      errors: [{ path: 'peerUser', message: 'must be <userId>@<issuer URL>' }],
    });
  // An operator may type the peer's issuer in any spelling; it is stored in its canonical one.
  const parsed = { userId: named.userId, issuer: issuer.data };
  await activePeer(ctx.db, authority, parsed.issuer);
  return ctx.db.transaction(async (tx) => {
    if (!(await findUser(tx, authority.id, userId))) throw new TesseraProblem('not_found', `no user ${userId}`);
    const existing = await findLinkOfPeerAccount(tx, authority.id, parsed.issuer, parsed.userId);
    if (existing) {
      if (existing.userId !== userId) throw new TesseraProblem('conflict', `${peerUser} is already linked to another account`);
      return { link: toLink(existing), created: false };
    }
    const row = await insertLink(tx, { authorityId: authority.id, id: newId('link'), userId, peerIssuer: parsed.issuer, peerUserId: parsed.userId });
    await recordAudit(tx, { authorityId: authority.id, actor, action: 'user.linked', target: userId, details: { peerUser } });
    return { link: toLink(row), created: true };
  });
}

export const registerAccountLinkRoutes: RouteModule = (router, ctx, guards) => {
  bindRoute(router, ctx, guards, routes.createLinkAssertion, async ({ authority, device, body }) => {
    return created(await createLinkAssertion(ctx, authority, device.userId, body.audience));
  });

  bindRoute(router, ctx, guards, routes.presentLinkAssertion, async ({ authority, device, body }) => {
    const { link, created: isNew } = await presentLinkAssertion(ctx, authority, device.userId, body.assertion);
    return isNew ? created(link) : ok(link);
  });

  bindRoute(router, ctx, guards, routes.listAccountLinks, async ({ authority, device }) => {
    return ok({ items: (await listLinksOfUser(ctx.db, authority.id, device.userId)).map(toLink) });
  });

  bindRoute(router, ctx, guards, routes.listUserLinks, async ({ authority, params }) => {
    return ok({ items: (await listLinksOfUser(ctx.db, authority.id, params.userId)).map(toLink) });
  });

  bindRoute(router, ctx, guards, routes.createUserLink, async ({ authority, admin, params, body }) => {
    const { link, created: isNew } = await linkAccountsByOperator(ctx, authority, admin.email, params.userId, body.peerUser);
    return isNew ? created(link) : ok(link);
  });

  bindRoute(router, ctx, guards, routes.deleteUserLink, async ({ authority, admin, params }) => {
    await ctx.db.transaction(async (tx) => {
      const deleted = await deleteLinkOfUser(tx, authority.id, params.userId, params.linkId);
      if (!deleted) throw new TesseraProblem('link_unknown', `no link ${params.linkId} of user ${params.userId}`);
      await recordAudit(tx, {
        authorityId: authority.id,
        actor: admin.email,
        action: 'user.unlinked',
        target: params.userId,
        details: { peerUser: userGlobalId(deleted.peerUserId, deleted.peerIssuer) },
      });
    });
    return noContent();
  });

  bindRoute(router, ctx, guards, routes.deleteAccountLink, async ({ authority, device, params }) => {
    const deleted = await deleteLinkOfUser(ctx.db, authority.id, device.userId, params.linkId);
    if (!deleted) throw new TesseraProblem('link_unknown', `no link ${params.linkId} of this user`);
    return noContent();
  });
};
