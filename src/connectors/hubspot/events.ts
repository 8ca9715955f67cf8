import type { CanonicalEventInput, DealType } from '../../model/canonical-events.ts';
import { makeEnvelope } from '../../model/event-envelope.ts';
import type { EntityKeyHint } from '../definition.ts';
import type { VendorEvent } from '../ports.ts';
import type { HubspotRecord } from './client.ts';
import { associatedIds } from './crm.ts';
import { dealTypeWord } from './mapper.ts';

/** The objects whose changes become revsync events. */
export type WatchedObject = 'companies' | 'deals';

export const WATCHED_OBJECTS: readonly WatchedObject[] = ['companies', 'deals'];

/** `companies` → `company`, as HubSpot's webhook subscription types name objects. */
export const SINGULAR: Record<WatchedObject, 'company' | 'deal'> = {
  companies: 'company',
  deals: 'deal',
};

/**
 * The revsync event type of a polled record: `hubspot.company.created` (never modified since it
 * was created) or `hubspot.company.updated`; `hubspot.deal.amendment_won` /
 * `hubspot.deal.closed_won` for a won deal (a polled record has no history, so it is `…_won`
 * whenever it is won; the flows are idempotent), else `hubspot.deal.updated`.
 */
export function polledEventType(
  object: WatchedObject,
  record: HubspotRecord,
  won: boolean,
): string {
  if (object === 'companies') {
    const p = record.properties;
    return p['createdate'] && p['createdate'] === p['hs_lastmodifieddate']
      ? 'hubspot.company.created'
      : 'hubspot.company.updated';
  }
  if (!won) return 'hubspot.deal.updated';
  return dealTypeWord(record) === 'Amendment'
    ? 'hubspot.deal.amendment_won'
    : 'hubspot.deal.closed_won';
}

/** A vendor event for a polled HubSpot record (`data` is the record, with its associations). */
export function toHubspotEvent(input: {
  id: string;
  type: string;
  record: HubspotRecord;
  time: string;
}): VendorEvent {
  return makeEnvelope<Record<string, unknown>>({
    id: input.id,
    type: input.type,
    source: 'hubspot',
    subject: input.record.id,
    time: input.time,
    data: input.record as unknown as Record<string, unknown>,
  });
}

function dealTypeOf(record: HubspotRecord): DealType {
  const word = dealTypeWord(record);
  if (word === 'New Business') return 'new_business';
  if (word === 'Renewal') return 'renewal';
  if (word === 'Amendment') return 'amendment';
  return 'other';
}

function asRecord(event: VendorEvent): HubspotRecord | undefined {
  const data = event.data as Partial<HubspotRecord> | undefined;
  return data && typeof data.id === 'string' && typeof data.properties === 'object'
    ? (data as HubspotRecord)
    : undefined;
}

/**
 * The canonical events of a HubSpot event. Polled records: companies become
 * `crm.account.changed`; deals that are won `crm.opportunity.won` (`amendment_won` as an
 * amendment), other deal changes `crm.opportunity.changed`. Webhook notifications carry one
 * property and no deal type, so they mean `crm.account.changed` (companies) and
 * `crm.opportunity.changed` (deals); the poller, which reads the whole deal, brings the win.
 */
export function toCanonicalEvents(event: VendorEvent): CanonicalEventInput[] {
  const subject = event.subject;
  if (!subject) return [];
  switch (event.type) {
    case 'hubspot.company.created':
    case 'hubspot.company.creation':
      return [
        { type: 'crm.account.changed', subject, data: { accountId: subject, change: 'created' } },
      ];
    case 'hubspot.company.updated':
    case 'hubspot.company.property_change':
      return [
        { type: 'crm.account.changed', subject, data: { accountId: subject, change: 'updated' } },
      ];
    case 'hubspot.deal.closed_won':
    case 'hubspot.deal.amendment_won': {
      const record = asRecord(event);
      const accountId = record ? associatedIds(record, 'companies')[0] : undefined;
      return [
        {
          type: 'crm.opportunity.won',
          subject,
          data: {
            opportunityId: subject,
            ...(accountId && { accountId }),
            dealType: event.type.endsWith('amendment_won')
              ? 'amendment'
              : record
                ? dealTypeOf(record)
                : 'other',
          },
        },
      ];
    }
    case 'hubspot.deal.updated':
    case 'hubspot.deal.creation':
    case 'hubspot.deal.property_change':
      return [
        {
          type: 'crm.opportunity.changed',
          subject,
          data: {
            opportunityId: subject,
            change: event.type.endsWith('creation') ? 'created' : 'updated',
          },
        },
      ];
    default:
      return [];
  }
}

/** The company an event is about: the company itself, a polled deal's company, else the deal. */
export function hubspotEntityKey(event: VendorEvent): EntityKeyHint {
  if (!event.subject) return undefined;
  if (event.type.startsWith('hubspot.company.'))
    return { objectType: 'account', id: event.subject };
  if (event.type.startsWith('hubspot.deal.')) {
    const record = asRecord(event);
    const companyId = record ? associatedIds(record, 'companies')[0] : undefined;
    return companyId
      ? { objectType: 'account', id: companyId }
      : { objectType: 'opportunity', id: event.subject };
  }
  return undefined;
}
