import type { Problem } from '@/lib/problem.ts';
import { licenseServers } from '@/lib/servers.ts';
import { ProblemAlert, TextLink } from './ui.tsx';

/** The whole page when a license server cannot be asked who is signed in (it is down or unreachable). */
export function ServerUnavailable({ serverKey, problem }: { serverKey: string; problem: Problem }) {
  const others = licenseServers().filter((s) => s.key !== serverKey);
  return (
    <main id="main" className="mx-auto max-w-xl px-4 py-12">
      <p className="text-sm font-semibold tracking-wide text-indigo-700 uppercase">Tessera console</p>
      <h1 className="mt-1 text-2xl font-semibold text-slate-900">The license server is not answering</h1>
      <ProblemAlert problem={problem} className="mt-4" />
      <p className="mt-4 text-sm">
        <TextLink href={`/${serverKey}`}>Try again</TextLink>
        {others.map((s) => (
          <span key={s.key}>
            {' · '}
            <TextLink href={`/${s.key}`}>{s.name}</TextLink>
          </span>
        ))}
      </p>
    </main>
  );
}
