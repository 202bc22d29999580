import type { RouteName } from '@tessera/protocol';
import { Tabs } from './tabs.tsx';

/** The pages of each section that has several: the first is the section's own page, the others lie below it. */
const SECTIONS = {
  billing: {
    label: 'Billing',
    pages: [
      { path: '', label: 'Prices' },
      { path: '/ledger', label: 'Ledger', needs: 'listLedger' },
      { path: '/invoices', label: 'Invoices', needs: 'listInvoices' },
      { path: '/settlement', label: 'Settlement', needs: 'getSettlement' },
    ],
  },
  users: {
    label: 'Users and devices',
    pages: [
      { path: '', label: 'Users' },
      { path: '/devices', label: 'Devices', needs: 'listAdminDevices' },
    ],
  },
} satisfies Record<string, { label: string; pages: { path: string; label: string; needs?: RouteName }[] }>;

export function SectionTabs({ base, section }: { base: string; section: keyof typeof SECTIONS }) {
  const { label, pages } = SECTIONS[section];
  return <Tabs label={label} tabs={pages.map((p, i) => ({ href: `${base}/${section}${p.path}`, label: p.label, needs: p.needs, exact: i === 0 }))} />;
}
