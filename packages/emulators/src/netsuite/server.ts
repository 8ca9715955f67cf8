import { setTimeout as sleep } from 'node:timers/promises';
import {
  createClock,
  createConcurrencyLimiter,
  createEmulatorServer,
  createFaultInjector,
  createRng,
  EmulatorHttpError,
} from '../kit/index.ts';
import type {
  Clock,
  EmulatorServer,
  FaultConfigInput,
  FaultPreset,
  Middleware,
  Route,
} from '../kit/index.ts';
import { createAsyncJobs } from './async-jobs.ts';
import {
  concurrencyLimitBody,
  ERROR_CONTENT_TYPE,
  formatNetsuiteError,
  invalidContent,
  netsuiteFaultResponse,
  nonexistentId,
} from './errors.ts';
import { createOAuthVerifier, type NetsuiteCredentials } from './oauth.ts';
import { createRecordRoutes } from './record-routes.ts';
import { createRecordService, recordTypeName, type RecordService } from './records.ts';
import { createNetsuiteState, type NetsuiteState } from './state.ts';
import { createSuiteqlHandler } from './suiteql.ts';

/** Everything the server is built from (all defaults already applied). */
export interface NetsuiteServerConfig {
  port: number;
  host: string;
  seed: number;
  faults: FaultConfigInput | FaultPreset;
  credentials: NetsuiteCredentials;
  concurrencyLimit: number;
  latencyMs: number;
  timestampToleranceSeconds: number;
  oauthClock: 'emulator' | 'system';
  suiteqlMaxResults: number;
}

/** The assembled server and the parts tests reach for. */
export interface NetsuiteServer {
  server: EmulatorServer;
  clock: Clock;
  state: NetsuiteState;
  records: RecordService;
  /** Empties the records, recreates the seed data, forgets nonces and async jobs. */
  reset(): void;
}

/**
 * Assembles the NetSuite emulator on the kit: OAuth 1.0a TBA (or bearer) on every vendor
 * route, then the account-wide concurrency pool (with the optional artificial latency held
 * inside it), then `Prefer: respond-async` handling, then the record, SuiteQL and async routes.
 */
