import type { Event } from 'chargebee';
import type { PollResult, PollSource, ReadOptions, VendorEvent } from '../ports.ts';
import { ValidationError } from '../../model/revsync-error.ts';
import { PAGE_LIMIT, type ChargebeeClient } from './client.ts';
import { toVendorEvent } from './events.ts';
import { unixSeconds } from './mapper.ts';

/** Options of {@link createChargebeeEventPoller}. */
export interface ChargebeeEventPollerOptions {
  /** Where a poll without a cursor starts (ISO time); default the oldest event the site keeps. */
  startAt?: string;
  /** Events per poll (1–100, default 100). */
  limit?: number;
}

/** The cursor row name of the Chargebee event feed. */
export const CHARGEBEE_EVENTS_CURSOR = 'chargebee:events';

interface Cursor {
  /** `occurred_at` of the last event returned. */
  at: number;
  /** Ids of the events returned that occurred in that second. */
  ids: string[];
}

/**
 * Catch-up through `GET /events`, oldest first (`sort_by[asc]=occurred_at`), from the cursor's
 * second on (`occurred_at[after]=<second − 1>`: the filter is by whole seconds), skipping the
 * events of that second already returned, walking `offset` pages until `limit` new events are
 * found. The cursor is `<second>:<ids of that second>`: nothing is returned twice, nothing
 * skipped. Events map exactly as webhook deliveries do, so one event arriving both ways is one
 * inbox entry. {@link readEvent} re-reads one event from the API (to trust it over a delivery).
 */
export function createChargebeeEventPoller(
  client: ChargebeeClient,
  options: ChargebeeEventPollerOptions = {},
): PollSource & { readEvent(id: string, read?: ReadOptions): Promise<VendorEvent> } {
  return {
    cursorName: CHARGEBEE_EVENTS_CURSOR,
    catchUp: true,
    async poll(cursor, pollOptions): Promise<PollResult> {
      const limit = Math.min(PAGE_LIMIT, Math.max(1, pollOptions?.limit ?? options.limit ?? 100));
      const from = cursor ? decodeCursor(cursor) : undefined;
      const after =
        from !== undefined
          ? from.at - 1
          : options.startAt !== undefined
            ? unixSeconds(options.startAt) - 1
            : undefined;
      const seen = new Set(from?.ids ?? []);
      const out: Event[] = [];
      let offset: string | undefined;
      let hasMore = false;
      for (;;) {
        const page = await client.read('events.list', pollOptions, (headers) =>
          client.sdk.event.list(
            {
              limit: Math.min(PAGE_LIMIT, limit + seen.size),
              'sort_by[asc]': 'occurred_at',
              ...(after !== undefined && { occurred_at: { after } }),
              ...(offset !== undefined && { offset }),
            },
            headers,
          ),
        );
        const fresh = page.list.map((e) => e.event).filter((e) => !seen.has(e.id));
        const room = limit - out.length;
        out.push(...fresh.slice(0, room));
        if (fresh.length > room) {
          hasMore = true;
          break;
        }
        offset = page.next_offset;
        if (offset === undefined || offset === '') break;
        if (out.length >= limit) {
          hasMore = true;
          break;
        }
      }
      const last = out.at(-1);
      if (!last) return { events: [], cursor: cursor ?? '', hasMore: false };
      const ids = out.filter((e) => e.occurred_at === last.occurred_at).map((e) => e.id);
      const carried = from && from.at === last.occurred_at ? from.ids : [];
      return {
        events: out.map((e) => toVendorEvent(e)),
        cursor: encodeCursor({ at: last.occurred_at, ids: [...carried, ...ids] }),
        hasMore,
      };
    },
    async readEvent(id, read) {
      const res = await client.read('events.retrieve', read, (headers) =>
        client.sdk.event.retrieve(id, headers),
      );
      return toVendorEvent(res.event);
    },
  };
}

function encodeCursor(cursor: Cursor): string {
  return `${cursor.at}:${cursor.ids.join(',')}`;
}

function decodeCursor(cursor: string): Cursor {
  const match = /^(\d+):([A-Za-z0-9_,-]*)$/.exec(cursor);
  if (!match) {
    throw new ValidationError(`not a chargebee event cursor: ${JSON.stringify(cursor)}`, {
      system: 'chargebee',
    });
  }
  return { at: Number(match[1]), ids: match[2] ? match[2].split(',') : [] };
}
