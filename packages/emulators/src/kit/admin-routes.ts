import type { Clock } from './clock.ts';
import { EmulatorHttpError } from './emulator-http-error.ts';
import { FaultConfigError, type FaultConfigInput } from './fault-config.ts';
import type { FaultInjector } from './fault-injector.ts';
import type { RequestLog } from './request-log.ts';
import type { EmulatorRequest, Route } from './router.ts';
import type { WebhookDelivery } from './webhook-dispatcher.ts';

/** What an emulator lends the admin routes. */
export interface EmulatorAdmin {
  /** The emulator's data for `GET /_emulator/state` (must be JSON-serialisable). */
  dumpState?: () => unknown;
  /** Empties the emulator's data for `POST /_emulator/reset`; gets the request body (e.g. `{seed}`). */
  reset?: (body: unknown) => void | Promise<void>;
}

/** Everything the admin routes read and change. */
export interface AdminContext {
  name: string;
  clock: Clock;
  faults: FaultInjector;
  requests: RequestLog;
  admin: EmulatorAdmin;
  webhooks?: { deliveries(): WebhookDelivery[]; clear(): void };
  startedAt: number;
}

const bad = (code: string, message: string, details?: unknown): EmulatorHttpError =>
  new EmulatorHttpError(400, {
    error: { code, message, ...(details !== undefined && { details }) },
  });

const ok = (body: unknown) => ({ status: 200, body });

function objectBody(req: EmulatorRequest): Record<string, unknown> {
  let body: unknown;
  try {
    body = req.rawBody.length === 0 ? {} : req.json();
  } catch {
    throw bad('invalid_json', 'admin routes take a JSON body');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw bad('invalid_body', 'expected a JSON object');
  }
  return body as Record<string, unknown>;
}

function applyFaults(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (err) {
    if (err instanceof FaultConfigError) throw bad('invalid_fault_config', err.message, err.issues);
    throw err;
  }
}

function clockView(clock: Clock) {
  const now = clock.now();
  return {
    now,
    nowSeconds: Math.floor(now / 1000),
    iso: new Date(now).toISOString(),
    frozen: clock.frozen,
  };
}

/**
 * The `/_emulator/*` routes every emulator gets. They bypass faults, middleware and the request
 * log, and answer in the kit's own `{error:{code,message,details?}}` shape.
 */
export function createAdminRoutes(ctx: AdminContext): Route[] {
  const { clock, faults } = ctx;
  return [
    {
      method: 'GET',
      path: '/_emulator/health',
      handler: () => ok({ ok: true, name: ctx.name, uptimeMs: Date.now() - ctx.startedAt }),
    },
    {
      method: 'POST',
      path: '/_emulator/reset',
      handler: async (req) => {
        await ctx.admin.reset?.(objectBody(req));
        faults.reset();
        ctx.requests.clear();
        ctx.webhooks?.clear();
        return ok({ ok: true });
      },
    },
    {
      method: 'GET',
      path: '/_emulator/state',
      handler: () =>
        ok({
          name: ctx.name,
          now: clock.now(),
          state: ctx.admin.dumpState?.() ?? null,
          ...(ctx.webhooks && { webhooks: ctx.webhooks.deliveries() }),
        }),
    },
    { method: 'GET', path: '/_emulator/faults', handler: () => ok(faults.config()) },
    {
      method: 'PUT',
      path: '/_emulator/faults',
      handler: (req) => ok(applyFaults(() => faults.set(objectBody(req) as FaultConfigInput))),
    },
    {
      method: 'PATCH',
      path: '/_emulator/faults',
      handler: (req) => ok(applyFaults(() => faults.patch(objectBody(req) as FaultConfigInput))),
    },
    { method: 'GET', path: '/_emulator/clock', handler: () => ok(clockView(clock)) },
    {
      method: 'POST',
      path: '/_emulator/clock/advance',
      handler: (req) => {
        const { ms, seconds } = objectBody(req);
        const delta =
          typeof ms === 'number' ? ms : typeof seconds === 'number' ? seconds * 1000 : NaN;
        if (!Number.isFinite(delta) || delta < 0) {
          throw bad('invalid_body', 'give {ms} or {seconds}: a number ≥ 0');
        }
        clock.advance(delta);
        return ok(clockView(clock));
      },
    },
    {
      method: 'POST',
      path: '/_emulator/clock/set',
      handler: (req) => {
        const { ms } = objectBody(req);
        if (typeof ms !== 'number' || !Number.isFinite(ms))
          throw bad('invalid_body', 'give {ms}: epoch ms');
        clock.set(ms);
        return ok(clockView(clock));
      },
    },
    {
      method: 'GET',
      path: '/_emulator/requests',
      handler: (req) => {
        const limit = req.searchParams.get('limit');
        return ok({ data: ctx.requests.list(limit === null ? undefined : Number(limit)) });
      },
    },
  ];
}
