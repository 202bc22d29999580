import 'server-only';
import { cookies, headers } from 'next/headers';
import { adminSessionSchema, type AdminSession } from '@tessera/protocol';
import { callAdmin, requireServer } from './admin-api.ts';
import { ProblemError, toProblem, unreachable, type Problem } from './problem.ts';
import { sessionCookieName, UPSTREAM_SESSION_COOKIE } from './servers.ts';

/** The license server keeps an admin session 8 hours after its last use; the console cookie lives as long. */
const SESSION_MAX_AGE_S = 8 * 3600;

/** Cookies are Secure behind HTTPS (a TLS-terminating proxy says so) or when the operator asks for it. */
async function secureCookies(): Promise<boolean> {
  if (process.env.TESSERA_CONSOLE_SECURE_COOKIES === '1') return true;
  return (await headers()).get('x-forwarded-proto') === 'https';
}

/** The signed-in administrator of a server, or null when nobody is signed in there. */
export async function currentSession(serverKey: string): Promise<AdminSession | null> {
  if (!(await cookies()).has(sessionCookieName(serverKey))) return null;
  try {
    return await callAdmin(serverKey, 'session');
  } catch (error) {
    if (error instanceof ProblemError && error.problem.code === 'unauthenticated') return null;
    throw error;
  }
}

/** The session, or the problem that kept the console from asking (the server is down, …). */
export async function sessionOrProblem(
  serverKey: string,
): Promise<{ session: AdminSession | null; problem?: undefined } | { session?: undefined; problem: Problem }> {
  try {
    return { session: await currentSession(serverKey) };
  } catch (error) {
    if (error instanceof ProblemError) return { problem: error.problem };
    throw error;
  }
}

/**
 * Signs in at the license server and keeps its session cookie's value in this server's own
 * httpOnly cookie on the console origin. The password goes straight through and is never kept.
 */
export async function signIn(
  serverKey: string,
  email: string,
  password: string,
): Promise<{ ok: true; session: AdminSession } | { ok: false; problem: Problem }> {
  const server = requireServer(serverKey);
  let res: Response;
  try {
    res = await fetch(`${server.url}/admin/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, application/problem+json' },
      body: JSON.stringify({ email, password }),
      cache: 'no-store',
      signal: AbortSignal.timeout(30_000),
    });
  } catch {
    return { ok: false, problem: unreachable(server.name) };
  }
  const body: unknown = await res.json().catch(() => undefined);
  if (!res.ok) return { ok: false, problem: toProblem(res.status, body) };
  const session = adminSessionSchema.safeParse(body);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${UPSTREAM_SESSION_COOKIE}=`));
  if (!session.success || !cookie) {
    return { ok: false, problem: { status: 502, code: 'unexpected_answer', title: `${server.name} did not start a session` } };
  }
  const value = cookie.slice(UPSTREAM_SESSION_COOKIE.length + 1).split(';')[0]!;
  (await cookies()).set(sessionCookieName(server.key), value, {
    httpOnly: true,
    sameSite: 'lax',
    secure: await secureCookies(),
    path: '/',
    maxAge: SESSION_MAX_AGE_S,
  });
  return { ok: true, session: session.data };
}

/** Ends the session at the license server (best effort) and forgets it here. */
export async function signOut(serverKey: string): Promise<void> {
  try {
    await callAdmin(serverKey, 'logout');
  } catch {
    /* the server may be down or the session already gone; the console forgets it either way */
  }
  (await cookies()).delete(sessionCookieName(serverKey));
}
