import { redirect } from 'next/navigation';
import { load } from '@/lib/admin-api.ts';
import { sessionOrProblem } from '@/lib/session.ts';
import { ServerUnavailable } from '@/components/server-unavailable.tsx';
import { findServer } from '@/lib/servers.ts';
import { ProblemAlert } from '@/components/ui.tsx';
import { CreateAuthorityForm } from '@/components/authority-forms.tsx';
import { SignOutButton } from '@/components/sign-out-button.tsx';

/** A server's home: its sign-in page, or the first authority the administrator may manage. */
export default async function ServerHome({ params }: { params: Promise<{ server: string }> }) {
  const { server } = await params;
  const { session, problem } = await sessionOrProblem(server);
  if (problem) return <ServerUnavailable serverKey={server} problem={problem} />;
  if (!session) redirect(`/${server}/login`);
  const first = session.roles[0]?.authority;
  if (first) redirect(`/${server}/${first}`);
  const list = await load(server, 'listAuthorities');
  if (list.ok && list.data.items[0]) redirect(`/${server}/${list.data.items[0].slug}`);
  return (
    <main id="main" className="mx-auto max-w-xl p-6">
      <h1 className="text-2xl font-semibold">{findServer(server)?.name}</h1>
      {!list.ok ? <ProblemAlert problem={list.problem} className="mt-4" /> : null}
      {session.admin.operator ? (
        <>
          <p className="mt-2 text-slate-600">This server has no authority yet. Create the first one.</p>
          <div className="mt-4 rounded-lg border border-slate-200 bg-white p-4">
            <CreateAuthorityForm serverKey={server} />
          </div>
        </>
      ) : (
        <p className="mt-2 text-slate-600">You ({session.admin.email}) have no role in any authority of this server. Ask an owner to add you.</p>
      )}
      <div className="mt-6">
        <SignOutButton serverKey={server} />
      </div>
    </main>
  );
}
