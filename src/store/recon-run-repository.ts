import type { Selectable } from 'kysely';
import { RECON_RUN_TRANSITIONS, sourcesOf, type ReconRunStatus } from '../model/states.ts';
import type { Executor } from './executor.ts';
import { fromJson, toJson } from './json.ts';
import type { ReconItemTable, ReconRunTable } from './schema.ts';

/** What started a reconciliation run. */
export type ReconTrigger = 'cli' | 'schedule' | 'api';

/** One stored reconciliation of one accounting period. */
export interface ReconRunRecord {
  id: string;
  /** Shared by the periods one invocation reconciled. */
  batchId: string;
  /** `YYYY-MM`. */
  period: string;
  /** The subsidiary filter (null: every subsidiary). */
  subsidiary: string | null;
  /** The currency filter (null: every currency). */
  currency: string | null;
  trigger: ReconTrigger;
  /** Who started it (an API key's name, `cli:<user>`, `schedule`). */
  actor: string;
  status: ReconRunStatus;
  startedAt: number;
  finishedAt: number | null;
  discrepancyCount: number;
  inFlightCount: number;
  matchedCount: number;
  /** Discrepancies per class (every class named, zeros included). */
  summary: Record<string, number>;
  /** Matches per rule. */
  matches: Record<string, number>;
  outOfScope: Record<string, number>;
  payouts: { checked: number; matched: number; unsupported?: string } | null;
  /** Why a `failed` run failed. */
  error: { code: string; message: string } | null;
}

export type NewReconRun = Pick<
  ReconRunRecord,
  'id' | 'batchId' | 'period' | 'subsidiary' | 'currency' | 'trigger' | 'actor' | 'startedAt'
>;

/** What a finished run found, besides its items. */
export type ReconRunResult = Pick<
  ReconRunRecord,
  | 'finishedAt'
  | 'discrepancyCount'
  | 'inFlightCount'
  | 'matchedCount'
  | 'summary'
  | 'matches'
  | 'outOfScope'
  | 'payouts'
> & { status: 'clean' | 'discrepancies'; finishedAt: number };

export type ReconItemKind = 'discrepancy' | 'in_flight' | 'match';

/** One finding of a run: a discrepancy, a would-be discrepancy still in flight, or a match. */
export interface ReconItemRecord {
  runId: string;
  /** Order within the run (the report's order: discrepancies, then in flight, then matches). */
  seq: number;
  kind: ReconItemKind;
  /** The discrepancy class (null for a match). */
  class: string | null;
  billingId: string | null;
  erpId: string | null;
  crmId: string | null;
  subsidiary: string | null;
  currency: string | null;
  /** Minor units of `currency`. */
  billingAmount: number | null;
  erpAmount: number | null;
  correlationId: string | null;
  runIds: string[];
  /** The match rule that paired the documents (`external_id`, `cross_reference`, `fallback`). */
  rule: string | null;
  /** Tolerances applied, minor units: `{ amount, tax }` for a match, `{ amount }` for a discrepancy. */
  tolerance: Record<string, number> | null;
  message: string | null;
  /** The rest of a discrepancy (e.g. a payout residual's breakdown). */
  detail: Record<string, unknown> | null;
}

export type NewReconItem = Omit<ReconItemRecord, 'runId' | 'seq'>;

export interface ReconRunFilter {
  period?: string;
  status?: ReconRunStatus | ReconRunStatus[];
  trigger?: ReconTrigger;
  /** Runs started before this instant (paging, newest first). */
  startedBefore?: number;
  limit?: number;
}

/** Rows are inserted in chunks this size (SQLite binds at most 32 766 parameters). */
const ITEM_CHUNK = 500;

