import type Stripe from 'stripe';
import type { PollResult, PollSource, ReadOptions } from '../ports.ts';
import { NotFoundError, ValidationError } from '../../model/revsync-error.ts';
import { PAGE_LIMIT, type StripeClient } from './client.ts';
import { toVendorEvent, unixSeconds } from './mapper.ts';

/** Options of {@link createStripeEventPoller}. */
export interface StripeEventPollerOptions {
  /** Only these event types (Stripe's `types[]`, e.g. `invoice.*`); default every type. */
  types?: string[];
  /**
   * Where a poll without a cursor starts (ISO time); default the oldest event Stripe still
   * keeps (30 days).
   */
  startAt?: string;
  /** Events per poll (1–100, default 100). */
  limit?: number;
}

/** The cursor row name of the Stripe event feed. */
export const STRIPE_EVENTS_CURSOR = 'stripe:events';

interface Cursor {
  id: string;
  created: number;
}

/**
 * Catch-up through `GET /v1/events`, oldest first. Stripe lists newest first, so a poll asks
 * for the page just newer than the cursor event (`ending_before=<id>`; exclusive, by list
 * position, so events within one second keep their order) and reverses it. The cursor is the
 * last returned event, `<evt id>@<created>`: nothing is returned twice and nothing skipped.
 * `hasMore` is Stripe's `has_more` (newer events wait).
 *
 * Without a cursor the feed starts at the oldest event (or `startAt`). If the cursor event
 * is gone (Stripe keeps events 30 days), the poll restarts from the cursor's second: a few
 * events may come again, which the inbox de-duplicates by id; none is skipped. Events map
 * exactly as webhook deliveries do ({@link toVendorEvent}), so one event arriving both ways is
 * one inbox entry.
 */
export function createStripeEventPoller(
  client: StripeClient,
  options: StripeEventPollerOptions = {},
): PollSource {
  const filter: Stripe.EventListParams = options.types ? { types: options.types } : {};
  const sdk = client.sdk;

  const result = (ascending: Stripe.Event[], cursor: string, hasMore: boolean): PollResult => {
    const last = ascending.at(-1);
    return {
      events: ascending.map((e) => toVendorEvent(e)),
      cursor: last ? encodeCursor(last) : cursor,
      hasMore,
    };
  };

  /** The oldest `limit` events from `createdGte` on: walks back to the start of the feed. */
  const fromStart = async (
    createdGte: number | undefined,
    limit: number,
    read: ReadOptions | undefined,
    cursor: string,
  ): Promise<PollResult> => {
    const tail: Stripe.Event[] = [];
    let total = 0;
    let after: string | undefined;
    for (;;) {
      const page = await client.read('events.list', read, (request) =>
        sdk.events.list(
          {
            ...filter,
            limit: client.pageSize,
            ...(createdGte !== undefined && { created: { gte: createdGte } }),
            ...(after !== undefined && { starting_after: after }),
          },
          request,
        ),
      );
      total += page.data.length;
      // Newest first: the oldest events are the last ones seen; keep only `limit` of them.
      tail.push(...page.data);
      if (tail.length > limit) tail.splice(0, tail.length - limit);
      const last = page.data.at(-1);
      if (!page.has_more || last === undefined) break;
      after = last.id;
    }
    return result(tail.reverse(), cursor, total > tail.length);
  };

  return {
    cursorName: STRIPE_EVENTS_CURSOR,
    catchUp: true,
    async poll(cursor, pollOptions) {
      const limit = Math.min(PAGE_LIMIT, Math.max(1, pollOptions?.limit ?? options.limit ?? 100));
      if (cursor === undefined || cursor === '') {
        const start = options.startAt === undefined ? undefined : unixSeconds(options.startAt);
        return fromStart(start, limit, pollOptions, '');
      }
      const at = decodeCursor(cursor);
      try {
        const page = await client.read('events.list', pollOptions, (request) =>
          sdk.events.list({ ...filter, limit, ending_before: at.id }, request),
        );
        return result([...page.data].reverse(), cursor, page.has_more);
      } catch (caught) {
        if (!(caught instanceof NotFoundError)) throw caught;
        return fromStart(at.created, limit, pollOptions, cursor);
      }
    },
  };
}

function encodeCursor(event: Stripe.Event): string {
  return `${event.id}@${event.created}`;
}

function decodeCursor(cursor: string): Cursor {
  const match = /^(evt_[A-Za-z0-9_]+)@(\d+)$/.exec(cursor);
  if (!match) {
    throw new ValidationError(`not a stripe event cursor: ${JSON.stringify(cursor)}`, {
      system: 'stripe',
    });
  }
  return { id: match[1]!, created: Number(match[2]) };
}
