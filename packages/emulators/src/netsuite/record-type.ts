import type { BodyReader, RefInput } from './body-reader.ts';
import { invalidContent } from './errors.ts';
import type {
  JsonObject,
  NetsuiteState,
  NsRecord,
  RecordBase,
  RecordOf,
  RecordTypeName,
} from './state.ts';

export type { RecordOf } from './state.ts';

/** What a record type's `write` may consult. */
export interface WriteContext {
  state: NetsuiteState;
  /** Emulator-clock epoch ms (whole seconds). */
  nowMs: number;
  /** `YYYY-MM-DD` of `nowMs` (UTC): the default `tranDate`. */
  today: string;
}

/** What a record type's views may consult. */
export interface ViewContext {
  state: NetsuiteState;
  /** `http://host:port/services/rest/record/v1`, for `links`. */
  recordUrl: string;
}

/**
 * One REST record type. The record service does what is common to every type (ids, external
 * ids, timestamps, custom fields, unknown-field checks); the type validates and builds its own
 * fields and renders them.
 */
export interface RecordType<T extends RecordTypeName = RecordTypeName> {
  readonly name: T;
  /** As NetSuite names it in messages and `refName`s, e.g. `Invoice`. */
  readonly label: string;
  /** Seeded, read-only lists (subsidiary, currency, account). */
  readonly readOnly?: boolean;
  /** Prefix of the custom body fields it stores, e.g. `custentity_`. */
  readonly customPrefix?: string;
  /** Names of its sublists (`item`, `apply`, `line`). */
  readonly sublists: readonly string[];
  /** Builds the new record (or the updated copy of `existing`) from the request body. */
  write?(
    r: BodyReader,
    existing: RecordOf<T> | undefined,
    base: RecordBase,
    ctx: WriteContext,
  ): RecordOf<T>;
  /** Body fields of the REST representation, without `links`, `id`, sublists or custom fields. */
  view(record: RecordOf<T>, ctx: ViewContext): JsonObject;
  /** The lines of a sublist, each without `links`. */
  lines?(record: RecordOf<T>, sublist: string, ctx: ViewContext): JsonObject[];
  /** Why the record cannot be deleted, when it cannot. */
  deleteBlocker?(record: RecordOf<T>, state: NetsuiteState): string | undefined;
}

/** `2026-01-15T10:00:00Z`, as NetSuite REST renders date-times. */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `YYYY-MM-DD` (UTC) of an epoch-ms time. */
export function dateOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

const TRANSACTION_LABEL: Record<string, string> = {
  invoice: 'Invoice',
  creditmemo: 'Credit Memo',
  customerpayment: 'Payment',
  journalentry: 'Journal',
  deposit: 'Deposit',
};

/** The `refName` NetSuite shows for a reference to this record. */
export function refNameOf(record: NsRecord): string {
  switch (record.type) {
    case 'customer': {
      const name = customerName(record);
      return name === record.entityId ? name : `${record.entityId} ${name}`;
    }
    case 'noninventorysaleitem':
    case 'serviceitem':
      return record.itemId;
    case 'subsidiary':
    case 'currency':
      return record.name;
    case 'account':
      return `${record.acctNumber} ${record.acctName}`;
    default:
      return `${TRANSACTION_LABEL[record.type] ?? record.type} #${record.tranId}`;
  }
}

/** A customer's display name: the company, or the person's first and last name. */
export function customerName(c: Extract<NsRecord, { type: 'customer' }>): string {
  return c.isPerson ? [c.firstName, c.lastName].filter(Boolean).join(' ') : (c.companyName ?? '');
}

/** A `{ links, id, refName }` reference as NetSuite renders one. */
export function refView(ctx: ViewContext, type: RecordTypeName, id: string): JsonObject {
  const target = ctx.state.get(type, id);
  return {
    links: [{ rel: 'self', href: `${ctx.recordUrl}/${type}/${id}` }],
    id,
    ...(target && { refName: refNameOf(target) }),
  };
}

/**
 * Resolves a reference from a request body to an internal id of one of `types`, or answers
 * NetSuite's "Invalid Field Value" error.
 */
export function resolveRef(
  state: NetsuiteState,
  types: readonly RecordTypeName[],
  ref: RefInput,
  field: string,
  path: string,
): string {
  for (const type of types) {
    if ('id' in ref) {
      if (state.get(type, ref.id)) return ref.id;
    } else {
      const id = state.idForExternalId(type, ref.externalId);
      if (id !== undefined) return id;
    }
  }
  const shown = 'id' in ref ? ref.id : `eid:${ref.externalId}`;
  throw invalidContent(
    `Error while accessing a resource. You have entered an Invalid Field Value ${shown} for the following field: ${field}`,
    path,
  );
}

/** `new === undefined` keeps `old`; `null` clears. */
export function keep<T>(value: T | null | undefined, old: T | undefined): T | undefined {
  return value === undefined ? old : value === null ? undefined : value;
}
