import { sql } from 'drizzle-orm';
import type { PublicEcJwk } from '@tessera/protocol';
import { bigint, boolean, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/*
 * Every tenant table carries `authority_id` and is keyed by (authority_id, id); foreign keys
 * are composite too. So the database itself refuses a license whose device belongs to
 * another authority — isolation does not rest on the routes alone — and the schema can be
 * partitioned by authority on a distributed PostgreSQL.
 */

/** A public key as stored: the JWK members plus optional kid/use/alg. */
export type StoredJwk = PublicEcJwk;

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const now = (name: string) => ts(name).notNull().defaultNow();

export const authorities = pgTable('authorities', {
  id: text('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  operator: text('operator'),
  deviceLimit: integer('device_limit').notNull().default(12),
  currency: text('currency').notNull().default('EUR'),
  /** The next leaf of the authority's binary key tree; leaves are assigned once, never reused. */
  nextLeafId: integer('next_leaf_id').notNull().default(0),
  createdAt: now('created_at'),
});

export const authorityKeys = pgTable(
  'authority_keys',
  {
    authorityId: text('authority_id')
      .notNull()
      .references(() => authorities.id),
    kid: text('kid').notNull(),
    use: text('use', { enum: ['sig', 'enc'] }).notNull(),
    status: text('status', { enum: ['next', 'active', 'retired', 'revoked'] }).notNull(),
    publicJwk: jsonb('public_jwk').notNull().$type<StoredJwk>(),
    /** The private JWK, sealed under the master key (see keys/secret-box.ts). */
    privateJwkSealed: text('private_jwk_sealed').notNull(),
    createdAt: now('created_at'),
    activatedAt: ts('activated_at'),
    retiredAt: ts('retired_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [primaryKey({ columns: [t.authorityId, t.kid] }), index('authority_keys_status').on(t.authorityId, t.use, t.status)],
);

export const users = pgTable(
  'users',
  {
    authorityId: text('authority_id')
      .notNull()
      .references(() => authorities.id),
    id: text('id').notNull(),
    username: text('username').notNull(),
    displayName: text('display_name'),
    passwordHash: text('password_hash').notNull(),
    status: text('status', { enum: ['active', 'suspended'] })
      .notNull()
      .default('active'),
    createdAt: now('created_at'),
  },
  (t) => [primaryKey({ columns: [t.authorityId, t.id] }), uniqueIndex('users_username').on(t.authorityId, sql`lower(${t.username})`)],
);

/** This authority's user ⇔ a user at a peer authority: the same person on both sides. */
export const accountLinks = pgTable(
  'account_links',
  {
    authorityId: text('authority_id').notNull(),
    id: text('id').notNull(),
    userId: text('user_id').notNull(),
    peerIssuer: text('peer_issuer').notNull(),
    peerUserId: text('peer_user_id').notNull(),
    createdAt: now('created_at'),
  },
  (t) => [
    primaryKey({ columns: [t.authorityId, t.id] }),
    foreignKey({ columns: [t.authorityId, t.userId], foreignColumns: [users.authorityId, users.id] }),
    uniqueIndex('account_links_peer_user').on(t.authorityId, t.peerIssuer, t.peerUserId),
  ],
);

/** Claim 5: leaf ID ⇔ client ID, client ID ⇔ public key certificate, client ID ⇔ user ID. */
export const clients = pgTable(
  'clients',
  {
    authorityId: text('authority_id').notNull(),
    id: text('id').notNull(),
    userId: text('user_id').notNull(),
    leafId: integer('leaf_id').notNull(),
    publicJwk: jsonb('public_jwk').notNull().$type<StoredJwk>(),
    thumbprint: text('thumbprint').notNull(),
    certificate: text('certificate').notNull(),
    status: text('status', { enum: ['active', 'revoked'] })
      .notNull()
      .default('active'),
    label: text('label'),
    registeredAt: now('registered_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [
    primaryKey({ columns: [t.authorityId, t.id] }),
    foreignKey({ columns: [t.authorityId, t.userId], foreignColumns: [users.authorityId, users.id] }),
    uniqueIndex('clients_leaf').on(t.authorityId, t.leafId),
    uniqueIndex('clients_thumbprint').on(t.authorityId, t.thumbprint),
    index('clients_user').on(t.authorityId, t.userId),
  ],
);

export const contents = pgTable(
  'contents',
  {
    authorityId: text('authority_id')
      .notNull()
      .references(() => authorities.id),
    id: text('id').notNull(),
    title: text('title').notNull(),
    description: text('description'),
    mediaType: text('media_type').notNull(),
    size: bigint('size', { mode: 'number' }).notNull(),
    packageSize: bigint('package_size', { mode: 'number' }).notNull(),
    sha256: text('sha256').notNull(),
    packageSha256: text('package_sha256').notNull(),
    /** Where the package lives in the blob store. */
    storageKey: text('storage_key').notNull(),
    /** The 32-byte content key, sealed under the master key. */
    contentKeySealed: text('content_key_sealed').notNull(),
    status: text('status', { enum: ['available', 'withdrawn'] })
      .notNull()
      .default('available'),
    /**
     * Null for this authority's own contents. For a content that arrived by a cross-authority
     * move, the issuer of the authority that published it: no package is stored here, only
     * the sealed key, so the destination can license it and move it on.
     */
    originIssuer: text('origin_issuer'),
    licensePrice: integer('license_price'),
    movePrice: integer('move_price'),
    createdAt: now('created_at'),
  },
  (t) => [primaryKey({ columns: [t.authorityId, t.id] })],
);

/** Claim 5: content ID ⇔ license ID and user ID ⇔ license ID, with the license's state. */
export const licenses = pgTable(
  'licenses',
  {
    authorityId: text('authority_id').notNull(),
    id: text('id').notNull(),
    contentId: text('content_id').notNull(),
    clientId: text('client_id').notNull(),
    userId: text('user_id').notNull(),
    rights: jsonb('rights').notNull().$type<{ play: boolean; notAfter?: number; maxPlays?: number }>(),
    state: text('state', { enum: ['active', 'moving', 'moved', 'revoked', 'expired'] }).notNull(),
    originType: text('origin_type', { enum: ['purchase', 'move'] }).notNull(),
    originMoveId: text('origin_move_id'),
    token: text('token').notNull(),
    issuedAt: now('issued_at'),
    updatedAt: now('updated_at'),
  },
  (t) => [
    primaryKey({ columns: [t.authorityId, t.id] }),
    foreignKey({ columns: [t.authorityId, t.contentId], foreignColumns: [contents.authorityId, contents.id] }),
    foreignKey({ columns: [t.authorityId, t.clientId], foreignColumns: [clients.authorityId, clients.id] }),
    foreignKey({ columns: [t.authorityId, t.userId], foreignColumns: [users.authorityId, users.id] }),
    // A device holds at most one usable license per content: a repeated request returns it.
    uniqueIndex('licenses_one_live_per_device_content').on(t.authorityId, t.clientId, t.contentId).where(sql`state in ('active', 'moving')`),
    index('licenses_user').on(t.authorityId, t.userId),
    index('licenses_content').on(t.authorityId, t.contentId),
  ],
);

/** Claim 5: user ID ⇔ content ID of downloaded contents — one row per supply. */
export const downloads = pgTable(
  'downloads',
  {
    authorityId: text('authority_id').notNull(),
    id: text('id').notNull(),
    userId: text('user_id').notNull(),
    clientId: text('client_id').notNull(),
    contentId: text('content_id').notNull(),
    rangeStart: bigint('range_start', { mode: 'number' }).notNull(),
    rangeEnd: bigint('range_end', { mode: 'number' }).notNull(),
    at: now('at'),
  },
  (t) => [
    primaryKey({ columns: [t.authorityId, t.id] }),
    foreignKey({ columns: [t.authorityId, t.userId], foreignColumns: [users.authorityId, users.id] }),
    foreignKey({ columns: [t.authorityId, t.clientId], foreignColumns: [clients.authorityId, clients.id] }),
    foreignKey({ columns: [t.authorityId, t.contentId], foreignColumns: [contents.authorityId, contents.id] }),
    index('downloads_content').on(t.authorityId, t.contentId),
    index('downloads_user').on(t.authorityId, t.userId),
  ],
);

/** Claim 5: the history of copy certificate issues. */
export const moves = pgTable(
  'moves',
  {
    authorityId: text('authority_id').notNull(),
    id: text('id').notNull(),
    /** This authority's part: holder of the source, signer for the destination, or both. */
    role: text('role', { enum: ['source', 'destination', 'both'] }).notNull(),
    state: text('state', { enum: ['reserved', 'completed', 'aborted', 'delivered'] }).notNull(),
    contentId: text('content_id').notNull(),
    userId: text('user_id').notNull(),
    srcIssuer: text('src_issuer').notNull(),
    srcClientId: text('src_client_id').notNull(),
    srcLicenseId: text('src_license_id').notNull(),
    dstIssuer: text('dst_issuer').notNull(),
    dstClientId: text('dst_client_id').notNull(),
    dstLicenseId: text('dst_license_id'),
    certificate: text('certificate'),
    signedBy: text('signed_by'),
    /** SHA-256 of the request that created the move: a retry must carry the same payload. */
    requestDigest: text('request_digest'),
    /** At the source of a cross-authority move: what is sent to the destination (without the content key, re-wrapped per attempt). */
    request: jsonb('request').$type<Record<string, unknown>>(),
    /** Why the move was aborted: the destination's signed refusal. */
    refusalCode: text('refusal_code'),
    refusalDetail: text('refusal_detail'),
    /** What the move was billed to the user, once completed. */
    chargedAmount: integer('charged_amount'),
    chargedCurrency: text('charged_currency'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at'),
    lastError: text('last_error'),
    createdAt: now('created_at'),
    updatedAt: now('updated_at'),
  },
  (t) => [
    primaryKey({ columns: [t.authorityId, t.id] }),
    index('moves_state').on(t.authorityId, t.state),
    // The recovery loop's queue: reserved moves of every authority, by when to try next.
    index('moves_pending').on(t.nextAttemptAt).where(sql`state = 'reserved'`),
    index('moves_user').on(t.authorityId, t.userId),
  ],
);

export const moveEvents = pgTable(
  'move_events',
  {
    authorityId: text('authority_id').notNull(),
    moveId: text('move_id').notNull(),
    seq: integer('seq').notNull(),
    state: text('state', { enum: ['reserved', 'completed', 'aborted', 'delivered'] }).notNull(),
    note: text('note'),
    at: now('at'),
  },
  (t) => [
    primaryKey({ columns: [t.authorityId, t.moveId, t.seq] }),
    foreignKey({ columns: [t.authorityId, t.moveId], foreignColumns: [moves.authorityId, moves.id] }),
  ],
);

export const prices = pgTable(
  'prices',
  {
    authorityId: text('authority_id')
      .notNull()
      .references(() => authorities.id),
    kind: text('kind', { enum: ['license', 'move', 'federation_fee'] }).notNull(),
    amount: integer('amount').notNull(),
    updatedAt: now('updated_at'),
  },
  (t) => [primaryKey({ columns: [t.authorityId, t.kind] })],
);

export const invoices = pgTable(
  'invoices',
  {
    authorityId: text('authority_id').notNull(),
    id: text('id').notNull(),
    number: text('number').notNull(),
    userId: text('user_id').notNull(),
    period: text('period').notNull(),
    total: integer('total').notNull(),
    currency: text('currency').notNull(),
    lines: integer('lines').notNull(),
    status: text('status', { enum: ['issued', 'paid', 'void'] })
      .notNull()
      .default('issued'),
    issuedAt: now('issued_at'),
  },
  (t) => [
    primaryKey({ columns: [t.authorityId, t.id] }),
    foreignKey({ columns: [t.authorityId, t.userId], foreignColumns: [users.authorityId, users.id] }),
    uniqueIndex('invoices_number').on(t.authorityId, t.number),
    uniqueIndex('invoices_user_period').on(t.authorityId, t.userId, t.period),
  ],
);

/** Written in the transaction that supplies the thing billed (claim 6): never one without the other. */
export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    authorityId: text('authority_id').notNull(),
    id: text('id').notNull(),
    /** `federation_fee`: we signed a certificate for a peer (it owes us); `peer_fee`: a peer signed one for us (we owe it). */
    kind: text('kind', { enum: ['license', 'move', 'federation_fee', 'peer_fee'] }).notNull(),
    userId: text('user_id'),
    counterparty: text('counterparty'),
    contentId: text('content_id').notNull(),
    licenseId: text('license_id'),
    moveId: text('move_id'),
    amount: integer('amount').notNull(),
    currency: text('currency').notNull(),
    invoiceId: text('invoice_id'),
    createdAt: now('created_at'),
  },
  (t) => [
    primaryKey({ columns: [t.authorityId, t.id] }),
    foreignKey({ columns: [t.authorityId, t.userId], foreignColumns: [users.authorityId, users.id] }),
    foreignKey({ columns: [t.authorityId, t.licenseId], foreignColumns: [licenses.authorityId, licenses.id] }),
    foreignKey({ columns: [t.authorityId, t.invoiceId], foreignColumns: [invoices.authorityId, invoices.id] }),
    // One charge per supplied license and one per move: a retry can never bill twice.
    uniqueIndex('ledger_one_license_charge').on(t.authorityId, t.licenseId).where(sql`kind = 'license'`),
    uniqueIndex('ledger_one_move_charge').on(t.authorityId, t.moveId, t.kind).where(sql`kind in ('move', 'federation_fee', 'peer_fee')`),
    index('ledger_created').on(t.authorityId, t.createdAt),
    index('ledger_user').on(t.authorityId, t.userId),
  ],
);

export const peers = pgTable(
  'peers',
  {
    authorityId: text('authority_id')
      .notNull()
      .references(() => authorities.id),
    id: text('id').notNull(),
    issuer: text('issuer').notNull(),
    name: text('name'),
    pinnedThumbprint: text('pinned_thumbprint').notNull(),
    operator: text('operator'),
    /** When to refetch the peer's entity configuration: its expiry, or ten minutes after the last fetch. */
    configExpiresAt: ts('config_expires_at'),
    jwks: jsonb('jwks').$type<{ keys: StoredJwk[] }>(),
    status: text('status', { enum: ['active', 'suspended'] })
      .notNull()
      .default('active'),
    lastContactAt: ts('last_contact_at'),
    lastOutcome: text('last_outcome'),
    createdAt: now('created_at'),
  },
  (t) => [primaryKey({ columns: [t.authorityId, t.id] }), uniqueIndex('peers_issuer').on(t.authorityId, t.issuer)],
);

/** One-time `jti`s of federation envelopes, kept until they expire, shared by every instance. */
export const federationNonces = pgTable(
  'federation_nonces',
  {
    authorityId: text('authority_id').notNull(),
    issuer: text('issuer').notNull(),
    jti: text('jti').notNull(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.authorityId, t.issuer, t.jti] }), index('federation_nonces_expiry').on(t.expiresAt)],
);

/** One-time `jti`s of device proofs, kept until they expire, shared by every instance. */
export const deviceProofNonces = pgTable(
  'device_proof_nonces',
  {
    authorityId: text('authority_id').notNull(),
    jti: text('jti').notNull(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.authorityId, t.jti] }), index('device_proof_nonces_expiry').on(t.expiresAt)],
);

