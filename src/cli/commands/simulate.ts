import { InvalidArgumentError, type Command } from 'commander';
import type { FaultLevel, SimulationResult } from '../../sim/simulate.ts';
import { EXIT, fail, print } from '../output.ts';
import { ProgressBar } from '../progress-bar.ts';
import { addStackOptions, stackChoice } from '../stack-options.ts';

/**
 * `revsync simulate`: a whole simulated business through revsync against the emulators, then the
 * invariant report. Exit 0 when every invariant holds, 1 when one fails.
 */
export function registerSimulateCommand(program: Command): void {
  const command = program
    .command('simulate')
    .description(
      'drive simulated traffic (deals, upgrades, usage, renewals, failed payments, refunds, cancellations) through revsync, then check that the books balance',
    )
    .option('--seed <n>', 'seed of every random choice (same seed, same run)', integer, 1)
    .option('--customers <n>', 'number of customers', integer, 50)
    .option(
      '--faults <level>',
      'none | light | heavy (5xx, 429 bursts, an ERP outage, duplicate and out-of-order webhooks)',
      faultLevel,
      'none',
    )
    .option(
      '--currencies <list>',
      'currencies customers buy in, one region each: USD, GBP, EUR, JPY (default USD,GBP,EUR)',
    )
    .option('--store <url>', "revsync's store (default: a temporary SQLite file)")
    .option('--json', 'print the result as JSON');
  addStackOptions(command, { urls: true }).action(
    async (options: {
      seed: number;
      customers: number;
      faults: FaultLevel;
      store?: string;
      currencies?: string;
      [role: string]: unknown;
      json?: boolean;
    }) => {
      const started = Date.now();
      const bars: Record<string, ProgressBar> = {};
      try {
        const { simulate } = await import('../../sim/simulate.ts');
        const result = await simulate({
          seed: options.seed,
          customers: options.customers,
          faults: options.faults,
          ...stackChoice(options),
          ...(options.store !== undefined && { storeUrl: options.store }),
          ...(options.currencies !== undefined && {
            currencies: options.currencies
              .split(',')
              .map((c) => c.trim())
              .filter(Boolean),
          }),
          progress: (line, counts) => {
            if (counts) {
              bars[line] ??= new ProgressBar(line.padEnd(9), counts.total);
              bars[line].update(counts.done);
              if (counts.done === counts.total) bars[line].done();
              return;
            }
            process.stderr.write(
              `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}\n`,
            );
          },
        });
        print(result, options, formatReport);
        process.exitCode = result.passed ? EXIT.ok : EXIT.failed;
      } catch (caught) {
        fail(caught, options);
      }
    },
  );
}

/** The human-readable invariant report. */
export function formatReport(r: SimulationResult): string {
  const lines: string[] = [];
  lines.push(
    `revsync simulate — seed ${r.seed}, ${r.customers} customers, faults ${r.faults}, ${(r.durationMs / 1000).toFixed(1)} s`,
  );
  lines.push(`stack: crm ${r.stack.crm}, billing ${r.stack.billing}, erp ${r.stack.erp}`);
  lines.push('');
  lines.push('scenario');
  for (const [k, v] of Object.entries(r.tally)) lines.push(`  ${k.padEnd(20)} ${v}`);
  lines.push('');
  lines.push('runs by flow');
  for (const [flow, counts] of Object.entries(r.runs).sort()) {
    lines.push(
      `  ${flow.padEnd(20)} ${Object.entries(counts)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ')}`,
    );
  }
  lines.push('');
  lines.push('canonical events by type');
  for (const [type, n] of Object.entries(r.canonicalEvents).sort())
    lines.push(`  ${type.padEnd(30)} ${n}`);
  lines.push('');
  lines.push('connections');
  for (const c of r.connections) {
    lines.push(
      `  ${c.name.padEnd(20)} ${c.calls} calls, ${c.failures} failed, circuit opened ${c.circuitOpens}×`,
    );
  }
  if (r.openExceptions.length > 0) {
    lines.push('');
    lines.push('exception queue (open, with reasons)');
    for (const e of r.openExceptions)
      lines.push(`  ${String(e.count).padStart(4)} × ${e.flow} ${e.code}: ${e.message}`);
  }
  lines.push('');
  lines.push('invariants');
  for (const [k, v] of Object.entries(r.invariants.checked))
    lines.push(`  checked ${k.padEnd(14)} ${v}`);
  if (r.invariants.violations.length === 0) {
    lines.push('  all invariants hold');
  } else {
    lines.push(`  ${r.invariants.violations.length} VIOLATIONS`);
    for (const v of r.invariants.violations.slice(0, 50))
      lines.push(`  ✗ ${v.invariant} ${v.subject}: ${v.message}`);
    if (r.invariants.violations.length > 50)
      lines.push(`  … and ${r.invariants.violations.length - 50} more`);
  }
  const recon = r.reconciliation;
  const found = Object.entries(recon.summary);
  lines.push('');
  lines.push(
    `reconciliation (${recon.periods.length} periods${recon.periods.length > 0 ? `, ${recon.periods[0]} … ${recon.periods.at(-1)}` : ''})`,
  );
  if (recon.unsupported !== undefined) {
    lines.push(`  not run: ${recon.unsupported}`);
  } else {
    lines.push(`  matched ${recon.matched}, in flight ${recon.inFlight}`);
    lines.push(
      recon.subscriptionsCompared === undefined
        ? '  CRM not compared: the CRM or billing connector has no subscription reads'
        : `  ${recon.subscriptionsCompared} subscriptions' status and MRR compared with the CRM`,
    );
    if (recon.payouts.unsupported !== undefined) lines.push(`  ${recon.payouts.unsupported}`);
    else if (recon.payouts.checked > 0)
      lines.push(
        `  payouts: ${recon.payouts.matched} of ${recon.payouts.checked} tie to their ERP deposits`,
      );
    if (found.length === 0 && recon.inFlight === 0)
      lines.push('  clean: billing, the ERP and the CRM agree');
  }
  for (const [cls, n] of found) lines.push(`  ✗ ${String(n).padStart(4)} × ${cls}`);
  for (const d of recon.discrepancies.slice(0, 20)) lines.push(`    ${d.class}: ${d.message}`);
  lines.push('');
  lines.push('close readiness');
  for (const c of r.close) {
    const subs = c.subsidiaries
      .map((s) => `${s.subsidiary} ${s.ready ? 'READY' : `BLOCKED (${s.blockers.length})`}`)
      .join(', ');
    lines.push(
      `  ${c.period}: ${subs || 'no subsidiaries'}${c.expected > 0 ? ` — ${c.expected} expected: possible duplicate accounts the scenario creates, waiting for a person` : ''}`,
    );
    for (const s of c.subsidiaries)
      for (const b of s.blockers.slice(0, 10))
        lines.push(`    ${s.subsidiary} ${b.kind} ${b.id}: ${b.message}`);
  }
  lines.push('');
  lines.push(r.passed ? 'PASSED' : 'FAILED');
  return lines.join('\n');
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number');
  return n;
}

function faultLevel(value: string): FaultLevel {
  if (value !== 'none' && value !== 'light' && value !== 'heavy')
    throw new InvalidArgumentError('must be none, light or heavy');
  return value;
}
