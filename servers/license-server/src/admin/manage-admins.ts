import { createAdminRequestSchema, newId, TesseraProblem, type AdminRole } from '@tessera/protocol';
import type { z } from 'zod';
import { actorName, type Actor } from '../audit/actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import type { AppContext } from '../context.ts';
import { isUniqueViolation } from '../storage/db-errors.ts';
import { findAdminAccount, findAdminAccountByEmail, grantAdminRole, insertAdminAccount } from './admin-queries.ts';
import { hashPassword } from './passwords.ts';

export type NewAdministrator = z.input<typeof createAdminRequestSchema>;
export interface Member {
  id: string;
  email: string;
  name: string | null;
  role: AdminRole;
  createdAt: Date;
}

/** An administrator account with no role yet (`tessera-server admin create` without an authority). */
const newAccountSchema = createAdminRequestSchema.omit({ role: true }).required({ password: true });

/**
 * Gives an administrator a role in an authority, creating their account when the e-mail has
 * none. An existing account keeps its password: an owner of one authority cannot reset the
 * credentials of an administrator who may serve other authorities. Whether the account existed
 * shows in nothing the caller gets back (answer, timing: the password is hashed either way, the
 * name is the one given, the authority's audit log); only the server-wide audit log records it.
 * `operator` (the command line only) makes a new account a server operator.
 */
export async function addAdministrator(
  ctx: AppContext,
  authority: AuthorityRef,
  actor: Actor,
  input: NewAdministrator,
  options: { operator?: boolean } = {},
): Promise<Member> {
  const body = createAdminRequestSchema.parse(input);
  const exists = () => new TesseraProblem('admin_exists', `${body.email} already has a role in this authority`);
  // Hash outside the transaction (argon2 is deliberately slow and must not hold locks), and
  // always, so the time taken does not tell whether the account existed.
  const passwordHash = await hashPassword(body.password);
  const existing = await findAdminAccountByEmail(ctx.db, body.email);
  try {
    return await ctx.db.transaction(async (tx) => {
      let accountId = existing?.id;
      if (!accountId) {
        accountId = newId('admin');
        await insertAdminAccount(tx, { id: accountId, email: body.email, name: body.name ?? null, passwordHash, isOperator: options.operator ?? false });
        // Server-wide: the authority's own audit log, which its owners read, must not tell either.
        await recordAudit(tx, {
          authorityId: null,
          actor: actorName(actor),
          action: 'admin.account_created',
          target: accountId,
          details: { email: body.email, operator: options.operator ?? false, for: authority.slug },
        });
      }
      const role = await grantAdminRole(tx, authority.id, { adminId: accountId, role: body.role });
      if (!role) throw exists();
      const account = await findAdminAccount(tx, accountId);
      await recordAudit(tx, {
        authorityId: authority.id,
        actor: actorName(actor),
        action: 'admin.added',
        target: accountId,
        details: { email: account!.email, role: body.role },
      });
      return { id: accountId, email: account!.email, name: body.name ?? null, role: role.role, createdAt: role.createdAt };
    });
  } catch (error) {
    // Another request created the same account between our read and insert.
    if (isUniqueViolation(error)) throw exists();
    throw error;
  }
}

/** Creates an administrator account with no role (an operator's first account), audited server-wide. */
export async function createAdministratorAccount(
  ctx: AppContext,
  actor: Actor,
  input: z.input<typeof newAccountSchema>,
  options: { operator?: boolean } = {},
): Promise<{ id: string; email: string }> {
  const body = newAccountSchema.parse(input);
  if (await findAdminAccountByEmail(ctx.db, body.email))
    throw new TesseraProblem('admin_exists', `${body.email} already has an administrator account on this server`);
  const passwordHash = await hashPassword(body.password);
  const id = newId('admin');
  try {
    await ctx.db.transaction(async (tx) => {
      await insertAdminAccount(tx, { id, email: body.email, name: body.name ?? null, passwordHash, isOperator: options.operator ?? false });
      await recordAudit(tx, {
        authorityId: null,
        actor: actorName(actor),
        action: 'admin.account_created',
        target: id,
        details: { email: body.email, operator: options.operator ?? false },
      });
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new TesseraProblem('admin_exists', `${body.email} already has an administrator account on this server`);
    throw error;
  }
  return { id, email: body.email };
}
