import { Client } from '@hubspot/api-client';
import type { PromiseConfigurationOptions } from '@hubspot/api-client/lib/codegen/crm/objects/configuration.js';
import type { OutboundConnection } from '../../gateway/outbound-gateway.ts';
import { ValidationError } from '../../model/revsync-error.ts';
import type { ReadOptions } from '../ports.ts';
import { toRevsyncError } from './errors.ts';

/** The CRM object types the connector reads and writes. */
export type HubspotObjectType = 'companies' | 'contacts' | 'deals' | 'line_items';

/** A CRM record as the API answers it (property values are strings, as HubSpot's are). */
export interface HubspotRecord {
  id: string;
  properties: Record<string, string | null>;
  /** `GET …?associations=…`: associated ids per object type. */
  associations?: Record<string, { results: { id: string; type: string }[] }>;
}

/** One filter of a search. */
export interface HubspotFilter {
  propertyName: string;
  operator: 'EQ' | 'NEQ' | 'LT' | 'LTE' | 'GT' | 'GTE' | 'IN' | 'HAS_PROPERTY';
  value?: string;
  values?: string[];
}

/** A search request (`POST /crm/v3/objects/{type}/search`). */
export interface HubspotSearch {
  filterGroups: { filters: HubspotFilter[] }[];
  sorts: { propertyName: string; direction: 'ASCENDING' | 'DESCENDING' }[];
  properties: string[];
  limit: number;
  after?: string;
}

/** A pipeline stage as the connector needs it. */
export interface HubspotStage {
  id: string;
  pipelineId: string;
  closedWon: boolean;
  closed: boolean;
}

/** Options of {@link HubspotClient}. */
export interface HubspotClientOptions {
  accessToken: string;
  /** Default `https://api.hubapi.com`. */
  basePath?: string;
  /** The account's governor and circuit breaker; every request passes through it. */
  connection: OutboundConnection;
}

const HUBSPOT_ID = /^\d{1,20}$/;
/** HubSpot's search endpoints allow 5 requests per second per account: space them ≥ 210 ms. */
const SEARCH_SPACING_MS = 210;

/**
 * The authenticated HubSpot client: `@hubspot/api-client` with a private-app token. Every call
 * goes through the connection's governor and circuit breaker and has its errors classified into
 * revsync errors. The SDK's own retries are off (the engine retries, honouring `Retry-After`).
 */
export class HubspotClient {
  readonly #connection: OutboundConnection;
  readonly #objects: Client['crm']['objects'];
  readonly #associations: Client['crm']['associations']['v4'];
  readonly #pipelines: Client['crm']['pipelines'];
  /** When the next search may start (searches are spaced to stay under 5 per second). */
  #nextSearchAt = 0;

  constructor(options: HubspotClientOptions) {
    const sdk = new Client({
      accessToken: options.accessToken,
      ...(options.basePath !== undefined && { basePath: options.basePath.replace(/\/+$/, '') }),
      numberOfApiCallRetries: 0,
    });
    // The SDK applies its retry decorators, a process-wide setting, when an API group is first
    // touched: take every group now, while this client's setting (no retries) is the current one.
    this.#objects = sdk.crm.objects;
    this.#associations = sdk.crm.associations.v4;
    this.#pipelines = sdk.crm.pipelines;
    void this.#objects.basicApi;
    this.#connection = options.connection;
  }

