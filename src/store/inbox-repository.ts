import type { InboxStatus } from '../model/states.ts';
import { INBOX_TRANSITIONS, sourcesOf } from '../model/states.ts';
import type { SerializedError } from '../model/revsync-error.ts';
import { chunks } from './chunks.ts';
import type { Executor } from './executor.ts';
import { fromJson, toJson } from './json.ts';
import type { InboxEventTable } from './schema.ts';
import type { Selectable } from 'kysely';

/** An accepted event as the inbox holds it. */
export interface InboxRecord {
  seq: number;
  eventId: string;
  source: string;
  sourceEventId: string;
  type: string;
  subject: string | null;
  entityKey: string | null;
  correlationId: string;
  causationId: string | null;
  /** The full CloudEvents envelope as received (with `data`). */
  envelope: Record<string, unknown>;
  status: InboxStatus;
  attempts: number;
  error: SerializedError | null;
  receivedAt: number;
  routedAt: number | null;
}

/** What {@link InboxRepository.insert} stores. */
export interface NewInboxEvent {
  eventId: string;
  source: string;
  sourceEventId: string;
  type: string;
  subject: string | null;
  entityKey: string | null;
  correlationId: string;
  causationId: string | null;
  envelope: Record<string, unknown>;
  receivedAt: number;
}

export type InboxInsertResult =
  | { duplicate: false; seq: number; eventId: string }
  | { duplicate: true; seq: number; eventId: string };

// 13 bound parameters per row; SQLite allows 32,766 per statement and PostgreSQL 65,535.
const INSERT_CHUNK = 500;

