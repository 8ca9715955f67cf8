/**
 * Stored reconciliation: runs {@link reconcileSystems} and keeps what each period's report found
 * in the store (`recon_runs`, `recon_items`), whoever started it — `revsync recon run`, the
 * schedule of `revsync start`, or `POST /v1/recon/runs`. One reconciliation at a time per
 * process: a second one asked for while one runs is refused with the running one's ids.
 */
import type { Logger } from 'pino';
import type { Clock } from '../engine/clock.ts';
import { newId } from '../model/ids.ts';
import { coerceError, ConflictError } from '../model/revsync-error.ts';
import {
  DISCREPANCY_CLASSES,
  matchedCount,
  type BillingDocument,
  type Discrepancy,
  type MatchRecord,
  type ReconReport,
  type Tolerances,
} from '../recon/index.ts';
import type { NewReconItem, ReconRunRecord, ReconTrigger } from '../store/recon-run-repository.ts';
import type { Store } from '../store/store.ts';
import {
  reconcileSystems,
  type ReconciliationDeps,
  type ReconciliationOptions,
  type ReconciliationResult,
} from './reconciliation.ts';

/** What one reconciliation covers and who asked for it. */
export interface ReconRunRequest {
  /** `YYYY-MM` periods to reconcile; absent: every period that has documents. */
  periods?: string[];
  subsidiary?: string;
  trigger: ReconTrigger;
  actor: string;
  /** Overrides the runner's default sync start. */
  syncStart?: string;
  /** Called after each page read, for progress output. */
  onProgress?: ReconciliationOptions['onProgress'];
}

/** What a finished reconciliation answers: the stored runs, the reports, and the documents read. */
export interface ReconRunOutcome {
  runs: ReconRunRecord[];
  reports: ReconReport[];
  billingDocuments: ReadonlyMap<string, BillingDocument>;
}

/** How a reconciliation reads the systems (the real one, or a source generated in-process). */
export type Reconcile = (
  deps: ReconciliationDeps,
  options: ReconciliationOptions,
) => Promise<ReconciliationResult>;

export interface ReconRunnerOptions {
  store: Store;
  /** The systems read (the store is added for lineage and in-flight runs). */
  systems: Omit<ReconciliationDeps, 'store'>;
  clock: Clock;
  logger?: Logger;
  syncStart?: string;
  tolerance?: Tolerances;
  /** Default: {@link reconcileSystems}. */
  reconcile?: Reconcile;
}

/** Runs reconciliations, one at a time, and stores each period's report. */
export class ReconRunner {
  readonly #o: ReconRunnerOptions;
  #active: { runIds: string[]; done: Promise<unknown> } | undefined;

  constructor(options: ReconRunnerOptions) {
    this.#o = options;
  }

  /** The ids of the runs in progress in this process (empty when idle). */
  get running(): string[] {
    return this.#active?.runIds ?? [];
  }

  /** Reconciles and stores the result; resolves when it is stored. */
  async run(request: ReconRunRequest): Promise<ReconRunOutcome> {
    return (await this.begin(request)).done;
  }

  /**
   * Starts a reconciliation and answers as soon as its runs are recorded as `running` (when the
   * periods are known); `done` settles when it finished and is stored.
   * @throws ConflictError when a reconciliation is already running in this process.
   */
  async begin(
    request: ReconRunRequest,
  ): Promise<{ runs: ReconRunRecord[]; done: Promise<ReconRunOutcome> }> {
    if (this.#active) {
      throw new ConflictError('a reconciliation is already running', {
        details: this.#active.runIds.map((id) => ({ path: 'run', message: id })),
      });
    }
    const active: { runIds: string[]; done: Promise<unknown> } = {
      runIds: [],
      done: Promise.resolve(),
    };
    this.#active = active;
    try {
      const { store } = this.#o;
      const batchId = newId('rcb');
      const startedAt = this.#o.clock.now();
      const started: ReconRunRecord[] = [];
      for (const period of request.periods ?? []) {
        const id = newId('rcn');
        await store.reconRuns.start(store.db, {
          id,
          batchId,
          period,
          subsidiary: request.subsidiary ?? null,
          currency: null,
          trigger: request.trigger,
          actor: request.actor,
          startedAt,
        });
        active.runIds.push(id);
        started.push((await store.reconRuns.get(store.db, id))!);
      }
      const done = this.#execute(request, batchId, startedAt, started).finally(() => {
        if (this.#active === active) this.#active = undefined;
      });
      active.done = done.catch(() => undefined);
      return { runs: started, done };
    } catch (caught) {
      if (this.#active === active) this.#active = undefined;
      throw caught;
    }
  }

  /** Waits for the reconciliation in progress, if any (shutdown). */
  async idle(): Promise<void> {
    await this.#active?.done;
  }

