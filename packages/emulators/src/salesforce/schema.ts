import { SalesforceError } from './errors.ts';
import { salesforceId } from './salesforce-id.ts';

/** Field data types the emulator knows (a subset of Salesforce's `DescribeFieldResult.type`). */
export type FieldType =
  | 'id'
  | 'reference'
  | 'string'
  | 'textarea'
  | 'picklist'
  | 'boolean'
  | 'double'
  | 'currency'
  | 'percent'
  | 'int'
  | 'date'
  | 'datetime'
  | 'email'
  | 'phone'
  | 'url';

/** One field of an sObject. */
export interface FieldDef {
  name: string;
  label: string;
  type: FieldType;
  /** Writable on create / on update through the API. */
  createable: boolean;
  updateable: boolean;
  /** Create answers `REQUIRED_FIELD_MISSING` without it; update refuses to null it. */
  required: boolean;
  custom: boolean;
  length?: number;
  referenceTo?: string;
  relationshipName?: string;
  /** Deleting the parent (`referenceTo`) deletes this record too. */
  cascadeDelete?: boolean;
  picklistValues?: string[];
  /** A custom field whose type was inferred from the first value written; it widens to `string`. */
  inferred?: boolean;
  /** Marked once the field served as an upsert key. */
  externalId?: boolean;
}

/** One sObject type. */
export interface ObjectDef {
  name: string;
  label: string;
  labelPlural: string;
  keyPrefix: string;
  custom: boolean;
  createable: boolean;
  fields: FieldDef[];
}

const TEXT_TYPES: ReadonlySet<FieldType> = new Set([
  'string',
  'textarea',
  'picklist',
  'email',
  'phone',
  'url',
]);
const NUMBER_TYPES: ReadonlySet<FieldType> = new Set(['double', 'currency', 'percent', 'int']);

/** Whether values of this type are strings compared case-insensitively (ids excluded). */
export const isTextType = (t: FieldType): boolean => TEXT_TYPES.has(t);
/** Whether values of this type are JSON numbers. */
export const isNumberType = (t: FieldType): boolean => NUMBER_TYPES.has(t);

const CUSTOM_NAME = /^[A-Za-z][A-Za-z0-9_]*__c$/;
/** Whether `name` is spelled like a custom object or field (`Something__c`). */
export const isCustomName = (name: string): boolean =>
  CUSTOM_NAME.test(name) && !name.includes('___');

/** Salesforce's own opportunity stages, with their default probability and forecast category. */
export const OPPORTUNITY_STAGES: ReadonlyArray<readonly [string, number, string]> = [
  ['Prospecting', 10, 'Pipeline'],
  ['Qualification', 10, 'Pipeline'],
  ['Needs Analysis', 20, 'Pipeline'],
  ['Value Proposition', 50, 'Pipeline'],
  ['Id. Decision Makers', 60, 'Pipeline'],
  ['Perception Analysis', 70, 'Pipeline'],
  ['Proposal/Price Quote', 75, 'Pipeline'],
  ['Negotiation/Review', 90, 'Pipeline'],
  ['Closed Won', 100, 'Closed'],
  ['Closed Lost', 0, 'Omitted'],
];

type Spec = Partial<FieldDef> & { name: string; type: FieldType };

const field = (s: Spec): FieldDef => ({
  label: s.name.replace(/__c$/, '').replace(/([a-z])([A-Z])/g, '$1 $2'),
  createable: true,
  updateable: true,
  required: false,
  custom: false,
  ...s,
});
const readOnly = (s: Spec): FieldDef => field({ createable: false, updateable: false, ...s });
const createOnly = (s: Spec): FieldDef => field({ updateable: false, ...s });
const ref = (name: string, to: string, extra: Partial<FieldDef> = {}): FieldDef =>
  field({
    name,
    type: 'reference',
    referenceTo: to,
    relationshipName: name.replace(/Id$/, ''),
    ...extra,
  });
const str = (name: string, length = 255, extra: Partial<FieldDef> = {}): FieldDef =>
  field({ name, type: 'string', length, ...extra });
const address = (prefix: string): FieldDef[] => [
  field({ name: `${prefix}Street`, type: 'textarea', length: 255 }),
  str(`${prefix}City`, 40),
  str(`${prefix}State`, 80),
  str(`${prefix}PostalCode`, 20),
  str(`${prefix}Country`, 80),
];

