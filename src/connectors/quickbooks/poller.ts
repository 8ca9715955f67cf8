import { z } from 'zod';
import { makeEnvelope } from '../../model/event-envelope.ts';
import { ValidationError } from '../../model/revsync-error.ts';
import type { PollResult, PollSource, ReadOptions, VendorEvent } from '../ports.ts';
import type { QboObject, QuickbooksCallOptions, QuickbooksClient } from './client.ts';
import type { QuickbooksChange } from './events.ts';
import { externalIdFromNote, refValue } from './mapper.ts';
import { qboId } from './quickbooks-erp.ts';

/** The entities the change feed reads. */
export const CDC_ENTITIES = [
  'Customer',
  'Invoice',
  'CreditMemo',
  'Payment',
  'RefundReceipt',
] as const;

/** Options of {@link QuickbooksPoller}. */
export interface QuickbooksPollerOptions {
  realmId: string;
  /** Events per poll when the caller gives no `limit` (default 200). */
  pageSize?: number;
  /** Where a first poll starts (default: as far back as CDC goes, 30 days less a minute). */
  since?: string;
  now?: () => number;
}

/**
 * Where the next poll starts: the `LastUpdatedTime` (whole seconds) of the last change read,
 * and the changes of that second already read (`Entity:Id:SyncToken`).
 */
const Cursor = z.strictObject({ since: z.string(), seen: z.array(z.string()) });
type Cursor = z.infer<typeof Cursor>;

const CDC_WINDOW_MS = 30 * 86_400_000;

/**
 * The change feed of one company over CDC (`/cdc?entities=…&changedSince=…`). QuickBooks stamps
 * changes to the second and answers at most 1000 objects from `changedSince` on, oldest first,
 * with no paging of its own: each poll asks from the cursor's second again, drops what that
 * second already gave, and keeps the rest up to the page size — so a second holding more
 * changes than a page still moves on, and a change stamped with the cursor's second after it was
 * read (a new `SyncToken`) is not lost. CDC reaches 30 days back: a cursor older than that
 * starts at the window's edge (what changed before then is reconciliation's to find).
 */
export class QuickbooksPoller implements PollSource {
  readonly cursorName: string;
  readonly #client: QuickbooksClient;
  readonly #realmId: string;
  readonly #pageSize: number;
  readonly #since: string | undefined;
  readonly #now: () => number;
  readonly #customers = new Map<string, string | undefined>();

  constructor(client: QuickbooksClient, options: QuickbooksPollerOptions) {
    this.#client = client;
    this.#realmId = options.realmId;
    this.cursorName = `quickbooks:cdc:${options.realmId}`;
    this.#pageSize = Math.max(1, Math.min(1000, options.pageSize ?? 200));
    this.#since = options.since;
    this.#now = options.now ?? Date.now;
  }

  async poll(
    cursor: string | undefined,
    options: ReadOptions & { limit?: number } = {},
  ): Promise<PollResult> {
    const edge = this.#now() - CDC_WINDOW_MS + 60_000;
    const from: Cursor =
      cursor === undefined
        ? { since: new Date(Date.parse(this.#since ?? '') || edge).toISOString(), seen: [] }
        : parseCursor(cursor);
    const sinceMs = Math.max(
      Math.floor(Date.parse(from.since) / 1000) * 1000,
      Math.ceil(edge / 1000) * 1000,
    );
    const call = {
      operation: `poll.${this.cursorName}`,
      lane: options.lane ?? ('low' as const),
      ...(options.signal !== undefined && { signal: options.signal }),
      ...(options.traceparent !== undefined && { traceparent: options.traceparent }),
    };
    const changes = await this.#client.cdc(
      this.#realmId,
      CDC_ENTITIES,
      new Date(sinceMs).toISOString(),
      call,
    );
    const seen = new Set(from.seen);
    const rows = changes
      .map((c) => ({
        ...c,
        at: Date.parse(
          String(
            (c.object.MetaData as { LastUpdatedTime?: unknown } | undefined)?.LastUpdatedTime ?? '',
          ),
        ),
      }))
      .filter((c) => !Number.isNaN(c.at))
      .map((c) => ({ ...c, key: `${c.entity}:${c.object.Id}:${c.object.SyncToken}` }))
      .filter((c) => !seen.has(c.key) && c.at >= sinceMs)
      .sort(
        (a, b) =>
          a.at - b.at ||
          a.entity.localeCompare(b.entity) ||
          Number(a.object.Id) - Number(b.object.Id),
      );
    const limit = Math.max(1, Math.min(1000, options.limit ?? this.#pageSize));
    const page = rows.slice(0, limit);
    const events: VendorEvent[] = [];
    for (const row of page) events.push(await this.#event(row.entity, row.object, call));
    let next = from;
    const last = page.at(-1);
    if (last) {
      const second = new Date(Math.floor(last.at / 1000) * 1000).toISOString();
      const carried = second === new Date(sinceMs).toISOString() ? from.seen : [];
      next = {
        since: second,
        seen: [
          ...carried,
          ...page
            .filter((r) => Math.floor(r.at / 1000) * 1000 === Date.parse(second))
            .map((r) => r.key),
        ],
      };
    }
    return {
      events,
      cursor: JSON.stringify(next),
      hasMore: rows.length > page.length || changes.length >= 1000,
    };
  }

  async #event(
    entity: string,
    object: QboObject,
    call: QuickbooksCallOptions,
  ): Promise<VendorEvent> {
    const lastUpdated = String((object.MetaData as { LastUpdatedTime?: unknown }).LastUpdatedTime);
    const note = entity === 'Customer' ? object.Notes : object.PrivateNote;
    const externalId = externalIdFromNote(note);
    let customer: QuickbooksChange['customer'];
    if (entity === 'Customer') {
      this.#customers.set(object.Id, externalId);
    } else {
      const customerId = refValue(object.CustomerRef);
      if (customerId !== undefined) {
        if (!this.#customers.has(customerId)) {
          const c = await this.#client.read(this.#realmId, 'Customer', customerId, {
            ...call,
            operation: 'customer.get',
          });
          this.#customers.set(customerId, externalIdFromNote(c?.Notes));
        }
        const customerExternalId = this.#customers.get(customerId);
        customer = {
          id: qboId(this.#realmId, customerId),
          ...(customerExternalId !== undefined && { externalId: customerExternalId }),
        };
      }
    }
    const data: QuickbooksChange = {
      realmId: this.#realmId,
      entity,
      id: object.Id,
      syncToken: object.SyncToken,
      lastUpdated,
      ...(externalId !== undefined && { externalId }),
      ...(customer !== undefined && { customer }),
      object,
    };
    return makeEnvelope<Record<string, unknown>>({
      source: 'quickbooks',
      type: `quickbooks.${entity.toLowerCase()}.${object.SyncToken === '0' ? 'created' : 'updated'}`,
      id: `${this.#realmId}:${entity}:${object.Id}:${object.SyncToken}`,
      subject: qboId(this.#realmId, object.Id),
      time: new Date(Date.parse(lastUpdated)).toISOString(),
      data: { ...data },
    });
  }
}

function parseCursor(text: string): Cursor {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const parsed = Cursor.safeParse(value);
  if (!parsed.success || Number.isNaN(Date.parse(parsed.data.since))) {
    throw new ValidationError(`not a QuickBooks poll cursor: ${text.slice(0, 100)}`, {
      system: 'quickbooks',
    });
  }
  return parsed.data;
}
