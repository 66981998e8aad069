import type { ApiContext, RouteDef } from './context.js';

export function metricsRoutes(_ctx: ApiContext): RouteDef[] {
  return [];
}
