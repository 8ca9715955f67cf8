import { z } from 'zod';
import { defineRoute } from '../route-spec.ts';

/** The OpenAPI 3.1 document of this API. */
export const openApiRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/openapi.json',
    access: 'public',
    operationId: 'getOpenApi',
    tag: 'operations',
    summary: 'This API as an OpenAPI 3.1 document',
    response: z.record(z.string(), z.unknown()),
    async handler({ api }) {
      return api.openApi();
    },
  }),
];
