import { Tabs } from './tabs.tsx';

export function UsersTabs({ base }: { base: string }) {
  return (
    <Tabs
      label="Users and devices"
      tabs={[
        { href: `${base}/users`, label: 'Users', exact: true },
        { href: `${base}/users/devices`, label: 'Devices', needs: 'listAdminDevices' },
      ]}
    />
  );
}
