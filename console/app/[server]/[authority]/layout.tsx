import { notFound, redirect } from 'next/navigation';
import { cookies } from 'next/headers';
import type { ReactNode } from 'react';
import { ConsoleProvider } from '@/components/console-context.tsx';
import { Sidebar } from '@/components/sidebar.tsx';
import { SignOutButton } from '@/components/sign-out-button.tsx';
import { Badge, ProblemAlert } from '@/components/ui.tsx';
import { load } from '@/lib/admin-api.ts';
import { permissionsIn, roleIn } from '@/lib/roles.ts';
import { sessionOrProblem } from '@/lib/session.ts';
import { ServerUnavailable } from '@/components/server-unavailable.tsx';
import { findServer, licenseServers, sessionCookieName } from '@/lib/servers.ts';

export default async function AuthorityLayout({ children, params }: { children: ReactNode; params: Promise<{ server: string; authority: string }> }) {
  const { server, authority } = await params;
  const info = findServer(server);
  if (!info) notFound();
  const { session, problem } = await sessionOrProblem(server);
  if (problem) return <ServerUnavailable serverKey={server} problem={problem} />;
  if (!session) redirect(`/${server}/login`);
  const role = roleIn(session, authority);
  const [current, list] = await Promise.all([load(server, 'getAuthority', { params: { authority } }), load(server, 'listAuthorities')]);
  const jar = await cookies();
  const servers = licenseServers().map((s) => ({ key: s.key, name: s.name, signedIn: jar.has(sessionCookieName(s.key)) }));
  const authorities = list.ok ? list.data.items.map((a) => ({ slug: a.slug, name: a.name })) : [{ slug: authority, name: authority }];

  return (
    <div className="min-h-full lg:flex">
      <a
        href="#main"
        className="sr-only z-50 rounded-md bg-white px-3 py-2 text-sm font-medium text-indigo-700 focus:not-sr-only focus:fixed focus:top-2 focus:left-2"
      >
        Skip to content
      </a>
      <Sidebar
        serverKey={server}
        servers={servers}
        authority={authority}
        authorities={authorities}
        permissions={role ? permissionsIn(session, authority) : {}}
        footer={
          <div className="space-y-2">
            <div className="min-w-0">
              <p className="truncate text-sm font-medium text-white" title={session.admin.email}>
                {session.admin.name ?? session.admin.email}
              </p>
              <p className="truncate text-xs text-slate-400">{session.admin.email}</p>
              <p className="mt-1 text-xs text-slate-300">
                Role here: <span className="font-semibold text-white">{role ?? 'none'}</span>
                {session.admin.operator ? ' · server operator' : ''}
              </p>
            </div>
            <SignOutButton serverKey={server} className="w-full" />
          </div>
        }
      />
      <main id="main" tabIndex={-1} className="min-w-0 flex-1 px-4 py-6 sm:px-6 lg:px-8">
        {!role ? (
          <ProblemAlert
            problem={{
              status: 403,
              code: 'forbidden',
              title: `You have no role in the authority "${authority}"`,
              detail: 'Choose another authority, or ask one of its owners to add you.',
            }}
          />
        ) : !current.ok ? (
          <ProblemAlert problem={current.problem} />
        ) : (
          <ConsoleProvider value={{ serverKey: server, authority, currency: current.data.currency, permissions: permissionsIn(session, authority) }}>
            <p className="mb-4 flex flex-wrap items-center gap-2 text-xs text-slate-500">
              <span>{info.name}</span>
              <span aria-hidden="true">/</span>
              <span className="font-medium text-slate-700">{current.data.name}</span>
              <Badge tone="next">{role}</Badge>
            </p>
            {children}
          </ConsoleProvider>
        )}
      </main>
    </div>
  );
}
