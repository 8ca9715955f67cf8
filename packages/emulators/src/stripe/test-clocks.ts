import type * as kit from '../kit/index.ts';
import { emit, type StripeContext } from './context.ts';
import { invalidRequest, noSuch } from './errors.ts';
import { paginate } from './lists.ts';
import { idOf } from './lookup.ts';
import { route } from './route.ts';
import { runDueWork } from './scheduler.ts';
import type { TestClock } from './state.ts';

const DELETES_AFTER_SECONDS = 30 * 86_400;

/** Test clocks, plus the background work their advances run. */
export interface TestClocks {
  routes: kit.Route[];
  /** Resolves once no advance is in progress. */
  idle(): Promise<void>;
  /** Cancels advances not yet run (on close). */
  stop(): void;
}

/**
 * `/v1/test_helpers/test_clocks`. An advance answers at once with status `advancing`; the
 * billing work due between the old and the new frozen time then runs in time order (the clock
 * stepping to each event), and the clock turns `ready` (`test_helpers.test_clock.ready`).
 */
export function createTestClocks(ctx: StripeContext): TestClocks {
  const pending = new Set<NodeJS.Immediate>();
  let waiters: (() => void)[] = [];
  const settle = (): void => {
    if (pending.size > 0) return;
    const ws = waiters;
    waiters = [];
    for (const w of ws) w();
  };
  const get = (id: string): TestClock => {
    const c = ctx.state.testClocks.get(id);
    if (!c) throw noSuch('test_clock', id);
    return c;
  };
  const finish = (clock: TestClock, target: number): void => {
    if (ctx.state.testClocks.get(clock.id) !== clock) return;
    runDueWork(ctx, clock.id, target, (at) => {
      clock.frozen_time = at;
    });
    clock.frozen_time = target;
    clock.status = 'ready';
    clock.status_details = {};
    emit(ctx, 'test_helpers.test_clock.ready', clock, { created: ctx.clock.nowSeconds() });
  };
  const routes: kit.Route[] = [
    route(ctx, 'POST', '/v1/test_helpers/test_clocks', ({ p }) => {
      p.allow('frozen_time', 'name');
      const now = ctx.clock.nowSeconds();
      const clock: TestClock = {
        id: ctx.ids.next('clock'),
        object: 'test_helpers.test_clock',
        created: now,
        deletes_after: now + DELETES_AFTER_SECONDS,
        frozen_time: p.reqInt('frozen_time'),
        livemode: false,
        name: p.str('name') ?? null,
        status: 'ready',
        status_details: {},
      };
      ctx.state.testClocks.add(clock);
      emit(ctx, 'test_helpers.test_clock.created', clock);
      return clock;
    }),
    route(ctx, 'GET', '/v1/test_helpers/test_clocks/:id', ({ param }) => get(param('id'))),
    route(ctx, 'GET', '/v1/test_helpers/test_clocks', ({ p }) => {
      p.allow('limit', 'starting_after', 'ending_before');
      return paginate(ctx.state.testClocks.newestFirst(), p, '/v1/test_helpers/test_clocks');
    }),
    route(ctx, 'DELETE', '/v1/test_helpers/test_clocks/:id', ({ param }) => {
      const clock = get(param('id'));
      // Deleting a clock deletes the objects attached to it, as at Stripe.
      for (const c of [...ctx.state.customers.values()]) {
        if (c.test_clock !== clock.id) continue;
        for (const sub of ctx.state.subscriptions.values()) {
          if (idOf(sub.customer) === c.id && sub.status !== 'canceled') sub.status = 'canceled';
        }
        ctx.state.customers.delete(c.id);
        ctx.state.deletedCustomers.add(c.id);
      }
      ctx.state.testClocks.delete(clock.id);
      emit(ctx, 'test_helpers.test_clock.deleted', clock);
      return { id: clock.id, object: 'test_helpers.test_clock', deleted: true };
    }),
    route(ctx, 'POST', '/v1/test_helpers/test_clocks/:id/advance', ({ p, param }) => {
      p.allow('frozen_time');
      const clock = get(param('id'));
      const target = p.reqInt('frozen_time');
      if (clock.status !== 'ready') {
        throw invalidRequest(
          `The test clock ${clock.id} is currently ${clock.status}; wait until it is ready before advancing it again.`,
          undefined,
          'test_clock_not_ready',
        );
      }
      if (target <= clock.frozen_time) {
        throw invalidRequest(
          'The frozen_time must be after the test clock’s current frozen_time.',
          'frozen_time',
        );
      }
      clock.status = 'advancing';
      clock.status_details = { advancing: { target_frozen_time: target } };
      emit(ctx, 'test_helpers.test_clock.advancing', clock);
      const handle = setImmediate(() => {
        pending.delete(handle);
        try {
          finish(clock, target);
        } catch {
          clock.status = 'internal_failure';
          emit(ctx, 'test_helpers.test_clock.internal_failure', clock);
        } finally {
          settle();
        }
      });
      pending.add(handle);
      return clock;
    }),
  ];
  return {
    routes,
    idle: () => (pending.size === 0 ? Promise.resolve() : new Promise((r) => waiters.push(r))),
    stop() {
      for (const h of pending) clearImmediate(h);
      pending.clear();
      settle();
    },
  };
}
