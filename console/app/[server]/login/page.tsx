import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { cookies } from 'next/headers';
import { LoginForm } from '@/components/login-form.tsx';
import { TextLink } from '@/components/ui.tsx';
import { currentSession } from '@/lib/session.ts';
import { findServer, licenseServers, sessionCookieName } from '@/lib/servers.ts';

export const metadata: Metadata = { title: 'Sign in' };

export default async function LoginPage({ params, searchParams }: { params: Promise<{ server: string }>; searchParams: Promise<{ expired?: string }> }) {
  const { server } = await params;
  const { expired } = await searchParams;
  const info = findServer(server)!;
  if (await currentSession(server).catch(() => null)) redirect(`/${server}`);
  const jar = await cookies();
  const others = licenseServers().filter((s) => s.key !== server);
  return (
    <main id="main" className="flex min-h-full items-center justify-center px-4 py-12">
      <div className="w-full max-w-sm">
        <p className="text-sm font-semibold tracking-wide text-indigo-700 uppercase">Tessera console</p>
        <h1 className="mt-1 text-2xl font-semibold text-slate-900">Sign in to {info.name}</h1>
        <p className="mt-1 text-sm break-all text-slate-600">{info.url}</p>
        {expired ? (
          <p role="status" className="mt-4 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900">
            Your session has ended. Sign in again.
          </p>
        ) : null}
        <div className="mt-6 rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
          <LoginForm serverKey={server} />
        </div>
        {others.length ? (
          <nav aria-label="Other license servers" className="mt-6 text-sm text-slate-600">
            <p>Other servers:</p>
            <ul className="mt-1 space-y-1">
              {others.map((s) => (
                <li key={s.key}>
                  <TextLink href={`/${s.key}`}>{s.name}</TextLink>{' '}
                  <span className="text-slate-500">{jar.has(sessionCookieName(s.key)) ? '(signed in)' : ''}</span>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
      </div>
    </main>
  );
}
