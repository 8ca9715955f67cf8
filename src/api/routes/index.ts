import type { RouteSpec } from '../route-spec.ts';
import { approvalRoutes } from './approval-routes.ts';
import { auditRoutes } from './audit-routes.ts';
import { closeRoutes } from './close-routes.ts';
import { connectionRoutes } from './connection-routes.ts';
import { entityRoutes } from './entity-routes.ts';
import { eventRoutes } from './event-routes.ts';
import { exceptionRoutes } from './exception-routes.ts';
import { healthRoutes } from './health-routes.ts';
import { keyRoutes } from './key-routes.ts';
import { metricsRoutes } from './metrics-routes.ts';
import { openApiRoutes } from './openapi-routes.ts';
import { reconRoutes } from './recon-routes.ts';
import { runRoutes } from './run-routes.ts';
import { usageRoutes } from './usage-routes.ts';
import { viewRoutes } from './view-routes.ts';
import { whoamiRoutes } from './whoami-routes.ts';

/** Every route of the API, in the order the reference lists them. */
export const API_ROUTES: readonly RouteSpec[] = [
  ...healthRoutes,
  ...connectionRoutes,
  ...runRoutes,
  ...exceptionRoutes,
  ...entityRoutes,
  ...usageRoutes,
  ...auditRoutes,
  ...metricsRoutes,
  ...eventRoutes,
  ...viewRoutes,
  ...whoamiRoutes,
  ...closeRoutes,
  ...keyRoutes,
  ...openApiRoutes,
  ...approvalRoutes,
  ...reconRoutes,
] as readonly RouteSpec[];
