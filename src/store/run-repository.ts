import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { SerializedError } from '../model/revsync-error.ts';
import {
  ACTIVE_RUN_STATUSES,
  RUN_TRANSITIONS,
  sourcesOf,
  type RunStatus,
} from '../model/states.ts';
import type { DialectName } from './migrations/migration.ts';
import { chunks } from './chunks.ts';
import type { Executor } from './executor.ts';
import { fromJson, toJson } from './json.ts';
import type { RunTable } from './schema.ts';
import { bucketOf, toBucketCounts, type BucketCount, type BucketWindow } from './time-buckets.ts';

/** A flow run as stored. */
export interface RunRecord {
  seq: number;
  id: string;
  flow: string;
  flowVersion: number;
  entityKey: string;
  status: RunStatus;
  priority: number;
  input: unknown;
  inputRevision: number;
  output: unknown;
  triggerEventId: string | null;
  correlationId: string;
  causationId: string | null;
  replayOf: string | null;
  attempt: number;
  currentStep: string | null;
  availableAt: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  waitSignal: string | null;
  waitDeadline: number | null;
  error: SerializedError | null;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  completedAt: number | null;
}

/** What a new run needs; everything else starts at its default. */
export interface NewRun {
  id: string;
  flow: string;
  flowVersion: number;
  entityKey: string;
  priority: number;
  input: unknown;
  triggerEventId: string | null;
  correlationId: string;
  causationId: string | null;
  replayOf?: string | null;
  availableAt: number;
  createdAt: number;
}

/** Fields a transition may change besides the status. */
export interface RunPatch {
  at: number;
  availableAt?: number;
  leaseOwner?: string | null;
  leaseExpiresAt?: number | null;
  attempt?: number;
  currentStep?: string | null;
  waitSignal?: string | null;
  waitDeadline?: number | null;
  error?: SerializedError | null;
  output?: unknown;
  input?: unknown;
  inputRevision?: number;
  completedAt?: number | null;
}

export interface RunFilter {
  status?: RunStatus | RunStatus[];
  flow?: string;
  entityKey?: string;
  correlationId?: string;
  triggerEventId?: string;
  limit?: number;
  /** Newest first, before this seq (for paging). */
  beforeSeq?: number;
}

