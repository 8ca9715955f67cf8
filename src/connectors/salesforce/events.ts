import type { CanonicalEventInput, DealType } from '../../model/canonical-events.ts';
import { makeEnvelope } from '../../model/event-envelope.ts';
import type { EntityKeyHint } from '../definition.ts';
import type { ReadOptions, VendorEvent } from '../ports.ts';
import { soqlId, type SalesforceClient, type SalesforceRecord } from './client.ts';
import type { SalesforceFieldMap } from './fields.ts';
import { accountFieldsToSelect, opportunityFieldsToSelect } from './mapper.ts';

/** The objects whose changes become revsync events. */
export type WatchedObject = 'Account' | 'Opportunity';

/** The objects whose changes become revsync events. */
export const WATCHED_OBJECTS: readonly WatchedObject[] = ['Account', 'Opportunity'];

/** The kinds of record change Change Data Capture reports. */
export type ChangeType = 'CREATE' | 'UPDATE' | 'DELETE' | 'UNDELETE';

/** What a change is known to be about; change events know more than polled records. */
export interface ObservedChange {
  object: WatchedObject;
  /** The record as it is now (re-read: "notify, then fetch"). */
  record: SalesforceRecord;
  /** Change events only: the kind of change. */
  changeType?: ChangeType;
  /** Change events only: the fields the change event carries (its values win over `record`). */
  payload?: Record<string, unknown>;
  /** Change events only (UPDATE): the fields that changed. */
  changedFields?: readonly string[];
}

const AUDIT_FIELDS = ['LastModifiedDate', 'LastModifiedById', 'SystemModstamp'];

/**
 * The fields revsync itself writes on `object` (plus the audit fields every write bumps). An
 * update that touched nothing else is revsync's own write-back coming round again.
 */
export function writeBackFields(object: WatchedObject, fields: SalesforceFieldMap): Set<string> {
  const own =
    object === 'Account'
      ? Object.values(fields.accountBilling)
      : [
          fields.opportunity.subscriptionId,
          fields.opportunity.subscriptionStatus,
          fields.opportunity.mrr,
          fields.opportunity.currency,
        ];
  return new Set([...own, ...AUDIT_FIELDS]);
}

/**
 * The revsync event type of a change, or `undefined` when it emits nothing (a delete, or an echo
 * of revsync's own write-back).
 *
 * - Account: `salesforce.account.created` for a creation (a polled record never modified since),
 *   else `salesforce.account.updated`.
 * - Opportunity: `salesforce.opportunity.amendment_won` when it became (or was created) won with
 *   type `Amendment`, `salesforce.opportunity.closed_won` when it became won with another type,
 *   else `salesforce.opportunity.updated`. A polled record has no history, so it is `…_won`
 *   whenever it is won (the flows are idempotent).
 */
export function salesforceEventType(
  change: ObservedChange,
  fields: SalesforceFieldMap,
): string | undefined {
  const { object, changeType, changedFields } = change;
  if (changeType === 'DELETE') return undefined;
  if (changeType === 'UPDATE' && changedFields) {
    const own = writeBackFields(object, fields);
    if (changedFields.every((f) => own.has(f))) return undefined;
  }
  const value = (field: string): unknown =>
    change.payload && field in change.payload ? change.payload[field] : change.record[field];

  if (object === 'Account') {
    if (changeType === undefined) {
      const created = change.record['CreatedDate'];
      return created !== undefined && created === change.record['LastModifiedDate']
        ? 'salesforce.account.created'
        : 'salesforce.account.updated';
    }
    return changeType === 'CREATE' ? 'salesforce.account.created' : 'salesforce.account.updated';
  }

  const won =
    changeType === undefined
      ? change.record['IsWon'] === true
      : changeType === 'CREATE'
        ? value('IsWon') === true
        : changeType === 'UPDATE'
          ? (changedFields ?? []).includes('IsWon') && value('IsWon') === true
          : false;
  if (!won) return 'salesforce.opportunity.updated';
  return value(fields.opportunity.type) === 'Amendment'
    ? 'salesforce.opportunity.amendment_won'
    : 'salesforce.opportunity.closed_won';
}

