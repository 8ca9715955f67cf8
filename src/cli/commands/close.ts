import type { Command } from 'commander';
import type { CloseStatus } from '../../app/close-readiness.ts';
import { ValidationError } from '../../model/revsync-error.ts';
import { isPeriod } from '../../recon/documents.ts';
import { fail, print } from '../output.ts';

/** Exit codes of `revsync close status`: the issue's contract, shared with CI scripts. */
const CLOSE_EXIT = { ready: 0, error: 1, blocked: 2 } as const;

interface CloseStatusOptions {
  config?: string;
  period?: string;
  subsidiary?: string;
  syncStart?: string;
  json?: boolean;
}

function formatStatus(status: CloseStatus): string {
  const lines: string[] = [`close ${status.period}`];
  if (status.subsidiaries.length === 0) lines.push('  no subsidiary has documents in the period');
  for (const s of status.subsidiaries) {
    lines.push(
      `  subsidiary ${s.subsidiary}: ${s.ready ? 'READY' : `BLOCKED (${s.blockers.length})`}`,
    );
    for (const b of s.blockers) {
      const link = b.record ? ` → ${b.record.type} ${b.record.id}` : '';
      lines.push(`    ${b.kind.padEnd(26)} ${b.id}${link}`);
      lines.push(`      ${b.message}`);
    }
  }
  for (const note of status.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}

/** `revsync close status`: can the period close, per subsidiary, and what blocks it. */
export function registerCloseCommand(program: Command): void {
  const close = program.command('close').description('month-end close readiness (read only)');
  close
    .command('status')
    .description(
      'READY or BLOCKED per subsidiary for an accounting period, with each blocker (unposted documents, unapplied payments, open exceptions and sync conflicts, usage periods held back, revenue schedules that do not sum, discrepancies); exit 0 ready, 2 blocked, 1 error',
    )
    .option('-c, --config <file>', 'revsync.config.ts (the connections and the store); required')
    .option('--period <YYYY-MM>', 'the accounting period; required')
    .option('--subsidiary <id>', 'only this ERP subsidiary')
    .option('--sync-start <date>', 'documents dated before it are out of scope (ISO date)')
    .option('--json', 'print the status as JSON')
    .action(async (options: CloseStatusOptions) => {
      try {
        // Checked here, not by commander, so that a missing or bad argument exits 1 (error),
        // never 2 (which means BLOCKED).
        if (options.config === undefined) throw new ValidationError('--config <file> is required');
        if (options.period === undefined)
          throw new ValidationError('--period <YYYY-MM> is required');
        if (!isPeriod(options.period))
          throw new ValidationError(`--period must be YYYY-MM, got ${options.period}`);
        const { closeJson } = await import('../../app/close-readiness.ts');
        const status = await closeStatusFromConfig({
          ...options,
          config: options.config,
          period: options.period,
        });
        print(
          options.json ? closeJson(status) : status,
          options,
          formatStatus as (v: unknown) => string,
        );
        process.exitCode = status.subsidiaries.every((s) => s.ready)
          ? CLOSE_EXIT.ready
          : CLOSE_EXIT.blocked;
      } catch (caught) {
        fail(caught, options, CLOSE_EXIT.error);
      }
    });
}

async function closeStatusFromConfig(
  options: CloseStatusOptions & { config: string; period: string },
): Promise<CloseStatus> {
  const [
    { loadConfig },
    { buildConnectors },
    { closeReadiness },
    { createLogger },
    { OutboundGateway },
    { openStore },
    { UsageService },
    { Inbox },
    { systemClock },
  ] = await Promise.all([
    import('../../config/load-config.ts'),
    import('../../app/build-connectors.ts'),
    import('../../app/close-readiness.ts'),
    import('../../engine/logger.ts'),
    import('../../gateway/outbound-gateway.ts'),
    import('../../store/open-store.ts'),
    import('../../app/usage-service.ts'),
    import('../../store/inbox.ts'),
    import('../../engine/clock.ts'),
  ]);
  const config = await loadConfig(options.config);
  const logger = createLogger({ level: 'warn' });
  const store = await openStore({ url: config.store?.url ?? 'sqlite:.revsync/revsync.db' });
  const connectors = await buildConnectors(config, new OutboundGateway(), logger);
  // Progress goes to stderr only (stdout stays the report, JSON or not): redrawn on a terminal,
  // a line every few seconds otherwise.
  const tty = Boolean(process.stderr.isTTY);
  let last = 0;
  try {
    return await closeReadiness(
      {
        billing: connectors.billing.port,
        erp: connectors.erp.port,
        store,
        usage: new UsageService(
          store,
          new Inbox(store),
          systemClock,
          config.usage?.requiredSources ?? [],
        ),
        subsidiaries: Object.values(config.regions).map((r) => r.subsidiary),
      },
      {
        period: options.period,
        ...(options.subsidiary !== undefined && { subsidiary: options.subsidiary }),
        ...(options.syncStart !== undefined && { syncStart: options.syncStart }),
        onProgress: (p) => {
          const line = `reading ${p.role} ${p.kind}: ${p.documents}`;
          if (tty) process.stderr.write(`\r${line}\x1b[K`);
          else if (Date.now() - last >= 2_000) {
            last = Date.now();
            process.stderr.write(`${line}\n`);
          }
        },
      },
    );
  } finally {
    if (tty) process.stderr.write('\r\x1b[K');
    for (const c of Object.values(connectors)) await c.close?.();
    await store.close();
  }
}