const SYSTEM_HEAD = (): FieldDef[] => [
  readOnly({ name: 'Id', type: 'id', label: 'Record ID', length: 18 }),
  readOnly({ name: 'IsDeleted', type: 'boolean', label: 'Deleted' }),
];
const SYSTEM_TAIL = (): FieldDef[] => [
  readOnly({ name: 'CreatedDate', type: 'datetime' }),
  readOnly({
    name: 'CreatedById',
    type: 'reference',
    referenceTo: 'User',
    relationshipName: 'CreatedBy',
  }),
  readOnly({ name: 'LastModifiedDate', type: 'datetime' }),
  readOnly({
    name: 'LastModifiedById',
    type: 'reference',
    referenceTo: 'User',
    relationshipName: 'LastModifiedBy',
  }),
  readOnly({ name: 'SystemModstamp', type: 'datetime', label: 'System Modstamp' }),
];
const owner = (): FieldDef => ref('OwnerId', 'User', { relationshipName: 'Owner' });

function objectDef(
  name: string,
  keyPrefix: string,
  fields: FieldDef[],
  extra: Partial<ObjectDef> = {},
): ObjectDef {
  return {
    name,
    label: name.replace(/__c$/, '').replace(/([a-z])([A-Z])/g, '$1 $2'),
    labelPlural: `${name.replace(/__c$/, '')}s`,
    keyPrefix,
    custom: false,
    createable: true,
    fields: [...SYSTEM_HEAD(), ...fields, ...SYSTEM_TAIL()],
    ...extra,
  };
}

/** The standard objects the emulator serves, in describe-global order. */
function standardObjects(): ObjectDef[] {
  return [
    objectDef('Account', '001', [
      owner(),
      str('Name', 255, { required: true }),
      str('AccountNumber', 40),
      field({ name: 'Type', type: 'picklist', length: 255 }),
      field({ name: 'Industry', type: 'picklist', length: 255 }),
      ref('ParentId', 'Account'),
      ...address('Billing'),
      ...address('Shipping'),
      field({ name: 'Phone', type: 'phone', length: 40 }),
      field({ name: 'Website', type: 'url', length: 255 }),
      field({ name: 'AnnualRevenue', type: 'currency' }),
      field({ name: 'NumberOfEmployees', type: 'int' }),
      field({ name: 'Description', type: 'textarea', length: 32000 }),
    ]),
    objectDef('Contact', '003', [
      owner(),
      ref('AccountId', 'Account', { cascadeDelete: true }),
      field({ name: 'Salutation', type: 'picklist', length: 40 }),
      str('FirstName', 40),
      str('LastName', 80, { required: true }),
      readOnly({ name: 'Name', type: 'string', length: 121, label: 'Full Name' }),
      field({ name: 'Email', type: 'email', length: 80 }),
      field({ name: 'Phone', type: 'phone', length: 40 }),
      field({ name: 'MobilePhone', type: 'phone', length: 40 }),
      str('Title', 128),
      str('Department', 80),
      ...address('Mailing'),
      field({ name: 'Description', type: 'textarea', length: 32000 }),
    ]),
    objectDef('Opportunity', '006', [
      owner(),
      ref('AccountId', 'Account', { cascadeDelete: true }),
      str('Name', 120, { required: true }),
      field({ name: 'Description', type: 'textarea', length: 32000 }),
      field({
        name: 'StageName',
        type: 'picklist',
        length: 255,
        required: true,
        label: 'Stage',
        picklistValues: OPPORTUNITY_STAGES.map(([s]) => s),
      }),
      field({ name: 'Amount', type: 'currency' }),
      field({ name: 'Probability', type: 'percent' }),
      field({ name: 'CloseDate', type: 'date', required: true }),
      field({ name: 'Type', type: 'picklist', length: 255 }),
      str('NextStep', 255),
      field({ name: 'LeadSource', type: 'picklist', length: 255 }),
      readOnly({ name: 'IsClosed', type: 'boolean', label: 'Closed' }),
      readOnly({ name: 'IsWon', type: 'boolean', label: 'Won' }),
      field({ name: 'ForecastCategoryName', type: 'picklist', length: 255 }),
      ref('Pricebook2Id', 'Pricebook2'),
      readOnly({ name: 'HasOpportunityLineItem', type: 'boolean', label: 'Has Line Item' }),
    ]),
    objectDef('OpportunityLineItem', '00k', [
      createOnly({
        name: 'OpportunityId',
        type: 'reference',
        referenceTo: 'Opportunity',
        relationshipName: 'Opportunity',
        required: true,
        cascadeDelete: true,
      }),
      readOnly({ name: 'Name', type: 'string', length: 376 }),
      createOnly({
        name: 'PricebookEntryId',
        type: 'reference',
        referenceTo: 'PricebookEntry',
        relationshipName: 'PricebookEntry',
      }),
      createOnly({
        name: 'Product2Id',
        type: 'reference',
        referenceTo: 'Product2',
        relationshipName: 'Product2',
      }),
      readOnly({ name: 'ProductCode', type: 'string', length: 255 }),
      field({ name: 'Quantity', type: 'double', required: true }),
      field({ name: 'TotalPrice', type: 'currency' }),
      field({ name: 'UnitPrice', type: 'currency', label: 'Sales Price' }),
      readOnly({ name: 'ListPrice', type: 'currency' }),
      field({ name: 'Discount', type: 'percent' }),
      field({ name: 'ServiceDate', type: 'date' }),
      str('Description', 255, { label: 'Line Description' }),
    ]),
    objectDef('Product2', '01t', [
      str('Name', 255, { required: true }),
      str('ProductCode', 255),
      field({ name: 'Description', type: 'textarea', length: 4000 }),
      field({ name: 'IsActive', type: 'boolean', label: 'Active' }),
      field({ name: 'Family', type: 'picklist', length: 255 }),
      str('QuantityUnitOfMeasure', 255),
      str('StockKeepingUnit', 180),
      str('ExternalId', 255),
    ]),
    objectDef('Pricebook2', '01s', [
      str('Name', 255, { required: true }),
      field({ name: 'IsActive', type: 'boolean', label: 'Active' }),
      readOnly({ name: 'IsStandard', type: 'boolean', label: 'Is Standard Price Book' }),
      str('Description', 255),
    ]),
    objectDef('PricebookEntry', '01u', [
      readOnly({ name: 'Name', type: 'string', length: 255, label: 'Product Name' }),
      createOnly({
        name: 'Pricebook2Id',
        type: 'reference',
        referenceTo: 'Pricebook2',
        relationshipName: 'Pricebook2',
        required: true,
      }),
      createOnly({
        name: 'Product2Id',
        type: 'reference',
        referenceTo: 'Product2',
        relationshipName: 'Product2',
        required: true,
      }),
      field({ name: 'UnitPrice', type: 'currency', label: 'List Price', required: true }),
      field({ name: 'IsActive', type: 'boolean', label: 'Active' }),
      field({ name: 'UseStandardPrice', type: 'boolean' }),
      readOnly({ name: 'ProductCode', type: 'string', length: 255 }),
    ]),
    objectDef(
      'User',
      '005',
      [
        str('Username', 80),
        str('LastName', 80),
        str('FirstName', 40),
        readOnly({ name: 'Name', type: 'string', length: 121, label: 'Full Name' }),
        field({ name: 'Email', type: 'email', length: 128 }),
        str('Alias', 8),
        field({ name: 'IsActive', type: 'boolean', label: 'Active' }),
        field({ name: 'TimeZoneSidKey', type: 'picklist', length: 40 }),
      ],
      { createable: false },
    ),
  ];
}

