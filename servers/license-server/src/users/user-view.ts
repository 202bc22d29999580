import { publicPart, userGlobalId, type adminDeviceSchema, type userSchema } from '@tessera/protocol';
import type { z } from 'zod';
import { toDevice } from '../registration/device-view.ts';
import type { ClientRow } from '../registration/client-queries.ts';
import type { UserListRow } from './user-queries.ts';

export const toUser = (row: UserListRow, issuer: string): z.input<typeof userSchema> => ({
  id: row.id,
  username: row.username,
  displayName: row.displayName,
  status: row.status,
  globalId: userGlobalId(row.id, issuer),
  activeDevices: row.activeDevices,
  createdAt: row.createdAt.toISOString(),
});

export const toAdminDevice = (client: ClientRow, username: string): z.input<typeof adminDeviceSchema> => ({
  ...toDevice(client),
  userId: client.userId,
  username,
  publicKey: publicPart(client.publicJwk),
});