/** Rows ↔ records for `recon_runs` and `recon_items`. */
export const ReconRunRepository = {
  /** Records a run as `running`. */
  async start(db: Executor, run: NewReconRun): Promise<void> {
    await db
      .insertInto('recon_runs')
      .values({
        id: run.id,
        batch_id: run.batchId,
        period: run.period,
        subsidiary: run.subsidiary,
        currency: run.currency,
        trigger: run.trigger,
        actor: run.actor,
        status: 'running',
        started_at: run.startedAt,
        finished_at: null,
        discrepancy_count: 0,
        in_flight_count: 0,
        matched_count: 0,
        summary: toJson({}),
        matches: toJson({}),
        out_of_scope: toJson({}),
        payouts: null,
        error: null,
      })
      .execute();
  },

  /**
   * Marks a running run finished with its counts and stores its items (call it in a
   * transaction, so a reader never sees a finished run without its items); false when the run
   * was not running (already finished or failed).
   */
  async finish(
    db: Executor,
    id: string,
    result: ReconRunResult,
    items: Iterable<NewReconItem>,
  ): Promise<boolean> {
    const updated = await db
      .updateTable('recon_runs')
      .set({
        status: result.status,
        finished_at: result.finishedAt,
        discrepancy_count: result.discrepancyCount,
        in_flight_count: result.inFlightCount,
        matched_count: result.matchedCount,
        summary: toJson(result.summary),
        matches: toJson(result.matches),
        out_of_scope: toJson(result.outOfScope),
        payouts: result.payouts === null ? null : toJson(result.payouts),
      })
      .where('id', '=', id)
      .where('status', 'in', sourcesOf(RECON_RUN_TRANSITIONS, result.status))
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) return false;
    let seq = 0;
    let chunk: Selectable<ReconItemTable>[] = [];
    for (const item of items) {
      chunk.push(toRow(id, seq++, item));
      if (chunk.length === ITEM_CHUNK) {
        await db.insertInto('recon_items').values(chunk).execute();
        chunk = [];
      }
    }
    if (chunk.length > 0) await db.insertInto('recon_items').values(chunk).execute();
    return true;
  },

  /** Marks a running run failed; false when it was not running. */
  async fail(
    db: Executor,
    id: string,
    finishedAt: number,
    error: { code: string; message: string },
  ): Promise<boolean> {
    const updated = await db
      .updateTable('recon_runs')
      .set({ status: 'failed', finished_at: finishedAt, error: toJson(error) })
      .where('id', '=', id)
      .where('status', 'in', sourcesOf(RECON_RUN_TRANSITIONS, 'failed'))
      .executeTakeFirst();
    return Number(updated.numUpdatedRows) === 1;
  },

  /**
   * Marks every run still `running` that started before `startedBefore` failed (`interrupted`):
   * the process that ran it stopped before it finished. Returns how many.
   */
  async failInterrupted(
    db: Executor,
    startedBefore: number,
    now: number,
    triggers: readonly ReconTrigger[] = ['cli', 'schedule', 'api'],
  ): Promise<number> {
    const updated = await db
      .updateTable('recon_runs')
      .set({
        status: 'failed',
        finished_at: now,
        error: toJson({
          code: 'interrupted',
          message: 'the process running it stopped before it finished',
        }),
      })
      .where('status', '=', 'running')
      .where('trigger', 'in', [...triggers])
      .where('started_at', '<', startedBefore)
      .executeTakeFirst();
    return Number(updated.numUpdatedRows);
  },

  async get(db: Executor, id: string): Promise<ReconRunRecord | undefined> {
    const row = await db
      .selectFrom('recon_runs')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toRecord(row);
  },

  /** Newest first. */
  async list(db: Executor, filter: ReconRunFilter = {}): Promise<ReconRunRecord[]> {
    let q = db.selectFrom('recon_runs').selectAll();
    if (filter.period !== undefined) q = q.where('period', '=', filter.period);
    if (filter.status !== undefined) {
      q = q.where('status', 'in', Array.isArray(filter.status) ? filter.status : [filter.status]);
    }
    if (filter.trigger !== undefined) q = q.where('trigger', '=', filter.trigger);
    if (filter.startedBefore !== undefined) q = q.where('started_at', '<', filter.startedBefore);
    const rows = await q
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map(toRecord);
  },

  /**
   * The newest finished run (clean or with discrepancies, not failed) of each period, newest
   * period first, at most `limit` periods.
   */
  async latestPerPeriod(db: Executor, limit = 24): Promise<ReconRunRecord[]> {
    const rows = await db
      .selectFrom('recon_runs as r')
      .selectAll('r')
      .where('r.status', 'in', ['clean', 'discrepancies'])
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('recon_runs as n')
              .select('n.id')
              .whereRef('n.period', '=', 'r.period')
              .where('n.status', 'in', ['clean', 'discrepancies'])
              .where((eb) =>
                eb.or([
                  eb('n.started_at', '>', eb.ref('r.started_at')),
                  eb.and([
                    eb('n.started_at', '=', eb.ref('r.started_at')),
                    eb('n.id', '>', eb.ref('r.id')),
                  ]),
                ]),
              ),
          ),
        ),
      )
      .orderBy('r.period', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  },

  /** A run's items in order, optionally of one kind. */
  async items(
    db: Executor,
    runId: string,
    filter: { kind?: ReconItemKind | ReconItemKind[]; afterSeq?: number; limit?: number } = {},
  ): Promise<ReconItemRecord[]> {
    let q = db.selectFrom('recon_items').selectAll().where('run_id', '=', runId);
    if (filter.kind !== undefined) {
      q = q.where('kind', 'in', Array.isArray(filter.kind) ? filter.kind : [filter.kind]);
    }
    if (filter.afterSeq !== undefined) q = q.where('seq', '>', filter.afterSeq);
    const rows = await q
      .orderBy('seq')
      .limit(filter.limit ?? 10_000)
      .execute();
    return rows.map(toItem);
  },
};