const DATE_SHAPE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME_SHAPE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Whether `value` is a real calendar date written `YYYY-MM-DD`. */
export function isDateString(value: unknown): value is string {
  if (typeof value !== 'string' || !DATE_SHAPE.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(value);
}

/** Epoch ms of an ISO date-time (`Z`, `+hh:mm` or `+hhmm`), or `undefined`. */
export function parseDateTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || !DATETIME_SHAPE.test(value)) return undefined;
  const fixed = value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(fixed);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A parent-to-child relationship: the child object, its reference field and the name. */
export interface ChildRelationship {
  child: ObjectDef;
  field: FieldDef;
  /** The name subqueries use in FROM (`OpportunityLineItems`, `ChildAccounts`, `Things__r`). */
  relationshipName: string;
}

/**
 * The child relationships of `parent`, as describe lists them and subqueries name them: the
 * plural of the child object (`Contacts`, `Opportunities`), `ChildAccounts` for `ParentId`,
 * `Things__r` for a custom child. Fields whose type was only inferred have none.
 */
export function childRelationshipsOf(
  schema: SchemaRegistry,
  parent: ObjectDef,
): ChildRelationship[] {
  if (parent.name === 'User') return [];
  const out: ChildRelationship[] = [];
  for (const child of schema.list()) {
    for (const f of child.fields) {
      if (f.referenceTo !== parent.name || f.inferred) continue;
      const plural = child.custom
        ? `${child.name.slice(0, -3)}s__r`
        : child.name.endsWith('y')
          ? `${child.name.slice(0, -1)}ies`
          : `${child.name}s`;
      out.push({
        child,
        field: f,
        relationshipName: f.name === 'ParentId' ? 'ChildAccounts' : plural,
      });
    }
  }
  return out;
}

