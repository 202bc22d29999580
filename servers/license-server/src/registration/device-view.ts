import type { Device } from '@tessera/protocol';
import type { ClientRow } from './client-queries.ts';

/** A stored client as the device API shows it. */
export const toDevice = (row: ClientRow): Device => ({
  clientId: row.id,
  leafId: row.leafId,
  label: row.label,
  status: row.status,
  thumbprint: row.thumbprint,
  registeredAt: row.registeredAt.toISOString(),
  revokedAt: row.revokedAt?.toISOString() ?? null,
});
