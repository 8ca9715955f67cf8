import { EmulatorHttpError } from '../kit/index.ts';
import type { EmulatorRequest, EmulatorResponse, Middleware, Route } from '../kit/index.ts';
import { netsuiteError, nonexistentId } from './errors.ts';
import { formatDateTime } from './record-type.ts';
import { CONTENT_TYPE, originOf } from './paging.ts';
import { RECORD_BASE } from './record-routes.ts';
import type { AsyncJob, NetsuiteState } from './state.ts';

/** Where async jobs are polled. */
export const ASYNC_BASE = '/services/rest/async/v1/job';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const progressOf = (job: AsyncJob) => (job.result.status < 400 ? 'succeeded' : 'failed');

function headersOf(r: EmulatorResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers ?? {}))
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/**
 * `Prefer: respond-async` on record requests: the request runs at once, its response is kept
 * as the job's single task result, and the client gets 202 with `Location: …/async/v1/job/{id}`.
 * `X-NetSuite-Idempotency-Key` (a UUID) on such a request may be used once: a repeat gets 400
 * `IDEMPOTENCY_ERROR` with the first job's `Location`.
 */
export function createAsyncJobs(
  state: NetsuiteState,
  now: () => number,
): { middleware: Middleware; routes: Route[] } {
  const jobUrl = (req: EmulatorRequest, id: string) => `${originOf(req)}${ASYNC_BASE}/${id}`;

  const middleware: Middleware = async (req, next) => {
    const prefer = req.headers['prefer'] ?? '';
    if (!/(^|[\s,;])respond-async($|[\s,;])/i.test(prefer) || !req.path.startsWith(RECORD_BASE)) {
      return next();
    }
    const key = req.headers['x-netsuite-idempotency-key'];
    if (key !== undefined) {
      if (!UUID.test(key)) {
        throw netsuiteError(
          400,
          'INVALID_HEADER',
          'The X-NetSuite-Idempotency-Key header must be a UUID (RFC 4122).',
          { 'o:errorHeader': 'X-NetSuite-Idempotency-Key' },
        );
      }
      const previous = state.idempotencyKeys.get(key.toLowerCase());
      if (previous !== undefined) {
        throw netsuiteError(
          400,
          'IDEMPOTENCY_ERROR',
          'A request with the same idempotency key is already submitted. See the "Location" header for a link to the previously submitted job.',
          {},
          { location: jobUrl(req, previous), 'preference-applied': 'respond-async' },
        );
      }
    }
    const submittedMs = now();
    let result: EmulatorResponse;
    try {
      result = await next();
    } catch (err) {
      if (!(err instanceof EmulatorHttpError)) throw err;
      result = { status: err.status, headers: err.headers, body: err.body };
    }
    const id = state.nextJobId();
    state.jobs.set(id, {
      id,
      method: req.method,
      path: req.path,
      submittedMs,
      completedMs: now(),
      result: { status: result.status, headers: headersOf(result), body: result.body },
      ...(key !== undefined && { idempotencyKey: key.toLowerCase() }),
    });
    if (key !== undefined) state.idempotencyKeys.set(key.toLowerCase(), id);
    return {
      status: 202,
      headers: { location: jobUrl(req, id), 'preference-applied': 'respond-async' },
    };
  };

  const job = (req: EmulatorRequest): AsyncJob => {
    const found = state.jobs.get(req.params['id'] ?? '');
    if (!found) throw nonexistentId(req.path);
    return found;
  };
  const task = (req: EmulatorRequest): AsyncJob => {
    const found = job(req);
    if (req.params['task'] !== '1') throw nonexistentId(req.path);
    return found;
  };

  const routes: Route[] = [
    {
      method: 'GET',
      path: `${ASYNC_BASE}/:id`,
      handler(req) {
        const j = job(req);
        const self = jobUrl(req, j.id);
        return {
          status: 200,
          headers: { 'content-type': CONTENT_TYPE.singular },
          body: {
            links: [{ rel: 'self', href: self }],
            completed: true,
            id: j.id,
            progress: progressOf(j),
            task: { links: [{ rel: 'self', href: `${self}/task` }] },
          },
        };
      },
    },
    {
      method: 'GET',
      path: `${ASYNC_BASE}/:id/task`,
      handler(req) {
        const j = job(req);
        const href = `${jobUrl(req, j.id)}/task`;
        return {
          status: 200,
          headers: { 'content-type': CONTENT_TYPE.collection },
          body: {
            links: [{ rel: 'self', href }],
            count: 1,
            hasMore: false,
            items: [{ links: [{ rel: 'self', href: `${href}/1` }], id: '1' }],
            offset: 0,
            totalResults: 1,
          },
        };
      },
    },
    {
      method: 'GET',
      path: `${ASYNC_BASE}/:id/task/:task`,
      handler(req) {
        const j = task(req);
        const self = `${jobUrl(req, j.id)}/task/1`;
        return {
          status: 200,
          headers: { 'content-type': CONTENT_TYPE.singular },
          body: {
            links: [
              { rel: 'related', href: `${self}/result` },
              { rel: 'self', href: self },
            ],
            completed: true,
            endTime: formatDateTime(j.completedMs),
            id: '1',
            progress: progressOf(j),
            startTime: formatDateTime(j.submittedMs),
          },
        };
      },
    },
    {
      method: 'GET',
      path: `${ASYNC_BASE}/:id/task/:task/result`,
      handler(req) {
        const { result } = task(req);
        return {
          status: result.status,
          headers: result.headers,
          ...(result.body !== undefined && { body: result.body }),
        };
      },
    },
  ];
  return { middleware, routes };
}
