import { sql, type Selectable } from 'kysely';
import { bucketOf, toBucketCounts, type BucketCount, type BucketWindow } from './time-buckets.ts';
import type { SerializedError } from '../model/revsync-error.ts';
import { chunks } from './chunks.ts';
import type { Executor } from './executor.ts';
import { fromJson, toJson } from './json.ts';
import type { StepAttemptTable, StepTable } from './schema.ts';

export type StepStatus = 'completed' | 'sleeping';

/** A checkpointed step of a run. */
export interface StepRecord {
  runId: string;
  name: string;
  position: number;
  status: StepStatus;
  result: unknown;
  attempts: number;
  idempotencyKey: string;
  startedAt: number;
  completedAt: number | null;
  wakeAt: number | null;
}

/** A failed attempt of a step (successful attempts are the step row itself). */
export interface StepAttemptRecord {
  runId: string;
  stepName: string;
  attempt: number;
  at: number;
  durationMs: number;
  error: SerializedError;
}

export const StepRepository = {
  async listForRun(db: Executor, runId: string): Promise<StepRecord[]> {
    const rows = await db
      .selectFrom('steps')
      .selectAll()
      .where('run_id', '=', runId)
      .orderBy('position')
      .execute();
    return rows.map(toStepRecord);
  },

  /** Records a finished step with its result (insert, or finish a sleeping step). */
  async complete(
    db: Executor,
    step: Omit<StepRecord, 'status' | 'wakeAt'> & { completedAt: number },
  ): Promise<void> {
    await db
      .insertInto('steps')
      .values({
        run_id: step.runId,
        name: step.name,
        position: step.position,
        status: 'completed',
        result: toJson(step.result),
        attempts: step.attempts,
        idempotency_key: step.idempotencyKey,
        started_at: step.startedAt,
        completed_at: step.completedAt,
        wake_at: null,
      })
      .onConflict((oc) =>
        oc.columns(['run_id', 'name']).doUpdateSet({
          status: 'completed',
          result: toJson(step.result),
          attempts: step.attempts,
          completed_at: step.completedAt,
        }),
      )
      .execute();
  },

  /** Records a durable timer: the step finishes once `wakeAt` has passed. */
  async sleep(
    db: Executor,
    step: {
      runId: string;
      name: string;
      position: number;
      idempotencyKey: string;
      startedAt: number;
      wakeAt: number;
    },
  ): Promise<void> {
    await db
      .insertInto('steps')
      .values({
        run_id: step.runId,
        name: step.name,
        position: step.position,
        status: 'sleeping',
        result: null,
        attempts: 1,
        idempotency_key: step.idempotencyKey,
        started_at: step.startedAt,
        completed_at: null,
        wake_at: step.wakeAt,
      })
      .onConflict((oc) => oc.columns(['run_id', 'name']).doNothing())
      .execute();
  },

  /** Forgets a run's checkpoints from `position` on (edit-and-resubmit re-executes them). */
  async deleteFrom(db: Executor, runId: string, position: number): Promise<void> {
    await db
      .deleteFrom('steps')
      .where('run_id', '=', runId)
      .where('position', '>=', position)
      .execute();
  },

  async recordFailedAttempt(db: Executor, attempt: StepAttemptRecord): Promise<void> {
    await db
      .insertInto('step_attempts')
      .values({
        run_id: attempt.runId,
        step_name: attempt.stepName,
        attempt: attempt.attempt,
        at: attempt.at,
        duration_ms: attempt.durationMs,
        error: toJson(attempt.error),
      })
      .execute();
  },

  /** Checkpointed steps of several runs (lineage views), by run then position. */
  async listForRuns(db: Executor, runIds: readonly string[]): Promise<StepRecord[]> {
    const out: StepRecord[] = [];
    for (const ids of chunks(runIds)) {
      const rows = await db
        .selectFrom('steps')
        .selectAll()
        .where('run_id', 'in', ids)
        .orderBy('run_id')
        .orderBy('position')
        .execute();
      out.push(...rows.map(toStepRecord));
    }
    return out;
  },

  /** Failed attempts of several runs (lineage views), oldest first. */
  async listFailedAttemptsForRuns(
    db: Executor,
    runIds: readonly string[],
  ): Promise<StepAttemptRecord[]> {
    const out: StepAttemptRecord[] = [];
    for (const ids of chunks(runIds)) {
      const rows = await db
        .selectFrom('step_attempts')
        .selectAll()
        .where('run_id', 'in', ids)
        .orderBy('id')
        .execute();
      out.push(...rows.map(toAttemptRecord));
    }
    return out.sort((a, b) => a.at - b.at);
  },

  /** Failed step attempts per time bucket of the window. */
  async countFailedAttemptsByBucket(db: Executor, window: BucketWindow): Promise<BucketCount[]> {
    const rows = await db
      .selectFrom('step_attempts')
      .select([bucketOf('at', window).as('bucket'), (eb) => eb.fn.countAll().as('count')])
      .where('at', '>=', window.from)
      .where('at', '<', window.to)
      .groupBy(sql`1`)
      .execute();
    return toBucketCounts(rows);
  },

  async listFailedAttempts(db: Executor, runId: string): Promise<StepAttemptRecord[]> {
    const rows = await db
      .selectFrom('step_attempts')
      .selectAll()
      .where('run_id', '=', runId)
      .orderBy('id')
      .execute();
    return rows.map(toAttemptRecord);
  },
};

function toStepRecord(row: Selectable<StepTable>): StepRecord {
  return {
    runId: row.run_id,
    name: row.name,
    position: row.position,
    status: row.status as StepStatus,
    result: fromJson(row.result),
    attempts: row.attempts,
    idempotencyKey: row.idempotency_key,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    wakeAt: row.wake_at,
  };
}

function toAttemptRecord(row: Selectable<StepAttemptTable>): StepAttemptRecord {
  return {
    runId: row.run_id,
    stepName: row.step_name,
    attempt: row.attempt,
    at: row.at,
    durationMs: row.duration_ms,
    error: fromJson<SerializedError>(row.error) ?? {
      name: 'Error',
      code: 'internal',
      message: '',
      retryable: true,
    },
  };
}
