'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import type { RouteName } from '@tessera/protocol';
import { useConsole } from './console-context.tsx';
import { cx, focusRing } from './ui.tsx';

/** Sub-navigation of a section; tabs the role cannot open are not shown. */
export function Tabs({ label, tabs }: { label: string; tabs: { href: string; label: string; needs?: RouteName; exact?: boolean }[] }) {
  const pathname = usePathname();
  const { permissions } = useConsole();
  return (
    <nav aria-label={label} className="mb-6 border-b border-slate-200">
      <ul className="-mb-px flex gap-4 overflow-x-auto">
        {tabs
          .filter((t) => !t.needs || permissions[t.needs])
          .map((t) => {
            const current = t.exact ? pathname === t.href : pathname === t.href || pathname.startsWith(`${t.href}/`);
            return (
              <li key={t.href}>
                <Link
                  href={t.href}
                  aria-current={current ? 'page' : undefined}
                  className={cx(
                    'inline-block border-b-2 px-1 py-2 text-sm font-medium whitespace-nowrap',
                    current ? 'border-indigo-600 text-indigo-700' : 'border-transparent text-slate-600 hover:border-slate-300 hover:text-slate-900',
                    focusRing,
                  )}
                >
                  {t.label}
                </Link>
              </li>
            );
          })}
      </ul>
    </nav>
  );
}
