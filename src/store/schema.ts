import type { ColumnType, Generated } from 'kysely';

/**
 * Row types of every table, exactly as stored. Timestamps are integer milliseconds since the
 * epoch; JSON columns are text holding JSON. Repositories convert rows to domain types; nothing
 * outside `store/` sees these.
 */
export interface Database {
  inbox_events: InboxEventTable;
  canonical_events: CanonicalEventTable;
  poll_cursors: PollCursorTable;
  xrefs: XrefTable;
  entities: EntityTable;
  runs: RunTable;
  steps: StepTable;
  step_attempts: StepAttemptTable;
  signals: SignalTable;
  exceptions: ExceptionTable;
  audit_log: AuditLogTable;
  sync_conflicts: SyncConflictTable;
  usage_records: UsageRecordTable;
  usage_manifests: UsageManifestTable;
  api_keys: ApiKeyTable;
  audit_chain_head: AuditChainHeadTable;
  audit_checkpoints: AuditCheckpointTable;
  change_requests: ChangeRequestTable;
  change_request_approvals: ChangeRequestApprovalTable;
  recon_runs: ReconRunTable;
  recon_items: ReconItemTable;
  crm_writebacks: CrmWritebackTable;
}

type Millis = number;
type JsonText = string;

export interface InboxEventTable {
  seq: Generated<number>;
  event_id: string;
  source: string;
  source_event_id: string;
  type: string;
  subject: string | null;
  entity_key: string | null;
  correlation_id: string;
  causation_id: string | null;
  envelope: JsonText;
  status: string;
  attempts: ColumnType<number, number | undefined, number>;
  error: JsonText | null;
  received_at: Millis;
  routed_at: Millis | null;
}

export interface CanonicalEventTable {
  seq: Generated<number>;
  event_id: string;
  inbox_seq: number;
  inbox_event_id: string;
  source: string;
  vendor_event_id: string;
  vendor_type: string;
  type: string;
  subject: string | null;
  entity_key: string | null;
  correlation_id: string;
  schema_version: number;
  data: JsonText;
  time: Millis | null;
  created_at: Millis;
}

export interface PollCursorTable {
  source: string;
  cursor: string;
  updated_at: Millis;
}

export interface XrefTable {
  canonical_id: string;
  entity_type: string;
  system: string;
  object_type: string;
  external_id: string;
  created_at: Millis;
}

export interface EntityTable {
  id: string;
  type: string;
  version: number;
  data: JsonText;
  updated_at: Millis;
  updated_by: string;
}

export interface RunTable {
  seq: Generated<number>;
  id: string;
  flow: string;
  flow_version: number;
  entity_key: string;
  status: string;
  priority: number;
  input: JsonText;
  input_revision: number;
  output: JsonText | null;
  trigger_event_id: string | null;
  correlation_id: string;
  causation_id: string | null;
  replay_of: string | null;
  attempt: number;
  current_step: string | null;
  available_at: Millis;
  lease_owner: string | null;
  lease_expires_at: Millis | null;
  wait_signal: string | null;
  wait_deadline: Millis | null;
  error: JsonText | null;
  created_at: Millis;
  updated_at: Millis;
  started_at: Millis | null;
  completed_at: Millis | null;
}

export interface StepTable {
  run_id: string;
  name: string;
  position: number;
  status: string;
  result: JsonText | null;
  attempts: number;
  idempotency_key: string;
  started_at: Millis;
  completed_at: Millis | null;
  wake_at: Millis | null;
}

export interface StepAttemptTable {
  id: Generated<number>;
  run_id: string;
  step_name: string;
  attempt: number;
  at: Millis;
  duration_ms: number;
  error: JsonText;
}

export interface SignalTable {
  key: string;
  payload: JsonText;
  created_at: Millis;
}

export interface ExceptionTable {
  id: string;
  kind: string;
  run_id: string | null;
  event_seq: number | null;
  flow: string | null;
  entity_key: string | null;
  step_name: string | null;
  error_code: string;
  error_name: string;
  message: string;
  error: JsonText;
  attempts: number;
  last_input: JsonText | null;
  status: string;
  correlation_id: string | null;
  created_at: Millis;
  updated_at: Millis;
  resolution: JsonText | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: Millis;
  actor: string;
  action: string;
  target_type: string;
  target_id: string;
  details: JsonText;
  /** Position in the hash chain: 1, 2, … without gaps (migration 0007). */
  seq: number;
  /** `hash` of the entry at `seq - 1`, or 64 zeros for the first. */
  prev_hash: string;
  /** SHA-256 (hex) over the canonical JSON of the entry's fields and `prev_hash`. */
  hash: string;
}

