/**
 * The portal's object types, their properties and the association types between them, as the
 * HubSpot CRM API v3/v4 names them. Custom `revsync_*` properties are the ones the revsync setup
 * guide asks an admin to create (`revsync_id` with unique values, so it can be an `idProperty`).
 */

/** The CRM object types the emulator serves. */
export type ObjectType = 'companies' | 'contacts' | 'deals' | 'line_items' | 'products';

export const OBJECT_TYPES: readonly ObjectType[] = [
  'companies',
  'contacts',
  'deals',
  'line_items',
  'products',
];

/** HubSpot's object type ids (`0-2` companies…), accepted wherever a type name is. */
export const OBJECT_TYPE_IDS: Record<ObjectType, string> = {
  contacts: '0-1',
  companies: '0-2',
  deals: '0-3',
  products: '0-7',
  line_items: '0-8',
};

const SINGULAR: Record<string, ObjectType> = {
  company: 'companies',
  contact: 'contacts',
  deal: 'deals',
  line_item: 'line_items',
  product: 'products',
};

/** The object type a path segment names (`companies`, `company`, `0-2`), if any. */
export function objectTypeOf(name: string): ObjectType | undefined {
  const lower = name.toLowerCase();
  if ((OBJECT_TYPES as readonly string[]).includes(lower)) return lower as ObjectType;
  if (SINGULAR[lower]) return SINGULAR[lower];
  const byId = Object.entries(OBJECT_TYPE_IDS).find(([, id]) => id === lower);
  return byId ? (byId[0] as ObjectType) : undefined;
}

/** The singular name used in webhook subscription types (`company.creation`). */
export function singularOf(type: ObjectType): string {
  return Object.entries(SINGULAR).find(([, t]) => t === type)?.[0] ?? type;
}

export type PropertyType = 'string' | 'number' | 'enumeration' | 'datetime' | 'date' | 'bool';

/** A property definition (`GET /crm/v3/properties/{objectType}`). */
export interface PropertyDefinition {
  name: string;
  label: string;
  type: PropertyType;
  fieldType: string;
  groupName: string;
  hasUniqueValue: boolean;
  /** Calculated by HubSpot: a write is refused. */
  readOnlyValue: boolean;
  hubspotDefined: boolean;
  options: { label: string; value: string; displayOrder: number; hidden: boolean }[];
}

const FIELD_TYPE: Record<PropertyType, string> = {
  string: 'text',
  number: 'number',
  enumeration: 'select',
  datetime: 'date',
  date: 'date',
  bool: 'booleancheckbox',
};

function prop(
  name: string,
  type: PropertyType,
  extra: Partial<Omit<PropertyDefinition, 'options'>> & { options?: string[] } = {},
): PropertyDefinition {
  const { options, ...rest } = extra;
  return {
    name,
    label: name,
    type,
    fieldType: FIELD_TYPE[type],
    groupName: name.startsWith('revsync_') ? 'revsync' : 'information',
    hasUniqueValue: false,
    readOnlyValue: false,
    hubspotDefined: !name.startsWith('revsync_'),
    options: (options ?? (type === 'bool' ? ['true', 'false'] : [])).map((value, i) => ({
      label: value,
      value,
      displayOrder: i,
      hidden: false,
    })),
    ...rest,
  };
}

const COMMON = [
  prop('hs_object_id', 'number', { readOnlyValue: true }),
  prop('createdate', 'datetime', { readOnlyValue: true }),
  prop('hs_lastmodifieddate', 'datetime', { readOnlyValue: true }),
  prop('revsync_id', 'string', { hasUniqueValue: true }),
];

const BILLING = [
  prop('revsync_billing_customer_id', 'string'),
  prop('revsync_subscription_id', 'string'),
  prop('revsync_subscription_status', 'string'),
  prop('revsync_mrr', 'number'),
  prop('revsync_mrr_currency', 'string'),
  prop('revsync_payment_status', 'string'),
  prop('revsync_last_payment_at', 'datetime'),
  prop('revsync_churned', 'bool'),
];

