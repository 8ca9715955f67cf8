import type { EmulatorRequest, Route } from '../kit/index.ts';
import { invalid } from './errors.ts';
import {
  associationType,
  ASSOCIATION_TYPES,
  defaultAssociationType,
  OBJECT_TYPE_IDS,
  objectTypeOf,
  type AssociationType,
  type ObjectType,
} from './schema.ts';
import type { HubspotState } from './state.ts';

function typeOf(req: EmulatorRequest, param: string): ObjectType {
  const t = objectTypeOf(req.params[param] ?? '');
  if (!t) throw invalid(`Unable to infer object type from: ${req.params[param] ?? ''}`);
  return t;
}

function json(req: EmulatorRequest): unknown {
  try {
    return req.rawBody.length === 0 ? undefined : JSON.parse(req.text());
  } catch {
    throw invalid('Invalid input JSON on line 1, column 1: Cannot parse the request body');
  }
}

function specs(from: ObjectType, to: ObjectType, raw: unknown): AssociationType[] {
  if (!Array.isArray(raw) || raw.length === 0)
    throw invalid('Invalid input JSON: give [{associationCategory, associationTypeId}]');
  return raw.map((s: { associationCategory?: unknown; associationTypeId?: unknown }) => {
    const t =
      s.associationCategory === 'HUBSPOT_DEFINED' && typeof s.associationTypeId === 'number'
        ? associationType(from, to, s.associationTypeId)
        : undefined;
    if (!t)
      throw invalid(
        `${String(s.associationCategory)} ${String(s.associationTypeId)} is not a valid association type from ${from} to ${to}`,
      );
    return t;
  });
}

function requireDefault(from: ObjectType, to: ObjectType): AssociationType {
  const t = defaultAssociationType(from, to);
  if (!t) throw invalid(`${from} cannot be associated with ${to}`);
  return t;
}

const labelsOf = (typeIds: number[], from: ObjectType, to: ObjectType) =>
  typeIds.map((typeId) => {
    const t = associationType(from, to, typeId);
    return { category: 'HUBSPOT_DEFINED', typeId, label: t?.label ?? null };
  });

/**
 * Associations API v4 (`/crm/v4/objects/{type}/{id}/associations/…` and the batch routes under
 * `/crm/v4/associations/{from}/{to}/batch/…`), as `@hubspot/api-client`'s `associations.v4` calls
 * them. Types are HubSpot-defined only (no custom labels).
 */
