import { readFileSync, writeFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import type { Command } from 'commander';
import type { ResolvedAuditConfig } from '../../config/load-config.ts';
import type { AuditVerifyReport } from '../../governance/audit-verifier.ts';
import type { Store } from '../../store/store.ts';
import { coerceError } from '../../model/revsync-error.ts';
import { fail, print } from '../output.ts';
import { storeOption, type StoreOptions } from '../store-option.ts';

/** Exit codes of `revsync audit verify`. */
export const AUDIT_EXIT = { clean: 0, error: 1, tampered: 2 } as const;

interface AuditOptions extends StoreOptions {
  config?: string;
  json?: boolean;
}

/**
 * `revsync audit verify|export|checkpoint`: the tamper-evident audit trail from the command line
 * — recompute the hash chain and check the signed checkpoints, give auditors a period's entries
 * with their checkpoint, and write / export a checkpoint now.
 */
export function registerAuditCommand(program: Command): void {
  const audit = program
    .command('audit')
    .description('verify and export the hash-chained audit trail and its signed checkpoints');

  withConfig(storeOption(audit.command('verify')))
    .description(
      'recompute the audit hash chain, check every checkpoint signature, and name the first entry that was edited, deleted, inserted or reordered (exit 0 clean, 2 tampered, 1 error)',
    )
    .option(
      '--from-checkpoint <file>',
      'a checkpoint file or an audit export kept outside the database; proves the entries it covers were not rewritten together with their hashes',
    )
    .option(
      '--public-key <file>',
      'trust only checkpoints signed by this Ed25519 public key (PEM); default: the key of --config, else each checkpoint’s own key (reported as not pinned)',
    )
    .option('--json', 'print the report as JSON')
    .action(
      async (
        options: AuditOptions & { fromCheckpoint?: string; publicKey?: string },
        command: Command,
      ) => {
        try {
          const [{ parseOutsideEvidence }, { parseAuditPublicKey }, { verifyStoredAuditTrail }] =
            await Promise.all([
              import('../../governance/audit-files.ts'),
              import('../../governance/audit-signing.ts'),
              import('../../governance/audit-trail.ts'),
            ]);
          const outside =
            options.fromCheckpoint === undefined
              ? undefined
              : readWith(options.fromCheckpoint, parseOutsideEvidence);
          let trustedKey: KeyObject | undefined;
          if (options.publicKey !== undefined) {
            trustedKey = readWith(options.publicKey, parseAuditPublicKey);
          }
          await withStore(options, command, async (store, auditConfig) => {
            trustedKey ??= auditConfig?.key.publicKey;
            const report = await verifyStoredAuditTrail(store, {
              ...(outside && { outside }),
              ...(trustedKey && { trustedKey }),
            });
            print(report, options, formatReport);
            process.exitCode = report.ok ? AUDIT_EXIT.clean : AUDIT_EXIT.tampered;
          });
        } catch (caught) {
          fail(caught, options, AUDIT_EXIT.error);
        }
      },
    );

  audit
    .command('verify-export')
    .description(
      'check an audit export on its own, without the database: its entries chain up to its checkpoint and the signature holds (exit 0 verified, 2 not, 1 error)',
    )
    .argument('<file>', 'a file written by revsync audit export')
    .option(
      '--public-key <file>',
      'the Ed25519 public key (PEM) the checkpoint must be signed with',
    )
    .option('--json', 'print the report as JSON')
    .action(async (file: string, options: { publicKey?: string; json?: boolean }) => {
      try {
        const [{ parseAuditExport }, { parseAuditPublicKey }, { verifyAuditExport }] =
          await Promise.all([
            import('../../governance/audit-files.ts'),
            import('../../governance/audit-signing.ts'),
            import('../../governance/audit-trail.ts'),
          ]);
        const exported = readWith(file, parseAuditExport);
        const trustedKey =
          options.publicKey === undefined
            ? undefined
            : readWith(options.publicKey, parseAuditPublicKey);
        const report = verifyAuditExport(exported, { ...(trustedKey && { trustedKey }) });
        print(report, options, formatReport);
        process.exitCode = report.ok ? AUDIT_EXIT.clean : AUDIT_EXIT.tampered;
      } catch (caught) {
        fail(caught, options, AUDIT_EXIT.error);
      }
    });

  withConfig(storeOption(audit.command('export')))
    .description(
      "write a month's audit entries with the checkpoint that covers them (with --config, one is signed now if none covers them yet); refuses a trail that does not verify (exit 2)",
    )
    .requiredOption('--period <YYYY-MM>', 'the month (UTC) whose entries to export')
    .option('--out <file>', 'where to write the export (default: standard output)')
    .option('--json', 'print the summary (or errors) as JSON')
    .action(async (options: AuditOptions & { period: string; out?: string }, command: Command) => {
      try {
        const [{ exportAuditPeriod, AuditTamperedError }, { AuditCheckpointer }] =
          await Promise.all([
            import('../../governance/audit-trail.ts'),
            import('../../governance/audit-checkpointer.ts'),
          ]);
        await withStore(options, command, async (store, auditConfig) => {
          try {
            const file = await exportAuditPeriod(store, options.period, {
              ...(auditConfig && {
                checkpointer: new AuditCheckpointer({ store, key: auditConfig.key }),
                trustedKey: auditConfig.key.publicKey,
              }),
            });
            const text = `${JSON.stringify(file, null, 2)}\n`;
            if (options.out === undefined) {
              process.stdout.write(text);
              return;
            }
            writeFileSync(options.out, text);
            print(
              {
                out: options.out,
                period: file.period,
                entries: file.entries.length,
                checkpoint: file.checkpoint ? file.checkpoint.seq : null,
              },
              options,
              (s) =>
                `wrote ${s.entries} entries of ${s.period} to ${s.out}${
                  s.checkpoint === null
                    ? ' WITHOUT a checkpoint (none covers them yet; pass --config to sign one)'
                    : ` with the checkpoint at seq ${s.checkpoint}`
                }`,
            );
          } catch (caught) {
            if (caught instanceof AuditTamperedError) {
              fail(caught, options, AUDIT_EXIT.tampered);
              return;
            }
            throw caught;
          }
        });
      } catch (caught) {
        fail(caught, options);
      }
    });

  withConfig(storeOption(audit.command('checkpoint')))
    .description(
      'sign a checkpoint at the chain head now (needs --config with an audit section) and/or write the latest checkpoint to a file kept outside the database',
    )
    .option('--out <file>', 'write the latest checkpoint as a JSON file')
    .option('--json', 'print the checkpoint as JSON')
    .action(async (options: AuditOptions & { out?: string }, command: Command) => {
      try {
        const [{ AuditCheckpointer }, { checkpointFile }] = await Promise.all([
          import('../../governance/audit-checkpointer.ts'),
          import('../../governance/audit-files.ts'),
        ]);
        await withStore(options, command, async (store, auditConfig) => {
          const checkpoint = auditConfig
            ? await new AuditCheckpointer({ store, key: auditConfig.key }).checkpoint()
            : await store.auditCheckpoints.latest(store.db);
          if (!checkpoint) {
            throw new Error(
              auditConfig
                ? 'the audit trail is empty: nothing to checkpoint'
                : 'no checkpoint stored (pass --config with an audit section to sign one)',
            );
          }
          if (options.out !== undefined) {
            writeFileSync(options.out, `${JSON.stringify(checkpointFile(checkpoint), null, 2)}\n`);
          }
          print(
            checkpoint,
            options,
            (c) =>
              `checkpoint at seq ${c.seq} (hash ${c.hash.slice(0, 16)}…, key ${c.keyId}, ${new Date(c.at).toISOString()})${options.out === undefined ? '' : ` written to ${options.out}`}`,
          );
        });
      } catch (caught) {
        fail(caught, options);
      }
    });
}

function withConfig(command: Command): Command {
  return command.option(
    '-c, --config <file>',
    'revsync.config.ts: its store (unless --store is given) and its audit signing key',
  );
}

/** Opens the store named by --store, else by --config, else the default; never migrates it. */
async function withStore(
  options: AuditOptions,
  command: Command,
  work: (store: Store, audit: ResolvedAuditConfig | undefined) => Promise<void>,
): Promise<void> {
  let url = options.store;
  let audit: ResolvedAuditConfig | undefined;
  if (options.config !== undefined) {
    const { loadConfig } = await import('../../config/load-config.ts');
    const config = await loadConfig(options.config);
    audit = config.audit;
    if (command.getOptionValueSource('store') !== 'cli' && config.store?.url) {
      url = config.store.url;
    }
  }
  const { openStore } = await import('../../store/open-store.ts');
  // A verifier does not change what it verifies: no migrations on open.
  const store = await openStore({ url, migrate: false });
  try {
    if (!(await store.audit.head(store.db).catch(() => undefined))) {
      throw new Error(
        `the store at ${url} has no audit chain (not migrated to 0007_audit_chain: run revsync start or status once)`,
      );
    }
    await work(store, audit);
  } finally {
    await store.close();
  }
}

function readWith<T>(file: string, parse: (text: string) => T): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (caught) {
    throw new Error(`cannot read ${file}: ${coerceError(caught).message}`);
  }
  try {
    return parse(text);
  } catch (caught) {
    throw new Error(`${file}: ${coerceError(caught).message}`);
  }
}

