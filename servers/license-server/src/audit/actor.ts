/**
 * Who does an action. Domain functions take one instead of an HTTP principal, so the admin
 * API, `tessera-server` and the demo seed share them, and each records itself in the audit log.
 */
export type Actor = { kind: 'admin'; id: string; email: string } | { kind: 'cli' } | { kind: 'system'; id: string } | { kind: 'peer'; id: string };

export const CLI_ACTOR: Actor = { kind: 'cli' };

/** The audit log's `actor`: an administrator's e-mail, `cli`, or the system job's or peer's name. */
export const actorName = (actor: Actor): string => (actor.kind === 'admin' ? actor.email : actor.kind === 'cli' ? 'cli' : actor.id);

/** An administrator signed in to the admin API, as an actor. */
export const adminActor = (admin: { id: string; email: string }): Actor => ({ kind: 'admin', id: admin.id, email: admin.email });
