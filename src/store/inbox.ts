import { parseEnvelope } from '../model/event-envelope.ts';
import { newId } from '../model/ids.ts';
import type { Store } from './store.ts';
import type { InboxInsertResult, NewInboxEvent } from './inbox-repository.ts';

/** Outcome of an append: where the event sits, and whether it was already there. */
export type AppendResult = InboxInsertResult;

/** A poll cursor to save in the same transaction as the events it produced. */
export interface CursorUpdate {
  source: string;
  cursor: string;
}

interface PendingAppend {
  rows: NewInboxEvent[];
  resolve: (r: AppendResult[]) => void;
  reject: (e: unknown) => void;
}

/**
 * The durable inbox. Every accepted event is validated, de-duplicated on (source, id) — the
 * CloudEvents identity — and committed (fsync'd) before `append` resolves, so a webhook handler
 * answers 2xx only for events that survive a crash. Concurrent appends share a commit.
 */
export class Inbox {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #listeners = new Set<() => void>();
  /** Appends waiting for the next group commit, each with its rows (validated already). */
  #pending: PendingAppend[] = [];
  /** A group commit item is queued that will take {@link Inbox.#pending} when it runs. */
  #submitted = false;

  constructor(store: Store, options: { now?: () => number } = {}) {
    this.#store = store;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Validates and durably appends one event. A malformed event throws
   * `InvalidEventError` (code `invalid_event`) and nothing is written.
   */
  async append(input: unknown): Promise<AppendResult> {
    const [result] = await this.#enqueue([this.#toRow(input)]);
    return result!;
  }

  /**
   * Appends a batch in one transaction, with the poll cursor that produced it; either all of it
   * (events and cursor) is committed or none. Every event is validated before anything is written.
   */
  async appendMany(inputs: unknown[], cursor?: CursorUpdate): Promise<AppendResult[]> {
    const rows = inputs.map((input) => this.#toRow(input));
    if (!cursor) return this.#enqueue(rows);
    const at = this.#now();
    const results = await this.#store.grouped(async (trx) => {
      const out = await this.#store.inbox.insertMany(trx, rows);
      await this.#store.cursors.set(trx, cursor.source, cursor.cursor, at);
      return out;
    });
    if (results.some((r) => !r.duplicate)) this.#notify();
    return results;
  }

  /**
   * Everything appended without a cursor until the next group commit runs (each webhook
   * request's events, `append` calls) goes into it as one multi-row insert: one statement for
   * all concurrent requests instead of one each. The batch is taken when the commit's work
   * starts, not a turn earlier, so no extra wait is added. One statement in one transaction, so
   * each caller's events are committed all together or not at all.
   */
  #enqueue(rows: NewInboxEvent[]): Promise<AppendResult[]> {
    if (rows.length === 0) return Promise.resolve([]);
    return new Promise<AppendResult[]>((resolve, reject) => {
      this.#pending.push({ rows, resolve, reject });
      if (!this.#submitted) this.#submit();
    });
  }

  #submit(): void {
    this.#submitted = true;
    let batch: PendingAppend[] | undefined;
    const take = () => {
      this.#submitted = false;
      const taken = this.#pending;
      this.#pending = [];
      return taken;
    };
    this.#store
      .grouped((trx) => {
        // The group commit may run this again (a neighbour failed): with the same batch.
        batch ??= take();
        return this.#store.inbox.insertMany(
          trx,
          batch.flatMap((p) => p.rows),
        );
      })
      .then(
        (results) => {
          let at = 0;
          for (const p of batch!) {
            p.resolve(results.slice(at, at + p.rows.length));
            at += p.rows.length;
          }
          if (results.some((r) => !r.duplicate)) this.#notify();
        },
        (error: unknown) => (batch ?? take()).forEach((p) => p.reject(error)),
      );
  }

  /** The saved cursor of a poller, if any. */
  cursor(source: string): Promise<string | undefined> {
    return this.#store.cursors.get(this.#store.db, source);
  }

  /** Calls `listener` after new events were committed; returns an unsubscribe function. */
  onAppend(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(): void {
    for (const l of this.#listeners) l();
  }

  #toRow(input: unknown): NewInboxEvent {
    return inboxRow(input, this.#now());
  }
}

/**
 * The inbox row of one event: validated (a malformed event throws `InvalidEventError`), with a
 * new revsync event id, and its correlation id defaulting to that id.
 */
export function inboxRow(input: unknown, receivedAt: number): NewInboxEvent {
  const envelope = parseEnvelope(input);
  const eventId = newId('evt');
  return {
    eventId,
    source: envelope.source,
    sourceEventId: envelope.id,
    type: envelope.type,
    subject: envelope.subject ?? null,
    entityKey: envelope.entitykey ?? null,
    correlationId: envelope.correlationid ?? eventId,
    causationId: envelope.causationid ?? null,
    envelope: envelope as unknown as Record<string, unknown>,
    receivedAt,
  };
}
