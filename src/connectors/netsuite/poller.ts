import { z } from 'zod';
import { makeEnvelope } from '../../model/event-envelope.ts';
import { ValidationError } from '../../model/revsync-error.ts';
import type { PollResult, PollSource, ReadOptions, VendorEvent } from '../ports.ts';
import type { NetsuiteClient } from './client.ts';
import { sqlText } from './reference-data.ts';
import { toCustomerChange, toTransactionChange } from './mapper.ts';

/** What a poller reads: customers, or customer transactions (invoices, credit memos, payments). */
export type NetsuiteFeed = 'customers' | 'transactions';

/** Options of {@link NetsuitePoller}. */
export interface NetsuitePollerOptions {
  feed: NetsuiteFeed;
  /** Rows per poll when the caller gives no `limit` (1–1000; default 200). */
  pageSize?: number;
  /** Where a poll without a cursor starts, ISO 8601 (default: the beginning, a full backfill). */
  since?: string;
  /**
   * Leave changes of the current second for the next poll (default true). Turn off only if the
   * account's `SYSDATE` runs behind the time zone `lastmodifieddate` is shown in.
   */
  settle?: boolean;
}

/**
 * Where the next poll starts: the `lastmodifieddate` (as `YYYY-MM-DD HH24:MI:SS` in the
 * account's time zone) and internal id of the last change read.
 */
const Cursor = z.strictObject({
  modified: z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
  id: z.string().regex(/^\d+$/),
});
type Cursor = z.infer<typeof Cursor>;

const TIMESTAMP = "'YYYY-MM-DD HH24:MI:SS'";

interface Feed {
  /** The query of one page after `cursor`, ordered by modification time and id. */
  query(after: string): string;
  toEvent(row: Record<string, string>): VendorEvent;
}

const FEEDS: Record<NetsuiteFeed, Feed> = {
  customers: {
    query: (after) =>
      `SELECT x.id, x.entityid, x.companyname, x.altname, x.isperson, x.email, x.subsidiary, x.currency, cur.symbol AS currencysymbol, x.externalid, x.isinactive, TO_CHAR(x.datecreated, ${TIMESTAMP}) AS created, TO_CHAR(x.lastmodifieddate, ${TIMESTAMP}) AS modified FROM customer x LEFT JOIN currency cur ON cur.id = x.currency WHERE ${after} ORDER BY x.lastmodifieddate, x.id`,
    toEvent(row) {
      const data = toCustomerChange(row);
      const action =
        row.created !== undefined && row.created === row.modified ? 'created' : 'updated';
      return envelope(`customer`, action, data.id, data.lastModifiedDate, { ...data });
    },
  },
  transactions: {
    query: (after) =>
      `SELECT x.id, x.tranid, x.recordtype, x.externalid, x.entity, c.externalid AS entityexternalid, x.currency, cur.symbol AS currencysymbol, x.foreigntotal, x.taxtotal, x.foreignamountremaining, BUILTIN.DF(x.status) AS status, x.memo, TO_CHAR(x.trandate, 'YYYY-MM-DD') AS trandate, TO_CHAR(x.createddate, ${TIMESTAMP}) AS created, TO_CHAR(x.lastmodifieddate, ${TIMESTAMP}) AS modified FROM transaction x LEFT JOIN customer c ON c.id = x.entity LEFT JOIN currency cur ON cur.id = x.currency WHERE x.type IN ('CustInvc', 'CustCred', 'CustPymt') AND ${after} ORDER BY x.lastmodifieddate, x.id`,
    toEvent(row) {
      const data = toTransactionChange(row);
      const action =
        row.created !== undefined && row.created === row.modified ? 'created' : 'updated';
      return envelope(data.recordType, action, data.id, data.lastModifiedDate, { ...data });
    },
  },
};

