import { Option, type Command } from 'commander';
import { ValidationError } from '../../model/revsync-error.ts';
import { isPeriod } from '../../recon/documents.ts';
import { matchedCount, type ReconReport } from '../../recon/index.ts';
import type { RepairOutcome } from '../../app/recon-repair.ts';
import { fail, print, table } from '../output.ts';

/** Exit codes of `revsync recon run`: the issue's contract, shared with CI scripts. */
const RECON_EXIT = { clean: 0, error: 1, discrepancies: 2 } as const;

interface ReconRunOptions {
  config?: string;
  period?: string;
  subsidiary?: string;
  syncStart?: string;
  repair?: boolean;
  key?: string;
  json?: boolean;
}

/** The JSON of one period (the shape the API and the docs name), with its stored run's id. */
export function reconJson(report: ReconReport, runId?: string) {
  return {
    ...(runId !== undefined && { runId }),
    period: report.period,
    discrepancies: report.discrepancies,
    inFlight: report.inFlight,
    summary: report.summary,
    matches: report.matches,
    outOfScope: report.outOfScope,
  };
}

function formatReports(reports: ReconReport[]): string {
  if (reports.length === 0) return 'no documents in either system for the period';
  const lines: string[] = [];
  for (const r of reports) {
    const matched = matchedCount(r);
    lines.push(
      `${r.period}: ${r.discrepancies.length === 0 ? 'clean' : `${r.discrepancies.length} discrepancies`}` +
        ` (${matched} matched, ${r.inFlight.length} in flight, ${r.outOfScope.before_sync_start} before sync start)`,
    );
    if (r.discrepancies.length > 0) {
      lines.push(
        table(
          r.discrepancies.map((d) => ({ ...d, runIds: d.runIds?.join(' ') })),
          [
            'class',
            'billingId',
            'erpId',
            'subsidiary',
            'currency',
            'billingAmount',
            'erpAmount',
            'runIds',
          ],
        ),
      );
    }
  }
  return lines.join('\n');
}

/** `revsync recon run`: billing against the ERP, per period, through the configured connectors. */
export function registerReconCommand(program: Command): void {
  const recon = program
    .command('recon')
    .description('reconcile the billing system against the ERP (read only unless --repair)');
  recon
    .command('run')
    .description(
      'read every billing and ERP document of the period(s) through the connectors and report each difference by class; exit 0 clean, 2 discrepancies, 1 error',
    )
    .option('-c, --config <file>', 'revsync.config.ts (the connections and the store); required')
    .option('--period <YYYY-MM>', 'one accounting period (default: every period with documents)')
    .option('--subsidiary <id>', 'report only this ERP subsidiary')
    .option('--sync-start <date>', 'documents dated before it are out of scope (ISO date)')
    .option(
      '--repair',
      'after reading: start engine runs for the safe fixes (post, apply, credit, CRM status) and queue the rest for a person; the exit code still reports what was found',
    )
    .addOption(
      new Option(
        '--key <key>',
        'with --repair: your API key (operator role or above); repairs at or above the approval threshold (config `approvals.actions["recon.repair"].minAmount`, default 1,000.00) become change requests in the key’s name, which another person approves (env REVSYNC_API_KEY)',
      ).env('REVSYNC_API_KEY'),
    )
    .option('--json', 'print the reports as JSON')
    .action(async (options: ReconRunOptions) => {
      try {
        // Checked here, not by commander, so that a bad argument exits 1 (error), never 2.
        if (options.config === undefined) throw new ValidationError('--config <file> is required');
        if (options.period !== undefined && !isPeriod(options.period))
          throw new ValidationError(`--period must be YYYY-MM, got ${options.period}`);
        const { reports, runIds, repairs } = await reconcileFromConfig({
          ...options,
          config: options.config,
        });
        if (options.json)
          print(
            repairs
              ? { reports: reports.map((r, i) => reconJson(r, runIds[i])), repairs }
              : reports.map((r, i) => reconJson(r, runIds[i])),
            options,
            (v) => String(v),
          );
        else
          print({ reports, repairs }, options, ((v: {
            reports: ReconReport[];
            repairs?: RepairOutcome[];
          }) =>
            [formatReports(v.reports), ...(v.repairs ? [formatRepairs(v.repairs)] : [])].join(
              '\n',
            )) as (v: unknown) => string);
        process.exitCode = reports.some((r) => r.discrepancies.length > 0)
          ? RECON_EXIT.discrepancies
          : RECON_EXIT.clean;
      } catch (caught) {
        fail(caught, options, RECON_EXIT.error);
      }
    });
}

