/**
 * What flows need besides the outside systems: revsync's own records (cross-references,
 * canonical entities, sync conflicts, the usage ledger, the CRM write-back ledger) and the
 * business rules from configuration. Flows see these as interfaces; `src/app/` implements them
 * on the store.
 */
import type { BillingSystem, CrmBillingStatus, CrmSystem, ErpSystem } from '../connectors/ports.ts';

export interface XrefLink {
  canonicalId: string;
  entityType: string;
  system: string;
  objectType: string;
  externalId: string;
}

export interface CrossReferences {
  /** Canonical id linked to the outside object, if any. */
  find(system: string, objectType: string, externalId: string): Promise<string | undefined>;
  /** Outside id of the canonical record in `system`, if any. */
  findExternal(
    canonicalId: string,
    system: string,
    objectType: string,
  ): Promise<string | undefined>;
  /** Links both ways; linking again is a no-op; a contradicting link throws `ConflictError`. */
  link(link: XrefLink): Promise<void>;
  /**
   * Moves the canonical record's link from `previousExternalId` (a stale id: the outside object
   * was deleted) to `link.externalId`. Only a link that still points at `previousExternalId`
   * moves; already moved is a no-op; any other link throws `ConflictError`.
   */
  relink(link: XrefLink, previousExternalId: string): Promise<void>;
}

export interface StoredEntity<T> {
  version: number;
  data: T;
}

/** The canonical entity store (optimistic versions). */
export interface Entities {
  get<T>(id: string): Promise<StoredEntity<T> | undefined>;
  /** Writes when the stored version is still `expectedVersion` (0 = new); returns the new version. */
  put<T>(entity: {
    id: string;
    type: string;
    data: T;
    expectedVersion?: number;
    by: string;
  }): Promise<number>;
  /** Records of a type (match rules scan customers). */
  list<T>(type: string): Promise<{ id: string; data: T }[]>;
}

export interface ConflictInput {
  entityType: string;
  entityId: string;
  kind: 'field' | 'duplicate';
  field?: string;
  values: Record<string, unknown>;
  message: string;
  correlationId: string;
}

export interface SyncConflicts {
  /** Queues a conflict for a person (no-op if the same one is open). */
  open(conflict: ConflictInput): Promise<void>;
}

/** How complete a usage period is, per source, against the manifests. */
export interface UsageCompleteness {
  complete: boolean;
  /** One line per problem, e.g. `source meter-a: 90 of 100 records`. */
  problems: string[];
  quantity: number;
  records: number;
}

export interface UsageLedger {
  completeness(input: {
    subscriptionItemId: string;
    periodStart: string;
    periodEnd: string;
  }): Promise<UsageCompleteness>;
}

/** A CRM object revsync writes billing fields to (in the CRM connection's system). */
export interface CrmWriteTarget {
  objectType: 'account' | 'opportunity';
  id: string;
}

/**
 * The CRM billing write-back ledger: per CRM object and billing field, the value revsync last
 * wrote and when, in revsync's store (so every worker sees the same). Flows consult it before a
 * write-back to skip a repeat of what they wrote less than the TTL ago.
 */
export interface CrmWriteLedger {
  /**
   * Whether every value given in `status` is the one revsync last wrote to that field of the
   * object, less than the TTL ago (false when any field was never written or differs).
   */
  unchanged(target: CrmWriteTarget, status: CrmBillingStatus): Promise<boolean>;
  /** Records the values given in `status` as written to the object now (after the write). */
  written(target: CrmWriteTarget, status: CrmBillingStatus): Promise<void>;
}

/** A region's booking rule. */
export interface RegionRule {
  subsidiary: string;
  currency: string;
  countries?: string[];
}

/** Business rules from configuration. */
export interface FlowRules {
  regions: Record<string, RegionRule>;
  defaultRegion: string;
  /** entity type → field → owning role (`crm`, `billing`, `erp`). */
  ownership: Record<string, Record<string, string>>;
  /** Lists of fields; a customer matching an existing one on all fields of any list is a duplicate. */
  matchRules: ('normalizedName' | 'domain' | 'taxId' | 'country')[][];
  /** Sources that must report a usage period before it is billed. */
  usageSources: string[];
  /** How often an incomplete usage period is checked again (default 5 minutes). */
  usageRecheckMs?: number;
}

/** Everything a flow factory gets. */
export interface FlowDeps {
  crm: CrmSystem;
  billing: BillingSystem;
  erp: ErpSystem;
  xrefs: CrossReferences;
  entities: Entities;
  conflicts: SyncConflicts;
  usage: UsageLedger;
  rules: FlowRules;
  crmWrites: CrmWriteLedger;
}