  async #execute(
    request: ReconRunRequest,
    batchId: string,
    startedAt: number,
    started: ReconRunRecord[],
  ): Promise<ReconRunOutcome> {
    const { store } = this.#o;
    const reconcile = this.#o.reconcile ?? reconcileSystems;
    const deps: ReconciliationDeps = { ...this.#o.systems, store };
    const syncStart = request.syncStart ?? this.#o.syncStart;
    const base: ReconciliationOptions = {
      ...(request.subsidiary !== undefined && { subsidiary: request.subsidiary }),
      ...(syncStart !== undefined && { syncStart }),
      ...(this.#o.tolerance !== undefined && { tolerance: this.#o.tolerance }),
      ...(request.onProgress !== undefined && { onProgress: request.onProgress }),
    };
    const reports: ReconReport[] = [];
    const matches = new Map<string, MatchRecord[]>();
    const onMatch = (period: string, match: MatchRecord) => {
      const list = matches.get(period) ?? [];
      list.push(match);
      matches.set(period, list);
    };
    const billingDocuments = new Map<string, BillingDocument>();
    const runs: ReconRunRecord[] = [];
    /** Runs recorded as running by this call (every period with documents). */
    const inserted: string[] = [];
    try {
      if (started.length > 0) {
        // Known periods: each is read (with its neighbours) and stored as it finishes.
        for (const run of started) {
          const result = await reconcile(deps, { ...base, period: run.period, onMatch });
          for (const [id, doc] of result.billingDocuments) billingDocuments.set(id, doc);
          const report = result.reports.find((r) => r.period === run.period) ?? emptyReport(run);
          reports.push(report);
          runs.push(await this.#finish(run.id, report, matches.get(run.period) ?? []));
          matches.delete(run.period);
        }
      } else {
        // Every period with documents: known only once everything is read.
        const result = await reconcile(deps, { ...base, onMatch });
        for (const [id, doc] of result.billingDocuments) billingDocuments.set(id, doc);
        for (const report of result.reports) {
          const id = newId('rcn');
          await store.reconRuns.start(store.db, {
            id,
            batchId,
            period: report.period,
            subsidiary: request.subsidiary ?? null,
            currency: null,
            trigger: request.trigger,
            actor: request.actor,
            startedAt,
          });
          inserted.push(id);
          reports.push(report);
          runs.push(await this.#finish(id, report, matches.get(report.period) ?? []));
        }
      }
    } catch (caught) {
      // What did not finish is stored as failed (a finished run is left as it is).
      const error = coerceError(caught);
      for (const id of [...started.map((r) => r.id), ...inserted]) {
        await store.reconRuns
          .fail(store.db, id, this.#o.clock.now(), { code: error.code, message: error.message })
          .catch(() => false);
      }
      this.#o.logger?.error(
        { err: caught, batch: batchId, runs: started.map((r) => r.id) },
        'reconciliation failed',
      );
      throw caught;
    } finally {
      matches.clear();
    }
    this.#o.logger?.info(
      {
        batch: batchId,
        trigger: request.trigger,
        periods: runs.map((r) => `${r.period}:${r.discrepancyCount}`),
      },
      'reconciliation stored',
    );
    return { runs, reports, billingDocuments };
  }

  async #finish(id: string, report: ReconReport, matches: MatchRecord[]): Promise<ReconRunRecord> {
    const { store } = this.#o;
    await store.transaction(async (tx) => {
      await store.reconRuns.finish(
        tx,
        id,
        {
          status: report.discrepancies.length > 0 ? 'discrepancies' : 'clean',
          finishedAt: this.#o.clock.now(),
          discrepancyCount: report.discrepancies.length,
          inFlightCount: report.inFlight.length,
          matchedCount: matchedCount(report),
          summary: report.summary,
          matches: report.matches,
          outOfScope: report.outOfScope,
          payouts: report.payouts ?? null,
        },
        itemsOf(report, matches),
      );
    });
    return (await store.reconRuns.get(store.db, id))!;
  }
}

/** A report's findings as stored items: discrepancies, then in flight, then matches. */
export function* itemsOf(
  report: ReconReport,
  matches: readonly MatchRecord[],
): Generator<NewReconItem> {
  for (const d of report.discrepancies) yield discrepancyItem('discrepancy', d);
  for (const d of report.inFlight) yield discrepancyItem('in_flight', d);
  for (const m of matches) {
    yield {
      kind: 'match',
      class: null,
      billingId: m.billingId,
      erpId: m.erpId,
      crmId: null,
      subsidiary: null,
      currency: null,
      billingAmount: null,
      erpAmount: null,
      correlationId: null,
      runIds: [],
      rule: m.rule,
      tolerance: { amount: m.tolerance.amount, tax: m.tolerance.tax },
      message: null,
      detail: null,
    };
  }
}

function discrepancyItem(kind: 'discrepancy' | 'in_flight', d: Discrepancy): NewReconItem {
  return {
    kind,
    class: d.class,
    billingId: d.billingId,
    erpId: d.erpId,
    crmId: d.crmId,
    subsidiary: d.subsidiary,
    currency: d.currency,
    billingAmount: d.billingAmount,
    erpAmount: d.erpAmount,
    correlationId: d.correlationId ?? null,
    runIds: d.runIds ?? [],
    rule: d.match?.rule ?? null,
    tolerance: d.match ? { amount: d.match.tolerance } : null,
    message: d.message,
    detail: d.payout ? { payout: d.payout } : null,
  };
}

/** The report of a period in which neither system had a document. */
function emptyReport(run: ReconRunRecord): ReconReport {
  return {
    period: run.period,
    discrepancies: [],
    inFlight: [],
    matches: { external_id: 0, cross_reference: 0, fallback: 0 },
    summary: Object.fromEntries(DISCREPANCY_CLASSES.map((k) => [k, 0])) as ReconReport['summary'],
    outOfScope: { before_sync_start: 0 },
  };
}

/** The last `count` accounting periods at `now` (UTC), oldest first, the current month last. */
export function lastPeriods(now: number, count: number): string[] {
  const at = new Date(now);
  const out: string[] = [];
  for (let back = count - 1; back >= 0; back--) {
    const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - back, 1));
    out.push(d.toISOString().slice(0, 7));
  }
  return out;
}
