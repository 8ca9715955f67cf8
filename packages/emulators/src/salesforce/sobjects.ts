import type { EmulatorResponse } from '../kit/index.ts';
import {
  changeOrigin,
  type ApiRequest,
  type ApiRoute,
  type SalesforceContext,
} from './api-router.ts';
import { SalesforceError } from './errors.ts';
import {
  childRelationshipsOf,
  isTextType,
  parseDateTime,
  type FieldDef,
  type FieldType,
  type ObjectDef,
} from './schema.ts';
import { formatDateTime } from './state.ts';

/** Salesforce answers an upsert that updated with 200 and a body from API version 46.0 on. */
const UPSERT_BODY_FROM_VERSION = 46;

function objectUrls(o: ObjectDef, version: string): Record<string, string> {
  const base = `/services/data/v${version}/sobjects/${o.name}`;
  return { sobject: base, describe: `${base}/describe`, rowTemplate: `${base}/{ID}` };
}

const SOAP_TYPES: Partial<Record<FieldType, string>> = {
  id: 'tns:ID',
  reference: 'tns:ID',
  boolean: 'xsd:boolean',
  double: 'xsd:double',
  currency: 'xsd:double',
  percent: 'xsd:double',
  int: 'xsd:int',
  date: 'xsd:date',
  datetime: 'xsd:dateTime',
};

function describeField(f: FieldDef): Record<string, unknown> {
  const idLike = f.type === 'id' || f.type === 'reference';
  return {
    name: f.name,
    label: f.label,
    type: f.type,
    soapType: SOAP_TYPES[f.type] ?? 'xsd:string',
    length: f.length ?? (isTextType(f.type) ? 255 : idLike ? 18 : 0),
    precision: f.type === 'currency' ? 18 : 0,
    scale: f.type === 'currency' ? 2 : 0,
    nillable: !f.required && f.type !== 'boolean' && f.name !== 'Id',
    createable: f.createable,
    updateable: f.updateable,
    custom: f.custom,
    externalId: f.externalId === true,
    idLookup: f.name === 'Id' || f.externalId === true,
    nameField: f.name === 'Name',
    unique: false,
    filterable: true,
    sortable: f.type !== 'textarea',
    calculated: false,
    defaultedOnCreate: f.type === 'boolean' || f.name === 'OwnerId' || !f.createable,
    referenceTo: f.referenceTo ? [f.referenceTo] : [],
    relationshipName: f.relationshipName ?? null,
    cascadeDelete: f.cascadeDelete === true,
    picklistValues: (f.picklistValues ?? []).map((v) => ({
      active: true,
      defaultValue: false,
      label: v,
      value: v,
    })),
  };
}

function describeBasics(o: ObjectDef, version: string): Record<string, unknown> {
  return {
    name: o.name,
    label: o.label,
    labelPlural: o.labelPlural,
    keyPrefix: o.keyPrefix,
    custom: o.custom,
    createable: o.createable,
    updateable: o.createable,
    deletable: o.createable,
    undeletable: o.createable,
    queryable: true,
    retrieveable: true,
    searchable: true,
    triggerable: true,
    replicateable: true,
    urls: objectUrls(o, version),
  };
}

function childRelationships(ctx: SalesforceContext, o: ObjectDef): Record<string, unknown>[] {
  return childRelationshipsOf(ctx.state.schema, o).map((r) => ({
    childSObject: r.child.name,
    field: r.field.name,
    relationshipName: r.relationshipName,
    cascadeDelete: r.field.cascadeDelete === true,
  }));
}

function timeWindow(req: ApiRequest): [number, number] {
  const start = parseDateTime(req.searchParams.get('start'));
  const end = parseDateTime(req.searchParams.get('end'));
  if (start === undefined || end === undefined || end < start) {
    throw new SalesforceError(
      400,
      'INVALID_REPLICATION_DATE',
      'start and end must be date-times (start before end)',
    );
  }
  return [start, end];
}

