import type { Clock } from '../engine/clock.ts';
import { newId } from '../model/ids.ts';
import type { Store } from '../store/store.ts';
import type { CrossReferences, Entities, SyncConflicts } from '../flows/deps.ts';

/** The flows' cross-reference, entity and conflict services, on the store. */
export function storeServices(
  store: Store,
  clock: Clock,
): { xrefs: CrossReferences; entities: Entities; conflicts: SyncConflicts } {
  return {
    xrefs: {
      find: (system, objectType, externalId) =>
        store.xrefs.findCanonical(store.db, system, objectType, externalId),
      findExternal: (canonicalId, system, objectType) =>
        store.xrefs.findExternal(store.db, canonicalId, system, objectType),
      link: (link) => store.grouped((trx) => store.xrefs.link(trx, link, clock.now())),
      relink: (link, previousExternalId) =>
        store.grouped((trx) => store.xrefs.relink(trx, link, previousExternalId, clock.now())),
    },
    entities: {
      get: <T>(id: string) => store.entities.get<T>(store.db, id),
      put: (entity) =>
        store.grouped((trx) =>
          store.entities.put(trx, {
            id: entity.id,
            type: entity.type,
            data: entity.data,
            updatedBy: entity.by,
            at: clock.now(),
            ...(entity.expectedVersion !== undefined && {
              expectedVersion: entity.expectedVersion,
            }),
          }),
        ),
      list: async <T>(type: string) => {
        const out: { id: string; data: T }[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await store.entities.list<T>(store.db, type, 500, after);
          out.push(...page.map((e) => ({ id: e.id, data: e.data })));
          if (page.length < 500) return out;
          after = page[page.length - 1]!.id;
        }
      },
    },
    conflicts: {
      async open(conflict) {
        await store.grouped((trx) =>
          store.conflicts.open(trx, {
            id: newId('cfl'),
            entityType: conflict.entityType,
            entityId: conflict.entityId,
            kind: conflict.kind,
            field: conflict.field ?? null,
            values: conflict.values,
            message: conflict.message,
            correlationId: conflict.correlationId,
            createdAt: clock.now(),
          }),
        );
      },
    },
  };
}
