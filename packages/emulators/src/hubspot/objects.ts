import type { EmulatorRequest, Route } from '../kit/index.ts';
import { invalid, notFound } from './errors.ts';
import { defaultAssociationType, objectTypeOf, singularOf, type ObjectType } from './schema.ts';
import { searchObjects, type SearchRequest } from './search.ts';
import {
  compareIds,
  type AssociationInput,
  type HubspotState,
  type InputValue,
  type StoredObject,
} from './state.ts';

/** The properties a read returns when it names none (HubSpot's defaults per object). */
const DEFAULT_PROPERTIES: Record<ObjectType, string[]> = {
  companies: ['name', 'domain'],
  contacts: ['email', 'firstname', 'lastname'],
  deals: ['dealname', 'amount', 'closedate', 'pipeline', 'dealstage'],
  line_items: ['name', 'quantity', 'price', 'amount', 'hs_product_id'],
  products: ['name', 'price', 'description'],
};
const ALWAYS = ['createdate', 'hs_lastmodifieddate', 'hs_object_id'];

/** A record as the API answers it. */
export function renderObject(
  state: HubspotState,
  o: StoredObject,
  properties: readonly string[] | undefined,
  associations: readonly string[] = [],
): Record<string, unknown> {
  const names = [...new Set([...(properties ?? DEFAULT_PROPERTIES[o.type]), ...ALWAYS])];
  const props: Record<string, string | null> = {};
  for (const n of names) props[n] = o.properties[n] ?? null;
  const out: Record<string, unknown> = {
    id: o.id,
    properties: props,
    createdAt: new Date(o.createdAt).toISOString(),
    updatedAt: new Date(o.updatedAt).toISOString(),
    archived: o.archived,
  };
  const assoc: Record<string, unknown> = {};
  for (const name of associations) {
    const to = objectTypeOf(name);
    if (!to) continue;
    const results = state.associated(o.type, o.id, to).flatMap((a) =>
      a.typeIds.map((typeId) => ({
        id: a.id,
        type:
          defaultAssociationType(o.type, to)?.typeId === typeId
            ? `${singularOf(o.type)}_to_${singularOf(to)}`
            : `${singularOf(o.type)}_to_${singularOf(to)}_${typeId}`,
      })),
    );
    if (results.length > 0) assoc[name] = { results };
  }
  if (Object.keys(assoc).length > 0) out['associations'] = assoc;
  return out;
}