/**
 * Password attempts, counted per bucket so that every instance applies the same limits
 * (limits/password-attempts.ts). `realm` is `admin` for the server's administrators, or the
 * authority ID for its users; `account` and `address` are `*` in the buckets that span them.
 */
export const passwordAttempts = pgTable(
  'password_attempts',
  {
    realm: text('realm').notNull(),
    account: text('account').notNull(),
    address: text('address').notNull(),
    failures: integer('failures').notNull(),
    windowStart: ts('window_start').notNull(),
    lastAttemptAt: ts('last_attempt_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.realm, t.account, t.address] }), index('password_attempts_window').on(t.windowStart)],
);

/** Administrators are accounts of the server; what they may do is granted per authority. */
export const adminUsers = pgTable(
  'admin_users',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    name: text('name'),
    passwordHash: text('password_hash').notNull(),
    /** A server operator may create authorities. */
    isOperator: boolean('is_operator').notNull().default(false),
    createdAt: now('created_at'),
  },
  (t) => [uniqueIndex('admin_users_email').on(sql`lower(${t.email})`)],
);

export const adminRoles = pgTable(
  'admin_roles',
  {
    authorityId: text('authority_id')
      .notNull()
      .references(() => authorities.id),
    adminId: text('admin_id')
      .notNull()
      .references(() => adminUsers.id),
    role: text('role', { enum: ['owner', 'admin', 'billing', 'viewer'] }).notNull(),
    createdAt: now('created_at'),
  },
  (t) => [primaryKey({ columns: [t.authorityId, t.adminId] })],
);

export const adminSessions = pgTable(
  'admin_sessions',
  {
    sid: text('sid').primaryKey(),
    data: jsonb('data').notNull(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [index('admin_sessions_expiry').on(t.expiresAt)],
);

/** Append-only: nothing updates or deletes a row here. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: text('id').primaryKey(),
    authorityId: text('authority_id'),
    at: now('at'),
    actor: text('actor'),
    action: text('action').notNull(),
    target: text('target'),
    details: jsonb('details').$type<Record<string, unknown>>(),
  },
  (t) => [index('audit_log_authority').on(t.authorityId, t.at)],
);
