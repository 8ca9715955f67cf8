import type { Logger } from 'pino';
import type { Clock } from '../engine/clock.ts';
import type { Engine } from '../engine/engine.ts';
import type { OutboundGateway } from '../gateway/outbound-gateway.ts';
import type { Store } from '../store/store.ts';
import type { UsageManifestInput, UsageRecordInput } from './schemas/usage.ts';

/** Who performs a write; `actor` is the API key's name and lands in the audit log. */
export interface ApiActor {
  actor: string;
}

/**
 * Usage ingestion (usage-to-invoice), implemented outside the API. `POST /v1/usage` and
 * `POST /v1/usage/periods/close` call it with validated input; without one configured they
 * answer 503 `unavailable`.
 */
export interface UsageIngest {
  /**
   * Durably records measurements, de-duplicated on `dedupeKey`; resolves once committed. A record
   * whose key was seen before counts as a duplicate, not an error. The API does not audit
   * these calls (usage is data, at volume); `actor` is given for the ingest's own records.
   */
  record(
    records: UsageRecordInput[],
    actor: ApiActor,
  ): Promise<{ accepted: number; duplicates: number }>;
  /**
   * Closes a period with the producer's manifest (count and sum of quantities). Throws a
   * `ValidationError` or `ConflictError` when what arrived does not match (the API answers 400 or
   * 409 with that message). The API audits the close itself, with `actor`.
   */
  closePeriod(manifest: UsageManifestInput, actor: ApiActor): Promise<void>;
}

/** How a business view's column is meant to be shown. */
export type BusinessViewColumnType =
  | 'string'
  | 'number'
  | 'boolean'
  /** ISO 8601 instant. */
  | 'timestamp'
  /** `{ amount: integer minor units, currency: ISO 4217 }`. */
  | 'money'
  | 'json';

/** A column of a business view. */
export interface BusinessViewColumn {
  /** Key of the value in each row. */
  name: string;
  title: string;
  type: BusinessViewColumnType;
}

/** What a business view is, for the dashboard's menu. */
export interface BusinessViewInfo {
  /** Stable kebab-case name used in `/v1/views/:name`, e.g. `invoices-awaiting-erp`. */
  name: string;
  title: string;
  description: string;
}

/** The rows of one business view. */
export interface BusinessViewResult {
  columns: BusinessViewColumn[];
  rows: Record<string, unknown>[];
}

/**
 * Named queries over business state that the dashboard shows ("invoices awaiting ERP posting",
 * "amendments awaiting posting", "sync conflicts", "payments not yet applied"), implemented
 * outside the API and served at `GET /v1/views` and `GET /v1/views/:name`. `/metrics` exports
 * each view's row count as `revsync_business_view_rows{view}`.
 */
export interface BusinessViews {
  listViews(): BusinessViewInfo[];
  /** Runs the view; `params` are the request's query parameters. Unknown names never reach it. */
  view(name: string, params: Record<string, string>): Promise<BusinessViewResult>;
  /** Counts a view's rows cheaply; when absent, `/metrics` runs the view and counts its rows. */
  count?(name: string): Promise<number>;
}

/** What the HTTP API serves from. `store` is normally `engine.store`. */
export interface ApiDeps {
  store: Store;
  engine: Engine;
  gateway?: OutboundGateway;
  usage?: UsageIngest;
  views?: BusinessViews;
  /** Default: the engine's clock. */
  clock?: Clock;
  /** Default: the engine's logger. */
  logger?: Logger;
}
