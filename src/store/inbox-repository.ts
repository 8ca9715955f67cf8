import type { InboxStatus } from '../model/states.ts';
import { INBOX_TRANSITIONS, sourcesOf } from '../model/states.ts';
import type { SerializedError } from '../model/revsync-error.ts';
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

/** Rows ↔ records for `inbox_events`. */
export const InboxRepository = {
  /** Inserts unless (source, source event id) is already there; then reports the existing row. */
  async insert(db: Executor, event: NewInboxEvent): Promise<InboxInsertResult> {
    const inserted = await db
      .insertInto('inbox_events')
      .values({
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
      })
      .onConflict((oc) => oc.columns(['source', 'source_event_id']).doNothing())
      .returning(['seq', 'event_id'])
      .executeTakeFirst();
    if (inserted) return { duplicate: false, seq: inserted.seq, eventId: inserted.event_id };
    const existing = await db
      .selectFrom('inbox_events')
      .select(['seq', 'event_id'])
      .where('source', '=', event.source)
      .where('source_event_id', '=', event.sourceEventId)
      .executeTakeFirstOrThrow();
    return { duplicate: true, seq: existing.seq, eventId: existing.event_id };
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
