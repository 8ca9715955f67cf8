import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { createApiServer } from '../../src/api/create-api-server.ts';
import type { ApiOptions } from '../../src/api/api-options.ts';
import type { ApiDeps } from '../../src/api/deps.ts';
import { ManualClock } from '../../src/engine/clock.ts';
import { Engine } from '../../src/engine/engine.ts';
import { defineFlow } from '../../src/engine/flow.ts';
import type { Role } from '../../src/governance/roles.ts';
import { RetryableError, ValidationError } from '../../src/model/revsync-error.ts';
import type { DialectName } from '../../src/store/migrations/migration.ts';
import type { Store } from '../../src/store/store.ts';
import { openTestStore } from './stores.ts';

/** Input of the `tiny` test flow: `fail` parks it in step `work`; `flaky` fails attempt 1. */
export interface TinyInput {
  n?: number;
  fail?: boolean;
  flaky?: boolean;
}

/** A flow that completes, parks (non-retryable) or retries once, as its input says. */
export const tinyFlow = defineFlow<TinyInput>({
  name: 'tiny',
  triggers: ['test.tiny'],
  async run(ctx, input) {
    await ctx.step('first', () => ({ ok: true }));
    return ctx.step('work', (s) => {
      if (input.fail) throw new ValidationError('told to fail');
      if (input.flaky && s.attempt === 1) throw new RetryableError('flaky');
      return { done: input.n ?? 0 };
    });
  },
});

/** Known keys of the harness, one per role. */
export const TEST_KEYS: Record<Role, string> = {
  viewer: 'rsk_viewer01_viewer-secret-0000000000000001',
  operator: 'rsk_operator01_operator-secret-00000000000001',
  approver: 'rsk_approver01_approver-secret-00000000000001',
  admin: 'rsk_admin01_admin-secret-000000000000000001',
};

export interface ApiHarness {
  app: FastifyInstance;
  store: Store & { dispose(): Promise<void> };
  engine: Engine;
  clock: ManualClock;
  /** Appends a `test.tiny` event for an entity key; returns its inbox event id. */
  send(entityKey: string, data?: TinyInput, extra?: Record<string, unknown>): Promise<string>;
  /** Routes and runs everything due now. */
  settle(): Promise<void>;
  /** An in-process request as `role` (or with no key). */
  call(
    role: Role | null,
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
  ): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

let n = 0;

/** A real store, a real engine with {@link tinyFlow}, and the API with a key per role. */
export async function startApiHarness(
  dialect: DialectName,
  options: ApiOptions & { deps?: Partial<ApiDeps> } = {},
): Promise<ApiHarness> {
  const store = await openTestStore(dialect);
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const engine = new Engine({
    store,
    flows: [tinyFlow],
    clock,
    random: () => 0.5,
    logger: pino({ level: 'silent' }),
  });
  const { deps, ...apiOptions } = options;
  const app = await createApiServer(
    { store, engine, logger: pino({ level: 'silent' }), ...deps },
    {
      processMetrics: false,
      bootstrapKeys: (Object.keys(TEST_KEYS) as Role[]).map((role) => ({
        name: `${role}-key`,
        role,
        key: TEST_KEYS[role],
      })),
      ...apiOptions,
    },
  );
  return {
    app,
    store,
    engine,
    clock,
    async send(entityKey, data = {}, extra = {}) {
      n += 1;
      const result = await engine.inbox.append({
        specversion: '1.0',
        id: `ev-${n}`,
        source: 'test',
        type: 'test.tiny',
        subject: `thing-${n}`,
        entitykey: entityKey,
        data,
        ...extra,
      });
      return result.eventId;
    },
    settle: () => engine.runUntilIdle(),
    call(role, method, url, body) {
      return app.inject({
        method,
        url,
        headers: role ? { authorization: `Bearer ${TEST_KEYS[role]}` } : {},
        ...(body !== undefined && { payload: body as InjectOptions['payload'] }),
      });
    },
    async close() {
      await app.close();
      await engine.stop();
      await store.dispose();
    },
  };
}