/** A vendor event for a Salesforce record (`data` is the record as read). */
export function toSalesforceEvent(input: {
  id: string;
  type: string;
  record: SalesforceRecord;
  time: string;
}): VendorEvent {
  return makeEnvelope<Record<string, unknown>>({
    id: input.id,
    type: input.type,
    source: 'salesforce',
    subject: String(input.record['Id']),
    time: input.time,
    data: input.record,
  });
}

/** The SOQL field list of a watched object's records. */
export function selectFieldsOf(object: WatchedObject, fields: SalesforceFieldMap): string[] {
  return object === 'Account' ? accountFieldsToSelect(fields) : opportunityFieldsToSelect(fields);
}

const IDS_PER_QUERY = 100;

/** Reads the current records with these ids (deleted ones are absent), keyed by 18-char id. */
export async function readRecords(
  client: SalesforceClient,
  object: WatchedObject,
  ids: readonly string[],
  fields: SalesforceFieldMap,
  options: ReadOptions,
): Promise<Map<string, SalesforceRecord>> {
  const found = new Map<string, SalesforceRecord>();
  const select = selectFieldsOf(object, fields).join(', ');
  const distinct = [...new Set(ids)];
  for (let i = 0; i < distinct.length; i += IDS_PER_QUERY) {
    const chunk = distinct.slice(i, i + IDS_PER_QUERY);
    const records = await client.query(
      `${object.toLowerCase()}.read`,
      `SELECT ${select} FROM ${object} WHERE Id IN (${chunk.map(soqlId).join(', ')})`,
      options,
    );
    for (const r of records) found.set(String(r['Id']), r);
  }
  return found;
}

/**
 * The canonical events of a Salesforce change event or polled record: accounts become
 * `crm.account.changed`; opportunities that became won `crm.opportunity.won` (an `Amendment`
 * typed deal as an amendment), other opportunity changes `crm.opportunity.changed`.
 */
export function toCanonicalEvents(event: VendorEvent): CanonicalEventInput[] {
  const subject = event.subject;
  if (!subject) return [];
  const record = (event.data ?? {}) as SalesforceRecord;
  const accountId = typeof record['AccountId'] === 'string' ? record['AccountId'] : undefined;
  switch (event.type) {
    case 'salesforce.account.created':
    case 'salesforce.account.updated':
      return [
        {
          type: 'crm.account.changed',
          subject,
          data: {
            accountId: subject,
            change: event.type.endsWith('created') ? 'created' : 'updated',
          },
        },
      ];
    case 'salesforce.opportunity.closed_won':
    case 'salesforce.opportunity.amendment_won':
      return [
        {
          type: 'crm.opportunity.won',
          subject,
          data: {
            opportunityId: subject,
            ...(accountId && { accountId }),
            dealType: event.type.endsWith('amendment_won')
              ? 'amendment'
              : dealTypeOf(record['Type']),
          },
        },
      ];
    case 'salesforce.opportunity.updated':
      return [
        {
          type: 'crm.opportunity.changed',
          subject,
          data: { opportunityId: subject, change: 'updated' },
        },
      ];
    default:
      return [];
  }
}

/** The account an event is about: the account itself, or an opportunity's `AccountId`. */
export function salesforceEntityKey(event: VendorEvent): EntityKeyHint {
  if (event.type.startsWith('salesforce.account.'))
    return event.subject ? { objectType: 'account', id: event.subject } : undefined;
  const accountId = (event.data as SalesforceRecord | undefined)?.['AccountId'];
  return typeof accountId === 'string' && accountId !== ''
    ? { objectType: 'account', id: accountId }
    : undefined;
}

/** Salesforce's standard Opportunity `Type` picklist values, as canonical deal types. */
function dealTypeOf(type: unknown): DealType {
  if (type === 'New Business' || type === 'New Customer') return 'new_business';
  if (type === 'Renewal') return 'renewal';
  return 'other';
}