/** A comma-separated (or repeated) list query parameter. */
export function listParam(req: EmulatorRequest, name: string): string[] | undefined {
  const values = req.searchParams.getAll(name);
  if (values.length === 0) return undefined;
  return values
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

function typeParam(req: EmulatorRequest): ObjectType {
  const t = objectTypeOf(req.params['objectType'] ?? '');
  if (!t) throw invalid(`Unable to infer object type from: ${req.params['objectType'] ?? ''}`);
  return t;
}

function objectBody(req: EmulatorRequest): Record<string, unknown> {
  let body: unknown;
  try {
    body = req.rawBody.length === 0 ? {} : JSON.parse(req.text());
  } catch {
    throw invalid('Invalid input JSON on line 1, column 1: Cannot parse the request body');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid('Invalid input JSON: expected an object');
  return body as Record<string, unknown>;
}

function propertiesOf(value: unknown): Record<string, InputValue> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid('Invalid input JSON: properties must be an object');
  return value as Record<string, InputValue>;
}

function inputsOf(body: Record<string, unknown>, max = 100): Record<string, unknown>[] {
  const inputs = body['inputs'];
  if (!Array.isArray(inputs)) throw invalid('Invalid input JSON: inputs must be an array');
  if (inputs.length > max)
    throw invalid(`Batch input limit exceeded: at most ${max} inputs are allowed per request`);
  return inputs as Record<string, unknown>[];
}

/** Reads one record by id or by a unique `idProperty`. */
function lookup(
  state: HubspotState,
  type: ObjectType,
  id: string,
  idProperty?: string,
): StoredObject {
  if (idProperty && idProperty !== 'hs_object_id') {
    state.requireIdProperty(type, idProperty);
    const o = state.findBy(type, idProperty, id);
    if (!o) throw notFound();
    return o;
  }
  if (!/^\d+$/.test(id)) throw notFound();
  return state.require(type, id);
}

/**
 * `/crm/v3/objects/{objectType}`: create, read, update, archive, list (paged by `after`), batch
 * read/create/update/upsert/archive, and search.
 */
export function objectRoutes(state: HubspotState, now: () => number): Route[] {
  const at = () => new Date(now()).toISOString();
  const batch = (results: unknown[], errors: unknown[], started: string) => ({
    status: 'COMPLETE',
    results,
    ...(errors.length > 0 && { errors, numErrors: errors.length }),
    startedAt: started,
    completedAt: at(),
  });
  return [
    {
      method: 'GET',
      path: '/crm/v3/objects/:objectType',
      handler: (req) => {
        const type = typeParam(req);
        const limit = Math.min(
          100,
          Math.max(1, Number(req.searchParams.get('limit') ?? '10') || 10),
        );
        const after = req.searchParams.get('after');
        const archived = req.searchParams.get('archived') === 'true';
        const all = [...state.table(type).values()]
          .filter((o) => o.archived === archived)
          .sort((a, b) => compareIds(a.id, b.id));
        const start = after ? all.findIndex((o) => compareIds(o.id, after) > 0) : 0;
        const page = start < 0 ? [] : all.slice(start, start + limit);
        const more = start >= 0 && start + limit < all.length;
        const properties = listParam(req, 'properties');
        const associations = listParam(req, 'associations');
        return {
          status: 200,
          body: {
            results: page.map((o) => renderObject(state, o, properties, associations)),
            ...(more && {
              paging: {
                next: {
                  after: page[page.length - 1]!.id,
                  link: `?after=${page[page.length - 1]!.id}`,
                },
              },
            }),
          },
        };
      },
    },
    {
      method: 'POST',
      path: '/crm/v3/objects/:objectType',
      handler: (req) => {
        const type = typeParam(req);
        const body = objectBody(req);
        const o = state.create(
          type,
          propertiesOf(body['properties']),
          (body['associations'] as AssociationInput[] | undefined) ?? [],
        );
        return { status: 201, body: renderObject(state, o, Object.keys(o.properties)) };
      },
    },
    {
      method: 'GET',
      path: '/crm/v3/objects/:objectType/:objectId',
      handler: (req) => {
        const type = typeParam(req);
        const o = lookup(
          state,
          type,
          req.params['objectId'] ?? '',
          req.searchParams.get('idProperty') ?? undefined,
        );
        return {
          status: 200,
          body: renderObject(
            state,
            o,
            listParam(req, 'properties'),
            listParam(req, 'associations'),
          ),
        };
      },
    },
    {
      method: 'PATCH',
      path: '/crm/v3/objects/:objectType/:objectId',
      handler: (req) => {
        const type = typeParam(req);
        const o = lookup(
          state,
          type,
          req.params['objectId'] ?? '',
          req.searchParams.get('idProperty') ?? undefined,
        );
        const props = propertiesOf(objectBody(req)['properties']);
        const updated = state.update(type, o.id, props);
        return { status: 200, body: renderObject(state, updated, Object.keys(updated.properties)) };
      },
    },
    {
      method: 'DELETE',
      path: '/crm/v3/objects/:objectType/:objectId',
      handler: (req) => {
        const type = typeParam(req);
        const o = state.table(type).get(req.params['objectId'] ?? '');
        if (o && !o.archived) state.archive(type, o.id);
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      path: '/crm/v3/objects/:objectType/batch/read',
      handler: (req) => {
        const started = at();
        const type = typeParam(req);
        const body = objectBody(req);
        const idProperty = typeof body['idProperty'] === 'string' ? body['idProperty'] : undefined;
        const properties = Array.isArray(body['properties'])
          ? (body['properties'] as string[])
          : undefined;
        const results: unknown[] = [];
        const missing: string[] = [];
        for (const input of inputsOf(body)) {
          const id = String(input['id'] ?? '');
          try {
            results.push(renderObject(state, lookup(state, type, id, idProperty), properties));
          } catch {
            missing.push(id);
          }
        }
        const errors = missing.length
          ? [
              {
                status: 'error',
                category: 'OBJECT_NOT_FOUND',
                message: 'Could not get some objects, they may be deleted or not exist.',
                context: { ids: missing },
              },
            ]
          : [];
        return { status: errors.length ? 207 : 200, body: batch(results, errors, started) };
      },
    },
    {
      method: 'POST',
      path: '/crm/v3/objects/:objectType/batch/create',
      handler: (req) => {
        const started = at();
        const type = typeParam(req);
        const inputs = inputsOf(objectBody(req));
        // All or nothing: validate every input before creating any.
        const seen = new Map<string, string>();
        for (const input of inputs) {
          const props = propertiesOf(input['properties']);
          state.validate(type, props);
          for (const [k, v] of Object.entries(props)) {
            if (!state.property(type, k)?.hasUniqueValue || v === null || v === undefined) continue;
            const key = `${k}=${String(v)}`;
            if (seen.has(key)) throw invalid(`Duplicate ${k} "${String(v)}" in the batch`);
            seen.set(key, k);
          }
        }
        const results = inputs.map((input) => {
          const o = state.create(
            type,
            propertiesOf(input['properties']),
            (input['associations'] as AssociationInput[] | undefined) ?? [],
          );
          return renderObject(state, o, Object.keys(o.properties));
        });
        return { status: 201, body: batch(results, [], started) };
      },
    },
    {
      method: 'POST',
      path: '/crm/v3/objects/:objectType/batch/update',
      handler: (req) => {
        const started = at();
        const type = typeParam(req);
        const inputs = inputsOf(objectBody(req));
        const targets = inputs.map((input) => {
          const idProperty =
            typeof input['idProperty'] === 'string' ? input['idProperty'] : undefined;
          const o = lookup(state, type, String(input['id'] ?? ''), idProperty);
          const props = propertiesOf(input['properties']);
          state.validate(type, props, o);
          return { o, props };
        });
        const results = targets.map(({ o, props }) => {
          const u = state.update(type, o.id, props);
          return renderObject(state, u, Object.keys(u.properties));
        });
        return { status: 200, body: batch(results, [], started) };
      },
    },
    {
      method: 'POST',
      path: '/crm/v3/objects/:objectType/batch/upsert',
      handler: (req) => {
        const started = at();
        const type = typeParam(req);
        const inputs = inputsOf(objectBody(req));
        const plan = inputs.map((input) => {
          const idProperty = input['idProperty'];
          const id = input['id'];
          if (typeof idProperty !== 'string' || typeof id !== 'string' || id === '')
            throw invalid('Invalid input JSON: every upsert input needs id and idProperty');
          if (idProperty === 'hs_object_id')
            throw invalid('hs_object_id cannot be used as idProperty for upsert');
          state.requireIdProperty(type, idProperty);
          const props = { ...propertiesOf(input['properties']) };
          if (idProperty in props && String(props[idProperty]) !== id)
            throw invalid(`The ${idProperty} in properties differs from the input's id`);
          const existing = state.findBy(type, idProperty, id);
          state.validate(type, props, existing);
          return { existing, props: { ...props, [idProperty]: id } };
        });
        const results = plan.map(({ existing, props }) => {
          const o = existing ? state.update(type, existing.id, props) : state.create(type, props);
          return { ...renderObject(state, o, Object.keys(o.properties)), new: !existing };
        });
        return { status: 200, body: batch(results, [], started) };
      },
    },
    {
      method: 'POST',
      path: '/crm/v3/objects/:objectType/batch/archive',
      handler: (req) => {
        const type = typeParam(req);
        for (const input of inputsOf(objectBody(req))) {
          const o = state.table(type).get(String(input['id'] ?? ''));
          if (o && !o.archived) state.archive(type, o.id);
        }
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      path: '/crm/v3/objects/:objectType/search',
      handler: (req) => {
        const type = typeParam(req);
        const body = objectBody(req) as SearchRequest;
        const { results, total, next } = searchObjects(state, type, body);
        return {
          status: 200,
          body: {
            total,
            results: results.map((o) => renderObject(state, o, body.properties)),
            ...(next !== undefined && { paging: { next: { after: next } } }),
          },
        };
      },
    },
  ];
}