/** Rows ↔ records for `inbox_events`. */
export const InboxRepository = {
  /** Inserts unless (source, source event id) is already there; then reports the existing row. */
  async insert(db: Executor, event: NewInboxEvent): Promise<InboxInsertResult> {
    const [result] = await InboxRepository.insertMany(db, [event]);
    return result!;
  },

  /**
   * Inserts many events with one multi-row statement per chunk (the inbox's hot path: one
   * statement for a whole group commit instead of one per event). Results are in input order;
   * an event whose (source, source event id) is already stored — or repeated earlier in the
   * same call — is reported as a duplicate of the stored row.
   */
  async insertMany(db: Executor, events: NewInboxEvent[]): Promise<InboxInsertResult[]> {
    const results = new Array<InboxInsertResult | undefined>(events.length);
    const key = (source: string, id: string) => `${source}\u0000${id}`;
    for (let start = 0; start < events.length; start += INSERT_CHUNK) {
      const chunk = events.slice(start, start + INSERT_CHUNK);
      const inserted = await db
        .insertInto('inbox_events')
        .values(
          chunk.map((event) => ({
            event_id: event.eventId,
            source: event.source,
            source_event_id: event.sourceEventId,
            type: event.type,
            subject: event.subject,
            entity_key: event.entityKey,
            correlation_id: event.correlationId,
            causation_id: event.causationId,
            envelope: toJson(event.envelope),
            status: 'received',
            received_at: event.receivedAt,
            routed_at: null,
            error: null,
          })),
        )
        .onConflict((oc) => oc.columns(['source', 'source_event_id']).doNothing())
        .returning(['seq', 'event_id'])
        .execute();
      const byEventId = new Map(inserted.map((row) => [row.event_id, row.seq]));
      const missing: number[] = [];
      chunk.forEach((event, i) => {
        const seq = byEventId.get(event.eventId);
        if (seq !== undefined)
          results[start + i] = { duplicate: false, seq, eventId: event.eventId };
        else missing.push(start + i);
      });
      if (missing.length === 0) continue;
      // Per source, so the lookup uses the (source, source_event_id) unique index.
      const idsBySource = new Map<string, string[]>();
      for (const i of missing) {
        const { source, sourceEventId } = events[i]!;
        idsBySource.set(source, [...(idsBySource.get(source) ?? []), sourceEventId]);
      }
      const existing = await db
        .selectFrom('inbox_events')
        .select(['seq', 'event_id', 'source', 'source_event_id'])
        .where((eb) =>
          eb.or(
            [...idsBySource].map(([source, ids]) =>
              eb.and([eb('source', '=', source), eb('source_event_id', 'in', ids)]),
            ),
          ),
        )
        .execute();
      const stored = new Map(existing.map((row) => [key(row.source, row.source_event_id), row]));
      for (const i of missing) {
        const row = stored.get(key(events[i]!.source, events[i]!.sourceEventId));
        if (!row)
          throw new Error(`inbox: event ${events[i]!.sourceEventId} neither inserted nor found`);
        results[i] = { duplicate: true, seq: row.seq, eventId: row.event_id };
      }
    }
    return results as InboxInsertResult[];
  },

  async listUnrouted(db: Executor, limit: number): Promise<InboxRecord[]> {
    const rows = await db
      .selectFrom('inbox_events')
      .selectAll()
      .where('status', '=', 'received')
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  },

  async getBySeq(db: Executor, seq: number): Promise<InboxRecord | undefined> {
    const row = await db
      .selectFrom('inbox_events')
      .selectAll()
      .where('seq', '=', seq)
      .executeTakeFirst();
    return row && toRecord(row);
  },

  async getByEventId(db: Executor, eventId: string): Promise<InboxRecord | undefined> {
    const row = await db
      .selectFrom('inbox_events')
      .selectAll()
      .where('event_id', '=', eventId)
      .executeTakeFirst();
    return row && toRecord(row);
  },

  async list(
    db: Executor,
    filter: {
      entityKey?: string;
      correlationId?: string;
      status?: InboxStatus;
      limit?: number;
      afterSeq?: number;
    },
  ): Promise<InboxRecord[]> {
    let q = db.selectFrom('inbox_events').selectAll();
    if (filter.entityKey !== undefined) q = q.where('entity_key', '=', filter.entityKey);
    if (filter.correlationId !== undefined)
      q = q.where('correlation_id', '=', filter.correlationId);
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    if (filter.afterSeq !== undefined) q = q.where('seq', '>', filter.afterSeq);
    const rows = await q
      .orderBy('seq')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map(toRecord);
  },

  /** The newest events of an entity key, newest first (lineage views). */
  async listForEntity(
    db: Executor,
    entityKey: string,
    options: { limit?: number; beforeSeq?: number } = {},
  ): Promise<InboxRecord[]> {
    let q = db.selectFrom('inbox_events').selectAll().where('entity_key', '=', entityKey);
    if (options.beforeSeq !== undefined) q = q.where('seq', '<', options.beforeSeq);
    const rows = await q
      .orderBy('seq', 'desc')
      .limit(options.limit ?? 100)
      .execute();
    return rows.map(toRecord);
  },

  /** Applies a status transition from the table; false when the row was not in a source state. */
  async transition(
    db: Executor,
    seq: number,
    to: InboxStatus,
    patch: { at: number; error?: SerializedError | null },
  ): Promise<boolean> {
    const result = await db
      .updateTable('inbox_events')
      .set({
        status: to,
        ...(to === 'routed' && { routed_at: patch.at }),
        ...(patch.error !== undefined && {
          error: patch.error === null ? null : toJson(patch.error),
        }),
        ...(to === 'failed' && { attempts: (eb) => eb('attempts', '+', 1) }),
      })
      .where('seq', '=', seq)
      .where('status', 'in', sourcesOf(INBOX_TRANSITIONS, to))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  /** Marks events routed (those still in a state that may become routed), a statement per few hundred. */
  async markRouted(db: Executor, seqs: readonly number[], at: number): Promise<void> {
    for (const chunk of chunks(seqs)) {
      await db
        .updateTable('inbox_events')
        .set({ status: 'routed', routed_at: at })
        .where('seq', 'in', chunk)
        .where('status', 'in', sourcesOf(INBOX_TRANSITIONS, 'routed'))
        .execute();
    }
  },

  /** Replaces the event's `data` (edit-and-resubmit of a poison event). */
  async replaceData(db: Executor, seq: number, data: unknown): Promise<void> {
    const row = await db
      .selectFrom('inbox_events')
      .select('envelope')
      .where('seq', '=', seq)
      .executeTakeFirstOrThrow();
    const envelope = { ...(fromJson<Record<string, unknown>>(row.envelope) ?? {}), data };
    await db
      .updateTable('inbox_events')
      .set({ envelope: toJson(envelope) })
      .where('seq', '=', seq)
      .execute();
  },

  async countByStatus(db: Executor): Promise<Record<string, number>> {
    const rows = await db
      .selectFrom('inbox_events')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  },
};

function toRecord(row: Selectable<InboxEventTable>): InboxRecord {
  return {
    seq: row.seq,
    eventId: row.event_id,
    source: row.source,
    sourceEventId: row.source_event_id,
    type: row.type,
    subject: row.subject,
    entityKey: row.entity_key,
    correlationId: row.correlation_id,
    causationId: row.causation_id,
    envelope: fromJson<Record<string, unknown>>(row.envelope) ?? {},
    status: row.status as InboxStatus,
    attempts: row.attempts,
    error: fromJson<SerializedError>(row.error),
    receivedAt: row.received_at,
    routedAt: row.routed_at,
  };
}
