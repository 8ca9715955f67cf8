/**
 * The API's response types, for the browser. Type-only imports of the API's zod schemas: the
 * bundle carries none of their code (esbuild drops `import type`), and the dashboard cannot
 * drift from what the server sends.
 */
import type { z } from 'zod';
import type { Role } from '../governance/roles.ts';
import type { MetricsSummary as MetricsSummarySchema } from '../api/schemas/operations.ts';
import type {
  AttemptView,
  AuditView,
  ConnectionView,
  EntityView,
  EventView,
  ExceptionView,
  LineageItem,
  RunFullView,
  RunView,
  StepView,
  SystemView,
  XrefView,
} from '../api/schemas/records.ts';
import type { BusinessViewColumnType, BusinessViewInfo } from '../api/deps.ts';
import type { ErrorBody } from '../api/schemas/common.ts';
import type { CloseStatusBody } from '../api/schemas/close.ts';
import type {
  ReconDiscrepancyView,
  ReconRunDetail as ReconRunDetailBody,
  ReconRunView,
} from '../api/schemas/recon.ts';
import type {
  ChangeRequestView,
  WaitsForApproval as WaitsForApprovalSchema,
} from '../api/schemas/approvals.ts';
import type { StreamEventName } from '../api/event-streams.ts';

export type { Role, StreamEventName, ErrorBody };
export type Run = z.output<typeof RunView>;
export type RunFull = z.output<typeof RunFullView>;
export type Step = z.output<typeof StepView>;
export type Attempt = z.output<typeof AttemptView>;
export type ExceptionRecord = z.output<typeof ExceptionView>;
export type InboxEvent = z.output<typeof EventView>;
export type AuditEntry = z.output<typeof AuditView>;
export type Xref = z.output<typeof XrefView>;
export type Entity = z.output<typeof EntityView>;
export type Lineage = z.output<typeof LineageItem>;
export type Connection = z.output<typeof ConnectionView>;
export type SystemInfo = z.output<typeof SystemView>;
export type MetricsSummary = z.output<typeof MetricsSummarySchema>;
export type MetricsBucket = MetricsSummary['buckets'][number];
export type ViewInfo = BusinessViewInfo;
export type ColumnType = BusinessViewColumnType;

/** `GET /v1/whoami`. */
export interface Whoami {
  name: string;
  role: Role;
}

/** `GET /v1/runs`. */
export interface RunList {
  runs: Run[];
  nextBefore: number | null;
}

/** `GET /v1/runs/:id`. */
export interface RunDetail {
  run: RunFull;
  steps: Step[];
  failedAttempts: Attempt[];
  exception: ExceptionRecord | null;
  triggerEvent: InboxEvent | null;
}

/** `GET /v1/exceptions/:id`. */
export interface ExceptionDetail {
  exception: ExceptionRecord;
  run: Run | null;
  event: InboxEvent | null;
  audit: AuditEntry[];
  /** Change requests on this exception waiting for approval. */
  pendingApprovals: ChangeRequest[];
}

/** A change request (four-eyes approvals). */
export type ChangeRequest = z.output<typeof ChangeRequestView>;
/** The 202 answer of a protected action: it waits for approval. */
export type WaitsForApproval = z.output<typeof WaitsForApprovalSchema>;

/** `POST /v1/exceptions/retry`. */
export interface BulkRetryResult {
  results: { id: string; ok: boolean; error?: string }[];
  retried: number;
  failed: number;
}

/** `GET /v1/entities/:id`. */
export interface EntityDetail {
  id: string;
  entity: Entity | null;
  xrefs: Xref[];
  lineage: Lineage[];
}

/** `GET /v1/views/:name`. */
export interface ViewResult extends ViewInfo {
  columns: { name: string; title: string; type: ColumnType }[];
  rows: Record<string, unknown>[];
  rowCount: number;
}

/** One message of `GET /v1/events`; the payload's fields depend on the event. */
export interface LiveEvent {
  name: StreamEventName;
  at?: string;
  run?: {
    id: string;
    flow: string;
    entityKey: string;
    status: string;
    correlationId: string;
  };
  step?: string;
  error?: { code: string; message: string };
  [field: string]: unknown;
}

/** `GET /v1/close`. */
export type CloseStatus = CloseStatusBody;
export type CloseBlocker = CloseStatusBody['subsidiaries'][number]['blockers'][number];

/** One stored reconciliation run (`GET /v1/recon/runs`). */
export type ReconRun = ReconRunView;
export type ReconDiscrepancy = ReconDiscrepancyView;
/** `GET /v1/recon/runs`. */
export interface ReconRunList {
  runs: ReconRun[];
  nextBefore: number | null;
  /** The newest finished run of each period. */
  latestPerPeriod: ReconRun[];
}
/** `GET /v1/recon/runs/:id`. */
export type ReconRunDetail = z.infer<typeof ReconRunDetailBody>;
