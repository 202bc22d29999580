import type { RouteModule } from './principals.ts';
import { registerKeyRoutes } from '../keys/key-routes.ts';
import { registerContentRoutes } from '../contents/content-routes.ts';
import { registerRegistrationRoutes } from '../registration/registration-routes.ts';
import { registerUserRoutes } from '../users/user-routes.ts';
import { registerAdminRoutes } from '../admin/admin-routes.ts';
import { registerLicenseRoutes } from '../licenses/license-routes.ts';
import { registerMoveRoutes } from '../moves/move-routes.ts';
import { registerFederationRoutes } from '../federation/federation-routes.ts';
import { registerPeerRoutes } from '../federation/peer-routes.ts';
import { registerAccountLinkRoutes } from '../federation/account-links.ts';
import { registerSettlementRoutes } from '../billing/settlement.ts';

/** Every capability's routes, in one list. */
export const routeModules: RouteModule[] = [registerKeyRoutes, registerContentRoutes, registerRegistrationRoutes, registerUserRoutes, registerAdminRoutes, registerLicenseRoutes, registerMoveRoutes, registerFederationRoutes, registerPeerRoutes, registerAccountLinkRoutes, registerSettlementRoutes];
