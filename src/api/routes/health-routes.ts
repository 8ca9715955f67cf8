import { z } from 'zod';
import { UnavailableError, coerceError } from '../../model/revsync-error.ts';
import { API_VERSION } from '../api-version.ts';
import { defineRoute } from '../route-spec.ts';
import { Iso } from '../schemas/common.ts';

/** Liveness, readiness. */
export const healthRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/health',
    access: 'public',
    operationId: 'getHealth',
    tag: 'operations',
    summary: 'Liveness: the process answers',
    response: z.object({
      status: z.literal('ok'),
      time: Iso,
      uptimeSeconds: z.number(),
      version: z.string(),
    }),
    async handler({ api }) {
      const now = api.clock.now();
      return {
        status: 'ok' as const,
        time: new Date(now).toISOString(),
        uptimeSeconds: Math.max(0, (now - api.startedAt) / 1000),
        version: API_VERSION,
      };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/ready',
    access: 'public',
    operationId: 'getReady',
    tag: 'operations',
    summary: 'Readiness: the store answers',
    errors: [503],
    response: z.object({ status: z.literal('ready'), store: z.enum(['sqlite', 'postgres']) }),
    async handler({ api }) {
      try {
        await api.store.ping();
      } catch (caught) {
        throw new UnavailableError(`the store does not answer: ${coerceError(caught).message}`);
      }
      return { status: 'ready' as const, store: api.store.dialect };
    },
  }),
];
