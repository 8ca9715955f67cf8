import { EmulatorHttpError, type EmulatorResponse } from '../kit/index.ts';
import {
  changeOrigin,
  responseOf,
  type ApiDispatch,
  type ApiRequest,
  type ApiRoute,
  type SalesforceContext,
} from './api-router.ts';
import { AmbiguousExternalIdError } from './dml.ts';
import { SalesforceError } from './errors.ts';
import { salesforceId } from './salesforce-id.ts';
import type { ObjectDef } from './schema.ts';

/** Subrequests allowed in one `/composite` call. */
export const MAX_COMPOSITE_SUBREQUESTS = 25;
/** Records allowed in one sObject collection call. */
export const MAX_COLLECTION_RECORDS = 200;
/** Ids allowed in one collection retrieve. */
const MAX_RETRIEVE_IDS = 2000;

/** An entry of a collection error list (collections say `statusCode`, not `errorCode`). */
interface CollectionError {
  statusCode: string;
  message: string;
  fields: string[];
}

/** One result of a collection create/update/delete/upsert. */
interface SaveResult {
  id?: string;
  success: boolean;
  errors: CollectionError[];
  created?: boolean;
}

const ROLLED_BACK: CollectionError = {
  statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
  message:
    'Record rolled back because not all records were valid and the request was using AllOrNone header',
  fields: [],
};

const HALTED = {
  errorCode: 'PROCESSING_HALTED',
  message:
    'The transaction was rolled back since another operation in the same transaction failed.',
};

/** Thrown inside an `allOrNone` transaction to undo it after every item was tried. */
class RollBack extends Error {}

function collectionErrors(err: unknown): CollectionError[] {
  if (err instanceof AmbiguousExternalIdError) {
    return [{ statusCode: 'DUPLICATE_EXTERNAL_ID', message: err.message, fields: [] }];
  }
  if (err instanceof SalesforceError) {
    return err.items.map((i) => ({
      statusCode: i.errorCode,
      message: i.message,
      fields: i.fields ?? [],
    }));
  }
  if (err instanceof EmulatorHttpError) {
    return [{ statusCode: 'UNKNOWN_EXCEPTION', message: JSON.stringify(err.body), fields: [] }];
  }
  throw err;
}

const isTrue = (v: unknown): boolean => v === true || v === 'true';

function bodyObject(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new SalesforceError(400, 'JSON_PARSER_ERROR', 'The request body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

function recordsOf(body: Record<string, unknown>): Record<string, unknown>[] {
  const records = body['records'];
  if (
    !Array.isArray(records) ||
    records.some((r) => !r || typeof r !== 'object' || Array.isArray(r))
  ) {
    throw new SalesforceError(400, 'JSON_PARSER_ERROR', 'records must be an array of sObjects');
  }
  if (records.length > MAX_COLLECTION_RECORDS) {
    throw new SalesforceError(
      400,
      'EXCEEDED_ID_LIMIT',
      `record limit reached. cannot submit more than ${MAX_COLLECTION_RECORDS} records into this call`,
    );
  }
  return records as Record<string, unknown>[];
}

/** The record without `attributes` and the keys named in `drop` (any case). */
function fieldsOf(rec: Record<string, unknown>, drop: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const lower = drop.map((d) => d.toLowerCase());
  for (const [k, v] of Object.entries(rec))
    if (k !== 'attributes' && !lower.includes(k.toLowerCase())) out[k] = v;
  return out;
}

const typeOf = (rec: Record<string, unknown>): string | undefined => {
  const a = rec['attributes'];
  const t = a && typeof a === 'object' ? (a as Record<string, unknown>)['type'] : undefined;
  return typeof t === 'string' ? t : undefined;
};

/** Resolves `@{ref.path}` against earlier subrequest results (`id`, `records[0].Id`, …). */
function lookup(refs: Map<string, unknown>, expr: string): unknown {
  const [ref, ...rest] = expr.split('.');
  if (!ref || !refs.has(ref)) return undefined;
  const keys = rest
    .join('.')
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((k) => k !== '');
  let v: unknown = refs.get(ref);
  for (const key of keys)
    v = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}

function substitute(value: unknown, refs: Map<string, unknown>): unknown {
  const one = (expr: string): unknown => {
    const v = lookup(refs, expr);
    if (v === undefined || v === null) {
      const ref = expr.split('.')[0] ?? expr;
      throw new SalesforceError(
        400,
        'PROCESSING_HALTED',
        `Invalid reference specified. No value for ${expr} found in ${ref}. Provided referenceId ('${ref}') must reference an earlier successful subrequest.`,
      );
    }
    return v;
  };
  if (typeof value === 'string') {
    const whole = /^@\{([^}]+)\}$/.exec(value);
    if (whole) return one(whole[1] as string);
    return value.replace(/@\{([^}]+)\}/g, (_, expr: string) => String(one(expr)));
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, refs));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, refs)]));
  }
  return value;
}

