import { z } from 'zod';
import { ApiRecords } from '../api-records.ts';
import { defineRoute } from '../route-spec.ts';
import { ConnectionView } from '../schemas/records.ts';

/** Outbound connections: circuit, governor, vendor-reported usage. */
export const connectionRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/connections',
    access: 'viewer',
    operationId: 'listConnections',
    tag: 'operations',
    summary: 'Health of each outbound connection: circuit, rate-limit use, vendor-reported usage',
    response: z.object({ connections: z.array(ConnectionView) }),
    async handler({ api }) {
      const connections = api.gateway?.connections() ?? [];
      return { connections: connections.map((c) => ApiRecords.toConnectionView(c.health())) };
    },
  }),
];
