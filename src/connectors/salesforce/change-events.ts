import { z } from 'zod';
import { ValidationError } from '../../model/revsync-error.ts';
import type { PollResult, PollSource, ReadOptions, VendorEvent } from '../ports.ts';
import type { SalesforceClient, SalesforceLogger } from './client.ts';
import { salesforceErrorCode } from './errors.ts';
import {
  readRecords,
  salesforceEventType,
  toSalesforceEvent,
  WATCHED_OBJECTS,
  type ChangeType,
  type WatchedObject,
} from './events.ts';
import type { SalesforceFieldMap } from './fields.ts';

/** Options of {@link createChangeEventSource}. */
export interface ChangeEventSourceOptions {
  client: SalesforceClient;
  fields: SalesforceFieldMap;
  /**
   * Where a source without a cursor starts: `earliest` replays every retained event (72 h),
   * `latest` only what happens from now on. Default `earliest`.
   */
  start?: 'earliest' | 'latest';
  logger?: SalesforceLogger;
}

const ChangeEventPage = z.object({
  events: z.array(
    z.object({
      replayId: z.number(),
      channel: z.string(),
      payload: z.looseObject({
        ChangeEventHeader: z.looseObject({
          entityName: z.string(),
          recordIds: z.array(z.string()),
          changeType: z.string(),
          commitTimestamp: z.number(),
          transactionKey: z.string(),
          sequenceNumber: z.number(),
          changedFields: z.array(z.string()).default([]),
        }),
      }),
    }),
  ),
  latestReplayId: z.number(),
  hasMore: z.boolean(),
});

const CHANNEL = '/data/ChangeEvents';
const EARLIEST = -2;
const LATEST = -1;

/**
 * The push channel, read as a pull: Change Data Capture events for Accounts and Opportunities.
 * Real orgs stream them over the Pub/Sub gRPC API (out of scope here); the emulator serves them at
 * `GET /_emulator/cdc/events`, which this reads through the governed client. The cursor is the
 * last replay id. Each change is turned into an event with the record re-read ("notify, then
 * fetch"), one SOQL query per object and page; deletes and revsync's own write-backs emit nothing.
 * Event ids are `<transactionKey>:<sequenceNumber>` (stable on replay; replay ids are opaque).
 */
export function createChangeEventSource(options: ChangeEventSourceOptions): PollSource {
  const { client, fields, logger } = options;
  const start = options.start === 'latest' ? LATEST : EARLIEST;

  async function readPage(after: number, limit: number, read: ReadOptions) {
    const query = new URLSearchParams({
      channel: CHANNEL,
      replayId: String(after),
      limit: String(limit),
    });
    const body = await client.request<unknown>(
      'cdc.read',
      { method: 'GET', url: `/_emulator/cdc/events?${query.toString()}` },
      read,
    );
    const page = ChangeEventPage.safeParse(body);
    if (!page.success) {
      throw new ValidationError('salesforce change events are not the expected shape', {
        system: 'salesforce',
        details: page.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      });
    }
    return page.data;
  }

  return {
    cursorName: 'salesforce:change-events',
    async poll(cursor, pollOptions = {}): Promise<PollResult> {
      const { limit = 100, ...read } = pollOptions;
      const after = cursor === undefined ? start : Number(cursor);
      if (!Number.isInteger(after)) {
        throw new ValidationError(
          `salesforce change event cursor ${JSON.stringify(cursor)} is not a replay id`,
        );
      }
      let page;
      try {
        page = await readPage(after, limit, read);
      } catch (error) {
        if (salesforceErrorCode(error) !== 'INVALID_REPLAY_ID') throw error;
        // The cursor fell out of the 72 h retention: what was pruned is gone from this channel.
        // Go on from the oldest retained event; the SOQL poller can resynchronise the rest.
        logger?.warn(
          { system: 'salesforce', cursor },
          'salesforce change event cursor is past retention; replaying what is retained',
        );
        page = await readPage(EARLIEST, limit, read);
      }

      const changes = page.events
        .map((e) => ({ event: e, header: e.payload.ChangeEventHeader }))
        .filter(
          (c): c is typeof c & { header: { entityName: WatchedObject } } =>
            (WATCHED_OBJECTS as readonly string[]).includes(c.header.entityName) &&
            c.header.changeType !== 'DELETE',
        );
      const ids = new Map<WatchedObject, string[]>();
      for (const { header } of changes) {
        const list = ids.get(header.entityName) ?? [];
        list.push(...header.recordIds);
        ids.set(header.entityName, list);
      }
      const current = new Map<string, Record<string, unknown>>();
      for (const [object, list] of ids) {
        for (const [id, record] of await readRecords(client, object, list, fields, read)) {
          current.set(id, record);
        }
      }

      const events: VendorEvent[] = [];
      for (const { event, header } of changes) {
        for (const recordId of header.recordIds) {
          const record = current.get(recordId);
          if (!record) continue; // deleted since: nothing left to sync
          const type = salesforceEventType(
            {
              object: header.entityName,
              record,
              changeType: header.changeType as ChangeType,
              payload: event.payload,
              changedFields: header.changedFields,
            },
            fields,
          );
          if (!type) continue;
          const suffix = header.recordIds.length > 1 ? `:${recordId}` : '';
          events.push(
            toSalesforceEvent({
              id: `${header.transactionKey}:${header.sequenceNumber}${suffix}`,
              type,
              record,
              time: new Date(header.commitTimestamp).toISOString(),
            }),
          );
        }
      }
      return { events, cursor: String(page.latestReplayId), hasMore: page.hasMore };
    },
  };
}
