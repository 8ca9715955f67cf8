import { z } from 'zod';
import { ApiRecords } from '../api-records.ts';
import { defineRoute } from '../route-spec.ts';
import { Limit } from '../schemas/common.ts';
import { AuditView } from '../schemas/records.ts';

/** The audit log. */
export const auditRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/audit',
    access: 'viewer',
    operationId: 'listAudit',
    tag: 'audit',
    summary: 'Audit entries, newest first',
    query: z.object({
      targetType: z
        .string()
        .optional()
        .meta({ description: 'e.g. exception, run, entity, api_key' }),
      targetId: z.string().optional(),
      actor: z.string().optional(),
      limit: Limit(500),
      before: z.int().min(1).optional().meta({ description: 'Entries with a smaller id only.' }),
    }),
    response: z.object({ entries: z.array(AuditView), nextBefore: z.number().int().nullable() }),
    async handler({ api, query }) {
      const limit = query.limit ?? 100;
      const entries = await api.store.audit.list(api.store.db, {
        ...(query.targetType !== undefined && { targetType: query.targetType }),
        ...(query.targetId !== undefined && { targetId: query.targetId }),
        ...(query.actor !== undefined && { actor: query.actor }),
        ...(query.before !== undefined && { beforeId: query.before }),
        limit,
      });
      return {
        entries: entries.map(ApiRecords.toAuditView),
        nextBefore: entries.length === limit ? entries[entries.length - 1]!.id : null,
      };
    },
  }),
];