/** The property definitions each object type starts with. */
export function defaultProperties(): Record<ObjectType, PropertyDefinition[]> {
  return {
    companies: [
      ...COMMON,
      prop('name', 'string'),
      prop('domain', 'string'),
      prop('website', 'string'),
      prop('phone', 'string'),
      prop('address', 'string'),
      prop('address2', 'string'),
      prop('city', 'string'),
      prop('zip', 'string'),
      prop('state', 'string'),
      prop('country', 'string'),
      prop('revsync_region', 'string'),
      prop('revsync_currency', 'string'),
      prop('revsync_billing_email', 'string'),
      prop('revsync_tax_id', 'string'),
      prop('revsync_tax_id_type', 'string'),
      ...BILLING,
    ],
    contacts: [
      ...COMMON,
      prop('email', 'string', { hasUniqueValue: true }),
      prop('firstname', 'string'),
      prop('lastname', 'string'),
      prop('phone', 'string'),
      prop('company', 'string'),
    ],
    deals: [
      ...COMMON,
      prop('dealname', 'string'),
      prop('pipeline', 'enumeration'),
      prop('dealstage', 'enumeration'),
      prop('amount', 'number'),
      prop('closedate', 'datetime'),
      prop('dealtype', 'enumeration', {
        options: ['newbusiness', 'existingbusiness', 'amendment', 'renewal'],
      }),
      prop('deal_currency_code', 'string'),
      prop('hs_is_closed', 'bool', { readOnlyValue: true }),
      prop('hs_is_closed_won', 'bool', { readOnlyValue: true }),
      prop('hs_closed_won_date', 'datetime', { readOnlyValue: true }),
      ...BILLING,
    ],
    line_items: [
      ...COMMON,
      prop('name', 'string'),
      prop('hs_product_id', 'string'),
      prop('hs_sku', 'string'),
      prop('quantity', 'number'),
      prop('price', 'number'),
      prop('amount', 'number', { readOnlyValue: true }),
      prop('hs_line_item_currency_code', 'string'),
      prop('recurringbillingfrequency', 'enumeration', {
        options: ['weekly', 'biweekly', 'monthly', 'quarterly', 'per_six_months', 'annually'],
      }),
    ],
    products: [
      ...COMMON,
      prop('name', 'string'),
      prop('hs_sku', 'string'),
      prop('price', 'number'),
      prop('description', 'string'),
      prop('recurringbillingfrequency', 'enumeration', {
        options: ['weekly', 'biweekly', 'monthly', 'quarterly', 'per_six_months', 'annually'],
      }),
    ],
  };
}

/** An association type (v4): HubSpot-defined, unlabeled or primary. */
export interface AssociationType {
  typeId: number;
  from: ObjectType;
  to: ObjectType;
  /** The type of the same association seen from the other side. */
  inverse: number;
  label: string | null;
  /** The default (most generic) type of this pair. */
  isDefault: boolean;
}

function pair(
  a: ObjectType,
  b: ObjectType,
  ab: number,
  ba: number,
  label: string | null,
  isDefault: boolean,
): AssociationType[] {
  return [
    { typeId: ab, from: a, to: b, inverse: ba, label, isDefault },
    { typeId: ba, from: b, to: a, inverse: ab, label, isDefault },
  ];
}

/** The HubSpot-defined association types between the served objects. */
export const ASSOCIATION_TYPES: readonly AssociationType[] = [
  ...pair('contacts', 'companies', 279, 280, null, true),
  ...pair('contacts', 'companies', 1, 2, 'Primary', false),
  ...pair('deals', 'companies', 341, 342, null, true),
  ...pair('deals', 'companies', 5, 6, 'Primary', false),
  ...pair('deals', 'contacts', 3, 4, null, true),
  ...pair('line_items', 'deals', 20, 19, null, true),
];

/** The association type `typeId` from `from` to `to`, if HubSpot defines it. */
export function associationType(
  from: ObjectType,
  to: ObjectType,
  typeId: number,
): AssociationType | undefined {
  return ASSOCIATION_TYPES.find((t) => t.from === from && t.to === to && t.typeId === typeId);
}

/** The default type from `from` to `to`. */
export function defaultAssociationType(
  from: ObjectType,
  to: ObjectType,
): AssociationType | undefined {
  return ASSOCIATION_TYPES.find((t) => t.from === from && t.to === to && t.isDefault);
}

/** A pipeline stage (`GET /crm/v3/pipelines/deals`). */
export interface PipelineStage {
  id: string;
  label: string;
  displayOrder: number;
  metadata: { isClosed: 'true' | 'false'; probability: string };
  archived: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Pipeline {
  id: string;
  label: string;
  displayOrder: number;
  stages: PipelineStage[];
  archived: boolean;
  createdAt: string;
  updatedAt: string;
}

/** The portal's deal pipeline: HubSpot's default one, with `closedWonStage` as the won stage. */
export function defaultPipelines(closedWonStage: string, at: string): Pipeline[] {
  const stages: [string, string, string][] = [
    ['appointmentscheduled', 'Appointment Scheduled', '0.2'],
    ['qualifiedtobuy', 'Qualified To Buy', '0.4'],
    ['presentationscheduled', 'Presentation Scheduled', '0.6'],
    ['decisionmakerboughtin', 'Decision Maker Bought-In', '0.8'],
    ['contractsent', 'Contract Sent', '0.9'],
    [closedWonStage, 'Closed Won', '1.0'],
    ['closedlost', 'Closed Lost', '0.0'],
  ];
  return [
    {
      id: 'default',
      label: 'Sales Pipeline',
      displayOrder: 0,
      archived: false,
      createdAt: at,
      updatedAt: at,
      stages: stages.map(([id, label, probability], i) => ({
        id,
        label,
        displayOrder: i,
        metadata: {
          isClosed: probability === '1.0' || id === 'closedlost' ? 'true' : 'false',
          probability,
        },
        archived: false,
        createdAt: at,
        updatedAt: at,
      })),
    },
  ];
}