function formatRepairs(repairs: RepairOutcome[]): string {
  if (repairs.length === 0) return 'repair: nothing to repair';
  return `repair:\n${table(repairs as unknown as Record<string, unknown>[], ['outcome', 'class', 'billingId', 'erpId', 'action', 'changeRequest', 'error'])}`;
}

async function reconcileFromConfig(
  options: ReconRunOptions & { config: string },
): Promise<{ reports: ReconReport[]; runIds: string[]; repairs?: RepairOutcome[] }> {
  const [
    { loadConfig },
    { buildConnectors },
    { ReconRunner },
    { createLogger },
    { OutboundGateway },
    { openStore },
    { repairDiscrepancies },
    { Inbox },
    { systemClock },
    { operatorApprovals },
  ] = await Promise.all([
    import('../../config/load-config.ts'),
    import('../../app/build-connectors.ts'),
    import('../../app/recon-runs.ts'),
    import('../../engine/logger.ts'),
    import('../../gateway/outbound-gateway.ts'),
    import('../../store/open-store.ts'),
    import('../../app/recon-repair.ts'),
    import('../../store/inbox.ts'),
    import('../../engine/clock.ts'),
    import('../operator-approvals.ts'),
  ]);
  const config = await loadConfig(options.config);
  const logger = createLogger({ level: 'warn' });
  const store = await openStore({ url: config.store?.url ?? 'sqlite:.revsync/revsync.db' });
  const connectors = await buildConnectors(config, new OutboundGateway(), logger);
  const progress = process.stderr.isTTY && !options.json;
  try {
    // Every report is stored as a recon run (trigger `cli`), like scheduled and API runs.
    const runner = new ReconRunner({
      store,
      systems: {
        billing: connectors.billing.port,
        erp: connectors.erp.port,
        crm: connectors.crm.port,
      },
      clock: systemClock,
      ...(config.recon?.syncStart !== undefined && { syncStart: config.recon.syncStart }),
      ...(config.recon?.tolerance !== undefined && { tolerance: config.recon.tolerance }),
    });
    const result = await runner.run({
      trigger: 'cli',
      actor: `cli:${process.env.USER ?? 'operator'}`,
      ...(options.period !== undefined && { periods: [options.period] }),
      ...(options.subsidiary !== undefined && { subsidiary: options.subsidiary }),
      ...(options.syncStart !== undefined && { syncStart: options.syncStart }),
      ...(progress && {
        onProgress: (p) =>
          process.stderr.write(`\rreading ${p.role} ${p.kind}: ${p.documents}\x1b[K`),
      }),
    });
    const runIds = result.runs.map((r) => r.id);
    if (!options.repair) return { reports: result.reports, runIds };
    // Without a key the requester is only claimed: a repair that needs approval then fails
    // with a message saying so, and the smaller ones start.
    const { approvals, actor } = await operatorApprovals(store, {
      actor: `cli:${process.env.USER ?? 'operator'}`,
      ...(options.key !== undefined && { key: options.key }),
      ...(config.approvals !== undefined && { policy: config.approvals }),
    });
    const repairs = await repairDiscrepancies(
      {
        store,
        inbox: new Inbox(store),
        billing: connectors.billing.port,
        clock: systemClock,
        approvals,
      },
      result.reports.flatMap((r) => r.discrepancies),
      result.billingDocuments,
      { actor },
    );
    return { reports: result.reports, runIds, repairs };
  } finally {
    if (progress) process.stderr.write('\r\x1b[K');
    for (const c of Object.values(connectors)) await c.close?.();
    await store.close();
  }
}