/** `/composite` and the sObject collection routes. */
export function compositeRoutes(ctx: SalesforceContext, dispatch: ApiDispatch): ApiRoute[] {
  const { state, dml } = ctx;

  /**
   * Runs `op` on every item. `allOrNone`: one transaction; if any item fails, everything is
   * undone and the items that had succeeded report ALL_OR_NONE_OPERATION_ROLLED_BACK.
   * Otherwise each item commits on its own.
   */
  const collection = <T>(
    req: ApiRequest,
    items: T[],
    allOrNone: boolean,
    op: (item: T) => SaveResult,
    keepIds = true,
  ): SaveResult[] => {
    const origin = changeOrigin(req);
    const attempt = (item: T): SaveResult => {
      try {
        return state.transaction(() => op(item), origin);
      } catch (err) {
        return { success: false, errors: collectionErrors(err) };
      }
    };
    if (!allOrNone) return items.map(attempt);
    let results: SaveResult[] = [];
    try {
      state.transaction(() => {
        results = items.map(attempt);
        if (results.some((r) => !r.success)) throw new RollBack();
      }, origin);
    } catch (err) {
      if (!(err instanceof RollBack)) throw err;
      results = results.map((r) =>
        r.success
          ? { ...(keepIds && r.id && { id: r.id }), success: false, errors: [ROLLED_BACK] }
          : r,
      );
    }
    return results;
  };

  const objectFor = (type: string | undefined, id?: string): ObjectDef => {
    const byId = id ? state.schema.objectOfId(id) : undefined;
    const o = type ? state.schema.find(type, true) : byId;
    if (!o) {
      throw new SalesforceError(
        400,
        'INVALID_TYPE',
        type ? `sObject type '${type}' is not supported.` : 'sObject type not specified',
      );
    }
    return o;
  };

  const retrieve = (req: ApiRequest, ids: unknown, fields: unknown): EmulatorResponse => {
    const o = state.schema.require(req.params['object'] ?? '');
    const idList = (Array.isArray(ids) ? ids : String(ids ?? '').split(','))
      .map(String)
      .filter((s) => s !== '');
    const fieldList = (Array.isArray(fields) ? fields : String(fields ?? '').split(','))
      .map(String)
      .filter((s) => s !== '');
    if (idList.length === 0)
      throw new SalesforceError(400, 'MISSING_ARGUMENT', 'ids: the list of record ids is required');
    if (fieldList.length === 0)
      throw new SalesforceError(400, 'MISSING_ARGUMENT', 'fields: the list of fields is required');
    if (idList.length > MAX_RETRIEVE_IDS) {
      throw new SalesforceError(
        400,
        'EXCEEDED_ID_LIMIT',
        `cannot retrieve more than ${MAX_RETRIEVE_IDS} records`,
      );
    }
    const body = idList.map((raw) => {
      const id = dml.parseId(o, raw);
      const found = state.get(id);
      return found && found.record['IsDeleted'] !== true
        ? dml.view(o, found.record, req.version, fieldList)
        : null;
    });
    return { status: 200, body };
  };

  return [
    {
      method: 'POST',
      path: '/composite',
      handler: (req) => {
        const body = bodyObject(req.body);
        const subs = body['compositeRequest'];
        if (!Array.isArray(subs) || subs.length === 0) {
          throw new SalesforceError(
            400,
            'JSON_PARSER_ERROR',
            'compositeRequest must be a non-empty array',
          );
        }
        if (subs.length > MAX_COMPOSITE_SUBREQUESTS) {
          throw new SalesforceError(
            400,
            'LIMIT_EXCEEDED',
            `Composite Request limit exceeded. Max allowed subrequests is ${MAX_COMPOSITE_SUBREQUESTS}.`,
          );
        }
        const seen = new Set<string>();
        for (const s of subs as Record<string, unknown>[]) {
          const ref = s?.['referenceId'];
          if (typeof ref !== 'string' || !/^[A-Za-z][A-Za-z0-9_]*$/.test(ref) || seen.has(ref)) {
            throw new SalesforceError(
              400,
              'INVALID_INPUT',
              `Invalid or duplicate referenceId: ${String(ref)}`,
            );
          }
          if (typeof s['method'] !== 'string' || typeof s['url'] !== 'string') {
            throw new SalesforceError(
              400,
              'INVALID_INPUT',
              `Subrequest ${ref} needs a method and a url`,
            );
          }
          seen.add(ref);
        }
        const allOrNone = isTrue(body['allOrNone']);
        const refs = new Map<string, unknown>();
        const results: Record<string, unknown>[] = [];
        const runOne = (s: Record<string, unknown>): EmulatorResponse =>
          responseOf(() => {
            const url = substitute(s['url'], refs) as string;
            const m = /^\/services\/data\/v(\d{2,3}\.\d)(\/[^?]*)(?:\?(.*))?$/.exec(url);
            if (!m)
              throw new SalesforceError(
                404,
                'NOT_FOUND',
                `The requested resource does not exist: ${url}`,
              );
            if (
              /^\/composite(\/|$)/.test(m[2] as string) &&
              !/^\/composite\/sobjects/.test(m[2] as string)
            ) {
              throw new SalesforceError(
                400,
                'INVALID_INPUT',
                'A composite request cannot contain another composite request',
              );
            }
            const headers: Record<string, string> = { ...req.headers };
            const extra = s['httpHeaders'];
            if (extra && typeof extra === 'object') {
              for (const [k, v] of Object.entries(extra)) headers[k.toLowerCase()] = String(v);
            }
            return dispatch({
              method: String(s['method']).toUpperCase(),
              version: m[1] as string,
              path: m[2] as string,
              searchParams: new URLSearchParams(m[3] ?? ''),
              headers,
              body: s['body'] === undefined ? undefined : substitute(s['body'], refs),
            });
          });
        const record = (s: Record<string, unknown>, r: EmulatorResponse): void => {
          const headers: Record<string, string | string[]> = {};
          for (const [k, v] of Object.entries(r.headers ?? {}))
            if (k.toLowerCase() === 'location') headers['Location'] = v;
          results.push({
            body: r.body ?? null,
            httpHeaders: headers,
            httpStatusCode: r.status,
            referenceId: s['referenceId'],
          });
          if (r.status < 300) refs.set(s['referenceId'] as string, r.body ?? null);
        };
        const items = subs as Record<string, unknown>[];
        if (!allOrNone) {
          for (const s of items) record(s, runOne(s));
        } else {
          try {
            state.transaction(() => {
              for (const s of items) {
                const r = runOne(s);
                record(s, r);
                if (r.status >= 400) throw new RollBack();
              }
            }, changeOrigin(req));
          } catch (err) {
            if (!(err instanceof RollBack)) throw err;
            const failed = results.length - 1;
            results.forEach((r, i) => {
              if (i !== failed)
                Object.assign(r, { body: [HALTED], httpHeaders: {}, httpStatusCode: 400 });
            });
            for (const s of items.slice(results.length)) {
              results.push({
                body: [HALTED],
                httpHeaders: {},
                httpStatusCode: 400,
                referenceId: s['referenceId'],
              });
            }
          }
        }
        return { status: 200, body: { compositeResponse: results } };
      },
    },
    {
      method: 'POST',
      path: '/composite/sobjects',
      handler: (req) => {
        const body = bodyObject(req.body);
        const results = collection(
          req,
          recordsOf(body),
          isTrue(body['allOrNone']),
          (rec) => {
            if (Object.keys(rec).some((k) => k.toLowerCase() === 'id')) {
              throw new SalesforceError(
                400,
                'INVALID_FIELD',
                'cannot specify Id in an insert call',
                ['Id'],
              );
            }
            const id = dml.create(objectFor(typeOf(rec)), fieldsOf(rec, []));
            return { id, success: true, errors: [] };
          },
          false,
        );
        return { status: 200, body: results };
      },
    },
    {
      method: 'PATCH',
      path: '/composite/sobjects',
      handler: (req) => {
        const body = bodyObject(req.body);
        const results = collection(req, recordsOf(body), isTrue(body['allOrNone']), (rec) => {
          const raw = rec['id'] ?? rec['Id'];
          if (typeof raw !== 'string' || raw === '') {
            throw new SalesforceError(
              400,
              'MISSING_ARGUMENT',
              'Id not specified in an update call',
              [],
            );
          }
          try {
            const id = salesforceId.normalize(raw);
            const o = objectFor(typeOf(rec), id);
            dml.update(o, raw, fieldsOf(rec, ['id']));
            return { id: id as string, success: true, errors: [] };
          } catch (err) {
            return { id: raw, success: false, errors: collectionErrors(err) };
          }
        });
        return { status: 200, body: results };
      },
    },
    {
      method: 'DELETE',
      path: '/composite/sobjects',
      handler: (req) => {
        const ids = (req.searchParams.get('ids') ?? '').split(',').filter((s) => s !== '');
        if (ids.length === 0)
          throw new SalesforceError(
            400,
            'MISSING_ARGUMENT',
            'ids: the list of record ids is required',
          );
        if (ids.length > MAX_COLLECTION_RECORDS) {
          throw new SalesforceError(
            400,
            'EXCEEDED_ID_LIMIT',
            `record limit reached. cannot submit more than ${MAX_COLLECTION_RECORDS} records into this call`,
          );
        }
        const results = collection(req, ids, isTrue(req.searchParams.get('allOrNone')), (raw) => {
          try {
            const id = salesforceId.normalize(raw);
            const o = id ? state.schema.objectOfId(id) : undefined;
            if (!o) throw new SalesforceError(400, 'MALFORMED_ID', `malformed id ${raw}`, []);
            return { id: dml.delete(o, raw), success: true, errors: [] };
          } catch (err) {
            return { id: raw, success: false, errors: collectionErrors(err) };
          }
        });
        return { status: 200, body: results };
      },
    },
    {
      method: 'GET',
      path: '/composite/sobjects/:object',
      handler: (req) => retrieve(req, req.searchParams.get('ids'), req.searchParams.get('fields')),
    },
    {
      method: 'POST',
      path: '/composite/sobjects/:object',
      handler: (req) => {
        const body = bodyObject(req.body);
        return retrieve(req, body['ids'], body['fields']);
      },
    },
    {
      method: 'PATCH',
      path: '/composite/sobjects/:object/:field',
      handler: (req) => {
        const o = state.schema.require(req.params['object'] ?? '');
        const field = req.params['field'] ?? '';
        const body = bodyObject(req.body);
        const results = collection(req, recordsOf(body), isTrue(body['allOrNone']), (rec) => {
          const type = typeOf(rec);
          if (type && type.toLowerCase() !== o.name.toLowerCase()) {
            throw new SalesforceError(
              400,
              'INVALID_TYPE',
              `record type ${type} does not match ${o.name} in the URL`,
              [],
            );
          }
          const key = Object.keys(rec).find((k) => k.toLowerCase() === field.toLowerCase());
          const value = key === undefined ? undefined : rec[key];
          if (value === undefined || value === null || value === '') {
            throw new SalesforceError(400, 'MISSING_ARGUMENT', `${field} not specified`, [field]);
          }
          const { id, created } = dml.upsert(
            o,
            field,
            String(value),
            fieldsOf(rec, [field]),
            req.version,
          );
          return { id, success: true, errors: [], created };
        });
        return { status: 200, body: results };
      },
    },
  ];
}
