import type { Logger } from 'pino';
import type { Clock } from '../engine/clock.ts';
import type { Engine } from '../engine/engine.ts';
import type { OutboundGateway } from '../gateway/outbound-gateway.ts';
import type { ApprovalPolicy } from '../governance/approval-policy.ts';
import type { ReconRunRecord } from '../store/recon-run-repository.ts';
import type { Store } from '../store/store.ts';
import type { BusinessViews } from '../observability/business-views.ts';
import type { UsageManifestInput, UsageRecordInput } from './schemas/usage.ts';
import type { CloseStatusBody } from './schemas/close.ts';

export type {
  BusinessViewColumn,
  BusinessViewColumnType,
  BusinessViewInfo,
  BusinessViewResult,
  BusinessViews,
} from '../observability/business-views.ts';

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

/** Close readiness of a period (`GET /v1/close`), implemented outside the API. */
export interface CloseReadiness {
  status(query: { period: string; subsidiary?: string }): Promise<CloseStatusBody>;
}

/**
 * Starting a stored reconciliation now (`POST /v1/recon/runs`), implemented outside the API:
 * answers the runs recorded as `running` (one per period) and finishes them in the background.
 * Throws a `ConflictError` while another reconciliation runs.
 */
export interface ReconStarter {
  start(request: {
    period: string;
    subsidiary?: string;
    actor: string;
    /** Repair what was found once the run is stored (audited per discrepancy, as the CLI's). */
    repair?: boolean;
  }): Promise<ReconRunRecord[]>;
}

/** What the HTTP API serves from. `store` is normally `engine.store`. */
export interface ApiDeps {
  store: Store;
  engine: Engine;
  gateway?: OutboundGateway;
  usage?: UsageIngest;
  views?: BusinessViews;
  close?: CloseReadiness;
  /** Reconciliation on demand; the stored runs are read from `store` either way. */
  recon?: ReconStarter;
  /** The system playing each role, as the registry names it (`GET /v1/systems`). */
  systems?: { role: 'crm' | 'billing' | 'erp'; system: string; displayName: string }[];
  /** Default: the engine's clock. */
  clock?: Clock;
  /** Which operator actions need a second person's approval (default: the default policy, on). */
  approvalPolicy?: ApprovalPolicy;
  /** Default: the engine's logger. */
  logger?: Logger;
}