/** Rows ↔ records for `runs`, the claim query and the single transition function. */
export const RunRepository = {
  /** Inserts a run; a run with the same id already there is left alone (returns false). */
  async insert(db: Executor, run: NewRun): Promise<boolean> {
    const result = await db
      .insertInto('runs')
      .values(newRunRow(run))
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  },

  /** Inserts runs in order (their sequence numbers follow the list), a few statements for all. */
  async insertMany(db: Executor, runs: readonly NewRun[]): Promise<void> {
    for (const chunk of chunks(runs, 200)) {
      await db
        .insertInto('runs')
        .values(chunk.map(newRunRow))
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    }
  },

  /**
   * Claims up to `limit` runs for `owner`: due queued runs, runs whose lease expired, and waits
   * whose deadline passed — but only a run with no earlier active run of its entity key, which
   * is what keeps per-key order across any number of workers. On PostgreSQL candidate rows are
   * locked with `FOR UPDATE SKIP LOCKED`, so concurrent workers never claim the same run.
   */
  async claim(
    db: Executor,
    dialect: DialectName,
    options: { owner: string; now: number; leaseMs: number; limit: number },
  ): Promise<RunRecord[]> {
    if (options.limit <= 0) return [];
    const { now } = options;
    const base = (status: RunStatus) =>
      db
        .selectFrom('runs as r')
        .select(['r.seq', 'r.priority'])
        .where('r.status', '=', status)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('runs as p')
                .select(sql`1`.as('one'))
                .whereRef('p.entity_key', '=', 'r.entity_key')
                .whereRef('p.seq', '<', 'r.seq')
                .where('p.status', 'in', ACTIVE_RUN_STATUSES),
            ),
          ),
        )
        .limit(options.limit);
    const lock = <Q extends { forUpdate(): Q; skipLocked(): Q }>(q: Q): Q =>
      dialect === 'postgres' ? q.forUpdate().skipLocked() : q;

    const due = await lock(
      base('queued')
        .where('r.available_at', '<=', now)
        .orderBy('r.priority', 'desc')
        .orderBy('r.seq'),
    ).execute();
    const expired = await lock(
      base('running').where('r.lease_expires_at', '<', now).orderBy('r.seq'),
    ).execute();
    const timedOut = await lock(
      base('waiting').where('r.wait_deadline', '<=', now).orderBy('r.seq'),
    ).execute();
    const picked = [...due, ...expired, ...timedOut]
      .sort((a, b) => b.priority - a.priority || a.seq - b.seq)
      .slice(0, options.limit)
      .map((r) => r.seq);
    if (picked.length === 0) return [];
    const rows = await db
      .updateTable('runs')
      .set({
        status: 'running',
        lease_owner: options.owner,
        lease_expires_at: now + options.leaseMs,
        started_at: sql`coalesce(started_at, ${now})`,
        updated_at: now,
      })
      .where('seq', 'in', picked)
      .where('status', 'in', sourcesOf(RUN_TRANSITIONS, 'running'))
      .returningAll()
      .execute();
    return rows.map(toRunRecord).sort((a, b) => a.seq - b.seq);
  },

  /**
   * The one function that changes a run's status: only from a state the transition table allows,
   * and, when `leaseOwner` is given, only while that worker still holds the lease (fencing).
   */
  async transition(
    db: Executor,
    seq: number,
    to: RunStatus,
    patch: RunPatch,
    guard: { leaseOwner?: string; from?: RunStatus[] } = {},
  ): Promise<boolean> {
    const allowed = sourcesOf(RUN_TRANSITIONS, to).filter(
      (s) => !guard.from || guard.from.includes(s),
    );
    if (allowed.length === 0) return false;
    let q = db
      .updateTable('runs')
      .set({ status: to, ...toRowPatch(patch) })
      .where('seq', '=', seq)
      .where('status', 'in', allowed);
    if (guard.leaseOwner !== undefined) q = q.where('lease_owner', '=', guard.leaseOwner);
    const result = await q.executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  /** Updates fields of a run this worker leases, without a status change (e.g. progress). */
  async touch(db: Executor, seq: number, owner: string, patch: RunPatch): Promise<boolean> {
    const result = await db
      .updateTable('runs')
      .set(toRowPatch(patch))
      .where('seq', '=', seq)
      .where('status', '=', 'running')
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  /** Extends the leases `owner` holds on these runs; returns the runs it still holds. */
  async heartbeat(
    db: Executor,
    owner: string,
    seqs: number[],
    expiresAt: number,
  ): Promise<number[]> {
    if (seqs.length === 0) return [];
    const rows = await db
      .updateTable('runs')
      .set({ lease_expires_at: expiresAt })
      .where('seq', 'in', seqs)
      .where('status', '=', 'running')
      .where('lease_owner', '=', owner)
      .returning('seq')
      .execute();
    return rows.map((r) => r.seq);
  },

  /** Makes every running run claimable at once (SQLite start-up: the previous process is gone). */
  async expireAllLeases(db: Executor, now: number): Promise<number> {
    const result = await db
      .updateTable('runs')
      .set({ lease_expires_at: now - 1 })
      .where('status', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  },

  /** Wakes runs waiting for `key`: they become queued and due now. */
  async wakeWaiting(db: Executor, key: string, now: number): Promise<number> {
    return RunRepository.wakeWaitingMany(db, [key], now);
  },

  /** Wakes runs waiting for any of `keys`, in one statement per few hundred keys. */
  async wakeWaitingMany(db: Executor, keys: readonly string[], now: number): Promise<number> {
    let woken = 0;
    for (const chunk of chunks([...new Set(keys)])) {
      const result = await db
        .updateTable('runs')
        .set({ status: 'queued', available_at: now, updated_at: now })
        .where('status', '=', 'waiting')
        .where('wait_signal', 'in', chunk)
        .executeTakeFirst();
      woken += Number(result.numUpdatedRows);
    }
    return woken;
  },

  /**
   * Wakes waiting runs whose signal exists. The signal normally wakes its waiters itself; this
   * sweep closes the race where, on PostgreSQL, a run began waiting while the signal committed.
   */
  async wakeSignalled(db: Executor, now: number): Promise<number> {
    const result = await db
      .updateTable('runs')
      .set({ status: 'queued', available_at: now, updated_at: now })
      .where('status', '=', 'waiting')
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom('signals')
            .select('signals.key')
            .whereRef('signals.key', '=', 'runs.wait_signal'),
        ),
      )
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  },

  async getBySeq(db: Executor, seq: number): Promise<RunRecord | undefined> {
    const row = await db.selectFrom('runs').selectAll().where('seq', '=', seq).executeTakeFirst();
    return row && toRunRecord(row);
  },

  async getById(db: Executor, id: string): Promise<RunRecord | undefined> {
    const row = await db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRunRecord(row);
  },

  async list(db: Executor, filter: RunFilter = {}): Promise<RunRecord[]> {
    let q = db.selectFrom('runs').selectAll();
    if (filter.status !== undefined) {
      q = q.where('status', 'in', Array.isArray(filter.status) ? filter.status : [filter.status]);
    }
    if (filter.flow !== undefined) q = q.where('flow', '=', filter.flow);
    if (filter.entityKey !== undefined) q = q.where('entity_key', '=', filter.entityKey);
    if (filter.correlationId !== undefined)
      q = q.where('correlation_id', '=', filter.correlationId);
    if (filter.triggerEventId !== undefined)
      q = q.where('trigger_event_id', '=', filter.triggerEventId);
    if (filter.beforeSeq !== undefined) q = q.where('seq', '<', filter.beforeSeq);
    const rows = await q
      .orderBy('seq', 'desc')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map(toRunRecord);
  },

  /**
   * Runs that cannot proceed because an earlier run of their entity key is parked (they wait
   * behind the exception queue), by status.
   */
  async countHeldBehindParked(db: Executor): Promise<Record<string, number>> {
    const rows = await db
      .selectFrom('runs as r')
      .select(['r.status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('r.status', 'in', ['queued', 'waiting'])
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom('runs as p')
            .select(sql`1`.as('one'))
            .whereRef('p.entity_key', '=', 'r.entity_key')
            .whereRef('p.seq', '<', 'r.seq')
            .where('p.status', '=', 'parked'),
        ),
      )
      .groupBy('r.status')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  },

  async countByStatus(db: Executor): Promise<Record<string, number>> {
    const rows = await db
      .selectFrom('runs')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  },

  /** Completed runs per time bucket of the window (by completion time). */
  async countCompletedByBucket(db: Executor, window: BucketWindow): Promise<BucketCount[]> {
    const rows = await db
      .selectFrom('runs')
      .select([bucketOf('completed_at', window).as('bucket'), (eb) => eb.fn.countAll().as('count')])
      .where('status', '=', 'completed')
      .where('completed_at', '>=', window.from)
      .where('completed_at', '<', window.to)
      .groupBy(sql`1`)
      .execute();
    return toBucketCounts(rows);
  },

  /**
   * Creation and completion times of runs completed in `[from, to)`, newest first, at most
   * `limit` (latency percentiles are computed from these).
   */
  async listCompletions(
    db: Executor,
    window: { from: number; to: number; limit: number },
  ): Promise<{ flow: string; createdAt: number; completedAt: number }[]> {
    const rows = await db
      .selectFrom('runs')
      .select(['flow', 'created_at', 'completed_at'])
      .where('status', '=', 'completed')
      .where('completed_at', '>=', window.from)
      .where('completed_at', '<', window.to)
      .orderBy('completed_at', 'desc')
      .limit(window.limit)
      .execute();
    return rows.map((r) => ({
      flow: r.flow,
      createdAt: Number(r.created_at),
      completedAt: Number(r.completed_at),
    }));
  },

  /** The earliest future moment something becomes claimable (a due time or a wait deadline). */
  async nextWakeAt(db: Executor, now: number): Promise<number | undefined> {
    const due = await db
      .selectFrom('runs')
      .select((eb) => eb.fn.min('available_at').as('t'))
      .where('status', '=', 'queued')
      .where('available_at', '>', now)
      .executeTakeFirst();
    const deadline = await db
      .selectFrom('runs')
      .select((eb) => eb.fn.min('wait_deadline').as('t'))
      .where('status', '=', 'waiting')
      .executeTakeFirst();
    const times = [due?.t, deadline?.t].filter((t): t is number => t !== null && t !== undefined);
    return times.length ? Math.min(...times.map(Number)) : undefined;
  },
};

