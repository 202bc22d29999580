import { generateEcKeyPair, importEcKey, KEY_AGREEMENT_ALG, SIGNING_ALG, type Jwks, type PublicEcJwk } from '@tessera/protocol';
import type { CryptoKey, JWK } from 'jose';
import type { Db, Executor } from '../storage/db.ts';
import { findPublishedKey, insertAuthorityKey, listPublishedKeys, type AuthorityKeyRow } from './key-queries.ts';
import type { SecretBox } from './secret-box.ts';

export interface SigningKey {
  kid: string;
  key: CryptoKey;
}

export type EncryptionKey = SigningKey & { publicJwk: PublicEcJwk };

/** One consistent view of an authority's keys: the active pair and every published key. */
export interface AuthorityKeySnapshot {
  signing: SigningKey | null;
  encryption: EncryptionKey | null;
  jwks: Jwks;
}

interface CachedKeys extends AuthorityKeySnapshot {
  loadedAt: number;
}

/**
 * Instances share keys through the database; a short cache keeps key loading off the hot
 * path while a rotation made by another instance (or by the CLI) is picked up within this
 * many ms. Nothing breaks in that window: the key another instance promotes was already
 * published as `next`, and the key it retires stays published, so whatever either signs
 * verifies against either instance's key set.
 */
export const KEY_CACHE_MS = 15_000;

const sealContext = (authorityId: string, kid: string) => `authority-key:${authorityId}:${kid}`;

export class AuthorityKeyring {
  private readonly cache = new Map<string, CachedKeys>();
  /** Bumped by every invalidation, so a load that raced with a key change is not cached. */
  private generation = 0;

  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
  ) {}

  /** Creates a key pair and stores it sealed; used when an authority is created and on rotation. */
  async createKey(executor: Executor, authorityId: string, use: 'sig' | 'enc', status: 'next' | 'active'): Promise<string> {
    const pair = await generateEcKeyPair(use);
    await insertAuthorityKey(executor, {
      authorityId,
      kid: pair.kid,
      use,
      status,
      publicJwk: { ...pair.publicJwk, kid: pair.kid, use, alg: use === 'sig' ? SIGNING_ALG : KEY_AGREEMENT_ALG },
      privateJwkSealed: this.secrets.seal(Buffer.from(JSON.stringify(pair.privateJwk)), sealContext(authorityId, pair.kid)),
      activatedAt: status === 'active' ? new Date() : null,
    });
    this.invalidate(authorityId);
    return pair.kid;
  }

  async signingKey(authorityId: string): Promise<SigningKey> {
    const keys = await this.load(authorityId);
    if (!keys.signing) throw new Error(`authority ${authorityId} has no active signing key`);
    return keys.signing;
  }

  async encryptionKey(authorityId: string): Promise<EncryptionKey> {
    const keys = await this.load(authorityId);
    if (!keys.encryption) throw new Error(`authority ${authorityId} has no active encryption key`);
    return keys.encryption;
  }

  /** The published keys: next, active and retired (revoked keys are withdrawn). */
  async jwks(authorityId: string): Promise<Jwks> {
    return (await this.load(authorityId)).jwks;
  }

  /** The active keys and the published set from one load, for a statement that names them together. */
  async snapshot(authorityId: string): Promise<AuthorityKeySnapshot> {
    const { signing, encryption, jwks } = await this.load(authorityId);
    return { signing, encryption, jwks };
  }

  /**
   * The private encryption key with this kid, if it is still published (next, active or retired):
   * a peer may wrap a content key to any key it saw in our entity configuration, so a rotation
   * in between never makes a move fail.
   */
  async decryptionKey(authorityId: string, kid: string): Promise<CryptoKey | null> {
    const row = await findPublishedKey(this.db, authorityId, 'enc', kid);
    if (!row) return null;
    const jwk = JSON.parse(this.secrets.open(row.privateJwkSealed, sealContext(authorityId, row.kid)).toString('utf8')) as JWK;
    return importEcKey(jwk, KEY_AGREEMENT_ALG);
  }

  /** Drops this process's cached keys of an authority; call it after a key change has committed. */
  invalidate(authorityId: string): void {
    this.generation++;
    this.cache.delete(authorityId);
  }

  private async load(authorityId: string): Promise<CachedKeys> {
    const cached = this.cache.get(authorityId);
    if (cached && Date.now() - cached.loadedAt < KEY_CACHE_MS) return cached;
    const generation = this.generation;
    const rows = await listPublishedKeys(this.db, authorityId);
    const open = async (row: AuthorityKeyRow, alg: typeof SIGNING_ALG | typeof KEY_AGREEMENT_ALG) => {
      const jwk = JSON.parse(this.secrets.open(row.privateJwkSealed, sealContext(authorityId, row.kid)).toString('utf8')) as JWK;
      return { kid: row.kid, key: await importEcKey(jwk, alg), publicJwk: row.publicJwk as unknown as PublicEcJwk };
    };
    const activeSig = rows.find((r) => r.use === 'sig' && r.status === 'active');
    const activeEnc = rows.find((r) => r.use === 'enc' && r.status === 'active');
    const entry: CachedKeys = {
      loadedAt: Date.now(),
      signing: activeSig ? await open(activeSig, SIGNING_ALG) : null,
      encryption: activeEnc ? await open(activeEnc, KEY_AGREEMENT_ALG) : null,
      jwks: { keys: rows.map((r) => r.publicJwk as unknown as PublicEcJwk) },
    };
    if (generation === this.generation) this.cache.set(authorityId, entry);
    return entry;
  }
}
