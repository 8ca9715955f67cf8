import { z } from 'zod';
import { makeEnvelope } from '../../model/event-envelope.ts';
import { ValidationError } from '../../model/revsync-error.ts';
import type { PollResult, PollSource, ReadOptions, VendorEvent } from '../ports.ts';
import { bcId } from './business-central-erp.ts';
import type { BcEntity, BusinessCentralCallOptions, BusinessCentralClient } from './client.ts';
import { ENTITY_OF_SET, type BusinessCentralChange } from './events.ts';
import {
  externalIdFromCustomer,
  externalIdFromDocument,
  parsePaymentRecord,
  query,
} from './mapper.ts';

/** The entity sets the delta feed reads, in this order. */
export const DELTA_SETS = Object.keys(ENTITY_OF_SET) as (keyof typeof ENTITY_OF_SET)[];

/** Options of {@link BusinessCentralPoller}. */
export interface BusinessCentralPollerOptions {
  /** The companies to follow, asked on every poll (the environment's, read lazily). */
  companyIds: () => Promise<readonly string[]>;
  /** Events per poll when the caller gives no `limit` (default 200). */
  pageSize?: number;
  /** Where a first poll starts, ISO 8601 (default 30 days ago). */
  since?: string;
  now?: () => number;
}

/**
 * Per entity set: the `lastModifiedDateTime` of the last change read, and the changes stamped
 * with it already read (`<id>@<etag>`).
 */
const SetCursor = z.strictObject({ since: z.string(), seen: z.array(z.string()) });
const Cursor = z.strictObject({
  companies: z.record(z.string(), z.record(z.string(), SetCursor)),
});
type Cursor = z.infer<typeof Cursor>;

/**
 * The delta feed of the environment's companies: in each company, each entity set read with
 * `$filter=lastModifiedDateTime ge <cursor>&$orderby=lastModifiedDateTime`, the records of the
 * cursor's instant already read dropped, so a burst of changes stamped alike still moves on and a
 * record changed again at that instant (a new etag) is not lost. The fallback to webhooks (which
 * expire, and which Business Central gives up on after 36 hours): a missed notification is found
 * here. Drafts are skipped (they are not in the books); a payment is its journal batch.
 */
export class BusinessCentralPoller implements PollSource {
  readonly cursorName: string;
  readonly #client: BusinessCentralClient;
  readonly #companyIds: () => Promise<readonly string[]>;
  readonly #pageSize: number;
  readonly #since: string | undefined;
  readonly #now: () => number;
  readonly #customers = new Map<string, string | undefined>();

  constructor(client: BusinessCentralClient, options: BusinessCentralPollerOptions) {
    this.#client = client;
    this.#companyIds = options.companyIds;
    this.cursorName = 'business-central:delta';
    this.#pageSize = Math.max(1, Math.min(1000, options.pageSize ?? 200));
    this.#since = options.since;
    this.#now = options.now ?? Date.now;
  }

