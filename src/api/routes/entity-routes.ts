import { z } from 'zod';
import { NotFoundError } from '../../model/revsync-error.ts';
import { ApiRecords } from '../api-records.ts';
import { buildLineage } from '../lineage.ts';
import { defineRoute } from '../route-spec.ts';
import { IdParams, Limit } from '../schemas/common.ts';
import { EntityView, LineageItem, XrefView } from '../schemas/records.ts';

/** Canonical records with their cross-references and lineage. */
export const entityRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/entities/:id',
    access: 'viewer',
    operationId: 'getEntity',
    tag: 'entities',
    summary: 'A canonical record, its ids in other systems, and its lineage timeline',
    description:
      'The id is a canonical id (e.g. `cus_…`), which is also the entity key of its runs. The lineage lists the newest `limit` inbox events and runs of that key with their steps, failed attempts and exceptions, oldest first. 404 only when nothing at all is known about the id.',
    params: IdParams,
    query: z.object({
      limit: Limit(1000).meta({ description: 'Events and runs read (default 100).' }),
    }),
    errors: [404],
    response: z.object({
      id: z.string(),
      entity: EntityView.nullable(),
      xrefs: z.array(XrefView),
      lineage: z.array(LineageItem),
    }),
    async handler({ api, params, query }) {
      const db = api.store.db;
      const [entity, xrefs, lineage] = await Promise.all([
        api.store.entities.get(db, params.id),
        api.store.xrefs.listForCanonical(db, params.id),
        buildLineage(api.store, params.id, { limit: query.limit ?? 100 }),
      ]);
      if (!entity && xrefs.length === 0 && lineage.length === 0) {
        throw new NotFoundError(`nothing is known about ${params.id}`);
      }
      return {
        id: params.id,
        entity: entity ? ApiRecords.toEntityView(entity) : null,
        xrefs: xrefs.map((x) => ({
          system: x.system,
          objectType: x.objectType,
          externalId: x.externalId,
          entityType: x.entityType,
        })),
        lineage,
      };
    },
  }),
];
