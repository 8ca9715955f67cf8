import { z } from 'zod';
import { ValidationError } from '../../model/revsync-error.ts';
import type { PollResult, PollSource } from '../ports.ts';
import { soqlId, type SalesforceClient } from './client.ts';
import {
  salesforceEventType,
  selectFieldsOf,
  toSalesforceEvent,
  type WatchedObject,
} from './events.ts';
import type { SalesforceFieldMap } from './fields.ts';
import { toIsoTimestamp, toSoqlDateTime } from './mapper.ts';

/** Options of {@link createSoqlPoller}. */
export interface SoqlPollerOptions {
  client: SalesforceClient;
  fields: SalesforceFieldMap;
  object: WatchedObject;
}

/** Where the last poll stopped: the `SystemModstamp` and `Id` of the last record read. */
const Cursor = z.object({ SystemModstamp: z.string(), Id: z.string() });
type Cursor = z.infer<typeof Cursor>;

/** SOQL returns at most 2000 records per batch; a poll page stays within one. */
const MAX_LIMIT = 2000;

/**
 * The fallback feed: SOQL on `SystemModstamp`, ordered by `SystemModstamp, Id`. The cursor is
 * the `{SystemModstamp, Id}` of the last record read; the next poll asks for what comes strictly
 * after it (`SystemModstamp > S OR (SystemModstamp = S AND Id > I)`), since Salesforce stores the
 * stamp to the second and many records can share one. `hasMore` when a page was full. Event id
 * `${Id}:${SystemModstamp}`, so a re-read of the same change de-duplicates in the inbox.
 */
export function createSoqlPoller(options: SoqlPollerOptions): PollSource {
  const { client, fields, object } = options;
  const select = selectFieldsOf(object, fields).join(', ');

  return {
    cursorName: `salesforce:soql:${object}`,
    async poll(cursor, pollOptions = {}): Promise<PollResult> {
      const { limit: requested = 200, ...read } = pollOptions;
      const limit = Math.max(1, Math.min(MAX_LIMIT, Math.floor(requested)));
      const from = cursor === undefined ? undefined : parseCursor(cursor);
      const where = from
        ? ` WHERE (SystemModstamp > ${toSoqlDateTime(from.SystemModstamp)}) OR ` +
          `(SystemModstamp = ${toSoqlDateTime(from.SystemModstamp)} AND Id > ${soqlId(from.Id)})`
        : '';
      const records = await client.query(
        `${object.toLowerCase()}.poll`,
        `SELECT ${select} FROM ${object}${where} ORDER BY SystemModstamp, Id LIMIT ${limit}`,
        read,
      );
      // Defensive: never hand back what the cursor already covered.
      const fresh = from ? records.filter((r) => after(r, from)) : records;
      const events = fresh.flatMap((record) => {
        const type = salesforceEventType({ object, record }, fields);
        if (!type) return [];
        const stamp = String(record['SystemModstamp']);
        return [
          toSalesforceEvent({
            id: `${String(record['Id'])}:${stamp}`,
            type,
            record,
            time: toIsoTimestamp(stamp),
          }),
        ];
      });
      const last = records[records.length - 1];
      const next: Cursor | undefined = last
        ? { SystemModstamp: String(last['SystemModstamp']), Id: String(last['Id']) }
        : from;
      return {
        events,
        cursor: next ? JSON.stringify(next) : '',
        hasMore: records.length === limit,
      };
    },
  };
}

function parseCursor(cursor: string): Cursor | undefined {
  if (cursor === '') return undefined;
  try {
    return Cursor.parse(JSON.parse(cursor));
  } catch (error) {
    throw new ValidationError(`salesforce poll cursor ${JSON.stringify(cursor)} is malformed`, {
      system: 'salesforce',
      cause: error,
    });
  }
}

function after(record: Record<string, unknown>, cursor: Cursor): boolean {
  const stamp = Date.parse(toIsoTimestamp(String(record['SystemModstamp'])));
  const at = Date.parse(toIsoTimestamp(cursor.SystemModstamp));
  return stamp > at || (stamp === at && String(record['Id']) > cursor.Id);
}
