import { eq, lt } from 'drizzle-orm';
import session from 'express-session';
import type { Db } from '../storage/db.ts';
import { adminSessions } from '../storage/schema.ts';

const DEFAULT_TTL_MS = 8 * 3600 * 1000;

/** express-session store over the database, so every instance sees the same sessions. */
export class DatabaseSessionStore extends session.Store {
  constructor(private readonly db: Db) {
    super();
  }

  private expiry(sess: session.SessionData): Date {
    const expires = sess.cookie?.expires;
    return expires ? new Date(expires) : new Date(Date.now() + DEFAULT_TTL_MS);
  }

  override get(sid: string, callback: (err: unknown, session?: session.SessionData | null) => void): void {
    this.db
      .select()
      .from(adminSessions)
      .where(eq(adminSessions.sid, sid))
      .then(([row]) => callback(null, row && row.expiresAt > new Date() ? (row.data as session.SessionData) : null), callback);
  }

  override set(sid: string, sess: session.SessionData, callback?: (err?: unknown) => void): void {
    const expiresAt = this.expiry(sess);
    this.db
      .insert(adminSessions)
      .values({ sid, data: sess, expiresAt })
      .onConflictDoUpdate({ target: adminSessions.sid, set: { data: sess, expiresAt } })
      .then(() => callback?.(), (err) => callback?.(err));
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.db
      .delete(adminSessions)
      .where(eq(adminSessions.sid, sid))
      .then(() => callback?.(), (err) => callback?.(err));
  }

  override touch(sid: string, sess: session.SessionData, callback?: () => void): void {
    this.db
      .update(adminSessions)
      .set({ expiresAt: this.expiry(sess) })
      .where(eq(adminSessions.sid, sid))
      .then(() => callback?.(), () => callback?.());
  }

  async prune(): Promise<void> {
    await this.db.delete(adminSessions).where(lt(adminSessions.expiresAt, new Date()));
  }
}