export async function createNetsuiteServer(config: NetsuiteServerConfig): Promise<NetsuiteServer> {
  const clock = createClock();
  const rng = createRng(config.seed);
  const faults = createFaultInjector({ rng: rng.fork('faults'), clock, config: config.faults });
  const state = createNetsuiteState(clock.now());
  const records = createRecordService(state, () => clock.now());
  const verifier = createOAuthVerifier({
    credentials: config.credentials,
    now: config.oauthClock === 'system' ? () => Date.now() : () => clock.now(),
    toleranceSeconds: config.timestampToleranceSeconds,
  });
  const pool = createConcurrencyLimiter({ max: config.concurrencyLimit });
  const asyncJobs = createAsyncJobs(state, () => clock.now());

  const authenticate: Middleware = (req, next) => {
    verifier.verify(req);
    return next();
  };
  // One pool for the whole account: every integration and token shares it.
  const limitConcurrency: Middleware = async (req, next) => {
    const release = pool.tryAcquire(config.credentials.accountId);
    if (!release) {
      throw new EmulatorHttpError(429, concurrencyLimitBody(), {
        'content-type': ERROR_CONTENT_TYPE,
        'retry-after': '1',
      });
    }
    try {
      if (config.latencyMs > 0) await sleep(config.latencyMs);
      return await next();
    } finally {
      release();
    }
  };

  const reset = (): void => {
    state.reset(clock.now());
    verifier.reset();
  };

  const seedRoute: Route = {
    method: 'POST',
    path: '/_emulator/records/:type',
    handler(req) {
      const type = recordTypeName(req.params['type'] ?? '');
      if (!type) throw invalidContent(`Record type '${req.params['type']}' does not exist.`);
      const body = req.json();
      const bodies = Array.isArray(body) ? body : [body];
      const ids = bodies.map((b: unknown) => records.create(type, b).id);
      return { status: 200, body: { type, ids } };
    },
  };

  /**
   * `GET /_emulator/receipts/{type}`: every record of the type written through the record
   * routes, with the wall-clock ms it first arrived and its write count (load harnesses time
   * postings by it). `?since=<ms>` keeps records first received at or after that time.
   */
  const receiptsRoute: Route = {
    method: 'GET',
    path: '/_emulator/receipts/:type',
    handler(req) {
      const type = recordTypeName(req.params['type'] ?? '');
      if (!type) throw invalidContent(`Record type '${req.params['type']}' does not exist.`);
      const since = Number(req.searchParams.get('since') ?? 0);
      const items = [...state.receipts.values()].filter(
        (r) => r.type === type && r.receivedAtMs >= since,
      );
      return { status: 200, body: { type, count: items.length, items } };
    },
  };

  /** `POST /_emulator/periods {"arLockedThrough": "2026-11" | null}`: the controller's A/R lock. */
  const periodsRoute: Route = {
    method: 'POST',
    path: '/_emulator/periods',
    handler(req) {
      const body = req.json() as { arLockedThrough?: unknown };
      const value = body.arLockedThrough;
      if (value !== null && (typeof value !== 'string' || !/^\d{4}-(0[1-9]|1[0-2])$/.test(value))) {
        throw invalidContent('arLockedThrough must be a YYYY-MM period or null.');
      }
      state.arLockedThrough = value ?? undefined;
      return { status: 200, body: { arLockedThrough: value } };
    },
  };

  /**
   * `POST /_emulator/transactions/{invoice|creditmemo|customerpayment}/{id | eid:X}/currency
   * {"currency": "EUR"}`: rewrites a posted transaction's currency as a person editing the ERP
   * by hand (or an old import) would leave it, skipping the customer/subsidiary currency check
   * the REST routes make; amounts stay as they are (so only a currency with the same decimals
   * is accepted). Reconciliation tests inject `currency_mismatch` with it.
   */
  const currencyRoute: Route = {
    method: 'POST',
    path: '/_emulator/transactions/:type/:id/currency',
    handler(req) {
      const type = req.params['type'] ?? '';
      if (type !== 'invoice' && type !== 'creditmemo' && type !== 'customerpayment') {
        throw invalidContent(
          `Record type '${type}' has no currency to rewrite: use invoice, creditmemo or customerpayment.`,
        );
      }
      const key = req.params['id'] ?? '';
      const id = key.startsWith('eid:') ? state.idForExternalId(type, key.slice(4)) : key;
      const record = id === undefined ? undefined : state.get(type, id);
      if (!record) throw nonexistentId(req.path);
      const body = req.json() as { currency?: unknown };
      const wanted = state
        .list('currency')
        .find((c) => c.symbol === body.currency || c.id === body.currency);
      if (!wanted)
        throw invalidContent(
          `currency must be a currency symbol or id, got ${JSON.stringify(body.currency)}.`,
          'currency',
        );
      const current = state.get('currency', record.currency);
      if (current && current.currencyPrecision !== wanted.currencyPrecision) {
        throw invalidContent(
          `${wanted.symbol} has ${wanted.currencyPrecision} decimals and ${current.symbol} ${current.currencyPrecision}: the stored amounts would change meaning.`,
          'currency',
        );
      }
      state.put({ ...record, currency: wanted.id, lastModifiedMs: clock.now() });
      return { status: 200, body: { type, id: record.id, currency: wanted.symbol } };
    },
  };

  const server = await createEmulatorServer({
    name: 'netsuite',
    port: config.port,
    host: config.host,
    clock,
    rng,
    faults,
    middleware: [authenticate, limitConcurrency, asyncJobs.middleware],
    routes: [
      ...createRecordRoutes(state, records),
      {
        method: 'POST',
        path: '/services/rest/query/v1/suiteql',
        handler: createSuiteqlHandler({
          state,
          now: () => clock.now(),
          maxResults: config.suiteqlMaxResults,
        }),
      },
      ...asyncJobs.routes,
      seedRoute,
      receiptsRoute,
      periodsRoute,
      currencyRoute,
    ],
    formatError: (e) => formatNetsuiteError(e),
    faultResponse: netsuiteFaultResponse,
    admin: {
      dumpState: () => ({
        accountId: config.credentials.accountId,
        concurrency: {
          limit: config.concurrencyLimit,
          inFlight: pool.inFlight(config.credentials.accountId),
        },
        ...state.dump(),
      }),
      reset,
    },
  });
  return { server, clock, state, records, reset };
}
