import type { RouteModule } from './http/principals.ts';
import { registerKeyRoutes } from './keys/key-routes.ts';
import { registerContentRoutes } from './contents/content-routes.ts';
import { registerRegistrationRoutes } from './registration/registration-routes.ts';
import { registerUserRoutes } from './users/user-routes.ts';
import { registerAdminRoutes } from './admin/admin-routes.ts';
import { registerLicenseRoutes } from './licenses/license-routes.ts';
import { registerMoveRoutes } from './moves/move-routes.ts';
import { federationRoutes } from './federation/federation-routes.ts';
import { registerPeerRoutes } from './federation/peer-routes.ts';
import { registerAccountLinkRoutes } from './federation/account-links.ts';
import { registerSettlementRoutes } from './billing/settlement.ts';
import { signCopyCertificateForPeer } from './moves/sign-for-peer.ts';

/**
 * Every capability's routes, in one list: the composition root (server.ts) hands it to the app.
 * Capabilities that serve each other get their services here, so none imports another's routes.
 */
export const routeModules: RouteModule[] = [
  registerKeyRoutes,
  registerContentRoutes,
  registerRegistrationRoutes,
  registerUserRoutes,
  registerAdminRoutes,
  registerLicenseRoutes,
  registerMoveRoutes,
  federationRoutes({ signCopyCertificateForPeer }),
  registerPeerRoutes,
  registerAccountLinkRoutes,
  registerSettlementRoutes,
];
