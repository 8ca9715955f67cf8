import { z } from 'zod';
import { ApiRecords } from '../api-records.ts';
import { defineRoute } from '../route-spec.ts';
import { ConnectionView, SystemView } from '../schemas/records.ts';

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
  defineRoute({
    method: 'GET',
    url: '/v1/systems',
    access: 'viewer',
    operationId: 'listSystems',
    tag: 'operations',
    summary: 'The system playing each role (crm, billing, erp) and its display name',
    response: z.object({ systems: z.array(SystemView) }),
    handler({ api }) {
      return Promise.resolve({ systems: api.systems ?? [] });
    },
  }),
];
