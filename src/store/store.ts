import { sql, type Kysely, type Transaction } from 'kysely';
import { ApiKeyRepository } from './api-key-repository.ts';
import { AuditCheckpointRepository } from './audit-checkpoint-repository.ts';
import { AuditRepository } from './audit-repository.ts';
import { ChangeRequestRepository } from './change-request-repository.ts';
import { CanonicalEventRepository } from './canonical-event-repository.ts';
import { ConflictRepository } from './conflict-repository.ts';
import { CrmWritebackRepository } from './crm-writeback-repository.ts';
import { CursorRepository } from './cursor-repository.ts';
import { EntityRepository } from './entity-repository.ts';
import { ExceptionRepository } from './exception-repository.ts';
import { GroupCommit, type TransactionWork } from './group-commit.ts';
import { InboxRepository } from './inbox-repository.ts';
import type { DialectName } from './migrations/migration.ts';
import { ReconRunRepository } from './recon-run-repository.ts';
import { RunRepository } from './run-repository.ts';
import type { Database } from './schema.ts';
import { SignalRepository } from './signal-repository.ts';
import { StepRepository } from './step-repository.ts';
import { UsageRepository } from './usage-repository.ts';
import { XrefRepository } from './xref-repository.ts';
import { LocalWorkNotifier, type WorkNotifier } from './work-notifier.ts';

/**
 * An open database: its dialect, the group committer every acknowledged write goes through, and
 * the repositories. Repository functions take the executor (connection or transaction) as their
 * first argument so several of them can share one transaction.
 */
export class Store {
  readonly db: Kysely<Database>;
  readonly dialect: DialectName;
  /** Shared-transaction writer: concurrent writers share one commit (and one fsync). */
  readonly commits: GroupCommit;

  readonly inbox = InboxRepository;
  /** The canonical event log (what inbox events meant, after the normalise stage). */
  readonly events = CanonicalEventRepository;
  readonly runs = RunRepository;
  readonly steps = StepRepository;
  readonly signals = SignalRepository;
  readonly exceptions = ExceptionRepository;
  readonly xrefs = XrefRepository;
  readonly cursors = CursorRepository;
  readonly entities = EntityRepository;
  /** The hash-chained audit trail. */
  readonly audit = AuditRepository;
  /** Signed checkpoints of the audit chain. */
  readonly auditCheckpoints = AuditCheckpointRepository;
  readonly conflicts = ConflictRepository;
  readonly usage = UsageRepository;
  readonly apiKeys = ApiKeyRepository;
  /** Four-eyes approvals: protected actions waiting for a second person. */
  readonly changeRequests = ChangeRequestRepository;
  /** Stored reconciliation runs and what each found (discrepancies, in flight, matches). */
  readonly reconRuns = ReconRunRepository;
  /** What revsync last wrote to each CRM object's billing fields, and when. */
  readonly crmWritebacks = CrmWritebackRepository;

  /**
   * Wakes the workers of other processes on this database when there is new work (PostgreSQL
   * `LISTEN/NOTIFY`; nothing on SQLite, where one process owns the file).
   */
  readonly work: WorkNotifier;

  constructor(db: Kysely<Database>, dialect: DialectName, work?: WorkNotifier) {
    this.db = db;
    this.dialect = dialect;
    this.work = work ?? new LocalWorkNotifier();
    // SQLite has one writer; on PostgreSQL a few group transactions overlap their round trips.
    this.commits = new GroupCommit(db, { maxConcurrent: dialect === 'postgres' ? 4 : 1 });
  }

  /** Runs `work` in its own transaction (not grouped); for operator actions and tests. */
  transaction<T>(work: TransactionWork<T>): Promise<T> {
    return this.db.transaction().execute(work);
  }

  /** Runs `work` in the next group commit; resolves once it is durable. */
  grouped<T>(work: TransactionWork<T>): Promise<T> {
    return this.commits.run(work);
  }

  /** Checks that the database answers (readiness probes); throws if it does not. */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.commits.drain();
    await this.work.close();
    await this.db.destroy();
  }
}

export type { Transaction };
