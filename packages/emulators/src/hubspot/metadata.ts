import type { EmulatorRequest, Route } from '../kit/index.ts';
import { HubspotError, invalid } from './errors.ts';
import {
  objectTypeOf,
  type ObjectType,
  type PropertyDefinition,
  type PropertyType,
} from './schema.ts';
import type { HubspotState } from './state.ts';

function typeOf(req: EmulatorRequest): ObjectType {
  const t = objectTypeOf(req.params['objectType'] ?? '');
  if (!t) throw invalid(`Unable to infer object type from: ${req.params['objectType'] ?? ''}`);
  return t;
}

const TYPES: readonly PropertyType[] = [
  'string',
  'number',
  'enumeration',
  'datetime',
  'date',
  'bool',
];

function render(p: PropertyDefinition, at: string) {
  return {
    ...p,
    description: '',
    formField: true,
    hidden: false,
    calculated: p.readOnlyValue,
    externalOptions: false,
    createdAt: at,
    updatedAt: at,
    archived: false,
    modificationMetadata: {
      archivable: !p.hubspotDefined,
      readOnlyDefinition: p.hubspotDefined,
      readOnlyValue: p.readOnlyValue,
    },
  };
}

/** Pipelines (`/crm/v3/pipelines/{objectType}`, deals only) and properties (`/crm/v3/properties/{objectType}`). */
export function metadataRoutes(state: HubspotState, now: () => number): Route[] {
  const at = () => new Date(now()).toISOString();
  return [
    {
      method: 'GET',
      path: '/crm/v3/pipelines/:objectType',
      handler: (req) => ({
        status: 200,
        body: { results: typeOf(req) === 'deals' ? state.pipelines : [] },
      }),
    },
    {
      method: 'GET',
      path: '/crm/v3/pipelines/:objectType/:pipelineId',
      handler: (req) => {
        const p =
          typeOf(req) === 'deals'
            ? state.pipelines.find((x) => x.id === req.params['pipelineId'])
            : undefined;
        if (!p)
          throw new HubspotError(
            404,
            'OBJECT_NOT_FOUND',
            `Pipeline ${req.params['pipelineId'] ?? ''} not found`,
          );
        return { status: 200, body: p };
      },
    },
    {
      method: 'GET',
      path: '/crm/v3/pipelines/:objectType/:pipelineId/stages',
      handler: (req) => {
        const p =
          typeOf(req) === 'deals'
            ? state.pipelines.find((x) => x.id === req.params['pipelineId'])
            : undefined;
        if (!p)
          throw new HubspotError(
            404,
            'OBJECT_NOT_FOUND',
            `Pipeline ${req.params['pipelineId'] ?? ''} not found`,
          );
        return { status: 200, body: { results: p.stages } };
      },
    },
    {
      method: 'GET',
      path: '/crm/v3/properties/:objectType',
      handler: (req) => ({
        status: 200,
        body: { results: state.properties[typeOf(req)].map((p) => render(p, at())) },
      }),
    },
    {
      method: 'GET',
      path: '/crm/v3/properties/:objectType/:propertyName',
      handler: (req) => {
        const p = state.property(typeOf(req), req.params['propertyName'] ?? '');
        if (!p)
          throw new HubspotError(
            404,
            'OBJECT_NOT_FOUND',
            `Unable to find property ${req.params['propertyName'] ?? ''}`,
          );
        return { status: 200, body: render(p, at()) };
      },
    },
    {
      method: 'POST',
      path: '/crm/v3/properties/:objectType',
      handler: (req) => {
        const type = typeOf(req);
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(req.text()) as Record<string, unknown>;
        } catch {
          throw invalid('Invalid input JSON');
        }
        const name = body['name'];
        const ptype = body['type'] as PropertyType;
        if (typeof name !== 'string' || !/^[a-z][a-z0-9_]*$/.test(name))
          throw invalid('name must be lowercase letters, digits and _');
        if (!TYPES.includes(ptype))
          throw invalid(`type ${String(ptype)} is not one of ${TYPES.join(', ')}`);
        if (state.property(type, name))
          throw new HubspotError(409, 'CONFLICT', `A property named '${name}' already exists.`);
        const options = Array.isArray(body['options'])
          ? (body['options'] as { label?: string; value: string }[])
          : [];
        const def: PropertyDefinition = {
          name,
          label: typeof body['label'] === 'string' ? body['label'] : name,
          type: ptype,
          fieldType: typeof body['fieldType'] === 'string' ? body['fieldType'] : 'text',
          groupName: typeof body['groupName'] === 'string' ? body['groupName'] : 'information',
          hasUniqueValue: body['hasUniqueValue'] === true,
          readOnlyValue: false,
          hubspotDefined: false,
          options: options.map((o, i) => ({
            label: o.label ?? o.value,
            value: o.value,
            displayOrder: i,
            hidden: false,
          })),
        };
        state.properties[type].push(def);
        return { status: 201, body: render(def, at()) };
      },
    },
  ];
}