  /** Runs one SDK call through the governor; its failure as a revsync error. */
  call<T>(
    operation: string,
    options: ReadOptions,
    fn: (sdk: PromiseConfigurationOptions) => Promise<T>,
  ): Promise<T> {
    return this.#connection.call(
      {
        operation,
        ...(options.lane !== undefined && { lane: options.lane }),
        ...(options.signal !== undefined && { signal: options.signal }),
      },
      async (signal) => {
        signal?.throwIfAborted();
        try {
          return await fn(
            sdkOptions(options.traceparent, (used, limit) =>
              this.#connection.reportUsage(used, limit),
            ),
          );
        } catch (caught) {
          throw toRevsyncError(caught);
        }
      },
    );
  }

  /** One record with these properties (and associated ids of `associations`). */
  getObject(
    type: HubspotObjectType,
    id: string,
    properties: readonly string[],
    associations: readonly string[] = [],
    options: ReadOptions = {},
  ): Promise<HubspotRecord> {
    hubspotId(id);
    return this.call(`${type}.get`, options, async (sdk) => {
      const r = await this.#objects.basicApi.getById(
        type,
        id,
        [...properties],
        undefined,
        associations.length > 0 ? [...associations] : undefined,
        undefined,
        undefined,
        sdk,
      );
      return toRecord(r);
    });
  }

  /** Every record of a type, one page (of 100) per governed call. */
  async *pages(
    type: HubspotObjectType,
    properties: readonly string[],
    options: ReadOptions = {},
  ): AsyncGenerator<HubspotRecord[]> {
    let after: string | undefined;
    do {
      const page = await this.call(`${type}.list`, options, (sdk) =>
        this.#objects.basicApi.getPage(
          type,
          100,
          after,
          [...properties],
          undefined,
          undefined,
          undefined,
          sdk,
        ),
      );
      yield page.results.map(toRecord);
      after = page.paging?.next?.after;
    } while (after !== undefined);
  }

  /** Records by id, in the order of `ids` (missing ones left out). */
  async batchRead(
    type: HubspotObjectType,
    ids: readonly string[],
    properties: readonly string[],
    options: ReadOptions = {},
  ): Promise<HubspotRecord[]> {
    const out: HubspotRecord[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      const chunk = ids.slice(i, i + 100);
      const page = await this.call(`${type}.batch_read`, options, (sdk) =>
        this.#objects.batchApi.read(
          type,
          {
            inputs: chunk.map((id) => ({ id })),
            properties: [...properties],
            propertiesWithHistory: [],
          },
          undefined,
          sdk,
        ),
      );
      out.push(...page.results.map(toRecord));
    }
    const order = new Map(ids.map((id, i) => [id, i]));
    return out.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  }

  /** A partial update of `properties`. */
  async update(
    type: HubspotObjectType,
    id: string,
    properties: Record<string, string>,
    options: ReadOptions = {},
  ): Promise<void> {
    hubspotId(id);
    await this.call(`${type}.update`, options, (sdk) =>
      this.#objects.basicApi.update(type, id, { properties }, undefined, sdk),
    );
  }

  /** One page of a search. */
  search(
    type: HubspotObjectType,
    request: HubspotSearch,
    options: ReadOptions = {},
  ): Promise<{ results: HubspotRecord[]; total: number; after: string | undefined }> {
    return this.call(`${type}.search`, options, async (sdk) => {
      const wait = this.#nextSearchAt - Date.now();
      this.#nextSearchAt = Math.max(Date.now(), this.#nextSearchAt) + SEARCH_SPACING_MS;
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const page = await this.#objects.searchApi.doSearch(
        type,
        {
          ...request,
          // The SDK types `sorts` as strings; the API takes {propertyName, direction} objects.
          sorts: request.sorts as unknown as string[],
          filterGroups: request.filterGroups as never,
        },
        sdk,
      );
      return {
        results: page.results.map(toRecord),
        total: page.total,
        after: page.paging?.next?.after,
      };
    });
  }

  /** The ids of `to` records associated with each of `ids` (v4 batch read). */
  async associatedIds(
    from: HubspotObjectType,
    to: HubspotObjectType,
    ids: readonly string[],
    options: ReadOptions = {},
  ): Promise<Map<string, { id: string; typeIds: number[] }[]>> {
    const found = new Map<string, { id: string; typeIds: number[] }[]>();
    for (let i = 0; i < ids.length; i += 100) {
      const chunk = ids.slice(i, i + 100);
      const page = await this.call(`${from}.associations`, options, (sdk) =>
        this.#associations.batchApi.getPage(
          from,
          to,
          { inputs: chunk.map((id) => ({ id })) },
          sdk as never,
        ),
      );
      for (const r of page.results) {
        found.set(
          String(r._from.id),
          r.to.map((t) => ({
            id: String(t.toObjectId),
            typeIds: t.associationTypes.map((a) => a.typeId),
          })),
        );
      }
    }
    return found;
  }

  /** Every deal stage of every deal pipeline. */
  dealStages(options: ReadOptions = {}): Promise<HubspotStage[]> {
    return this.call('pipelines.get', options, async (sdk) => {
      const page = await this.#pipelines.pipelinesApi.getAll('deals', sdk as never);
      return page.results.flatMap((p) =>
        p.stages.map((s) => {
          const closed = s.metadata?.['isClosed'] === 'true';
          return {
            id: s.id,
            pipelineId: p.id,
            closed,
            closedWon: closed && Number(s.metadata?.['probability']) === 1,
          };
        }),
      );
    });
  }
}

/**
 * Per-call SDK options: a middleware that adds `traceparent` (when given) and hands the answer's
 * `X-HubSpot-RateLimit-Daily` / `-Daily-Remaining` headers to `onUsage`.
 */
function sdkOptions(
  traceparent: string | undefined,
  onUsage: (used: number, limit: number) => void,
): PromiseConfigurationOptions {
  return {
    middlewareMergeStrategy: 'append',
    middleware: [
      {
        pre: (context) => {
          if (traceparent) context.setHeaderParam('traceparent', traceparent);
          return Promise.resolve(context);
        },
        post: (context) => {
          const limit = Number(context.headers['x-hubspot-ratelimit-daily']);
          const remaining = Number(context.headers['x-hubspot-ratelimit-daily-remaining']);
          if (limit > 0 && Number.isFinite(remaining))
            onUsage(Math.max(0, limit - remaining), limit);
          return Promise.resolve(context);
        },
      },
    ],
  };
}

/**
 * Checks a record id before it goes into a path.
 *
 * @throws ValidationError when `id` is not a HubSpot record id (digits).
 */
export function hubspotId(id: string): string {
  if (!HUBSPOT_ID.test(id)) {
    throw new ValidationError(`${JSON.stringify(id)} is not a HubSpot record id`, {
      system: 'hubspot',
    });
  }
  return id;
}

function toRecord(r: {
  id: string;
  properties: Record<string, string | null>;
  associations?: Record<string, { results: { id: string; type: string }[] }>;
}): HubspotRecord {
  return {
    id: r.id,
    properties: { ...r.properties },
    ...(r.associations !== undefined && { associations: r.associations }),
  };
}