function formatReport(r: AuditVerifyReport): string {
  const lines: string[] = [];
  if (r.ok) {
    lines.push(
      `audit trail verifies: ${r.entries} entries, chain intact through seq ${r.verifiedThrough}`,
    );
  } else {
    const first = r.firstProblem!;
    lines.push(`audit trail TAMPERED: first bad entry at seq ${first.seq} (${first.kind})`);
    for (const p of r.problems) lines.push(`  - ${p.kind} at seq ${p.seq}: ${p.message}`);
    lines.push(`chain verified through seq ${r.verifiedThrough} of ${r.entries} entries`);
  }
  const fromFile = r.checkpoints.filter((c) => c.source === 'file');
  const stored = r.checkpoints.filter((c) => c.source === 'store');
  const okStored = stored.filter((c) => c.ok).length;
  lines.push(
    `checkpoints: ${okStored}/${stored.length} stored ones hold${fromFile.map((c) => `; the one from the file (seq ${c.seq}) ${c.ok ? 'holds' : `does not: ${c.problem}`}`).join('')}`,
  );
  if (!r.keyPinned && r.checkpoints.length > 0) {
    lines.push(
      'note: signatures were checked against each checkpoint’s own key; pass --public-key or --config to pin the signer',
    );
  }
  return lines.join('\n');
}
