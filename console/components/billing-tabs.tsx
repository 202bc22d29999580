import { Tabs } from './tabs.tsx';

export function BillingTabs({ base }: { base: string }) {
  return (
    <Tabs
      label="Billing"
      tabs={[
        { href: `${base}/billing`, label: 'Prices', exact: true },
        { href: `${base}/billing/ledger`, label: 'Ledger', needs: 'listLedger' },
        { href: `${base}/billing/invoices`, label: 'Invoices', needs: 'listInvoices' },
        { href: `${base}/billing/settlement`, label: 'Settlement', needs: 'getSettlement' },
      ]}
    />
  );
}
