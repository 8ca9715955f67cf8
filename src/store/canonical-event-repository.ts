import type { Selectable } from 'kysely';
import { chunks } from './chunks.ts';
import type { Executor } from './executor.ts';
import { fromJson, toJson } from './json.ts';
import type { CanonicalEventTable } from './schema.ts';

/** A canonical event as the event log holds it. */
export interface CanonicalEventRecord {
  seq: number;
  eventId: string;
  /** The inbox (vendor) event it was normalised from. */
  inboxSeq: number;
  inboxEventId: string;
  source: string;
  vendorEventId: string;
  vendorType: string;
  type: string;
  subject: string | null;
  entityKey: string | null;
  correlationId: string;
  schemaVersion: number;
  data: unknown;
  time: number | null;
  createdAt: number;
}

export type NewCanonicalEvent = Omit<CanonicalEventRecord, 'seq'>;

/** Rows ↔ records for `canonical_events`. */
export const CanonicalEventRepository = {
  /** Appends events; an event id already stored (a re-routed inbox event) is kept as it was. */
  async insertMany(db: Executor, events: NewCanonicalEvent[]): Promise<void> {
    for (const chunk of chunks(events)) await insertChunk(db, chunk);
  },

  async getByEventId(db: Executor, eventId: string): Promise<CanonicalEventRecord | undefined> {
    const row = await db
      .selectFrom('canonical_events')
      .selectAll()
      .where('event_id', '=', eventId)
      .executeTakeFirst();
    return row && toRecord(row);
  },

  /** The canonical events one inbox event became, in order. */
  async listForInboxEvent(db: Executor, inboxSeq: number): Promise<CanonicalEventRecord[]> {
    const rows = await db
      .selectFrom('canonical_events')
      .selectAll()
      .where('inbox_seq', '=', inboxSeq)
      .orderBy('seq')
      .execute();
    return rows.map(toRecord);
  },

  /** An entity key's canonical events, newest first. */
  async listForEntity(
    db: Executor,
    entityKey: string,
    options: { limit?: number } = {},
  ): Promise<CanonicalEventRecord[]> {
    const rows = await db
      .selectFrom('canonical_events')
      .selectAll()
      .where('entity_key', '=', entityKey)
      .orderBy('seq', 'desc')
      .limit(options.limit ?? 100)
      .execute();
    return rows.map(toRecord);
  },

  /** How many canonical events of each type the log holds. */
  async countByType(db: Executor): Promise<Record<string, number>> {
    const rows = await db
      .selectFrom('canonical_events')
      .select(['type', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('type')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.type, Number(r.n)]));
  },
};

function toRecord(row: Selectable<CanonicalEventTable>): CanonicalEventRecord {
  return {
    seq: Number(row.seq),
    eventId: row.event_id,
    inboxSeq: Number(row.inbox_seq),
    inboxEventId: row.inbox_event_id,
    source: row.source,
    vendorEventId: row.vendor_event_id,
    vendorType: row.vendor_type,
    type: row.type,
    subject: row.subject,
    entityKey: row.entity_key,
    correlationId: row.correlation_id,
    schemaVersion: Number(row.schema_version),
    data: fromJson(row.data),
    time: row.time === null ? null : Number(row.time),
    createdAt: Number(row.created_at),
  };
}

async function insertChunk(db: Executor, events: NewCanonicalEvent[]): Promise<void> {
  await db
    .insertInto('canonical_events')
    .values(
      events.map((e) => ({
        event_id: e.eventId,
        inbox_seq: e.inboxSeq,
        inbox_event_id: e.inboxEventId,
        source: e.source,
        vendor_event_id: e.vendorEventId,
        vendor_type: e.vendorType,
        type: e.type,
        subject: e.subject,
        entity_key: e.entityKey,
        correlation_id: e.correlationId,
        schema_version: e.schemaVersion,
        data: toJson(e.data ?? null),
        time: e.time,
        created_at: e.createdAt,
      })),
    )
    .onConflict((oc) => oc.column('event_id').doNothing())
    .execute();
}
