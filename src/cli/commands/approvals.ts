import { Option, type Command } from 'commander';
import type { ChangeRequestDetail } from '../../governance/approvals.ts';
import { CHANGE_REQUEST_STATUSES, type ChangeRequestStatus } from '../../model/states.ts';
import { UnauthorizedError } from '../../model/revsync-error.ts';
import type { ChangeRequestRecord } from '../../store/change-request-repository.ts';
import { print, table } from '../output.ts';
import { storeOption, type StoreOptions } from '../store-option.ts';
import { withApprovals } from './operate.ts';

interface Common extends StoreOptions {
  json?: boolean;
  key?: string;
}

const keyOption = () =>
  new Option(
    '--key <key>',
    'your API key (approver or admin role): who approves is the key’s name (env REVSYNC_API_KEY)',
  ).env('REVSYNC_API_KEY');

/**
 * `revsync approvals list|show|approve|reject`: four-eyes approvals on the store. Deciding needs
 * an API key of the approver (or admin) role stored in that database, so the CLI knows who you
 * are; the requester of a change can never approve it.
 */
export function registerApprovalsCommand(program: Command): void {
  const approvals = program
    .command('approvals')
    .description('four-eyes approvals: change requests waiting for a second person');

  storeOption(approvals.command('list'))
    .description('change requests, newest first (default: pending ones)')
    .addOption(
      new Option('--status <status>', 'filter (or "all")').choices([
        ...CHANGE_REQUEST_STATUSES,
        'all',
      ]),
    )
    .option('--limit <n>', 'how many', (v) => Number(v), 50)
    .option('--json', 'print as JSON')
    .action((options: Common & { status?: ChangeRequestStatus | 'all'; limit: number }) =>
      withApprovals(options, async (a) => {
        const status = options.status ?? 'pending';
        const list = await a.list({
          limit: options.limit,
          ...(status !== 'all' && { status }),
        });
        print(list, options, (rows) =>
          table(
            rows.map((r) => ({
              id: r.id,
              status: r.status,
              action: r.action,
              target: `${r.targetType}:${r.targetId}`,
              amount: stake(r),
              requestedBy: r.requestedBy,
              requested: new Date(r.requestedAt).toISOString(),
              expires: new Date(r.expiresAt).toISOString(),
            })),
            ['id', 'status', 'action', 'target', 'amount', 'requestedBy', 'requested', 'expires'],
          ),
        );
      }),
    );

  storeOption(approvals.command('show').argument('<id>', 'change request id'))
    .description('one change request with its diff and approvals')
    .option('--json', 'print as JSON')
    .action((id: string, options: Common) =>
      withApprovals(options, async (a) => {
        print(await a.get(id), options, human);
      }),
    );

  storeOption(approvals.command('approve').argument('<id>', 'change request id'))
    .description('approve another person’s change request; with enough approvals it executes now')
    .addOption(keyOption())
    .option('--comment <text>', 'recorded with the approval')
    .option('--json', 'print as JSON')
    .action((id: string, options: Common & { comment?: string }) =>
      withApprovals(options, async (a, keys) => {
        const who = await keys.authenticate(requireKey(options));
        const done = await a.approve(
          id,
          { actor: who.name, role: who.role },
          { ...(options.comment !== undefined && { comment: options.comment }) },
        );
        print(done, options, (x) => `${x.id} approved by ${who.name}: ${x.status}`);
        if (done.status === 'failed') process.exitCode = 1;
      }),
    );

  storeOption(approvals.command('reject').argument('<id>', 'change request id'))
    .description('reject a pending change request; nothing executes')
    .addOption(keyOption())
    .requiredOption('--reason <text>', 'why (recorded in the audit log)')
    .option('--json', 'print as JSON')
    .action((id: string, options: Common & { reason: string }) =>
      withApprovals(options, async (a, keys) => {
        const who = await keys.authenticate(requireKey(options));
        const done = await a.reject(id, { actor: who.name, role: who.role }, options.reason);
        print(done, options, (x) => `${x.id} rejected by ${who.name}`);
      }),
    );
}

function requireKey(options: Common): string {
  if (!options.key) {
    throw new UnauthorizedError('give your API key with --key or REVSYNC_API_KEY');
  }
  return options.key;
}

function stake(r: ChangeRequestRecord): string {
  return r.amountMinor === null ? '' : `${r.amountMinor}${r.currency ? ` ${r.currency}` : ''}`;
}

function human(r: ChangeRequestDetail): string {
  const lines = [
    `${r.id}  ${r.status}  ${r.action} on ${r.targetType} ${r.targetId}`,
    `requested by ${r.requestedBy} at ${new Date(r.requestedAt).toISOString()}; expires ${new Date(r.expiresAt).toISOString()}`,
    `reason: ${r.reason ?? '(none)'}`,
    `amount at stake (minor units): ${stake(r) || 'unknown'}`,
    `approvals: ${r.approvals.length}/${r.approvalsRequired}${r.approvals.map((x) => ` ${x.approver}`).join(',')}`,
    'diff:',
    ...r.diff.map((d) => `  ${d.path}: ${JSON.stringify(d.before)} → ${JSON.stringify(d.after)}`),
  ];
  if (r.decidedBy)
    lines.push(`decided by ${r.decidedBy}${r.decisionReason ? `: ${r.decisionReason}` : ''}`);
  if (r.result) lines.push(`result: ${JSON.stringify(r.result)}`);
  return lines.join('\n');
}