function envelope(
  object: string,
  action: string,
  id: string,
  modified: string,
  data: Record<string, unknown>,
): VendorEvent {
  return makeEnvelope<Record<string, unknown>>({
    source: 'netsuite',
    type: `netsuite.${object}.${action}`,
    // Customers and transactions are numbered apart in NetSuite; the record type keeps their
    // ids apart in the inbox, which de-duplicates on (source, id).
    id: `${object}:${id}:${modified}`,
    subject: id,
    time: modified,
    data,
  });
}

/**
 * A SuiteQL change feed on `lastmodifieddate`. NetSuite keeps whole seconds, so a page asks for
 * `lastmodifieddate >= cursor` and, within the cursor's own second, only ids above the cursor's
 * (keyset paging: a second with more changes than a page still moves on); rows the cursor
 * already covers are dropped should the account compare more finely than it prints. Changes in
 * the current second (by the account's `SYSDATE`) are left for the next poll: until that second
 * is over, more records — or a second change to one already read — could still be stamped with
 * it, and the cursor could not tell them from what it has seen.
 */
export class NetsuitePoller implements PollSource {
  readonly cursorName: string;
  readonly #client: NetsuiteClient;
  readonly #feed: Feed;
  readonly #pageSize: number;
  readonly #start: Cursor;
  readonly #settle: boolean;

  constructor(client: NetsuiteClient, options: NetsuitePollerOptions) {
    this.#client = client;
    this.#feed = FEEDS[options.feed];
    this.cursorName = `netsuite:${options.feed}`;
    this.#pageSize = clampLimit(options.pageSize ?? 200);
    this.#start = { modified: toSqlTimestamp(options.since ?? '1970-01-01T00:00:00Z'), id: '0' };
    this.#settle = options.settle ?? true;
  }

  async poll(
    cursor: string | undefined,
    options: ReadOptions & { limit?: number } = {},
  ): Promise<PollResult> {
    const from = cursor === undefined ? this.#start : parseCursor(cursor);
    const at = `TO_TIMESTAMP(${sqlText(from.modified)}, ${TIMESTAMP})`;
    let after = `x.lastmodifieddate >= ${at} AND (x.lastmodifieddate > ${at} OR x.id > ${from.id})`;
    if (this.#settle) {
      after += ` AND x.lastmodifieddate < TO_TIMESTAMP(TO_CHAR(SYSDATE, ${TIMESTAMP}), ${TIMESTAMP})`;
    }
    const page = await this.#client.suiteql(this.#feed.query(after), {
      operation: `poll.${this.cursorName}`,
      lane: options.lane ?? 'low',
      limit: clampLimit(options.limit ?? this.#pageSize),
      offset: 0,
      ...(options.signal !== undefined && { signal: options.signal }),
      ...(options.traceparent !== undefined && { traceparent: options.traceparent }),
    });
    let next = from;
    const events: VendorEvent[] = [];
    for (const row of page.items) {
      const at: Cursor = { modified: row.modified ?? '', id: row.id ?? '' };
      if (!Cursor.safeParse(at).success || !isAfter(at, from)) continue;
      events.push(this.#feed.toEvent(row));
      if (isAfter(at, next)) next = at;
    }
    return { events, cursor: JSON.stringify(next), hasMore: page.hasMore };
  }
}

function isAfter(a: Cursor, b: Cursor): boolean {
  if (a.modified !== b.modified) return a.modified > b.modified;
  return BigInt(a.id) > BigInt(b.id);
}

function parseCursor(text: string): Cursor {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const parsed = Cursor.safeParse(value);
  if (!parsed.success) {
    throw new ValidationError(`not a NetSuite poll cursor: ${text.slice(0, 100)}`, {
      system: 'netsuite',
    });
  }
  return parsed.data;
}

function clampLimit(n: number): number {
  return Math.min(1000, Math.max(1, Math.floor(n)));
}

/** ISO 8601 → `YYYY-MM-DD HH:MM:SS` (UTC). */
function toSqlTimestamp(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new ValidationError(`since: not a timestamp: ${iso}`);
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}
