import type * as kit from '../kit/index.ts';
import { snapshot, type StripeContext } from './context.ts';
import { applyExpand } from './expand.ts';
import { Params } from './params.ts';

/** What a Stripe route handler gets. */
export interface Call {
  req: kit.EmulatorRequest;
  /** The request's parameters (query for GET/DELETE, form body otherwise). */
  p: Params;
  /** A decoded path parameter. */
  param(name: string): string;
}

/**
 * A Stripe route: the handler returns the stored object (or list); the answer is a copy with
 * `expand[]` applied. Handlers are synchronous so that `ctx.request` names the request whose
 * work records events.
 */
export function route(
  ctx: StripeContext,
  method: kit.RouteMethod,
  path: string,
  handler: (call: Call) => unknown,
): kit.Route {
  return {
    method,
    path,
    handler: (req) => {
      ctx.request = ctx.requests.get(req) ?? null;
      try {
        const p = Params.fromRequest(req);
        const result = handler({ req, p, param: (name) => req.params[name] ?? '' });
        return { status: 200, body: applyExpand(ctx, snapshot(result), p.expand()) };
      } finally {
        ctx.request = null;
      }
    },
  };
}