  async poll(
    cursor: string | undefined,
    options: ReadOptions & { limit?: number } = {},
  ): Promise<PollResult> {
    const start = new Date(Date.parse(this.#since ?? '') || this.#now() - 30 * 86_400_000);
    const from: Cursor = cursor === undefined ? { companies: {} } : parseCursor(cursor);
    const call = {
      operation: `poll.${this.cursorName}`,
      lane: options.lane ?? ('low' as const),
      ...(options.signal !== undefined && { signal: options.signal }),
      ...(options.traceparent !== undefined && { traceparent: options.traceparent }),
    };
    let remaining = Math.max(1, Math.min(1000, options.limit ?? this.#pageSize));
    const events: VendorEvent[] = [];
    const next: Cursor = { companies: { ...from.companies } };
    let hasMore = false;
    const work = (await this.#companyIds()).flatMap((companyId) =>
      DELTA_SETS.map((set) => ({ companyId: companyId.toLowerCase(), set })),
    );
    for (const { companyId, set } of work) {
      if (remaining === 0) {
        hasMore = true;
        break;
      }
      const sets = (next.companies[companyId] = { ...next.companies[companyId] });
      const at = sets[set] ?? { since: start.toISOString(), seen: [] };
      const seen = new Set(at.seen);
      const fetch = Math.min(1000, remaining + seen.size + 1);
      const rows = await this.#client.list(
        `companies(${companyId})/${set}${query({
          $filter: `lastModifiedDateTime ge ${at.since}`,
          $orderby: 'lastModifiedDateTime',
          $top: String(fetch),
        })}`,
        { ...call, operation: `${call.operation}.${set}` },
      );
      const fresh = rows.filter((r) => !seen.has(key(r)));
      const page = fresh.slice(0, remaining);
      if (fresh.length > page.length || rows.length >= fetch) hasMore = true;
      for (const row of page) {
        const event = await this.#event(companyId, set, row, call);
        if (event) events.push(event);
      }
      remaining -= page.length;
      const last = page.at(-1);
      if (last) {
        const stamp = String(last.lastModifiedDateTime);
        const carried = Date.parse(stamp) === Date.parse(at.since) ? at.seen : [];
        sets[set] = {
          since: stamp,
          seen: [
            ...carried,
            ...page
              .filter((r) => Date.parse(String(r.lastModifiedDateTime)) === Date.parse(stamp))
              .map(key),
          ],
        };
      } else {
        sets[set] = at;
      }
    }
    return { events, cursor: JSON.stringify(next), hasMore };
  }

  async #event(
    companyId: string,
    set: (typeof DELTA_SETS)[number],
    row: BcEntity,
    call: BusinessCentralCallOptions,
  ): Promise<VendorEvent | undefined> {
    const entity = ENTITY_OF_SET[set];
    let externalId: string | undefined;
    let customer: BusinessCentralChange['customer'];
    if (set === 'customers') {
      externalId = externalIdFromCustomer(row);
      this.#customers.set(`${companyId}:${row.id}`, externalId);
    } else if (set === 'customerPaymentJournals') {
      const record = parsePaymentRecord(row.displayName);
      // Only revsync's posted payments: other journal batches hold no payment.
      if (record?.date === undefined) return undefined;
      externalId = record.externalId;
    } else {
      if (row.status === 'Draft') return undefined;
      externalId = externalIdFromDocument(row);
      const customerId = typeof row.customerId === 'string' ? row.customerId : undefined;
      if (customerId !== undefined) {
        const cached = `${companyId}:${customerId}`;
        if (!this.#customers.has(cached)) {
          const c = await this.#client.get(`companies(${companyId})/customers(${customerId})`, {
            ...call,
            operation: 'customer.get',
          });
          this.#customers.set(cached, c ? externalIdFromCustomer(c) : undefined);
        }
        const customerExternalId = this.#customers.get(cached);
        customer = {
          id: bcId(companyId, customerId),
          ...(customerExternalId !== undefined && { externalId: customerExternalId }),
        };
      }
    }
    const stamp = String(row.lastModifiedDateTime);
    const data: BusinessCentralChange = {
      companyId,
      entitySet: set,
      id: row.id,
      lastModifiedDateTime: stamp,
      ...(externalId !== undefined && { externalId }),
      ...(customer !== undefined && { customer }),
      object: row,
    };
    return makeEnvelope<Record<string, unknown>>({
      source: 'business-central',
      type: `business-central.${entity}.updated`,
      id: `${companyId}:${set}:${key(row)}`,
      subject: bcId(companyId, row.id),
      time: new Date(Date.parse(stamp)).toISOString(),
      data: { ...data },
    });
  }
}

const key = (row: BcEntity) =>
  `${row.id}@${String(row['@odata.etag'] ?? row.lastModifiedDateTime)}`;

function parseCursor(text: string): Cursor {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const parsed = Cursor.safeParse(value);
  if (!parsed.success) {
    throw new ValidationError(`not a Business Central poll cursor: ${text.slice(0, 100)}`, {
      system: 'business-central',
    });
  }
  return parsed.data;
}
