import { hostname, userInfo } from 'node:os';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { ExceptionQueue } from '../../engine/exception-queue.ts';
import type { ApiKeys } from '../../governance/api-keys.ts';
import type { Approvals } from '../../governance/approvals.ts';
import type { ChangeRequestRecord } from '../../store/change-request-repository.ts';
import { RUN_STATUSES, type RunStatus } from '../../model/states.ts';
import type { Store } from '../../store/store.ts';
import { EXIT, fail, print, table } from '../output.ts';
import { ProgressBar } from '../progress-bar.ts';
import { storeOption, type StoreOptions } from '../store-option.ts';

interface Common extends StoreOptions {
  json?: boolean;
  actor?: string;
  key?: string;
  config?: string;
}

/**
 * `--key` and `--config` of the commands that may need approval: the key proves who asks (a
 * change request needs that; `--actor` alone is refused for a protected action), the config
 * gives the approval policy (default: docs/approvals.md's).
 */
function approvalOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--key <key>',
        'your API key (operator role or above): acts, and requests approval, in the key’s name (env REVSYNC_API_KEY)',
      ).env('REVSYNC_API_KEY'),
    )
    .option(
      '--config <file>',
      'revsync config whose `approvals` policy applies (default policy without)',
    );
}

const DEFAULT_ACTOR = `${safeUser()}@${hostname()} (cli)`;

/**
 * Operating commands on the store: `runs`, `exceptions list|show|retry|skip`, `replay`. They
 * work on the same database as the engine (SQLite file or PostgreSQL); every action is audited
 * with `--actor`.
 */
export function registerOperateCommands(program: Command): void {
  storeOption(program.command('runs'))
    .description('list flow runs, newest first')
    .option('--status <status>', `filter: ${RUN_STATUSES.join(', ')}`, runStatus)
    .option('--flow <name>', 'filter by flow')
    .option('--entity <key>', 'filter by entity key (customer)')
    .option('--correlation <id>', 'filter by correlation id')
    .option('--limit <n>', 'how many', positive, 50)
    .option('--json', 'print as JSON')
    .action(
      (
        options: Common & {
          status?: RunStatus;
          flow?: string;
          entity?: string;
          correlation?: string;
          limit: number;
        },
      ) =>
        withStore(options, async (store, _queue) => {
          const runs = await store.runs.list(store.db, {
            limit: options.limit,
            ...(options.status && { status: options.status }),
            ...(options.flow && { flow: options.flow }),
            ...(options.entity && { entityKey: options.entity }),
            ...(options.correlation && { correlationId: options.correlation }),
          });
          print(runs, options, (rows) =>
            table(
              rows.map((r) => ({
                id: r.id,
                flow: r.flow,
                status: r.status,
                entity: r.entityKey,
                step: r.currentStep,
                created: new Date(r.createdAt).toISOString(),
                error: r.error?.message,
              })),
              ['id', 'flow', 'status', 'entity', 'step', 'created', 'error'],
            ),
          );
        }),
    );

  const exceptions = program
    .command('exceptions')
    .description('the exception queue: list, show, retry, skip');
  storeOption(exceptions.command('list'))
    .description('open exceptions, newest first')
    .option('--flow <name>', 'filter by flow')
    .option('--all', 'include closed ones')
    .option('--limit <n>', 'how many', positive, 50)
    .option('--json', 'print as JSON')
    .action((options: Common & { flow?: string; all?: boolean; limit: number }) =>
      withStore(options, async (store, queue) => {
        const list = await queue.list({
          limit: options.limit,
          ...(options.all ? {} : { status: 'open' as const }),
          ...(options.flow && { flow: options.flow }),
        });
        print(list, options, (rows) =>
          table(
            rows.map((e) => ({
              id: e.id,
              status: e.status,
              flow: e.flow,
              step: e.stepName,
              code: e.errorCode,
              attempts: e.attempts,
              entity: e.entityKey,
              message: e.message,
            })),
            ['id', 'status', 'flow', 'step', 'code', 'attempts', 'entity', 'message'],
          ),
        );
      }),
    );
  storeOption(exceptions.command('show').argument('<id>', 'exception id'))
    .description('one exception with its last input')
    .option('--json', 'print as JSON')
    .action((id: string, options: Common) =>
      withStore(options, async (store, queue) => {
        const e = await queue.get(id);
        print(e, options, (x) => JSON.stringify(x, null, 2));
      }),
    );
  storeOption(exceptions.command('retry').argument('<ids...>', 'exception ids'))
    .description('send parked runs (or failed events) back unchanged')
    .option('--actor <name>', 'who you are, for the audit log', DEFAULT_ACTOR)
    .option('--json', 'print as JSON')
    .action((ids: string[], options: Common) =>
      withStore(options, async (store, queue) => {
        const results = await queue.retryMany(ids, {
          actor: options.actor ?? DEFAULT_ACTOR,
        });
        print(results, options, (rows) =>
          rows
            .map((r) => `${r.ok ? 'retried' : 'FAILED '} ${r.id}${r.error ? `: ${r.error}` : ''}`)
            .join('\n'),
        );
        if (results.some((r) => !r.ok)) process.exitCode = EXIT.failed;
      }),
    );
  approvalOptions(storeOption(exceptions.command('skip').argument('<id>', 'exception id')))
    .description('give up on a parked run (later runs of its customer proceed)')
    .requiredOption('--reason <text>', 'why (recorded in the audit log)')
    .option('--actor <name>', 'who you are, for the audit log', DEFAULT_ACTOR)
    .option('--json', 'print as JSON')
    .action((id: string, options: Common & { reason: string }) =>
      withStore(options, async (store, queue, approvals) => {
        const request = await approvals.guardSkip(id, {
          actor: options.actor ?? DEFAULT_ACTOR,
          reason: options.reason,
        });
        if (request) {
          print(request, options, waiting);
          return;
        }
        const e = await queue.skip(id, {
          actor: options.actor ?? DEFAULT_ACTOR,
          reason: options.reason,
        });
        print(e, options, (x) => `skipped ${x.id}`);
      }),
    );

  approvalOptions(storeOption(program.command('replay')))
    .description(
      'run a finished run again (--run) or every finished run of a customer (--entity), in order',
    )
    .option('--run <id>', 'one run')
    .option('--entity <key>', 'every finished run of this entity key')
    .option('--flow <name>', 'with --entity: only this flow')
    .option('--wait', 'wait (with a progress bar) until a running engine has executed the replays')
    .option('--actor <name>', 'who you are, for the audit log', DEFAULT_ACTOR)
    .option('--json', 'print as JSON')
    .action((options: Common & { run?: string; entity?: string; flow?: string; wait?: boolean }) =>
      withStore(options, async (store, queue, approvals) => {
        if (Boolean(options.run) === Boolean(options.entity)) {
          fail(new Error('give exactly one of --run <id> or --entity <key>'), options, EXIT.usage);
          return;
        }
        const actor = { actor: options.actor ?? DEFAULT_ACTOR };
        const request = options.run
          ? await approvals.guardReplayRun(options.run, actor)
          : await approvals.guardReplayEntity(options.entity!, {
              ...actor,
              ...(options.flow && { flow: options.flow }),
            });
        if (request) {
          print(request, options, waiting);
          return;
        }
        const replays = options.run
          ? [await queue.replayRun(options.run, actor)]
          : await queue.replayEntity(options.entity!, {
              ...actor,
              ...(options.flow && { flow: options.flow }),
            });
        if (options.wait && replays.length > 0) {
          const bar = new ProgressBar('replaying', replays.length);
          for (;;) {
            let finished = 0;
            for (const r of replays) {
              const now = await store.runs.getById(store.db, r.id);
              if (now && ['completed', 'skipped', 'cancelled', 'parked'].includes(now.status))
                finished += 1;
            }
            bar.update(finished);
            if (finished === replays.length) break;
            await new Promise((res) => setTimeout(res, 500));
          }
          bar.done();
        }
        print(
          replays.map((r) => ({ id: r.id, flow: r.flow, replayOf: r.replayOf })),
          options,
          (rows) =>
            rows.length === 0
              ? 'nothing to replay'
              : rows.map((r) => `replay ${r.id} of ${r.replayOf} (${r.flow})`).join('\n'),
        );
      }),
    );
}

