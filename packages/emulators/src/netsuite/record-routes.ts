import type { EmulatorRequest, EmulatorResponse, Route } from '../kit/index.ts';
import { parseCollectionFilter } from './collection-query.ts';
import { netsuiteError, nonexistentId } from './errors.ts';
import { CONTENT_TYPE, originOf, pageLinks, readPaging } from './paging.ts';
import { recordTypeName, type RecordService, type WriteOptions } from './records.ts';
import type { NetsuiteState, NsRecord, RecordTypeName } from './state.ts';

/** Where the record service lives. */
export const RECORD_BASE = '/services/rest/record/v1';

function typeParam(req: EmulatorRequest): RecordTypeName {
  const segment = req.params['type'] ?? '';
  const type = recordTypeName(segment);
  if (!type) {
    throw netsuiteError(404, 'INVALID_URL', `Record type '${segment}' does not exist.`, {
      'o:urlPath': req.path,
    });
  }
  return type;
}

function writeOptions(req: EmulatorRequest): WriteOptions {
  return { strictNames: /^error$/i.test(req.headers['x-netsuite-propertynamevalidation'] ?? '') };
}

const recordUrl = (req: EmulatorRequest) => `${originOf(req)}${RECORD_BASE}`;

const written = (req: EmulatorRequest, record: NsRecord): EmulatorResponse => ({
  status: 204,
  headers: { location: `${recordUrl(req)}/${record.type}/${record.id}` },
});

/**
 * The REST record service: collections (`limit`, `offset`, `q`), get (`fields`,
 * `expandSubResources`), create (204 + `Location`), update, upsert by `PUT …/eid:VALUE`, delete,
 * and sublists (`…/{id}/{sublist}`, `…/{id}/{sublist}/{line}`).
 */
export function createRecordRoutes(state: NetsuiteState, records: RecordService): Route[] {
  const load = (req: EmulatorRequest, type: RecordTypeName): NsRecord => {
    const record = records.find(type, req.params['id'] ?? '');
    if (!record) throw nonexistentId(req.path);
    return record;
  };

  return [
    {
      method: 'GET',
      path: `${RECORD_BASE}/:type`,
      handler(req) {
        const type = typeParam(req);
        const { limit, offset } = readPaging(req);
        const q = req.searchParams.get('q');
        let all: NsRecord[] = state.list(type);
        if (q !== null && q.trim() !== '') {
          const filter = parseCollectionFilter(q);
          const url = recordUrl(req);
          all = all.filter((r) => filter(records.view(r, url)));
        }
        const page = all.slice(offset, offset + limit);
        const base = `${recordUrl(req)}/${type}`;
        return {
          status: 200,
          headers: { 'content-type': CONTENT_TYPE.collection },
          body: {
            links: pageLinks(base, req.searchParams, { limit, offset, total: all.length }),
            count: page.length,
            hasMore: offset + limit < all.length,
            items: page.map((r) => ({
              links: [{ rel: 'self', href: `${base}/${r.id}` }],
              id: r.id,
            })),
            offset,
            totalResults: all.length,
          },
        };
      },
    },
    {
      method: 'POST',
      path: `${RECORD_BASE}/:type`,
      handler: (req) => written(req, records.create(typeParam(req), req.json(), writeOptions(req))),
    },
    {
      method: 'GET',
      path: `${RECORD_BASE}/:type/:id`,
      handler(req) {
        const record = load(req, typeParam(req));
        const fields = req.searchParams.get('fields');
        return {
          status: 200,
          headers: { 'content-type': CONTENT_TYPE.singular },
          body: records.view(record, recordUrl(req), {
            expand: /^true$/i.test(req.searchParams.get('expandSubResources') ?? ''),
            ...(fields !== null && {
              fields: fields
                .split(',')
                .map((f) => f.trim())
                .filter(Boolean),
            }),
          }),
        };
      },
    },
    {
      method: 'PATCH',
      path: `${RECORD_BASE}/:type/:id`,
      handler: (req) =>
        written(req, records.update(load(req, typeParam(req)), req.json(), writeOptions(req))),
    },
    {
      method: 'PUT',
      path: `${RECORD_BASE}/:type/:id`,
      handler(req) {
        const type = typeParam(req);
        const key = req.params['id'] ?? '';
        if (!key.startsWith('eid:')) {
          throw netsuiteError(
            405,
            'METHOD_NOT_ALLOWED',
            'PUT (upsert) needs an external ID in the URL: …/{type}/eid:{externalId}.',
          );
        }
        const existing = records.find(type, key);
        const body = req.json();
        const externalId = key.slice(4);
        if (body && typeof body === 'object' && !Array.isArray(body)) {
          const sent = (body as Record<string, unknown>)['externalId'];
          if (sent !== undefined && sent !== externalId) {
            throw netsuiteError(
              400,
              'INVALID_CONTENT',
              `The body's externalId '${String(sent)}' differs from the URL's eid:${externalId}.`,
              { 'o:errorPath': 'externalId' },
            );
          }
        }
        const withId = { ...(body as object), externalId };
        const record = existing
          ? records.update(existing, withId, writeOptions(req))
          : records.create(type, withId, writeOptions(req));
        return written(req, record);
      },
    },
    {
      method: 'DELETE',
      path: `${RECORD_BASE}/:type/:id`,
      handler(req) {
        records.remove(load(req, typeParam(req)));
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      path: `${RECORD_BASE}/:type/:id/:sublist`,
      handler(req) {
        const record = load(req, typeParam(req));
        const body = records.sublist(record, req.params['sublist'] ?? '', recordUrl(req));
        if (!body) throw nonexistentId(req.path);
        return { status: 200, headers: { 'content-type': CONTENT_TYPE.collection }, body };
      },
    },
    {
      method: 'GET',
      path: `${RECORD_BASE}/:type/:id/:sublist/:line`,
      handler(req) {
        const record = load(req, typeParam(req));
        const body = records.sublist(record, req.params['sublist'] ?? '', recordUrl(req));
        const items = (body?.['items'] ?? []) as Record<string, unknown>[];
        const line = items.find((l) => String(l['line']) === req.params['line']);
        if (!line) throw nonexistentId(req.path);
        return { status: 200, headers: { 'content-type': CONTENT_TYPE.singular }, body: line };
      },
    },
  ];
}
