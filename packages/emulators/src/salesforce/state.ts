import { createRng, type Clock, type Rng } from '../kit/index.ts';
import { ChangeEventLog, type RecordChange } from './change-events.ts';
import { salesforceId } from './salesforce-id.ts';
import { SchemaRegistry, type ObjectDef } from './schema.ts';

/** A stored record: canonical field names → JSON values (dates as Salesforce strings). */
export type SfRecord = Record<string, unknown>;

/** Salesforce's date-time format: `2026-01-02T03:04:05.000+0000`. */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

interface Transaction {
  undo: (() => void)[];
  changes: RecordChange[];
  /** Transaction time (ms, whole seconds: Salesforce stores date-times to the second). */
  now: number;
  origin: string;
}

/**
 * The in-memory org: records per object (deleted ones stay, flagged `IsDeleted`, as in the
 * recycle bin), the schema learned so far, the change event log, and seeded ids.
 *
 * Every write goes through {@link SalesforceState.transaction}: writes register an undo step,
 * changes are buffered and published to the change event log only when the outermost
 * transaction commits, so `allOrNone` can roll everything back. Handlers are synchronous, so
 * two HTTP requests never interleave inside a transaction.
 */
export class SalesforceState {
  readonly schema = new SchemaRegistry();
  readonly changeEvents: ChangeEventLog;
  orgId = '';
  userId = '';
  standardPricebookId = '';
  private ids!: Rng;
  private txRng!: Rng;
  private pod = '';
  private records = new Map<string, Map<string, SfRecord>>();
  private index = new Map<string, { object: string; record: SfRecord }>();
  private tx: Transaction | undefined;

  constructor(
    private readonly clock: Clock,
    seed: number,
  ) {
    this.changeEvents = new ChangeEventLog(clock);
    this.reset(seed);
  }

  /** Empties the org and re-derives ids from `seed`; recreates the user and standard price book. */
  reset(seed: number): void {
    const rng = createRng(seed).fork('salesforce');
    this.ids = rng.fork('ids');
    this.txRng = rng.fork('transactions');
    this.pod = this.ids.base62(2);
    this.records.clear();
    this.index.clear();
    this.schema.reset();
    this.changeEvents.clear();
    this.tx = undefined;
    this.orgId = this.newId('00D');
    this.userId = this.newId('005');
    const at = formatDateTime(this.clock.now() - (this.clock.now() % 1000));
    const audit = {
      IsDeleted: false,
      CreatedDate: at,
      CreatedById: this.userId,
      LastModifiedDate: at,
      LastModifiedById: this.userId,
      SystemModstamp: at,
    };
    this.put('User', {
      Id: this.userId,
      Username: 'integration@revsync.local',
      FirstName: 'Integration',
      LastName: 'User',
      Name: 'Integration User',
      Email: 'integration@revsync.local',
      Alias: 'integ',
      IsActive: true,
      TimeZoneSidKey: 'GMT',
      ...audit,
    });
    this.standardPricebookId = this.newId('01s');
    this.put('Pricebook2', {
      Id: this.standardPricebookId,
      Name: 'Standard Price Book',
      IsActive: true,
      IsStandard: true,
      Description: null,
      ...audit,
    });
  }

  /** A fresh 18-character id with the object's key prefix. */
  newId(keyPrefix: string): string {
    for (;;) {
      const id = salesforceId.from15(`${keyPrefix}${this.pod}0000${this.ids.base62(6)}`);
      if (!this.index.has(id) && id !== this.orgId) return id;
    }
  }

  /** The record with this (18-character) id, deleted or not, with its object name. */
  get(id: string): { object: string; record: SfRecord } | undefined {
    return this.index.get(id);
  }

  /** Every record of an object (deleted ones included), in creation order. */
  all(object: string): SfRecord[] {
    return [...(this.records.get(object)?.values() ?? [])];
  }

  /** Object name → records, for `/_emulator/state`. */
  dump(): Record<string, SfRecord[]> {
    const out: Record<string, SfRecord[]> = {};
    for (const [name, recs] of this.records) out[name] = [...recs.values()];
    return out;
  }

  /** The object definition of a stored record's object. */
  objectOf(name: string): ObjectDef {
    return this.schema.find(name, true) as ObjectDef;
  }

  /** Inserts or replaces a record (inside a transaction: undone on rollback). */
  put(object: string, record: SfRecord): void {
    const id = record['Id'] as string;
    let table = this.records.get(object);
    if (!table) {
      table = new Map();
      this.records.set(object, table);
    }
    const previous = table.get(id);
    table.set(id, record);
    this.index.set(id, { object, record });
    if (this.tx) {
      const t = table;
      this.tx.undo.push(() => {
        if (previous) {
          t.set(id, previous);
          this.index.set(id, { object, record: previous });
        } else {
          t.delete(id);
          this.index.delete(id);
        }
      });
    }
  }

  /** Buffers a change event for the running transaction. */
  recordChange(change: RecordChange): void {
    if (!this.tx) throw new Error('recordChange outside a transaction');
    this.tx.changes.push(change);
  }

  /** The running transaction's time in ms (whole seconds), or the clock's outside one. */
  now(): number {
    const ms = this.tx?.now ?? this.clock.now();
    return ms - (ms % 1000);
  }

  /**
   * Runs `fn` atomically. Nested calls are savepoints: a failing inner call is undone on its
   * own and its error rethrown; the outermost call publishes the buffered change events.
   * `origin` is the `changeOrigin` of the events (the outermost call's wins).
   */
  transaction<T>(fn: () => T, origin = 'com/salesforce/api/rest'): T {
    const outer = this.tx === undefined;
    if (outer) this.tx = { undo: [], changes: [], now: this.clock.now(), origin };
    const tx = this.tx as Transaction;
    const mark = { undo: tx.undo.length, changes: tx.changes.length };
    try {
      const result = fn();
      if (outer) {
        this.tx = undefined;
        this.changeEvents.commit(tx.changes, {
          transactionKey: this.transactionKey(),
          commitTimestamp: tx.now,
          commitUser: this.userId,
          changeOrigin: tx.origin,
        });
      }
      return result;
    } catch (err) {
      for (let i = tx.undo.length - 1; i >= mark.undo; i--) (tx.undo[i] as () => void)();
      tx.undo.length = mark.undo;
      tx.changes.length = mark.changes;
      if (outer) this.tx = undefined;
      throw err;
    }
  }

  private transactionKey(): string {
    const h = this.txRng.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
}
