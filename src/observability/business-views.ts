/**
 * The business-views contract: named queries over business state, implemented in `src/app/`,
 * served by the API (`/v1/views`), counted by the metrics and watched by the alerts.
 */

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