/** The `/sobjects` routes: describe, CRUD, upsert and retrieve by external id, updated/deleted. */
export function sobjectRoutes(ctx: SalesforceContext): ApiRoute[] {
  const { state, dml } = ctx;
  const object = (req: ApiRequest): ObjectDef => state.schema.require(req.params['object'] ?? '');
  const tx = <T>(req: ApiRequest, fn: () => T): T => state.transaction(fn, changeOrigin(req));
  const fieldsParam = (req: ApiRequest): string[] | undefined =>
    req.searchParams
      .get('fields')
      ?.split(',')
      .map((f) => f.trim())
      .filter((f) => f !== '');
  const saved = (
    id: string,
    status = 201,
    extra: Record<string, unknown> = {},
  ): EmulatorResponse => ({
    status,
    body: { id, success: true, errors: [], ...extra },
  });

  return [
    {
      method: 'GET',
      path: '/sobjects',
      handler: (req) => ({
        status: 200,
        body: {
          encoding: 'UTF-8',
          maxBatchSize: 200,
          sobjects: state.schema.list().map((o) => describeBasics(o, req.version)),
        },
      }),
    },
    {
      method: 'GET',
      path: '/sobjects/:object',
      handler: (req) => ({
        status: 200,
        body: { objectDescribe: describeBasics(object(req), req.version), recentItems: [] },
      }),
    },
    {
      method: 'POST',
      path: '/sobjects/:object',
      handler: (req) => {
        const o = object(req);
        const id = tx(req, () => dml.create(o, req.body));
        return {
          ...saved(id),
          headers: { Location: `/services/data/v${req.version}/sobjects/${o.name}/${id}` },
        };
      },
    },
    {
      method: 'GET',
      path: '/sobjects/:object/describe',
      handler: (req) => {
        const o = object(req);
        return {
          status: 200,
          body: {
            ...describeBasics(o, req.version),
            fields: o.fields.map(describeField),
            childRelationships: childRelationships(ctx, o),
            recordTypeInfos: [],
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/sobjects/:object/updated',
      handler: (req) => {
        const o = object(req);
        const [start, end] = timeWindow(req);
        const ids = state
          .all(o.name)
          .filter((r) => {
            const at = parseDateTime(r['SystemModstamp']) ?? 0;
            return r['IsDeleted'] !== true && at >= start && at <= end;
          })
          .map((r) => r['Id']);
        return {
          status: 200,
          body: { ids, latestDateCovered: formatDateTime(Math.min(end, state.now())) },
        };
      },
    },
    {
      method: 'GET',
      path: '/sobjects/:object/deleted',
      handler: (req) => {
        const o = object(req);
        const [start, end] = timeWindow(req);
        const deletedRecords = state
          .all(o.name)
          .filter((r) => {
            const at = parseDateTime(r['SystemModstamp']) ?? 0;
            return r['IsDeleted'] === true && at >= start && at <= end;
          })
          .map((r) => ({ id: r['Id'], deletedDate: r['SystemModstamp'] }));
        return {
          status: 200,
          body: {
            deletedRecords,
            earliestDateAvailable: formatDateTime(state.now() - 15 * 86_400_000),
            latestDateCovered: formatDateTime(Math.min(end, state.now())),
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/sobjects/:object/:id',
      handler: (req) => {
        const o = object(req);
        const rec = dml.live(o, req.params['id'] ?? '');
        return { status: 200, body: dml.view(o, rec, req.version, fieldsParam(req)) };
      },
    },
    {
      method: 'PATCH',
      path: '/sobjects/:object/:id',
      handler: (req) => {
        const o = object(req);
        tx(req, () => dml.update(o, req.params['id'] ?? '', req.body));
        return { status: 204 };
      },
    },
    {
      method: 'DELETE',
      path: '/sobjects/:object/:id',
      handler: (req) => {
        const o = object(req);
        tx(req, () => dml.delete(o, req.params['id'] ?? ''));
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      path: '/sobjects/:object/:field/:value',
      handler: (req) => {
        const o = object(req);
        const name = req.params['field'] ?? '';
        const value = req.params['value'] ?? '';
        if (name.toLowerCase() === 'id') {
          return {
            status: 200,
            body: dml.view(o, dml.live(o, value), req.version, fieldsParam(req)),
          };
        }
        const f = dml.externalIdField(o, name, value);
        const matches = dml.findByField(o, f, dml.coerce(f, value));
        if (matches.length === 0)
          throw new SalesforceError(404, 'NOT_FOUND', 'The requested resource does not exist');
        if (matches.length > 1) {
          return {
            status: 300,
            body: matches.map(
              (m) => `/services/data/v${req.version}/sobjects/${o.name}/${String(m['Id'])}`,
            ),
          };
        }
        return {
          status: 200,
          body: dml.view(o, matches[0] as Record<string, unknown>, req.version, fieldsParam(req)),
        };
      },
    },
    {
      method: 'PATCH',
      path: '/sobjects/:object/:field/:value',
      handler: (req) => {
        const o = object(req);
        const { id, created } = tx(req, () =>
          dml.upsert(
            o,
            req.params['field'] ?? '',
            req.params['value'] ?? '',
            req.body,
            req.version,
          ),
        );
        if (created) return saved(id, 201, { created: true });
        if (Number.parseFloat(req.version) < UPSERT_BODY_FROM_VERSION) return { status: 204 };
        return saved(id, 200, { created: false });
      },
    },
  ];
}
