'use client';
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { useEffect, useId, useState, type ReactNode } from 'react';
import type { RouteName } from '@tessera/protocol';
import type { Permissions } from '@/lib/roles.ts';
import { cx } from './ui.tsx';

const NAV: { href: string; label: string; needs: RouteName }[] = [
  { href: '', label: 'Overview', needs: 'getStats' },
  { href: '/authorities', label: 'Authorities', needs: 'listAuthorities' },
  { href: '/users', label: 'Users and devices', needs: 'listUsers' },
  { href: '/contents', label: 'Contents', needs: 'listAdminContents' },
  { href: '/licenses', label: 'Licenses', needs: 'listLicenses' },
  { href: '/moves', label: 'Moves', needs: 'listMoves' },
  { href: '/billing', label: 'Billing', needs: 'getPrices' },
  { href: '/keys', label: 'Keys', needs: 'listKeys' },
  { href: '/peers', label: 'Peers', needs: 'listPeers' },
  { href: '/audit', label: 'Audit log', needs: 'listAudit' },
];

const darkFocus = 'focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-white';

export function Sidebar({
  serverKey,
  servers,
  authority,
  authorities,
  permissions,
  footer,
}: {
  serverKey: string;
  servers: { key: string; name: string; signedIn: boolean }[];
  authority: string;
  authorities: { slug: string; name: string }[];
  permissions: Permissions;
  footer: ReactNode;
}) {
  const pathname = usePathname();
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const navId = useId();
  const base = `/${serverKey}/${authority}`;
  // biome-ignore lint/correctness/useExhaustiveDependencies: the menu closes whenever the page changes, which `pathname` signals.
  useEffect(() => setOpen(false), [pathname]);

  const isCurrent = (href: string) => (href === '' ? pathname === base : pathname === base + href || pathname.startsWith(`${base}${href}/`));

  return (
    <div className="bg-slate-900 text-slate-100 lg:sticky lg:top-0 lg:flex lg:h-screen lg:w-64 lg:shrink-0 lg:flex-col">
      <div className="flex items-center justify-between px-4 py-3 lg:py-5">
        <Link href={base} className={cx('rounded-sm text-base font-semibold tracking-tight text-white', darkFocus)}>
          Tessera <span className="font-normal text-slate-400">console</span>
        </Link>
        <button
          type="button"
          className={cx('rounded-md px-2.5 py-1.5 text-sm font-medium text-slate-100 ring-1 ring-slate-600 lg:hidden', darkFocus)}
          aria-expanded={open}
          aria-controls={navId}
          onClick={() => setOpen((o) => !o)}
        >
          {open ? 'Close menu' : 'Menu'}
        </button>
      </div>
      <div id={navId} className={cx('flex-col gap-5 overflow-y-auto px-4 pb-5 lg:flex lg:flex-1', open ? 'flex' : 'hidden')}>
        <div className="space-y-3">
          <div>
            <label htmlFor={`${navId}-server`} className="block text-xs font-medium tracking-wide text-slate-400 uppercase">
              License server
            </label>
            <select
              id={`${navId}-server`}
              value={serverKey}
              onChange={(e) => router.push(`/${e.target.value}`)}
              className="mt-1 block w-full rounded-md border-0 bg-slate-800 px-2 py-1.5 text-sm text-white ring-1 ring-slate-700 focus:ring-2 focus:ring-indigo-400"
            >
              {servers.map((s) => (
                <option key={s.key} value={s.key}>
                  {s.name}
                  {s.key !== serverKey && !s.signedIn ? ' (sign in)' : ''}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor={`${navId}-authority`} className="block text-xs font-medium tracking-wide text-slate-400 uppercase">
              Authority
            </label>
            <select
              id={`${navId}-authority`}
              value={authority}
              onChange={(e) => router.push(`/${serverKey}/${e.target.value}`)}
              className="mt-1 block w-full rounded-md border-0 bg-slate-800 px-2 py-1.5 text-sm text-white ring-1 ring-slate-700 focus:ring-2 focus:ring-indigo-400"
            >
              {authorities.map((a) => (
                <option key={a.slug} value={a.slug}>
                  {a.name} ({a.slug})
                </option>
              ))}
            </select>
          </div>
        </div>
        <nav aria-label="Sections">
          <ul className="space-y-0.5">
            {NAV.filter((item) => permissions[item.needs]).map((item) => (
              <li key={item.href}>
                <Link
                  href={base + item.href}
                  aria-current={isCurrent(item.href) ? 'page' : undefined}
                  className={cx(
                    'block rounded-md px-3 py-2 text-sm font-medium',
                    isCurrent(item.href) ? 'bg-slate-800 text-white' : 'text-slate-300 hover:bg-slate-800 hover:text-white',
                    darkFocus,
                  )}
                >
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="mt-auto border-t border-slate-700 pt-4">{footer}</div>
      </div>
    </div>
  );
}