/** The one row (id 1) every audit append updates first: last position and hash. */
export interface AuditChainHeadTable {
  id: number;
  seq: number;
  hash: string;
}

/** A signed checkpoint of the audit chain. */
export interface AuditCheckpointTable {
  id: Generated<number>;
  seq: number;
  hash: string;
  at: Millis;
  key_id: string;
  /** The signer's public key, SPKI DER in base64. */
  public_key: string;
  /** Ed25519 signature (base64) over the checkpoint's canonical JSON. */
  signature: string;
}

export interface SyncConflictTable {
  id: string;
  entity_type: string;
  entity_id: string;
  kind: string;
  field: string | null;
  values: JsonText;
  message: string;
  status: string;
  correlation_id: string | null;
  created_at: Millis;
  resolved_at: Millis | null;
  resolution: JsonText | null;
}

export interface UsageRecordTable {
  source: string;
  dedupe_key: string;
  subscription_item_id: string;
  quantity: number;
  timestamp: Millis;
  received_at: Millis;
}

export interface UsageManifestTable {
  source: string;
  subscription_item_id: string;
  period_start: Millis;
  period_end: Millis;
  count: number;
  sum: number;
  closed_at: Millis;
}

export interface ApiKeyTable {
  id: string;
  name: string;
  role: string;
  secret_hash: string;
  created_at: Millis;
  created_by: string;
  last_used_at: Millis | null;
  revoked_at: Millis | null;
  revoked_by: string | null;
  expires_at: Millis | null;
  /** JSON array of scopes; null = the role alone decides. */
  scopes: JsonText | null;
  rotated_at: Millis | null;
  previous_secret_hash: string | null;
  previous_secret_expires_at: Millis | null;
}

export interface ChangeRequestTable {
  id: string;
  action: string;
  target_type: string;
  target_id: string;
  status: string;
  requested_by: string;
  requested_at: Millis;
  reason: string | null;
  /** What the action executes once approved (e.g. the edited input). */
  payload: JsonText;
  /** Before/after changes (`JsonChange[]`). */
  diff: JsonText;
  /** Why the policy protects it: the fields and kinds it touches, the run's flow. */
  impact: JsonText;
  amount_minor: number | null;
  currency: string | null;
  approvals_required: number;
  expires_at: Millis;
  decided_by: string | null;
  decided_at: Millis | null;
  decision_reason: string | null;
  executed_at: Millis | null;
  result: JsonText | null;
}

export interface ChangeRequestApprovalTable {
  request_id: string;
  approver: string;
  at: Millis;
  comment: string | null;
}

export interface ReconRunTable {
  id: string;
  /** Shared by the periods reconciled by one invocation. */
  batch_id: string;
  period: string;
  subsidiary: string | null;
  currency: string | null;
  /** `cli`, `schedule` or `api`. */
  trigger: string;
  actor: string;
  status: string;
  started_at: Millis;
  finished_at: Millis | null;
  discrepancy_count: number;
  in_flight_count: number;
  matched_count: number;
  /** Discrepancies per class (`Record<DiscrepancyClass, number>`). */
  summary: JsonText;
  /** Matches per rule (`Record<MatchRule, number>`). */
  matches: JsonText;
  out_of_scope: JsonText;
  payouts: JsonText | null;
  /** Why a `failed` run failed (`SerializedError`-like). */
  error: JsonText | null;
}

export interface ReconItemTable {
  run_id: string;
  seq: number;
  /** `discrepancy`, `in_flight` or `match`. */
  kind: string;
  class: string | null;
  billing_id: string | null;
  erp_id: string | null;
  crm_id: string | null;
  subsidiary: string | null;
  currency: string | null;
  billing_amount: number | null;
  erp_amount: number | null;
  correlation_id: string | null;
  run_ids: JsonText;
  rule: string | null;
  /** `{ amount, tax }` of a match, `number` of a discrepancy's match (minor units). */
  tolerance: JsonText | null;
  message: string | null;
  /** The rest of a discrepancy (e.g. `payout`). */
  detail: JsonText | null;
}

/** One billing field revsync last wrote to a CRM object, and when (migration 0013). */
export interface CrmWritebackTable {
  system: string;
  object_type: string;
  object_id: string;
  field: string;
  /** Canonical JSON of the canonical value written. */
  value: JsonText;
  written_at: Millis;
}
