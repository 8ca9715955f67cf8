import { z } from 'zod';
import { ConflictError, NotFoundError, UnavailableError } from '../../model/revsync-error.ts';
import type { ReconItemRecord, ReconRunRecord } from '../../store/recon-run-repository.ts';
import type { Store } from '../../store/store.ts';
import { defineRoute } from '../route-spec.ts';
import { IdParams, iso, Limit } from '../schemas/common.ts';
import { Period } from '../schemas/close.ts';
import type { ReconDiscrepancyView } from '../schemas/recon.ts';
import { ReconRunDetail, ReconRunInput, ReconRunStatus, ReconRunView } from '../schemas/recon.ts';

/** The CSV export's columns, in order. */
export const CSV_COLUMNS = [
  'period',
  'class',
  'billing_id',
  'erp_id',
  'crm_id',
  'subsidiary',
  'currency',
  'billing_amount_minor',
  'erp_amount_minor',
  'difference_minor',
  'match_rule',
  'tolerance_minor',
  'correlation_id',
  'run_ids',
  'recon_run_id',
  'message',
] as const;

const ListQuery = z.object({
  period: Period.optional(),
  status: ReconRunStatus.optional(),
  trigger: z.enum(['cli', 'schedule', 'api']).optional(),
  limit: Limit(500).meta({ description: 'Page size (default 50, at most 500).' }),
  before: z.int().min(1).optional().meta({
    description: 'Runs started before this instant (ms): pass the previous page’s `nextBefore`.',
  }),
});