/**
 * The sObject catalogue of one emulator: the standard objects plus the custom objects and
 * `__c` fields learned from the records written (Salesforce's metadata, as far as it goes).
 */
export class SchemaRegistry {
  private objects = new Map<string, ObjectDef>();
  private customPrefixCount = 0;
  /** Key prefix → object name. */
  private prefixes = new Map<string, string>();

  constructor() {
    this.reset();
  }

  /** Back to the standard objects only. */
  reset(): void {
    this.objects.clear();
    this.prefixes.clear();
    this.customPrefixCount = 0;
    for (const o of standardObjects()) this.add(o);
  }

  private add(o: ObjectDef): void {
    this.objects.set(o.name.toLowerCase(), o);
    this.prefixes.set(o.keyPrefix, o.name);
  }

  /** Every object, standard ones first. */
  list(): ObjectDef[] {
    return [...this.objects.values()];
  }

  /** The object named `name` (any case); custom `X__c` objects come into being on first use. */
  find(name: string, create = false): ObjectDef | undefined {
    const found = this.objects.get(name.toLowerCase());
    if (found || !create || !isCustomName(name)) return found;
    // Custom objects get prefixes a00, a01, … in the order they are first used.
    const keyPrefix = `a${(this.customPrefixCount++).toString(36).padStart(2, '0')}`;
    const o = objectDef(name, keyPrefix, [owner(), str('Name', 80)]);
    o.custom = true;
    this.add(o);
    return o;
  }

  /** Like {@link find} with creation, but a standard name that does not exist is a 404. */
  require(name: string): ObjectDef {
    const o = this.find(name, true);
    if (!o) throw new SalesforceError(404, 'NOT_FOUND', 'The requested resource does not exist');
    return o;
  }

  /** The object whose records carry this id's key prefix. */
  objectOfId(id: string): ObjectDef | undefined {
    const name = this.prefixes.get(salesforceId.prefix(id));
    return name === undefined ? undefined : this.objects.get(name.toLowerCase());
  }

  /** The field `name` (any case) of `o`, or `undefined`. */
  field(o: ObjectDef, name: string): FieldDef | undefined {
    const lower = name.toLowerCase();
    return o.fields.find((f) => f.name.toLowerCase() === lower);
  }

  /**
   * The field for a value being written: known fields as they are; a new `__c` field is added
   * with a type inferred from `sample` (an inferred type widens to `string` when a later value
   * does not fit it).
   */
  fieldForWrite(o: ObjectDef, name: string, sample: unknown): FieldDef | undefined {
    const known = this.field(o, name);
    if (known) {
      if (known.inferred && sample !== null && !this.fits(known.type, sample)) {
        known.type = 'string';
        delete known.referenceTo;
        delete known.relationshipName;
      }
      return known;
    }
    if (!isCustomName(name)) return undefined;
    const f = field({ name, type: 'string', custom: true, inferred: true });
    if (sample !== null && sample !== undefined) {
      if (typeof sample === 'boolean') f.type = 'boolean';
      else if (typeof sample === 'number') f.type = 'double';
      else if (isDateString(sample)) f.type = 'date';
      else if (parseDateTime(sample) !== undefined) f.type = 'datetime';
      else if (typeof sample === 'string' && salesforceId.normalize(sample)) {
        const target = this.objectOfId(salesforceId.normalize(sample) as string);
        if (target && sample.length === 18) {
          f.type = 'reference';
          f.referenceTo = target.name;
          f.relationshipName = name.replace(/__c$/, '__r');
        }
      }
    }
    // Keep the audit fields last, as Salesforce's describe does.
    o.fields.splice(o.fields.length - SYSTEM_TAIL().length, 0, f);
    return f;
  }

  /**
   * A field named in a query: known fields, else any `__c` name (a custom field no record has
   * set yet reads as null, as if defined in the org's metadata but empty).
   */
  fieldForRead(o: ObjectDef, name: string): FieldDef | undefined {
    return (
      this.field(o, name) ??
      (isCustomName(name)
        ? field({ name, type: 'string', custom: true, inferred: true })
        : undefined)
    );
  }

  private fits(type: FieldType, v: unknown): boolean {
    switch (type) {
      case 'boolean':
        return typeof v === 'boolean';
      case 'double':
        return typeof v === 'number';
      case 'date':
        return isDateString(v);
      case 'datetime':
        return parseDateTime(v) !== undefined;
      case 'reference':
        return salesforceId.normalize(v) !== undefined;
      default:
        return true;
    }
  }
}