function toRow(runId: string, seq: number, item: NewReconItem): Selectable<ReconItemTable> {
  return {
    run_id: runId,
    seq,
    kind: item.kind,
    class: item.class,
    billing_id: item.billingId,
    erp_id: item.erpId,
    crm_id: item.crmId,
    subsidiary: item.subsidiary,
    currency: item.currency,
    billing_amount: item.billingAmount,
    erp_amount: item.erpAmount,
    correlation_id: item.correlationId,
    run_ids: toJson(item.runIds),
    rule: item.rule,
    tolerance: item.tolerance === null ? null : toJson(item.tolerance),
    message: item.message,
    detail: item.detail === null ? null : toJson(item.detail),
  };
}

function toRecord(r: Selectable<ReconRunTable>): ReconRunRecord {
  return {
    id: r.id,
    batchId: r.batch_id,
    period: r.period,
    subsidiary: r.subsidiary,
    currency: r.currency,
    trigger: r.trigger as ReconTrigger,
    actor: r.actor,
    status: r.status as ReconRunStatus,
    startedAt: Number(r.started_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
    discrepancyCount: Number(r.discrepancy_count),
    inFlightCount: Number(r.in_flight_count),
    matchedCount: Number(r.matched_count),
    summary: fromJson<Record<string, number>>(r.summary) ?? {},
    matches: fromJson<Record<string, number>>(r.matches) ?? {},
    outOfScope: fromJson<Record<string, number>>(r.out_of_scope) ?? {},
    payouts: fromJson<ReconRunRecord['payouts']>(r.payouts),
    error: fromJson<{ code: string; message: string }>(r.error),
  };
}

function toItem(r: Selectable<ReconItemTable>): ReconItemRecord {
  return {
    runId: r.run_id,
    seq: Number(r.seq),
    kind: r.kind as ReconItemKind,
    class: r.class,
    billingId: r.billing_id,
    erpId: r.erp_id,
    crmId: r.crm_id,
    subsidiary: r.subsidiary,
    currency: r.currency,
    billingAmount: r.billing_amount === null ? null : Number(r.billing_amount),
    erpAmount: r.erp_amount === null ? null : Number(r.erp_amount),
    correlationId: r.correlation_id,
    runIds: fromJson<string[]>(r.run_ids) ?? [],
    rule: r.rule,
    tolerance: fromJson<Record<string, number>>(r.tolerance),
    message: r.message,
    detail: fromJson<Record<string, unknown>>(r.detail),
  };
}
