import session from 'express-session';
import type { Db } from '../storage/db.ts';
import { deleteAdminSession, deleteExpiredAdminSessions, extendAdminSession, findAdminSession, saveAdminSession } from './session-queries.ts';

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
    findAdminSession(this.db, sid).then((row) => callback(null, row && row.expiresAt > new Date() ? (row.data as session.SessionData) : null), callback);
  }

  override set(sid: string, sess: session.SessionData, callback?: (err?: unknown) => void): void {
    const expiresAt = this.expiry(sess);
    saveAdminSession(this.db, { sid, data: sess, expiresAt }).then(
      () => callback?.(),
      (err) => callback?.(err),
    );
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    deleteAdminSession(this.db, sid).then(
      () => callback?.(),
      (err) => callback?.(err),
    );
  }

  override touch(sid: string, sess: session.SessionData, callback?: () => void): void {
    extendAdminSession(this.db, sid, this.expiry(sess)).then(
      () => callback?.(),
      () => callback?.(),
    );
  }

  async prune(): Promise<void> {
    await deleteExpiredAdminSessions(this.db, new Date());
  }
}
