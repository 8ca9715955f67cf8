import { z } from 'zod';
import { NotFoundError } from '../../model/revsync-error.ts';
import { defineRoute } from '../route-spec.ts';
import { Json } from '../schemas/common.ts';

const ViewInfo = z.object({ name: z.string(), title: z.string(), description: z.string() });

/** Business views: named queries over business state, for the dashboard. */
export const viewRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/views',
    access: 'viewer',
    operationId: 'listViews',
    tag: 'views',
    summary: 'The business views this server offers (empty when none are configured)',
    response: z.object({ views: z.array(ViewInfo) }),
    async handler({ api }) {
      return {
        views: (api.views?.listViews() ?? []).map((v) => ({
          name: v.name,
          title: v.title,
          description: v.description,
        })),
      };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/views/:name',
    access: 'viewer',
    operationId: 'getView',
    tag: 'views',
    summary: 'Rows of one business view; query parameters are passed to the view',
    params: z.object({ name: z.string().min(1).max(100) }),
    query: z.record(z.string(), z.string()),
    errors: [404],
    response: ViewInfo.extend({
      columns: z.array(
        z.object({
          name: z.string(),
          title: z.string(),
          type: z.enum(['string', 'number', 'boolean', 'timestamp', 'money', 'json']),
        }),
      ),
      rows: z.array(z.record(z.string(), Json)),
      rowCount: z.number().int(),
    }),
    async handler({ api, params, query }) {
      const info = api.views?.listViews().find((v) => v.name === params.name);
      if (!api.views || !info) throw new NotFoundError(`no business view "${params.name}"`);
      const result = await api.views.view(params.name, query);
      return {
        name: info.name,
        title: info.title,
        description: info.description,
        columns: result.columns,
        rows: result.rows,
        rowCount: result.rows.length,
      };
    },
  }),
];