export function associationRoutes(state: HubspotState, now: () => number): Route[] {
  const at = () => new Date(now()).toISOString();
  return [
    {
      method: 'PUT',
      path: '/crm/v4/objects/:objectType/:objectId/associations/default/:toObjectType/:toObjectId',
      handler: (req) => {
        const started = at();
        const from = typeOf(req, 'objectType');
        const to = typeOf(req, 'toObjectType');
        const t = requireDefault(from, to);
        const fromId = req.params['objectId'] ?? '';
        const toId = req.params['toObjectId'] ?? '';
        state.associate(from, fromId, t, toId);
        const spec = (x: AssociationType) => ({
          associationCategory: 'HUBSPOT_DEFINED',
          associationTypeId: x.typeId,
        });
        return {
          status: 200,
          body: {
            status: 'COMPLETE',
            results: [
              { from: { id: fromId }, to: { id: toId }, associationSpec: spec(t) },
              {
                from: { id: toId },
                to: { id: fromId },
                associationSpec: spec(associationType(to, from, t.inverse)!),
              },
            ],
            startedAt: started,
            completedAt: at(),
          },
        };
      },
    },
    {
      method: 'PUT',
      path: '/crm/v4/objects/:objectType/:objectId/associations/:toObjectType/:toObjectId',
      handler: (req) => {
        const from = typeOf(req, 'objectType');
        const to = typeOf(req, 'toObjectType');
        const fromId = req.params['objectId'] ?? '';
        const toId = req.params['toObjectId'] ?? '';
        const types = specs(from, to, json(req));
        for (const t of types) state.associate(from, fromId, t, toId);
        return {
          status: 201,
          body: {
            fromObjectTypeId: OBJECT_TYPE_IDS[from],
            fromObjectId: Number(fromId),
            toObjectTypeId: OBJECT_TYPE_IDS[to],
            toObjectId: Number(toId),
            labels: types.map((t) => t.label).filter((l): l is string => l !== null),
          },
        };
      },
    },
    {
      method: 'DELETE',
      path: '/crm/v4/objects/:objectType/:objectId/associations/:toObjectType/:toObjectId',
      handler: (req) => {
        state.dissociate(
          typeOf(req, 'objectType'),
          req.params['objectId'] ?? '',
          typeOf(req, 'toObjectType'),
          req.params['toObjectId'] ?? '',
        );
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      path: '/crm/v4/objects/:objectType/:objectId/associations/:toObjectType',
      handler: (req) => {
        const from = typeOf(req, 'objectType');
        const to = typeOf(req, 'toObjectType');
        const id = req.params['objectId'] ?? '';
        state.require(from, id);
        const limit = Math.min(
          500,
          Math.max(1, Number(req.searchParams.get('limit') ?? '500') || 500),
        );
        const offset = Number(req.searchParams.get('after') ?? '0') || 0;
        const all = state.associated(from, id, to);
        const page = all.slice(offset, offset + limit);
        return {
          status: 200,
          body: {
            results: page.map((a) => ({
              toObjectId: Number(a.id),
              associationTypes: labelsOf(a.typeIds, from, to),
            })),
            ...(offset + limit < all.length && {
              paging: { next: { after: String(offset + limit) } },
            }),
          },
        };
      },
    },
    {
      method: 'POST',
      path: '/crm/v4/associations/:fromObjectType/:toObjectType/batch/read',
      handler: (req) => {
        const started = at();
        const from = typeOf(req, 'fromObjectType');
        const to = typeOf(req, 'toObjectType');
        const inputs = (json(req) as { inputs?: { id?: string }[] } | undefined)?.inputs;
        if (!Array.isArray(inputs)) throw invalid('Invalid input JSON: inputs must be an array');
        const results = inputs.flatMap((input) => {
          const id = String(input.id ?? '');
          const o = state.table(from).get(id);
          if (!o || o.archived) return [];
          const found = state.associated(from, id, to);
          if (found.length === 0) return [];
          return [
            {
              from: { id },
              to: found.map((a) => ({
                toObjectId: Number(a.id),
                associationTypes: labelsOf(a.typeIds, from, to),
              })),
            },
          ];
        });
        return {
          status: 200,
          body: { status: 'COMPLETE', results, startedAt: started, completedAt: at() },
        };
      },
    },
    {
      method: 'POST',
      path: '/crm/v4/associations/:fromObjectType/:toObjectType/batch/create',
      handler: (req) => {
        const started = at();
        const from = typeOf(req, 'fromObjectType');
        const to = typeOf(req, 'toObjectType');
        const inputs = (json(req) as { inputs?: unknown[] } | undefined)?.inputs;
        if (!Array.isArray(inputs)) throw invalid('Invalid input JSON: inputs must be an array');
        const results = inputs.map((raw) => {
          const input = raw as { from?: { id?: string }; to?: { id?: string }; types?: unknown };
          const fromId = String(input.from?.id ?? '');
          const toId = String(input.to?.id ?? '');
          const types = specs(from, to, input.types);
          for (const t of types) state.associate(from, fromId, t, toId);
          return {
            fromObjectTypeId: OBJECT_TYPE_IDS[from],
            fromObjectId: Number(fromId),
            toObjectTypeId: OBJECT_TYPE_IDS[to],
            toObjectId: Number(toId),
            labels: [],
          };
        });
        return {
          status: 201,
          body: { status: 'COMPLETE', results, startedAt: started, completedAt: at() },
        };
      },
    },
    {
      method: 'POST',
      path: '/crm/v4/associations/:fromObjectType/:toObjectType/batch/associate/default',
      handler: (req) => {
        const started = at();
        const from = typeOf(req, 'fromObjectType');
        const to = typeOf(req, 'toObjectType');
        const t = requireDefault(from, to);
        const inputs = (json(req) as { inputs?: unknown[] } | undefined)?.inputs;
        if (!Array.isArray(inputs)) throw invalid('Invalid input JSON: inputs must be an array');
        const results = inputs.map((raw) => {
          const input = raw as { from?: { id?: string }; to?: { id?: string } };
          const fromId = String(input.from?.id ?? '');
          const toId = String(input.to?.id ?? '');
          state.associate(from, fromId, t, toId);
          return {
            from: { id: fromId },
            to: { id: toId },
            associationSpec: {
              associationCategory: 'HUBSPOT_DEFINED',
              associationTypeId: t.typeId,
            },
          };
        });
        return {
          status: 200,
          body: { status: 'COMPLETE', results, startedAt: started, completedAt: at() },
        };
      },
    },
    {
      method: 'GET',
      path: '/crm/v4/associations/:fromObjectType/:toObjectType/labels',
      handler: (req) => {
        const from = typeOf(req, 'fromObjectType');
        const to = typeOf(req, 'toObjectType');
        return {
          status: 200,
          body: {
            results: ASSOCIATION_TYPES.filter((t) => t.from === from && t.to === to).map((t) => ({
              category: 'HUBSPOT_DEFINED',
              typeId: t.typeId,
              label: t.label,
            })),
          },
        };
      },
    },
  ];
}
