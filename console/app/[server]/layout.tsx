import { notFound } from 'next/navigation';
import type { ReactNode } from 'react';
import { findServer } from '@/lib/servers.ts';

export const dynamic = 'force-dynamic';

export default async function ServerLayout({ children, params }: { children: ReactNode; params: Promise<{ server: string }> }) {
  const { server } = await params;
  if (!findServer(server)) notFound();
  return children;
}
