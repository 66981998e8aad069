import type { ApiContext, RouteDef } from './context.js';

export function v3Routes(_ctx: ApiContext): RouteDef[] {
  return [];
}
