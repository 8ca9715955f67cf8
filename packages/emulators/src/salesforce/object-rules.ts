import type { Dml } from './dml.ts';
import { SalesforceError } from './errors.ts';
import { OPPORTUNITY_STAGES, type ObjectDef } from './schema.ts';
import type { SfRecord } from './state.ts';

/** Per-object behaviour around a write: derived fields, validation rules, roll-ups. */
export interface ObjectRule {
  /** Derive fields and validate; `prev` is undefined on create. `explicit`: fields the caller set. */
  beforeWrite?(
    dml: Dml,
    next: SfRecord,
    prev: SfRecord | undefined,
    explicit: ReadonlySet<string>,
  ): void;
  /** After the record is stored (create, update, undelete). */
  afterWrite?(dml: Dml, next: SfRecord, prev: SfRecord | undefined): void;
  /** After the record went to the recycle bin. */
  afterDelete?(dml: Dml, rec: SfRecord): void;
}

const integrity = (detail: string, fields: string[] = []): SalesforceError =>
  new SalesforceError(
    400,
    'FIELD_INTEGRITY_EXCEPTION',
    `field integrity exception: ${detail}`,
    fields,
  );

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
/** To the cent, computed in integer cents so that sums do not drift. */
const cents = (v: number): number => Math.round(v * 100);

function liveRecord(dml: Dml, id: unknown): SfRecord | undefined {
  const found = typeof id === 'string' ? dml.state.get(id) : undefined;
  return found && found.record['IsDeleted'] !== true ? found.record : undefined;
}

function fullName(next: SfRecord): void {
  const name = [next['FirstName'], next['LastName']]
    .filter((p) => typeof p === 'string' && p !== '')
    .join(' ');
  next['Name'] = name === '' ? null : name;
}

/** Opportunity.Amount follows its line items (as when products are added in Salesforce). */
function rollUpOpportunity(dml: Dml, opportunityId: unknown, pricebookId?: unknown): void {
  const opp = liveRecord(dml, opportunityId);
  if (!opp) return;
  const items = dml.state
    .all('OpportunityLineItem')
    .filter((i) => i['IsDeleted'] !== true && i['OpportunityId'] === opp['Id']);
  const changes: SfRecord = {};
  const has = items.length > 0;
  if (opp['HasOpportunityLineItem'] !== has) changes['HasOpportunityLineItem'] = has;
  if (has) {
    const amount = items.reduce((s, i) => s + cents(num(i['TotalPrice']) ?? 0), 0) / 100;
    if (opp['Amount'] !== amount) changes['Amount'] = amount;
  }
  if (pricebookId && !opp['Pricebook2Id']) changes['Pricebook2Id'] = pricebookId;
  if (Object.keys(changes).length > 0) {
    dml.write(dml.state.objectOf('Opportunity') as ObjectDef, opp, changes, new Set());
  }
}

function lineTotal(next: SfRecord): number | null {
  const q = num(next['Quantity']);
  const p = num(next['UnitPrice']);
  if (q === undefined || p === undefined) return null;
  const discount = num(next['Discount']) ?? 0;
  return Math.round(q * p * (100 - discount)) / 100;
}