function newRunRow(run: NewRun): Insertable<RunTable> {
  return {
    id: run.id,
    flow: run.flow,
    flow_version: run.flowVersion,
    entity_key: run.entityKey,
    status: 'queued',
    priority: run.priority,
    input: toJson(run.input),
    input_revision: 0,
    output: null,
    trigger_event_id: run.triggerEventId,
    correlation_id: run.correlationId,
    causation_id: run.causationId,
    replay_of: run.replayOf ?? null,
    attempt: 0,
    current_step: null,
    available_at: run.availableAt,
    lease_owner: null,
    lease_expires_at: null,
    wait_signal: null,
    wait_deadline: null,
    error: null,
    created_at: run.createdAt,
    updated_at: run.createdAt,
    started_at: null,
    completed_at: null,
  };
}

function toRowPatch(patch: RunPatch): Updateable<RunTable> {
  const row: Updateable<RunTable> = { updated_at: patch.at };
  if (patch.availableAt !== undefined) row.available_at = patch.availableAt;
  if (patch.leaseOwner !== undefined) row.lease_owner = patch.leaseOwner;
  if (patch.leaseExpiresAt !== undefined) row.lease_expires_at = patch.leaseExpiresAt;
  if (patch.attempt !== undefined) row.attempt = patch.attempt;
  if (patch.currentStep !== undefined) row.current_step = patch.currentStep;
  if (patch.waitSignal !== undefined) row.wait_signal = patch.waitSignal;
  if (patch.waitDeadline !== undefined) row.wait_deadline = patch.waitDeadline;
  if (patch.error !== undefined) row.error = patch.error === null ? null : toJson(patch.error);
  if (patch.output !== undefined) row.output = toJson(patch.output);
  if (patch.input !== undefined) row.input = toJson(patch.input);
  if (patch.inputRevision !== undefined) row.input_revision = patch.inputRevision;
  if (patch.completedAt !== undefined) row.completed_at = patch.completedAt;
  return row;
}

/** Row → record. */
export function toRunRecord(row: Selectable<RunTable>): RunRecord {
  return {
    seq: row.seq,
    id: row.id,
    flow: row.flow,
    flowVersion: row.flow_version,
    entityKey: row.entity_key,
    status: row.status as RunStatus,
    priority: row.priority,
    input: fromJson(row.input),
    inputRevision: row.input_revision,
    output: fromJson(row.output),
    triggerEventId: row.trigger_event_id,
    correlationId: row.correlation_id,
    causationId: row.causation_id,
    replayOf: row.replay_of,
    attempt: row.attempt,
    currentStep: row.current_step,
    availableAt: row.available_at,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
    waitSignal: row.wait_signal,
    waitDeadline: row.wait_deadline,
    error: fromJson<SerializedError>(row.error),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
  };
}
