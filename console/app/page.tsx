import { redirect } from 'next/navigation';
import { licenseServers } from '@/lib/servers.ts';

export const dynamic = 'force-dynamic';

export default function Home() {
  const [first] = licenseServers();
  if (!first) return <p className="p-6">No license server is configured (TESSERA_CONSOLE_SERVER_A).</p>;
  redirect(`/${first.key}`);
}