/** How a protected action that now waits for approval is reported. */
function waiting(r: ChangeRequestRecord): string {
  return `${r.action} on ${r.targetType} ${r.targetId} needs approval: change request ${r.id} waits for an approver other than ${r.requestedBy} (revsync approvals show ${r.id})`;
}

async function withStore(
  options: StoreOptions & { json?: boolean; actor?: string; key?: string; config?: string },
  work: (store: Store, queue: ExceptionQueue, approvals: Approvals, keys: ApiKeys) => Promise<void>,
): Promise<void> {
  try {
    const [{ openStore }, { operatorApprovals }] = await Promise.all([
      import('../../store/open-store.ts'),
      import('../operator-approvals.ts'),
    ]);
    let policy;
    if (options.config !== undefined) {
      const { loadConfig } = await import('../../config/load-config.ts');
      policy = (await loadConfig(options.config)).approvals;
    }
    const store = await openStore({ url: options.store });
    try {
      const { queue, approvals, keys, actor } = await operatorApprovals(store, {
        actor: options.actor ?? DEFAULT_ACTOR,
        ...(options.key !== undefined && { key: options.key }),
        ...(policy !== undefined && { policy }),
      });
      options.actor = actor;
      await work(store, queue, approvals, keys);
    } finally {
      await store.close();
    }
  } catch (caught) {
    fail(caught, options);
  }
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

function runStatus(value: string): RunStatus {
  if (!(RUN_STATUSES as string[]).includes(value))
    throw new InvalidArgumentError(`must be one of ${RUN_STATUSES.join(', ')}`);
  return value as RunStatus;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** Runs `work` with the approvals service and the API keys on the store of `--store`. */
export function withApprovals(
  options: StoreOptions & { json?: boolean },
  work: (approvals: Approvals, keys: ApiKeys) => Promise<void>,
): Promise<void> {
  return withStore(options, (_store, _queue, approvals, keys) => work(approvals, keys));
}
