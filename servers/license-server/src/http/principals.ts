import type { NextFunction, Request, Response, Router } from 'express';
import type { AdminRole, RouteSpec } from '@tessera/protocol';
import type { AuthorityRef } from '../authorities/authority-directory.ts';
import type { AppContext } from '../context.ts';

/*
 * The types every capability's routes share, in a file that imports no capability: the
 * composition root (server.ts through app.ts) imports the route modules, and they import only
 * this, so the server's imports run one way.
 */

/** An administrator signed in to the admin API. */
export interface AdminPrincipal {
  id: string;
  email: string;
  name: string | null;
  operator: boolean;
  /** Role per authority ID. */
  roles: Map<string, AdminRole>;
  /** Role per authority slug, for display. */
  rolesBySlug: { authority: string; role: AdminRole }[];
}

/** A registered, active device whose proof verified. */
export interface DevicePrincipal {
  authority: AuthorityRef;
  clientId: string;
  leafId: number;
  label: string | null;
  userId: string;
  username: string;
}

export type Middleware = (req: Request, res: Response, next: NextFunction) => void;

export interface RouteGuards {
  device: Middleware;
  admin: (spec: RouteSpec) => Middleware;
}

/** One capability's routes, bound on the app's router by the composition root. */
export type RouteModule = (router: Router, ctx: AppContext, guards: RouteGuards) => void;