/** The behaviour of the standard objects that have any. */
export const OBJECT_RULES: Record<string, ObjectRule> = {
  Contact: { beforeWrite: (_dml, next) => fullName(next) },
  User: { beforeWrite: (_dml, next) => fullName(next) },

  Opportunity: {
    beforeWrite(_dml, next, prev, explicit) {
      const stage = typeof next['StageName'] === 'string' ? next['StageName'].toLowerCase() : '';
      const known = OPPORTUNITY_STAGES.find(([s]) => s.toLowerCase() === stage);
      next['IsWon'] = stage === 'closed won';
      next['IsClosed'] = stage === 'closed won' || stage === 'closed lost';
      if (known && (!prev || prev['StageName'] !== next['StageName'])) {
        if (!explicit.has('Probability')) next['Probability'] = known[1];
        if (!explicit.has('ForecastCategoryName')) next['ForecastCategoryName'] = known[2];
      }
      if (prev?.['HasOpportunityLineItem'] === true) {
        if (explicit.has('Amount') && next['Amount'] !== prev['Amount']) {
          throw integrity(
            'Amount (the amount of an opportunity with products is the sum of its line items)',
            ['Amount'],
          );
        }
        if (explicit.has('Pricebook2Id') && next['Pricebook2Id'] !== prev['Pricebook2Id']) {
          throw integrity('Pricebook2Id (pricebook entries are in use)', ['Pricebook2Id']);
        }
      }
    },
  },

  OpportunityLineItem: {
    beforeWrite(dml, next, prev, explicit) {
      if (!prev) {
        const opp = liveRecord(dml, next['OpportunityId']);
        if (!opp) return; // REQUIRED_FIELD_MISSING follows
        let entry = liveRecord(dml, next['PricebookEntryId']);
        if (!entry && next['Product2Id']) {
          const pricebook = opp['Pricebook2Id'] ?? dml.state.standardPricebookId;
          entry = dml.state
            .all('PricebookEntry')
            .find(
              (e) =>
                e['IsDeleted'] !== true &&
                e['Pricebook2Id'] === pricebook &&
                e['Product2Id'] === next['Product2Id'],
            );
          if (!entry)
            throw integrity(
              "PricebookEntryId (no price book entry for this product in the opportunity's price book)",
              ['Product2Id'],
            );
        }
        if (!entry) {
          throw new SalesforceError(
            400,
            'REQUIRED_FIELD_MISSING',
            'Required fields are missing: [PricebookEntryId]',
            ['PricebookEntryId'],
          );
        }
        if (next['Product2Id'] && next['Product2Id'] !== entry['Product2Id']) {
          throw integrity('Product2Id (the product does not match the price book entry)', [
            'Product2Id',
          ]);
        }
        if (entry['IsActive'] !== true)
          throw integrity('PricebookEntryId (pricebook entry is inactive)', ['PricebookEntryId']);
        if (opp['Pricebook2Id'] && opp['Pricebook2Id'] !== entry['Pricebook2Id']) {
          throw integrity(
            'PricebookEntryId (pricebook entry is in a different pricebook than the one assigned to the opportunity)',
            ['PricebookEntryId'],
          );
        }
        const product = liveRecord(dml, entry['Product2Id']);
        next['PricebookEntryId'] = entry['Id'];
        next['Product2Id'] = entry['Product2Id'];
        next['ProductCode'] = entry['ProductCode'] ?? null;
        next['ListPrice'] = entry['UnitPrice'] ?? null;
        next['Name'] = `${String(opp['Name'])} ${String(product?.['Name'] ?? '')}`.trim();
        const unit = explicit.has('UnitPrice') && next['UnitPrice'] !== null;
        const total = explicit.has('TotalPrice') && next['TotalPrice'] !== null;
        if (unit && total)
          throw integrity(
            'TotalPrice (you cannot specify both the sales price and the total price)',
            ['TotalPrice'],
          );
        if (!unit && !total) next['UnitPrice'] = entry['UnitPrice'];
      }
      const q = num(next['Quantity']);
      if (
        explicit.has('TotalPrice') &&
        !explicit.has('UnitPrice') &&
        next['TotalPrice'] !== null &&
        q
      ) {
        next['UnitPrice'] = Math.round(cents(num(next['TotalPrice']) ?? 0) / q) / 100;
        return;
      }
      next['TotalPrice'] = lineTotal(next);
    },
    afterWrite(dml, next, prev) {
      rollUpOpportunity(
        dml,
        next['OpportunityId'],
        prev ? undefined : liveRecord(dml, next['PricebookEntryId'])?.['Pricebook2Id'],
      );
    },
    afterDelete(dml, rec) {
      rollUpOpportunity(dml, rec['OpportunityId']);
    },
  },

  PricebookEntry: {
    beforeWrite(dml, next, prev) {
      if (prev) return;
      const product = liveRecord(dml, next['Product2Id']);
      if (!product || !next['Pricebook2Id']) return; // REQUIRED_FIELD_MISSING follows
      next['Name'] = product['Name'] ?? null;
      next['ProductCode'] = product['ProductCode'] ?? null;
      const entries = dml.state
        .all('PricebookEntry')
        .filter((e) => e['IsDeleted'] !== true && e['Product2Id'] === product['Id']);
      if (entries.some((e) => e['Pricebook2Id'] === next['Pricebook2Id'])) {
        throw new SalesforceError(
          400,
          'DUPLICATE_VALUE',
          'This price definition already exists in this price book',
          [],
        );
      }
      const standard = dml.state.standardPricebookId;
      if (
        next['Pricebook2Id'] !== standard &&
        !entries.some((e) => e['Pricebook2Id'] === standard)
      ) {
        throw new SalesforceError(
          400,
          'STANDARD_PRICE_NOT_DEFINED',
          'No standard price defined for this product',
          [],
        );
      }
    },
  },
};
