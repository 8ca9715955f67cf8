import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ValidationError } from '../../model/revsync-error.ts';
import type { PollResult, PollSource } from '../ports.ts';
import type { HubspotClient, HubspotFilter, HubspotRecord } from './client.ts';
import { polledEventType, toHubspotEvent, type WatchedObject } from './events.ts';
import {
  COMPANY_BILLING_PROPERTIES,
  COMPANY_PROPERTIES,
  DEAL_BILLING_PROPERTIES,
  DEAL_PROPERTIES,
  isClosedWon,
  type StageRule,
} from './mapper.ts';

/** Options of {@link createModifiedPoller}. */
export interface ModifiedPollerOptions {
  client: HubspotClient;
  object: WatchedObject;
  rule: StageRule;
}

/** Where the last poll stopped: the `hs_lastmodifieddate` (epoch ms) and id of the last record read. */
const Cursor = z.object({ at: z.number().int().nonnegative(), id: z.string().regex(/^\d+$/) });
type Cursor = z.infer<typeof Cursor>;

/** A search page holds at most 200 records. */
const MAX_LIMIT = 200;

/**
 * The catch-up feed: search on `hs_lastmodifieddate`, ascending. The cursor is the
 * `{at, id}` of the last record read; the next poll asks for what comes strictly after it —
 * two filter groups, ORed: `hs_lastmodifieddate > at`, or `= at` and `hs_object_id > id` — so
 * records sharing a millisecond are neither lost nor read twice, and every poll starts a fresh
 * search (the search API pages at most 10 000 results deep). `hasMore` when a page was full.
 * Deals are read with their company (one v4 batch read per page), so their events name the
 * customer. Event id `${id}:${fingerprint}`, the fingerprint a hash of the record's properties
 * other than revsync's own write-back ones (and of a deal's companies): a re-read of the same
 * change de-duplicates in the inbox, and so does revsync's own write-back coming round again
 * (it bumps `hs_lastmodifieddate` but changes nothing the flows read) — without that echo
 * filter every write-back would start the flows once more. The price: a record changed back to
 * a state already seen (A → B → A) is not announced the second time.
 */
export function createModifiedPoller(options: ModifiedPollerOptions): PollSource {
  const { client, object, rule } = options;
  const properties =
    object === 'companies'
      ? [...new Set([...COMPANY_PROPERTIES, ...COMPANY_BILLING_PROPERTIES])]
      : [...DEAL_PROPERTIES];
  return {
    cursorName: `hubspot:search:${object}`,
    async poll(cursor, pollOptions = {}): Promise<PollResult> {
      const { limit: requested = 100, ...read } = pollOptions;
      const limit = Math.max(1, Math.min(MAX_LIMIT, Math.floor(requested)));
      const from = parseCursor(cursor);
      const stamp = (f: Omit<HubspotFilter, 'propertyName'>): HubspotFilter => ({
        propertyName: 'hs_lastmodifieddate',
        ...f,
      });
      const filterGroups = from
        ? [
            { filters: [stamp({ operator: 'GT', value: String(from.at) })] },
            {
              filters: [
                stamp({ operator: 'EQ', value: String(from.at) }),
                { propertyName: 'hs_object_id', operator: 'GT' as const, value: from.id },
              ],
            },
          ]
        : [];
      const page = await client.search(
        object,
        {
          filterGroups,
          sorts: [{ propertyName: 'hs_lastmodifieddate', direction: 'ASCENDING' }],
          properties,
          limit,
        },
        read,
      );
      const records = from ? page.results.filter((r) => after(r, from)) : page.results;
      if (object === 'deals' && records.length > 0) {
        const companies = await client.associatedIds(
          'deals',
          'companies',
          records.map((r) => r.id),
          read,
        );
        for (const r of records) {
          const linked = companies.get(r.id) ?? [];
          r.associations = {
            companies: { results: linked.map((c) => ({ id: c.id, type: 'deal_to_company' })) },
          };
        }
      }
      const events = records.map((record) => {
        const at = modifiedAt(record);
        return toHubspotEvent({
          id: `${record.id}:${fingerprint(record)}`,
          type: polledEventType(object, record, object === 'deals' && isClosedWon(record, rule)),
          record,
          time: new Date(at).toISOString(),
        });
      });
      const last = page.results[page.results.length - 1];
      const next: Cursor | undefined = last ? { at: modifiedAt(last), id: last.id } : from;
      return {
        events,
        cursor: next ? JSON.stringify(next) : '',
        hasMore: page.results.length === limit,
      };
    },
  };
}

/** Write-back and bookkeeping properties: a change of only these is revsync's own echo. */
const ECHO = new Set<string>([
  ...COMPANY_BILLING_PROPERTIES,
  ...DEAL_BILLING_PROPERTIES,
  'hs_lastmodifieddate',
]);

/** A short hash of what the flows read of a record (everything but {@link ECHO}). */
function fingerprint(record: HubspotRecord): string {
  const props = Object.entries(record.properties)
    .filter(([name]) => !ECHO.has(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const companies = record.associations?.['companies']?.results.map((r) => r.id).sort() ?? [];
  return createHash('sha256')
    .update(JSON.stringify([props, companies]))
    .digest('hex')
    .slice(0, 16);
}

function modifiedAt(record: HubspotRecord): number {
  const raw = record.properties['hs_lastmodifieddate'] ?? '';
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (Number.isNaN(ms)) {
    throw new ValidationError(`hubspot record ${record.id} has no hs_lastmodifieddate`, {
      system: 'hubspot',
    });
  }
  return ms;
}

function after(record: HubspotRecord, cursor: Cursor): boolean {
  const at = modifiedAt(record);
  return (
    at > cursor.at ||
    (at === cursor.at &&
      (record.id.length - cursor.id.length || (record.id > cursor.id ? 1 : -1)) > 0)
  );
}

function parseCursor(cursor: string | undefined): Cursor | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    return Cursor.parse(JSON.parse(cursor));
  } catch (error) {
    throw new ValidationError(`hubspot poll cursor ${JSON.stringify(cursor)} is malformed`, {
      system: 'hubspot',
      cause: error,
    });
  }
}
