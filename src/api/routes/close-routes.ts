import { UnavailableError } from '../../model/revsync-error.ts';
import { defineRoute } from '../route-spec.ts';
import { CloseQuery, CloseStatusBody } from '../schemas/close.ts';

/** Month-end close readiness. */
export const closeRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/close',
    access: 'viewer',
    operationId: 'getCloseStatus',
    tag: 'close',
    summary:
      'Close readiness of an accounting period: READY or BLOCKED per subsidiary, with the blockers',
    description:
      'Reads the billing system and the ERP through the connectors (the reconciliation of the period and its neighbours) and revsync’s store; writes nothing. Can take seconds on a large period.',
    query: CloseQuery,
    errors: [503],
    response: CloseStatusBody,
    async handler({ api, query }) {
      if (!api.close)
        throw new UnavailableError('close readiness is not configured on this server');
      return api.close.status({
        period: query.period,
        ...(query.subsidiary !== undefined && { subsidiary: query.subsidiary }),
      });
    },
  }),
];