/** Stored reconciliation runs: start one, list them, read one, export its discrepancies. */
export const reconRoutes = [
  defineRoute({
    method: 'POST',
    url: '/v1/recon/runs',
    access: 'operator',
    operationId: 'startReconRun',
    tag: 'recon',
    summary: 'Reconcile an accounting period now (billing against the ERP); answers at once',
    description:
      'Starts a reconciliation of the period through the connectors and answers 202 with the stored run, `running`; poll `GET /v1/recon/runs/{id}` until it is `clean`, `discrepancies` or `failed`. Reads only unless `repair` is true: then, once stored, each discrepancy with a safe fix starts an engine run (or, at or above the approval threshold, a change request) and the others are queued for a person; each is audited on target `discrepancy` with the run id. 409 while another reconciliation runs on this server.',
    body: ReconRunInput,
    status: 202,
    errors: [409, 503],
    response: ReconRunView,
    async handler({ api, body, actor }) {
      if (!api.recon) throw new UnavailableError('reconciliation is not configured on this server');
      const runs = await api.recon.start({
        period: body.period,
        ...(body.subsidiary !== undefined && { subsidiary: body.subsidiary }),
        ...(body.repair === true && { repair: true }),
        actor,
      });
      const run = runs[0];
      if (!run) throw new ConflictError('the reconciliation did not start');
      await api.store.audit.record(api.store.db, {
        at: api.clock.now(),
        actor,
        action: 'recon.run',
        targetType: 'recon_run',
        targetId: run.id,
        details: {
          period: body.period,
          subsidiary: body.subsidiary ?? null,
          repair: body.repair === true,
        },
      });
      return toRunView(run);
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/recon/runs',
    access: 'viewer',
    operationId: 'listReconRuns',
    tag: 'recon',
    summary: 'Stored reconciliation runs, newest first',
    query: ListQuery,
    response: z.object({
      runs: z.array(ReconRunView),
      nextBefore: z.number().int().nullable(),
      latestPerPeriod: z
        .array(ReconRunView)
        .meta({ description: 'The newest finished run of each period (up to 24 periods)' }),
    }),
    async handler({ api, query }) {
      const limit = query.limit ?? 50;
      const { db, reconRuns } = api.store;
      const [runs, latest] = await Promise.all([
        reconRuns.list(db, {
          ...(query.period !== undefined && { period: query.period }),
          ...(query.status !== undefined && { status: query.status }),
          ...(query.trigger !== undefined && { trigger: query.trigger }),
          ...(query.before !== undefined && { startedBefore: query.before }),
          limit,
        }),
        reconRuns.latestPerPeriod(db, 24),
      ]);
      return {
        runs: runs.map(toRunView),
        nextBefore: runs.length === limit ? runs[runs.length - 1]!.startedAt : null,
        latestPerPeriod: latest.map(toRunView),
      };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/recon/runs/:id',
    access: 'viewer',
    operationId: 'getReconRun',
    tag: 'recon',
    summary: 'A stored reconciliation run with its discrepancies and what was still in flight',
    params: IdParams,
    errors: [404],
    response: ReconRunDetail,
    async handler({ api, params }) {
      const run = await runOf(api.store, params.id);
      const items = await api.store.reconRuns.items(api.store.db, run.id, {
        kind: ['discrepancy', 'in_flight'],
        limit: 100_000,
      });
      return {
        run: toRunView(run),
        discrepancies: items.filter((i) => i.kind === 'discrepancy').map(toDiscrepancyView),
        inFlight: items.filter((i) => i.kind === 'in_flight').map(toDiscrepancyView),
      };
    },
  }),
  defineRoute({
    method: 'GET',
    url: '/v1/recon/runs/:id/discrepancies.csv',
    access: 'viewer',
    operationId: 'exportReconDiscrepancies',
    tag: 'recon',
    summary: 'The discrepancies of a stored run as CSV, for auditors',
    description: `One header row, then one row per discrepancy: ${CSV_COLUMNS.join(', ')}. Amounts are integers in minor units of the currency column; run ids are separated by spaces. Fields are quoted as RFC 4180 says.`,
    params: IdParams,
    errors: [404],
    produces: 'text/csv',
    async handler({ api, params, reply }) {
      const run = await runOf(api.store, params.id);
      const items = await api.store.reconRuns.items(api.store.db, run.id, {
        kind: 'discrepancy',
        limit: 1_000_000,
      });
      reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="recon-${run.period}-${run.id}-discrepancies.csv"`,
        )
        .send(discrepanciesCsv(run, items));
      return undefined;
    },
  }),
];

async function runOf(store: Store, id: string): Promise<ReconRunRecord> {
  const run = await store.reconRuns.get(store.db, id);
  if (!run) throw new NotFoundError(`no reconciliation run ${id}`);
  return run;
}

export function toRunView(run: ReconRunRecord): ReconRunView {
  return {
    id: run.id,
    batchId: run.batchId,
    period: run.period,
    subsidiary: run.subsidiary,
    currency: run.currency,
    trigger: run.trigger,
    actor: run.actor,
    status: run.status,
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    discrepancyCount: run.discrepancyCount,
    inFlightCount: run.inFlightCount,
    matchedCount: run.matchedCount,
    summary: run.summary,
    matches: run.matches,
    outOfScope: run.outOfScope,
    payouts: run.payouts,
    error: run.error,
  };
}

function toDiscrepancyView(item: ReconItemRecord): ReconDiscrepancyView {
  return {
    class: item.class ?? '',
    billingId: item.billingId,
    erpId: item.erpId,
    crmId: item.crmId,
    subsidiary: item.subsidiary,
    currency: item.currency,
    billingAmount: item.billingAmount,
    erpAmount: item.erpAmount,
    correlationId: item.correlationId,
    runIds: item.runIds,
    match: item.rule !== null ? { rule: item.rule, tolerance: item.tolerance?.amount ?? 0 } : null,
    message: item.message,
    detail: item.detail,
  };
}

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF, quotes doubled. A
 * field a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) is prefixed
 * with `'` (OWASP CSV injection), except a plain negative number.
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value !== 'number' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The CSV of a run's discrepancies: a header row, then one row per discrepancy (CRLF lines). */
export function discrepanciesCsv(run: ReconRunRecord, items: readonly ReconItemRecord[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const d of items) {
    const difference =
      d.billingAmount !== null && d.erpAmount !== null ? d.erpAmount - d.billingAmount : null;
    lines.push(
      [
        run.period,
        d.class,
        d.billingId,
        d.erpId,
        d.crmId,
        d.subsidiary,
        d.currency,
        d.billingAmount,
        d.erpAmount,
        difference,
        d.rule,
        d.tolerance?.amount ?? null,
        d.correlationId,
        d.runIds.join(' '),
        run.id,
        d.message,
      ]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
