import { sql, type Selectable } from 'kysely';
import { bucketOf, type BucketWindow } from './time-buckets.ts';
import type { SerializedError } from '../model/revsync-error.ts';
import { EXCEPTION_TRANSITIONS, sourcesOf, type ExceptionStatus } from '../model/states.ts';
import type { Executor } from './executor.ts';
import { fromJson, toJson } from './json.ts';
import type { ExceptionTable } from './schema.ts';

/**
 * What ended up in the exception queue: a parked run, an event that could not be routed, a
 * reconciliation discrepancy that needs a person (`src/app/recon-repair.ts`), or a stream
 * message that could not be ingested (a malformed usage record from NATS, dead-lettered by
 * `src/ingest/nats-usage.ts`; `lastInput` holds the message).
 */
export type ExceptionKind = 'run' | 'event' | 'discrepancy' | 'message';

/** How an exception was closed, and by whom. */
export interface ExceptionResolution {
  action: 'retry' | 'resubmit' | 'skip' | 'resolved';
  actor: string;
  at: number;
  reason?: string;
}

export interface ExceptionRecord {
  id: string;
  kind: ExceptionKind;
  runId: string | null;
  eventSeq: number | null;
  flow: string | null;
  entityKey: string | null;
  stepName: string | null;
  errorCode: string;
  errorName: string;
  message: string;
  error: SerializedError;
  attempts: number;
  lastInput: unknown;
  status: ExceptionStatus;
  correlationId: string | null;
  createdAt: number;
  updatedAt: number;
  resolution: ExceptionResolution | null;
}

export type NewException = Omit<
  ExceptionRecord,
  'status' | 'updatedAt' | 'resolution' | 'errorCode' | 'errorName' | 'message'
>;

export interface ExceptionFilter {
  status?: ExceptionStatus | ExceptionStatus[];
  flow?: string;
  entityKey?: string;
  runId?: string;
  limit?: number;
}

export const ExceptionRepository = {
  async open(db: Executor, entry: NewException): Promise<void> {
    await db
      .insertInto('exceptions')
      .values({
        id: entry.id,
        kind: entry.kind,
        run_id: entry.runId,
        event_seq: entry.eventSeq,
        flow: entry.flow,
        entity_key: entry.entityKey,
        step_name: entry.stepName,
        error_code: entry.error.code,
        error_name: entry.error.name,
        message: entry.error.message,
        error: toJson(entry.error),
        attempts: entry.attempts,
        last_input: entry.lastInput === undefined ? null : toJson(entry.lastInput),
        status: 'open',
        correlation_id: entry.correlationId,
        created_at: entry.createdAt,
        updated_at: entry.createdAt,
        resolution: null,
      })
      .execute();
  },

  /** Closes an open exception with a resolution; false if it was not open. */
  async transition(
    db: Executor,
    id: string,
    to: ExceptionStatus,
    resolution: ExceptionResolution,
  ): Promise<boolean> {
    const result = await db
      .updateTable('exceptions')
      .set({ status: to, resolution: toJson(resolution), updated_at: resolution.at })
      .where('id', '=', id)
      .where('status', 'in', sourcesOf(EXCEPTION_TRANSITIONS, to))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  async get(db: Executor, id: string): Promise<ExceptionRecord | undefined> {
    const row = await db
      .selectFrom('exceptions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toExceptionRecord(row);
  },

  /** The open exception of a run, if it is parked. */
  async openForRun(db: Executor, runId: string): Promise<ExceptionRecord | undefined> {
    const row = await db
      .selectFrom('exceptions')
      .selectAll()
      .where('run_id', '=', runId)
      .where('status', '=', 'open')
      .executeTakeFirst();
    return row && toExceptionRecord(row);
  },

  async openForEvent(db: Executor, eventSeq: number): Promise<ExceptionRecord | undefined> {
    const row = await db
      .selectFrom('exceptions')
      .selectAll()
      .where('event_seq', '=', eventSeq)
      .where('status', '=', 'open')
      .executeTakeFirst();
    return row && toExceptionRecord(row);
  },

  async list(db: Executor, filter: ExceptionFilter = {}): Promise<ExceptionRecord[]> {
    let q = db.selectFrom('exceptions').selectAll();
    if (filter.status !== undefined) {
      q = q.where('status', 'in', Array.isArray(filter.status) ? filter.status : [filter.status]);
    }
    if (filter.flow !== undefined) q = q.where('flow', '=', filter.flow);
    if (filter.entityKey !== undefined) q = q.where('entity_key', '=', filter.entityKey);
    if (filter.runId !== undefined) q = q.where('run_id', '=', filter.runId);
    const rows = await q
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map(toExceptionRecord);
  },

  /**
   * Exceptions opened per time bucket of the window: parked runs (and how many of those failed
   * in a step, which also left a failed attempt) and poison events.
   */
  async countOpenedByBucket(
    db: Executor,
    window: BucketWindow,
  ): Promise<{ bucket: number; parked: number; parkedInStep: number; poisoned: number }[]> {
    const rows = await db
      .selectFrom('exceptions')
      .select([
        bucketOf('created_at', window).as('bucket'),
        sql<number>`sum(case when kind = 'run' then 1 else 0 end)`.as('parked'),
        sql<number>`sum(case when kind = 'run' and step_name is not null then 1 else 0 end)`.as(
          'parked_in_step',
        ),
        sql<number>`sum(case when kind = 'event' then 1 else 0 end)`.as('poisoned'),
      ])
      .where('created_at', '>=', window.from)
      .where('created_at', '<', window.to)
      .groupBy(sql`1`)
      .execute();
    return rows
      .map((r) => ({
        bucket: Number(r.bucket),
        parked: Number(r.parked),
        parkedInStep: Number(r.parked_in_step),
        poisoned: Number(r.poisoned),
      }))
      .sort((a, b) => a.bucket - b.bucket);
  },

  async countOpen(db: Executor): Promise<number> {
    const row = await db
      .selectFrom('exceptions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'open')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  },
};

function toExceptionRecord(row: Selectable<ExceptionTable>): ExceptionRecord {
  return {
    id: row.id,
    kind: row.kind as ExceptionKind,
    runId: row.run_id,
    eventSeq: row.event_seq,
    flow: row.flow,
    entityKey: row.entity_key,
    stepName: row.step_name,
    errorCode: row.error_code,
    errorName: row.error_name,
    message: row.message,
    error: fromJson<SerializedError>(row.error) ?? {
      name: row.error_name,
      code: 'internal',
      message: row.message,
      retryable: false,
    },
    attempts: row.attempts,
    lastInput: fromJson(row.last_input),
    status: row.status as ExceptionStatus,
    correlationId: row.correlation_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    resolution: fromJson<ExceptionResolution>(row.resolution),
  };
}
