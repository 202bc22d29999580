import { TesseraProblem } from '@tessera/protocol';
import type { Db, Executor } from '../storage/db.ts';
import { findAuthorityBySlug } from './authority-queries.ts';

/** What every request needs to know about its authority: immutable once created. */
export interface AuthorityRef {
  id: string;
  slug: string;
  issuer: string;
}

export const issuerFor = (publicUrl: string, slug: string) => `${publicUrl}/t/${slug}`;

/**
 * Resolves `/t/:authority` slugs. The slug → id mapping never changes, so it is cached
 * for the life of the process; mutable settings (prices, limits) are always read fresh.
 */
export class AuthorityDirectory {
  private readonly bySlugCache = new Map<string, AuthorityRef>();

  constructor(
    private readonly db: Db,
    private readonly publicUrl: string,
  ) {}

  issuer(slug: string): string {
    return issuerFor(this.publicUrl, slug);
  }

  async bySlug(slug: string, executor: Executor = this.db): Promise<AuthorityRef> {
    const cached = this.bySlugCache.get(slug);
    if (cached) return cached;
    const row = await findAuthorityBySlug(executor, slug);
    if (!row) throw new TesseraProblem('authority_unknown', `no authority "${slug}" on this server`);
    const ref = { id: row.id, slug: row.slug, issuer: this.issuer(row.slug) };
    this.bySlugCache.set(slug, ref);
    return ref;
  }

  /** Finds a local authority by its issuer URL, or null when the issuer is not served here. */
  async byIssuer(issuer: string): Promise<AuthorityRef | null> {
    const prefix = `${this.publicUrl}/t/`;
    if (!issuer.startsWith(prefix)) return null;
    const slug = issuer.slice(prefix.length);
    try {
      return await this.bySlug(slug);
    } catch (error) {
      if (error instanceof TesseraProblem && error.code === 'authority_unknown') return null;
      throw error;
    }
  }
}
