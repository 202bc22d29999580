'use server';
import { redirect } from 'next/navigation';
import { routes, type RouteName } from '@tessera/protocol';
import { callAdmin, type AdminInput, type AdminOutput, type AdminRouteName } from '@/lib/admin-api.ts';
import { ProblemError, type Problem } from '@/lib/problem.ts';
import { signIn, signOut } from '@/lib/session.ts';

export type ActionResult<T> = { ok: true; data: T } | { ok: false; problem: Problem };

/**
 * Every admin route that changes something, except the session routes (handled below), and the
 * reads a form needs before it can submit (fetching a peer's thumbprint to compare).
 */
const CALLABLE = new Set<RouteName>([
  ...(Object.keys(routes) as RouteName[]).filter((n) => routes[n].method !== 'get' && routes[n].path.startsWith('/admin/') && routes[n].auth === 'admin'),
  'discoverPeer',
]);

/**
 * The one way client components change things: an admin route by its operation ID, called on
 * the license server with the caller's own session. The server checks the role; the console
 * only passes the server's answer or its problem on.
 */
export async function perform<N extends AdminRouteName>(serverKey: string, name: N, input: AdminInput<N>): Promise<ActionResult<AdminOutput<N>>> {
  if (!CALLABLE.has(name)) return { ok: false, problem: { status: 400, code: 'invalid_request', title: `${String(name)} is not an admin action` } };
  try {
    return { ok: true, data: await callAdmin(serverKey, name, input) };
  } catch (error) {
    if (error instanceof ProblemError) return { ok: false, problem: error.problem };
    throw error;
  }
}

export interface SignInState {
  problem?: Problem;
  email?: string;
}

export async function signInAction(serverKey: string, _previous: SignInState, form: FormData): Promise<SignInState> {
  const email = String(form.get('email') ?? '').trim();
  const password = String(form.get('password') ?? '');
  if (!email || !password) return { email, problem: { status: 400, code: 'invalid_request', title: 'Enter your e-mail and password' } };
  const result = await signIn(serverKey, email, password);
  if (!result.ok) return { email, problem: result.problem };
  redirect(`/${encodeURIComponent(serverKey)}`);
}

export async function signOutAction(serverKey: string): Promise<void> {
  await signOut(serverKey);
  redirect(`/${encodeURIComponent(serverKey)}/login`);
}
