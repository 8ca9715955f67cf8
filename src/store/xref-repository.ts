import { ConflictError } from '../model/revsync-error.ts';
import type { Executor } from './executor.ts';

/** One link between a canonical record and its id in another system. */
export interface Xref {
  canonicalId: string;
  entityType: string;
  system: string;
  objectType: string;
  externalId: string;
}

/**
 * The cross-reference map: canonical id ↔ (system, object type, external id), unique both ways —
 * an external object belongs to one canonical record, and a canonical record has at most one
 * object of each type in each system.
 */
export const XrefRepository = {
  /** Links the pair; linking it again is a no-op; a link that contradicts an existing one throws. */
  async link(db: Executor, xref: Xref, at: number): Promise<void> {
    const byExternal = await XrefRepository.findCanonical(
      db,
      xref.system,
      xref.objectType,
      xref.externalId,
    );
    if (byExternal !== undefined && byExternal !== xref.canonicalId) {
      throw new ConflictError(
        `${xref.system} ${xref.objectType} ${xref.externalId} is already linked to ${byExternal}, not ${xref.canonicalId}`,
      );
    }
    const byCanonical = await XrefRepository.findExternal(
      db,
      xref.canonicalId,
      xref.system,
      xref.objectType,
    );
    if (byCanonical !== undefined && byCanonical !== xref.externalId) {
      throw new ConflictError(
        `${xref.canonicalId} already has ${xref.system} ${xref.objectType} ${byCanonical}, not ${xref.externalId}`,
      );
    }
    if (byExternal !== undefined) return;
    await db
      .insertInto('xrefs')
      .values({
        canonical_id: xref.canonicalId,
        entity_type: xref.entityType,
        system: xref.system,
        object_type: xref.objectType,
        external_id: xref.externalId,
        created_at: at,
      })
      .execute();
  },

  /**
   * Replaces a stale link: the canonical record's object in `xref.system` moves from
   * `previousExternalId` to `xref.externalId` (the ERP document behind the old id was deleted and
   * posted again). Guarded: it changes only a link that still points at `previousExternalId`, so
   * two repairs racing cannot both win; linked to the new id already, it is a no-op (a retried
   * repair); with no link at all, it links. A link to any other id, or a new id that belongs to
   * another canonical record, throws `ConflictError`.
   */
  async relink(db: Executor, xref: Xref, previousExternalId: string, at: number): Promise<void> {
    const byExternal = await XrefRepository.findCanonical(
      db,
      xref.system,
      xref.objectType,
      xref.externalId,
    );
    if (byExternal !== undefined && byExternal !== xref.canonicalId) {
      throw new ConflictError(
        `${xref.system} ${xref.objectType} ${xref.externalId} is already linked to ${byExternal}, not ${xref.canonicalId}`,
      );
    }
    if (byExternal !== undefined) return;
    const moved = await db
      .updateTable('xrefs')
      .set({ external_id: xref.externalId, created_at: at })
      .where('canonical_id', '=', xref.canonicalId)
      .where('system', '=', xref.system)
      .where('object_type', '=', xref.objectType)
      .where('external_id', '=', previousExternalId)
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) === 1) return;
    const current = await XrefRepository.findExternal(
      db,
      xref.canonicalId,
      xref.system,
      xref.objectType,
    );
    if (current !== undefined) {
      throw new ConflictError(
        `${xref.canonicalId} has ${xref.system} ${xref.objectType} ${current}, not ${previousExternalId}: not relinked to ${xref.externalId}`,
      );
    }
    await XrefRepository.link(db, xref, at);
  },

  async findCanonical(
    db: Executor,
    system: string,
    objectType: string,
    externalId: string,
  ): Promise<string | undefined> {
    const row = await db
      .selectFrom('xrefs')
      .select('canonical_id')
      .where('system', '=', system)
      .where('object_type', '=', objectType)
      .where('external_id', '=', externalId)
      .executeTakeFirst();
    return row?.canonical_id;
  },

  async findExternal(
    db: Executor,
    canonicalId: string,
    system: string,
    objectType: string,
  ): Promise<string | undefined> {
    const row = await db
      .selectFrom('xrefs')
      .select('external_id')
      .where('canonical_id', '=', canonicalId)
      .where('system', '=', system)
      .where('object_type', '=', objectType)
      .executeTakeFirst();
    return row?.external_id;
  },

  async listForCanonical(db: Executor, canonicalId: string): Promise<Xref[]> {
    const rows = await db
      .selectFrom('xrefs')
      .selectAll()
      .where('canonical_id', '=', canonicalId)
      .orderBy('system')
      .orderBy('object_type')
      .execute();
    return rows.map((r) => ({
      canonicalId: r.canonical_id,
      entityType: r.entity_type,
      system: r.system,
      objectType: r.object_type,
      externalId: r.external_id,
    }));
  },
};
