/**
 * The Business Central API v2.0 emulator: Entra ID tokens, then on
 * `/v2.0/{tenant}/{environment}/api/v2.0/…` the bearer check, the per-client rate limit
 * (6,000 requests per 5 minutes) and the OData resource tree, JSON `$batch` and webhook
 * subscriptions. Admin routes under `/_emulator/`.
 */
import { randomUUID } from 'node:crypto';
import {
  createClock,
  createConcurrencyLimiter,
  createEmulatorServer,
  createFaultInjector,
  createRateLimiter,
  createRng,
  EmulatorHttpError,
  type Clock,
  type EmulatorRequest,
  type EmulatorResponse,
  type EmulatorServer,
  type FaultConfigInput,
  type FaultPreset,
  type Middleware,
  type Route,
} from '../kit/index.ts';
import {
  badRequest,
  BcError,
  bcErrorBody,
  businessCentralFaultResponse,
  entityChanged,
  ifMatchMissing,
  notFound,
  resourceNotFound,
  tooManyRequests,
} from './errors.ts';
import { Ledger, type CompanySeed, type CompanyState, type DocKind } from './ledger.ts';
import { Notifier, type Subscription } from './notifications.ts';
import { EntraOAuth, type EntraConfig, type Grant } from './oauth.ts';
import {
  evalFilter,
  intOption,
  parseFilter,
  parseOrderBy,
  parsePath,
  sortRows,
  type PathSegment,
} from './odata.ts';

export interface BusinessCentralServerConfig {
  port: number;
  host: string;
  seed: number;
  faults: FaultConfigInput | FaultPreset;
  companies: readonly CompanySeed[];
  environments: readonly string[];
  oauth: EntraConfig;
  /** Requests per client per window before 429; 0 = no limit. */
  rateLimit: number;
  rateWindowMs: number;
  /** Requests in flight per client before 429 (BC: 100). */
  concurrencyLimit: number;
  /** Rows per page before `@odata.nextLink` (BC: 20,000). */
  pageSize: number;
  /** Requests one `$batch` may hold (BC: 100). */
  batchLimit: number;
  /** Subscription lifetime (BC: 3 days). */
  subscriptionMs: number;
  notificationMaxAttempts: number;
  notificationRetryMs: number;
  notificationTimeoutMs: number;
}

export interface BusinessCentralServer {
  server: EmulatorServer;
  clock: Clock;
  ledger: Ledger;
  oauth: EntraOAuth;
  notifier: Notifier;
  reset(): void;
  /** Waits until queued notifications are done. */
  notificationsIdle(): Promise<void>;
}

type Json = Record<string, unknown>;

/** One API call, from HTTP or from inside a `$batch`. */
interface ApiCall {
  method: string;
  /** Below `/api/v2.0/`, no leading slash. */
  path: string;
  search: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
  /** `http://host/v2.0/{tenant}/{env}/api/v2.0` */
  base: string;
  grant: Grant;
}

interface EntitySet {
  /** For `@odata.context`. */
  context: string;
  list(): Json[];
  one(key: string): Json;
  create?(body: Json): Json;
  update?(key: string, body: Json): Json;
  remove?(key: string): void;
  /** Navigation properties `$expand` knows. */
  expand?: Record<string, (row: Json) => Json[] | Json | null>;
  /** Sub-resources of one entity (`salesInvoices(<id>)/salesInvoiceLines`). */
  child?(key: string, seg: PathSegment): EntitySet | (() => EmulatorResponse) | undefined;
}

const WEBHOOK_SETS = new Set([
  'customers',
  'salesInvoices',
  'salesCreditMemos',
  'customerPaymentJournals',
  'customerPayments',
  'dimensions',
  'accountingPeriods',
]);

const ODATA_HEADERS = { 'odata-version': '4.0' };

export async function createBusinessCentralServer(
  config: BusinessCentralServerConfig,
): Promise<BusinessCentralServer> {
  const clock = createClock();
  const rng = createRng(config.seed);
  const faults = createFaultInjector({ rng: rng.fork('faults'), clock, config: config.faults });
  let ledger = new Ledger(config.companies, () => clock.now());
  const oauth = new EntraOAuth(config.oauth, clock, rng.fork('tokens'));
  const notifier = new Notifier(clock, {
    maxAttempts: config.notificationMaxAttempts,
    retryBaseMs: config.notificationRetryMs,
    timeoutMs: config.notificationTimeoutMs,
  });
  const limiter =
    config.rateLimit > 0
      ? createRateLimiter({ limit: config.rateLimit, windowMs: config.rateWindowMs })
      : undefined;
  const pool = createConcurrencyLimiter({ max: config.concurrencyLimit });
  const environments = new Set(config.environments.map((e) => e.toLowerCase()));

  // ---- entity sets -------------------------------------------------------------------

  const checkIfMatch = (call: ApiCall, current: Json) => {
    const ifMatch = call.headers['if-match'];
    if (ifMatch === undefined || ifMatch === '') throw ifMatchMissing();
    if (ifMatch.trim() === '*') return;
    const tags = ifMatch.split(',').map((t) => t.trim());
    if (!tags.includes(String(current['@odata.etag']))) throw entityChanged();
  };

  const objectBody = (body: unknown): Json => {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw badRequest('The request body must be a JSON object.');
    }
    return body as Json;
  };

  const dimensionLinesSet = (
    c: CompanyState,
    context: string,
    parentId: string,
    parentType: string,
    dims: () => Record<string, string>,
    editable: () => void,
    touched: () => void,
  ): EntitySet => ({
    context,
    list: () => ledger.dimensionSetLines(c, parentId, parentType, dims()),
    one: (key) => {
      const row = ledger
        .dimensionSetLines(c, parentId, parentType, dims())
        .find((r) => r.id === key.toLowerCase());
      if (!row) throw notFound(`dimensionSetLine ${key}`);
      return row;
    },
    create: (body) => {
      editable();
      const id = ledger.setDimension(c, dims(), body);
      touched();
      return ledger.dimensionSetLines(c, parentId, parentType, dims()).find((r) => r.id === id)!;
    },
    update: (key, body) => {
      editable();
      const id = ledger.setDimension(c, dims(), body, key);
      touched();
      return ledger.dimensionSetLines(c, parentId, parentType, dims()).find((r) => r.id === id)!;
    },
    remove: (key) => {
      editable();
      delete dims()[key.toLowerCase()];
      touched();
    },
  });

  const docSet = (c: CompanyState, kind: DocKind, base: string): EntitySet => {
    const linesName = kind === 'salesInvoices' ? 'salesInvoiceLines' : 'salesCreditMemoLines';
    const parentType = kind === 'salesInvoices' ? 'Sales Invoice' : 'Sales Credit Memo';
    const lines = (id: string) => {
      const d = ledger.doc(c, kind, id);
      return d.lines.map((l) => ledger.lineJson(c, d, l));
    };
    return {
      context: `${base}/$metadata#companies(${c.id})/${kind}`,
      list: () => Object.values(c[kind]).map((d) => ledger.docJson(c, d)),
      one: (key) => ledger.docJson(c, ledger.doc(c, kind, key)),
      create: (body) => ledger.docJson(c, ledger.writeDoc(c, kind, body)),
      update: (key, body) =>
        ledger.docJson(c, ledger.writeDoc(c, kind, body, ledger.doc(c, kind, key))),
      remove: (key) => ledger.deleteDoc(c, ledger.doc(c, kind, key)),
      expand: {
        [linesName]: (row) => lines(String(row.id)),
        customer: (row) => {
          const x = c.customers[String(row.customerId)];
          return x ? ledger.customerJson(c, x) : null;
        },
        dimensionSetLines: (row) => {
          const d = ledger.doc(c, kind, String(row.id));
          return ledger.dimensionSetLines(c, d.id, parentType, d.dimensions);
        },
      },
      child: (key, seg) => {
        const d = ledger.doc(c, kind, key);
        if (seg.name === linesName) {
          return {
            context: `${base}/$metadata#companies(${c.id})/${kind}(${d.id})/${linesName}`,
            list: () => lines(d.id),
            one: (k) => ledger.lineJson(c, d, ledger.line(d, k)),
            create: (body) => ledger.lineJson(c, d, ledger.writeLine(c, d, body)),
            update: (k, body) =>
              ledger.lineJson(c, d, ledger.writeLine(c, d, body, ledger.line(d, k))),
            remove: (k) => ledger.deleteLine(c, d, ledger.line(d, k)),
          };
        }
        if (seg.name === 'dimensionSetLines') {
          return dimensionLinesSet(
            c,
            `${base}/$metadata#companies(${c.id})/${kind}(${d.id})/dimensionSetLines`,
            d.id,
            parentType,
            () => d.dimensions,
            () => {
              if (d.status !== 'Draft')
                throw new BcError(
                  400,
                  'Application_DialogException',
                  `The ${parentType.toLowerCase()} ${d.number} has been posted and can no longer be modified.`,
                );
              ledger.keep(d);
            },
            () => ledger.editDirect(c, kind, d, {}),
          );
        }
        if (seg.name === 'customer') {
          return () => {
            const x = c.customers[d.customerId];
            if (!x) throw notFound(`customer of ${d.number}`);
            return {
              status: 200,
              headers: ODATA_HEADERS,
              body: {
                '@odata.context': `${base}/$metadata#companies(${c.id})/customers/$entity`,
                ...ledger.customerJson(c, x),
              },
            };
          };
        }
        if (seg.name === 'Microsoft.NAV.post') {
          return () => {
            ledger.postDoc(c, d);
            return { status: 204, headers: ODATA_HEADERS };
          };
        }
        return undefined;
      },
    };
  };

  const companySets = (c: CompanyState, base: string): Record<string, EntitySet> => {
    const ctx = (s: string) => `${base}/$metadata#companies(${c.id})/${s}`;
    /** The company-level, read-only set of every line of one document kind. */
    const allLines = (kind: DocKind, entity: string): EntitySet => ({
      context: ctx(`${entity}s`),
      list: () =>
        Object.values(c[kind]).flatMap((d) => d.lines.map((l) => ledger.lineJson(c, d, l))),
      one: (k) => {
        for (const d of Object.values(c[kind])) {
          const l = d.lines.find((x) => x.id === k.toLowerCase());
          if (l) return ledger.lineJson(c, d, l);
        }
        throw notFound(`${entity} ${k}`);
      },
    });
    const journals: EntitySet = {
      context: ctx('customerPaymentJournals'),
      list: () => Object.values(c.journals).map((j) => ledger.journalJson(j)),
      one: (k) => ledger.journalJson(ledger.journal(c, k)),
      create: (body) => ledger.journalJson(ledger.writeJournal(c, body)),
      update: (k, body) => ledger.journalJson(ledger.writeJournal(c, body, ledger.journal(c, k))),
      remove: (k) => {
        const j = ledger.journal(c, k);
        for (const p of ledger.paymentsOf(c, j)) ledger.deletePayment(c, j, p);
        ledger.drop(c.journals, j.id);
      },
      expand: {
        customerPayments: (row) => {
          const j = ledger.journal(c, String(row.id));
          return ledger.paymentsOf(c, j).map((p) => ledger.paymentJson(c, j, p));
        },
      },
      child: (key, seg) => {
        const j = ledger.journal(c, key);
        if (seg.name === 'customerPayments') {
          return {
            context: ctx(`customerPaymentJournals(${j.id})/customerPayments`),
            list: () => ledger.paymentsOf(c, j).map((p) => ledger.paymentJson(c, j, p)),
            one: (k) => ledger.paymentJson(c, j, ledger.payment(c, j, k)),
            create: (body) => ledger.paymentJson(c, j, ledger.writePayment(c, j, body)),
            update: (k, body) =>
              ledger.paymentJson(c, j, ledger.writePayment(c, j, body, ledger.payment(c, j, k))),
            remove: (k) => ledger.deletePayment(c, j, ledger.payment(c, j, k)),
            child: (pk, pseg) => {
              const p = ledger.payment(c, j, pk);
              if (pseg.name !== 'dimensionSetLines') return undefined;
              return dimensionLinesSet(
                c,
                ctx(`customerPayments(${p.id})/dimensionSetLines`),
                p.id,
                'Journal Line',
                () => p.dimensions,
                () => ledger.keep(p),
                () => {
                  ledger.writePayment(c, j, {}, p);
                },
              );
            },
          };
        }
        if (seg.name === 'Microsoft.NAV.post') {
          return () => {
            ledger.postJournal(c, j);
            return { status: 204, headers: ODATA_HEADERS };
          };
        }
        return undefined;
      },
    };
    const dims: EntitySet = {
      context: ctx('dimensions'),
      list: () => Object.values(c.dimensions).map((d) => ledger.dimensionJson(d)),
      one: (k) => {
        const d = c.dimensions[k.toLowerCase()];
        if (!d) throw notFound(`dimension ${k}`);
        return ledger.dimensionJson(d);
      },
      expand: {
        dimensionValues: (row) => {
          const d = c.dimensions[String(row.id)]!;
          return d.values.map((v) => ledger.dimensionValueJson(d, v));
        },
      },
      child: (key, seg) => {
        const d = c.dimensions[key.toLowerCase()];
        if (!d) throw notFound(`dimension ${key}`);
        if (seg.name !== 'dimensionValues') return undefined;
        return {
          context: ctx(`dimensions(${d.id})/dimensionValues`),
          list: () => d.values.map((v) => ledger.dimensionValueJson(d, v)),
          one: (k) => {
            const v = d.values.find((x) => x.id === k.toLowerCase());
            if (!v) throw notFound(`dimensionValue ${k}`);
            return ledger.dimensionValueJson(d, v);
          },
          create: (body) => ledger.dimensionValueJson(d, ledger.addDimensionValue(c, d, body)),
        };
      },
    };
    return {
      customers: {
        context: ctx('customers'),
        list: () => Object.values(c.customers).map((x) => ledger.customerJson(c, x)),
        one: (k) => ledger.customerJson(c, ledger.customer(c, k)),
        create: (body) => ledger.customerJson(c, ledger.writeCustomer(c, body)),
        update: (k, body) =>
          ledger.customerJson(c, ledger.writeCustomer(c, body, ledger.customer(c, k))),
        remove: (k) => ledger.deleteCustomer(c, ledger.customer(c, k)),
      },
      salesInvoices: docSet(c, 'salesInvoices', base),
      salesCreditMemos: docSet(c, 'salesCreditMemos', base),
      salesInvoiceLines: allLines('salesInvoices', 'salesInvoiceLine'),
      salesCreditMemoLines: allLines('salesCreditMemos', 'salesCreditMemoLine'),
      customerPaymentJournals: journals,
      customerPayments: {
        context: ctx('customerPayments'),
        list: () =>
          Object.values(c.journals).flatMap((j) =>
            ledger.paymentsOf(c, j).map((p) => ledger.paymentJson(c, j, p)),
          ),
        one: (k) => {
          const p = c.payments[k.toLowerCase()];
          if (!p) throw notFound(`customerPayment ${k}`);
          return ledger.paymentJson(c, c.journals[p.journalId]!, p);
        },
      },
      dimensions: dims,
      companyInformation: {
        context: ctx('companyInformation'),
        list: () => [ledger.companyInformationJson(c)],
        one: (k) => {
          if (k.toLowerCase() !== c.id) throw notFound(`companyInformation ${k}`);
          return ledger.companyInformationJson(c);
        },
      },
      currencies: {
        context: ctx('currencies'),
        list: () => ledger.currenciesJson(c),
        one: (k) => {
          const row = ledger.currenciesJson(c).find((x) => x.id === k.toLowerCase());
          if (!row) throw notFound(`currency ${k}`);
          return row;
        },
      },
      dimensionValues: {
        context: ctx('dimensionValues'),
        list: () =>
          Object.values(c.dimensions).flatMap((d) =>
            d.values.map((v) => ledger.dimensionValueJson(d, v)),
          ),
        one: (k) => {
          for (const d of Object.values(c.dimensions)) {
            const v = d.values.find((x) => x.id === k.toLowerCase());
            if (v) return ledger.dimensionValueJson(d, v);
          }
          throw notFound(`dimensionValue ${k}`);
        },
      },
      accountingPeriods: {
        context: ctx('accountingPeriods'),
        list: () =>
          Object.values(c.periods)
            .sort((a, b) => a.startingDate.localeCompare(b.startingDate))
            .map((p) => ledger.periodJson(p)),
        one: (k) => {
          const p = c.periods[k.toLowerCase()];
          if (!p) throw notFound(`accountingPeriod ${k}`);
          return ledger.periodJson(p);
        },
      },
    };
  };

  // ---- subscriptions -----------------------------------------------------------------

  const subscriptionJson = (s: Subscription) => ({
    '@odata.etag': ledger.etag({
      id: s.subscriptionId,
      rowVersion: s.rowVersion,
      lastModified: s.lastModified,
    }),
    subscriptionId: s.subscriptionId,
    notificationUrl: s.notificationUrl,
    resource: s.resource,
    userId: s.userId,
    lastModifiedDateTime: new Date(s.lastModified).toISOString(),
    clientState: s.clientState,
    expirationDateTime: new Date(s.expiresAt).toISOString(),
    systemCreatedAt: new Date(s.lastModified).toISOString(),
    systemCreatedBy: s.userId,
    systemModifiedAt: new Date(s.lastModified).toISOString(),
    systemModifiedBy: s.userId,
  });

  const parseResource = (resource: string) => {
    const tail = resource.includes('/api/v2.0/')
      ? resource.slice(resource.indexOf('/api/v2.0/') + 10)
      : resource.replace(/^\/+/, '');
    const segs = parsePath(tail.split('?')[0] ?? '');
    const [company, set] = segs;
    if (
      segs.length !== 2 ||
      company?.name !== 'companies' ||
      !company.key ||
      !set ||
      set.key !== undefined ||
      !WEBHOOK_SETS.has(set.name)
    ) {
      throw badRequest(
        `The resource '${resource}' is not valid for a subscription: use /api/v2.0/companies(<id>)/<entitySet>.`,
      );
    }
    ledger.company(company.key);
    return { companyId: company.key.toLowerCase(), entitySet: set.name };
  };

  const subscriptions = async (
    call: ApiCall,
    key: string | undefined,
  ): Promise<EmulatorResponse> => {
    const ctx = `${call.base}/$metadata#subscriptions`;
    if (key === undefined) {
      if (call.method === 'GET') {
        return {
          status: 200,
          headers: ODATA_HEADERS,
          body: {
            '@odata.context': ctx,
            value: [...notifier.subscriptions.values()].map(subscriptionJson),
          },
        };
      }
      if (call.method !== 'POST') throw methodNotAllowed(call);
      const body = objectBody(call.body);
      const url = body.notificationUrl;
      if (typeof url !== 'string' || !/^https?:\/\//.test(url))
        throw badRequest('notificationUrl must be an absolute http(s) URL.');
      if (typeof body.resource !== 'string') throw badRequest('resource is required.');
      const { companyId, entitySet } = parseResource(body.resource);
      if (notifier.subscriptions.size >= 200)
        throw badRequest('The maximum number of subscriptions (200) has been reached.');
      const check = await notifier.validate(url);
      if (!check.ok) {
        throw new BcError(400, 'BadRequest', `The subscription was refused: ${check.detail}.`);
      }
      const now = clock.now();
      const s: Subscription = {
        subscriptionId: randomUUID().replace(/-/g, ''),
        notificationUrl: url,
        resource: body.resource,
        companyId,
        entitySet,
        clientState: typeof body.clientState === 'string' ? body.clientState : '',
        userId: call.grant.clientId,
        expiresAt: now + config.subscriptionMs,
        lastModified: now,
        rowVersion: ++ledger.state.rowVersion,
      };
      notifier.subscriptions.set(s.subscriptionId, s);
      const json = subscriptionJson(s);
      return {
        status: 201,
        headers: {
          ...ODATA_HEADERS,
          etag: String(json['@odata.etag']),
          location: `${call.base}/subscriptions('${s.subscriptionId}')`,
        },
        body: { '@odata.context': `${ctx}/$entity`, ...json },
      };
    }
    const s = notifier.subscriptions.get(key);
    if (!s) throw notFound(`subscription ${key}`);
    if (call.method === 'GET')
      return {
        status: 200,
        headers: ODATA_HEADERS,
        body: { '@odata.context': `${ctx}/$entity`, ...subscriptionJson(s) },
      };
    if (call.method === 'DELETE') {
      checkIfMatch(call, subscriptionJson(s));
      notifier.subscriptions.delete(key);
      return { status: 204, headers: ODATA_HEADERS };
    }
    if (call.method !== 'PATCH') throw methodNotAllowed(call);
    checkIfMatch(call, subscriptionJson(s));
    const body = objectBody(call.body ?? {});
    const url = typeof body.notificationUrl === 'string' ? body.notificationUrl : s.notificationUrl;
    const check = await notifier.validate(url);
    if (!check.ok)
      throw new BcError(400, 'BadRequest', `The subscription was refused: ${check.detail}.`);
    s.notificationUrl = url;
    if (typeof body.clientState === 'string') s.clientState = body.clientState;
    const now = clock.now();
    s.expiresAt = now + config.subscriptionMs;
    s.lastModified = now;
    s.rowVersion = ++ledger.state.rowVersion;
    const json = subscriptionJson(s);
    return {
      status: 200,
      headers: { ...ODATA_HEADERS, etag: String(json['@odata.etag']) },
      body: { '@odata.context': `${ctx}/$entity`, ...json },
    };
  };

  // ---- the resource tree -------------------------------------------------------------

  const methodNotAllowed = (call: ApiCall) =>
    new BcError(
      405,
      'BadRequest_MethodNotAllowed',
      `'${call.method}' requests for '${call.path}' of EdmType 'Entity' are not allowed within Dynamics 365 Business Central OData web services.`,
    );

  const pick = (row: Json, select: string[] | undefined) => {
    if (!select) return row;
    const out: Json = { '@odata.etag': row['@odata.etag'] };
    for (const f of select) if (f in row) out[f] = row[f];
    return out;
  };

  const expandNames = (s: string | null) =>
    (s ?? '')
      .replace(/\([^)]*\)/g, '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);

  const withExpand = (set: EntitySet, row: Json, names: string[]) => {
    if (names.length === 0) return row;
    const out = { ...row };
    for (const n of names) {
      const fn = set.expand?.[n];
      if (!fn)
        throw badRequest(`Could not find a property named '${n}' on type 'Microsoft.NAV.entity'.`);
      out[n] = fn(row);
    }
    return out;
  };

  const collectionGet = (call: ApiCall, set: EntitySet): EmulatorResponse => {
    let rows = set.list();
    const filter = call.search.get('$filter');
    if (filter) {
      const expr = parseFilter(filter);
      rows = rows.filter((r) => evalFilter(expr, r));
    }
    const orderby = call.search.get('$orderby');
    if (orderby) rows = sortRows(rows, parseOrderBy(orderby));
    const skip = intOption('$skip', call.search.get('$skip')) ?? 0;
    const top = intOption('$top', call.search.get('$top'));
    const offset = Number(call.search.get('$skiptoken') ?? '0') || 0;
    rows = rows.slice(skip);
    if (top !== undefined) rows = rows.slice(0, top);
    const prefer = /odata\.maxpagesize=(\d+)/.exec(call.headers['prefer'] ?? '')?.[1];
    const pageSize = Math.max(1, Math.min(config.pageSize, prefer ? Number(prefer) : Infinity));
    const page = rows.slice(offset, offset + pageSize);
    const names = expandNames(call.search.get('$expand'));
    const select = call.search
      .get('$select')
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const body: Json = {
      '@odata.context': set.context,
      value: page.map((r) => pick(withExpand(set, r, names), select)),
    };
    if (offset + pageSize < rows.length) {
      const next = new URLSearchParams(call.search);
      next.set('$skiptoken', String(offset + pageSize));
      body['@odata.nextLink'] = `${call.base}/${call.path}?${next.toString().replace(/%24/g, '$')}`;
    }
    if (call.search.get('$count') === 'true') body['@odata.count'] = rows.length;
    return { status: 200, headers: ODATA_HEADERS, body };
  };

  const entityAnswer = (
    status: number,
    set: EntitySet,
    row: Json,
    call: ApiCall,
    extra: Record<string, string> = {},
  ): EmulatorResponse => {
    const names = expandNames(call.search.get('$expand'));
    const select = call.search
      .get('$select')
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    return {
      status,
      headers: { ...ODATA_HEADERS, etag: String(row['@odata.etag']), ...extra },
      body: {
        '@odata.context': `${set.context}/$entity`,
        ...pick(withExpand(set, row, names), select),
      },
    };
  };

  const onSet = (
    call: ApiCall,
    set: EntitySet,
    key: string | undefined,
    rest: PathSegment[],
  ): EmulatorResponse => {
    if (rest.length > 0) {
      if (key === undefined) throw resourceNotFound(rest[0]!.name);
      const seg = rest[0]!;
      const child = set.child?.(key, seg);
      if (!child) throw resourceNotFound(seg.name);
      if (typeof child === 'function') {
        if (call.method !== 'POST' && seg.name.startsWith('Microsoft.NAV.'))
          throw methodNotAllowed(call);
        if (rest.length > 1) throw resourceNotFound(rest[1]!.name);
        return child();
      }
      return onSet(call, child, seg.key, rest.slice(1));
    }
    if (key === undefined) {
      if (call.method === 'GET') return collectionGet(call, set);
      if (call.method === 'POST') {
        if (!set.create) throw methodNotAllowed(call);
        const row = set.create(objectBody(call.body));
        return entityAnswer(201, set, row, call, {
          location: `${call.base}/${call.path}(${String(row.id)})`,
        });
      }
      throw methodNotAllowed(call);
    }
    if (call.method === 'GET') return entityAnswer(200, set, set.one(key), call);
    if (call.method === 'PATCH' || call.method === 'PUT') {
      if (!set.update) throw methodNotAllowed(call);
      checkIfMatch(call, set.one(key));
      return entityAnswer(200, set, set.update(key, objectBody(call.body)), call);
    }
    if (call.method === 'DELETE') {
      if (!set.remove) throw methodNotAllowed(call);
      checkIfMatch(call, set.one(key));
      set.remove(key);
      return { status: 204, headers: ODATA_HEADERS };
    }
    throw methodNotAllowed(call);
  };

  /** Answers one call; changes are left in the ledger for the caller to notify. */
  const api = async (call: ApiCall): Promise<EmulatorResponse> => {
    const segs = parsePath(call.path);
    const [first, ...rest] = segs;
    if (!first) {
      return {
        status: 200,
        headers: ODATA_HEADERS,
        body: {
          '@odata.context': `${call.base}/$metadata`,
          value: [
            { name: 'companies', kind: 'EntitySet', url: 'companies' },
            { name: 'subscriptions', kind: 'EntitySet', url: 'subscriptions' },
          ],
        },
      };
    }
    if (first.name === 'subscriptions') {
      if (rest.length > 0) throw resourceNotFound(rest[0]!.name);
      return subscriptions(call, first.key);
    }
    if (first.name === '$metadata') {
      return {
        status: 200,
        headers: { ...ODATA_HEADERS, 'content-type': 'application/xml' },
        body: '<?xml version="1.0" encoding="utf-8"?><edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"><edmx:DataServices/></edmx:Edmx>',
      };
    }
    if (first.name !== 'companies') throw resourceNotFound(first.name);
    const companiesSet: EntitySet = {
      context: `${call.base}/$metadata#companies`,
      list: () =>
        Object.values(ledger.state.companies).map((c) => ({
          '@odata.etag': ledger.etag({ id: c.id, rowVersion: 1, lastModified: 0 }),
          ...ledger.companyJson(c),
        })),
      one: (k) => {
        const c = ledger.company(k);
        return {
          '@odata.etag': ledger.etag({ id: c.id, rowVersion: 1, lastModified: 0 }),
          ...ledger.companyJson(c),
        };
      },
    };
    if (first.key === undefined || rest.length === 0)
      return onSet(call, companiesSet, first.key, rest);
    const c = ledger.company(first.key);
    const [setSeg, ...more] = rest;
    const set = companySets(c, call.base)[setSeg!.name];
    if (!set) throw resourceNotFound(setSeg!.name);
    return onSet(call, set, setSeg!.key, more);
  };

  const toResponse = (caught: unknown): EmulatorResponse => {
    if (caught instanceof EmulatorHttpError)
      return { status: caught.status, headers: caught.headers, body: caught.body };
    const message = caught instanceof Error ? caught.message : String(caught);
    return { status: 500, body: bcErrorBody('Internal_ServerError', message) };
  };

  /** A call, its changes notified on success, discarded with its state on failure. */
  const run = async (call: ApiCall): Promise<EmulatorResponse> => {
    const tx = call.method === 'GET' ? undefined : ledger.begin();
    try {
      const res = await api(call);
      if (tx) ledger.commit(tx);
      notifier.notify(ledger.takeChanges());
      return res;
    } catch (caught) {
      if (tx) ledger.rollback(tx);
      return toResponse(caught);
    }
  };

  // ---- $batch ------------------------------------------------------------------------

  interface BatchRequest {
    id: string;
    method: string;
    url: string;
    headers?: Record<string, string>;
    body?: unknown;
    dependsOn?: string[];
    atomicityGroup?: string;
  }

  const batch = async (call: ApiCall): Promise<EmulatorResponse> => {
    const body = objectBody(call.body);
    const requests = body.requests;
    if (!Array.isArray(requests)) throw badRequest("The batch body must hold a 'requests' array.");
    if (requests.length > config.batchLimit) {
      throw new BcError(
        400,
        'BadRequest',
        `The batch request contains ${requests.length} operations; the maximum is ${config.batchLimit}.`,
      );
    }
    const ids = new Set<string>();
    for (const r of requests as BatchRequest[]) {
      if (typeof r?.id !== 'string' || typeof r.method !== 'string' || typeof r.url !== 'string') {
        throw badRequest('Every batch request needs id, method and url.');
      }
      if (ids.has(r.id)) throw badRequest(`The batch request id '${r.id}' is used twice.`);
      ids.add(r.id);
    }
    const status = new Map<string, number>();
    const responses: Json[] = [];
    const groupOf = (r: BatchRequest) => r.atomicityGroup;
    const list = requests as BatchRequest[];
    const toCall = (r: BatchRequest): ApiCall => {
      let url = r.url;
      const at = url.indexOf('/api/v2.0/');
      if (at >= 0) url = url.slice(at + 10);
      url = url.replace(/^\/+/, '');
      const [path, query] = url.split('?');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = String(v);
      return {
        method: r.method.toUpperCase(),
        path: path ?? '',
        search: new URLSearchParams(query ?? ''),
        headers,
        body: r.body,
        base: call.base,
        grant: call.grant,
      };
    };
    const answer = (r: BatchRequest, res: EmulatorResponse): Json => {
      status.set(r.id, res.status);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers ?? {}))
        headers[k] = Array.isArray(v) ? v.join(', ') : v;
      if (res.body !== undefined && typeof res.body !== 'string')
        headers['content-type'] ??=
          'application/json; odata.metadata=minimal; odata.streaming=true';
      return {
        id: r.id,
        status: res.status,
        headers,
        ...(res.body !== undefined && { body: res.body }),
      };
    };
    const failedDependency = (r: BatchRequest, on: string): EmulatorResponse => ({
      status: 424,
      body: bcErrorBody(
        'BadRequest_FailedDependency',
        `The request ${r.id} was not run: request ${on} failed.`,
      ),
    });
    for (let i = 0; i < list.length;) {
      const r = list[i]!;
      const group = groupOf(r);
      const members =
        group === undefined
          ? [r]
          : list
              .slice(i)
              .filter(
                (x, j) =>
                  groupOf(x) === group &&
                  list.slice(i, i + j + 1).every((y) => groupOf(y) === group),
              );
      i += members.length;
      const before = group === undefined ? undefined : ledger.begin();
      const out: Json[] = [];
      let failed: string | undefined;
      for (const m of members) {
        const dep = (m.dependsOn ?? []).find((d) => {
          const s = status.get(d);
          return s === undefined || s >= 400;
        });
        if (dep !== undefined) {
          out.push(answer(m, failedDependency(m, dep)));
          if (group !== undefined) {
            failed ??= m.id;
            break;
          }
          continue;
        }
        const one = group === undefined ? ledger.begin() : undefined;
        let res: EmulatorResponse;
        try {
          res = await api(toCall(m));
        } catch (caught) {
          res = toResponse(caught);
        }
        out.push(answer(m, res));
        if (res.status >= 400) {
          if (group !== undefined) {
            failed ??= m.id;
            break;
          }
          if (one) ledger.rollback(one);
        } else if (one) ledger.commit(one);
      }
      if (before && group !== undefined && failed !== undefined) {
        ledger.rollback(before);
        for (const m of members) {
          const idx = out.findIndex((o) => o.id === m.id);
          if (m.id === failed) continue;
          const rolled = answer(m, {
            status: 424,
            body: bcErrorBody(
              'BadRequest_AtomicityGroupFailed',
              `The change set '${group}' was rolled back because request ${failed} failed.`,
            ),
          });
          if (idx >= 0) out[idx] = rolled;
          else out.push(rolled);
        }
        status.set(group, 400);
      } else if (group !== undefined) {
        status.set(group, 200);
        if (before) ledger.commit(before);
      }
      responses.push(...out);
    }
    notifier.notify(ledger.takeChanges());
    return { status: 200, headers: ODATA_HEADERS, body: { responses } };
  };

  // ---- HTTP --------------------------------------------------------------------------

  const isApi = (req: EmulatorRequest) => req.path.startsWith('/v2.0/');
  const catchErrors: Middleware = async (req, next) => {
    try {
      return await next();
    } catch (caught) {
      return toResponse(caught);
    }
  };
  const grants = new WeakMap<EmulatorRequest, Grant>();
  const authenticate: Middleware = (req, next) => {
    if (!isApi(req)) return next();
    const tenant = req.params['tenant'] ?? config.oauth.tenantId;
    grants.set(req, oauth.verify(req, tenant));
    const env = (req.params['environment'] ?? '').toLowerCase();
    if (!environments.has(env)) {
      throw new BcError(
        404,
        'NoEnvironment',
        `The environment '${req.params['environment']}' does not exist.`,
      );
    }
    return next();
  };
  const throttle: Middleware = async (req, next) => {
    if (!isApi(req)) return next();
    const key = grants.get(req)?.clientId ?? 'anonymous';
    const rate = limiter?.take(key);
    if (rate && !rate.allowed) {
      throw tooManyRequests(
        Math.max(1, Math.ceil(rate.retryAfterMs / 1000)),
        `Too many requests reached. Actual (${config.rateLimit}). Maximum (${config.rateLimit}) per ${Math.round(config.rateWindowMs / 1000)} seconds.`,
      );
    }
    const release = pool.tryAcquire(key);
    if (!release)
      throw tooManyRequests(
        1,
        `Too many concurrent requests. Maximum (${config.concurrencyLimit}).`,
      );
    try {
      return await next();
    } finally {
      release();
    }
  };

  const handleApi = async (req: EmulatorRequest): Promise<EmulatorResponse> => {
    const tenant = req.params['tenant'];
    const env = req.params['environment'] ?? '';
    const origin = `http://${req.headers.host ?? '127.0.0.1'}`;
    const base = `${origin}/v2.0/${tenant === undefined ? '' : `${tenant}/`}${env}/api/v2.0`;
    let body: unknown;
    if (req.rawBody.length > 0) {
      try {
        body = req.json();
      } catch {
        throw badRequest('The request body is not valid JSON.');
      }
    }
    const call: ApiCall = {
      method: req.method,
      path: req.params['*'] ?? '',
      search: req.searchParams,
      headers: req.headers,
      body,
      base,
      grant: grants.get(req)!,
    };
    if (call.path === '$batch') {
      if (req.method !== 'POST') throw methodNotAllowed(call);
      return batch(call);
    }
    return run(call);
  };

  const apiRoutes: Route[] = [
    { method: '*', path: '/v2.0/:tenant/:environment/api/v2.0', handler: handleApi },
    { method: '*', path: '/v2.0/:tenant/:environment/api/v2.0/*', handler: handleApi },
  ];

  // ---- admin -------------------------------------------------------------------------

  const adminError = (status: number, code: string, message: string) =>
    new EmulatorHttpError(status, { error: { code, message } });
  const adminBody = (req: EmulatorRequest): unknown => {
    if (req.rawBody.length === 0) return {};
    try {
      return req.json();
    } catch {
      throw adminError(400, 'invalid_json', 'admin routes take a JSON body');
    }
  };
  const adminCompany = (req: EmulatorRequest) => {
    const c =
      ledger.state.companies[(req.params['companyId'] ?? '').toLowerCase()] ??
      Object.values(ledger.state.companies).find((x) => x.name === req.params['companyId']);
    if (!c) throw adminError(404, 'no_company', `no company ${req.params['companyId']}`);
    return c;
  };
  const adminRun = (fn: () => unknown): EmulatorResponse => {
    const tx = ledger.begin();
    try {
      const body = fn();
      ledger.commit(tx);
      notifier.notify(ledger.takeChanges());
      return { status: 200, body };
    } catch (caught) {
      ledger.rollback(tx);
      return toResponse(caught);
    }
  };
  const adminRoutes: Route[] = [
    {
      method: 'POST',
      path: '/_emulator/companies',
      handler: (req) => {
        const seed = adminBody(req) as CompanySeed;
        if (typeof seed?.name !== 'string' || typeof seed.currencyCode !== 'string') {
          throw adminError(400, 'invalid_body', 'name and currencyCode are required');
        }
        return adminRun(() => ledger.companyJson(ledger.addCompany(seed)));
      },
    },
    {
      method: 'POST',
      path: '/_emulator/companies/:companyId/seed/:entitySet',
      handler: (req) => {
        const c = adminCompany(req);
        const raw = adminBody(req);
        const items = (Array.isArray(raw) ? raw : [raw]) as Json[];
        const post = req.searchParams.get('post') === 'true';
        const set = req.params['entitySet'];
        return adminRun(() => {
          if (set === 'customers') return { ids: items.map((b) => ledger.writeCustomer(c, b).id) };
          if (set === 'salesInvoices' || set === 'salesCreditMemos') {
            return {
              ids: items.map((b) => {
                const d = ledger.writeDoc(c, set, b);
                if (post) ledger.postDoc(c, d);
                return d.id;
              }),
            };
          }
          throw adminError(404, 'no_entity_set', `cannot seed ${set}`);
        });
      },
    },
    {
      method: 'PATCH',
      path: '/_emulator/companies/:companyId/:entitySet/:id',
      handler: (req) => {
        const c = adminCompany(req);
        const set = req.params['entitySet'];
        const body = adminBody(req) as Json;
        return adminRun(() => {
          if (set === 'salesInvoices' || set === 'salesCreditMemos') {
            return ledger.docJson(
              c,
              ledger.editDirect(c, set, ledger.doc(c, set, req.params['id'] ?? ''), body),
            );
          }
          if (set === 'customers') {
            const x = ledger.customer(c, req.params['id'] ?? '');
            return ledger.customerJson(c, ledger.writeCustomer(c, body, x));
          }
          throw adminError(404, 'no_entity_set', `cannot edit ${set}`);
        });
      },
    },
    {
      method: 'PUT',
      path: '/_emulator/companies/:companyId/accounting-periods/lock',
      handler: (req) => {
        const c = adminCompany(req);
        const body = adminBody(req) as Json;
        if (typeof body.date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(body.date)) {
          throw adminError(400, 'invalid_body', 'date (yyyy-MM-dd) is required');
        }
        return adminRun(() =>
          ledger.periodJson(ledger.lockPeriod(c, body.date as string, body.locked !== false)),
        );
      },
    },
    {
      method: 'POST',
      path: '/_emulator/oauth/expire-access-tokens',
      handler: () => {
        oauth.expireAccessTokens();
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      path: '/_emulator/notifications',
      handler: () => ({ status: 200, body: { deliveries: notifier.deliveries } }),
    },
  ];

  const reset = () => {
    ledger = new Ledger(config.companies, () => clock.now());
    oauth.reset();
    notifier.reset();
    limiter?.reset();
  };

  const server = await createEmulatorServer({
    name: 'business-central',
    port: config.port,
    host: config.host,
    clock,
    rng,
    faults,
    middleware: [catchErrors, authenticate, throttle],
    routes: [...oauth.routes(), ...apiRoutes, ...adminRoutes],
    formatError: (e) => ({
      status: e.status,
      body: bcErrorBody(
        e.status === 404
          ? 'BadRequest_NotFound'
          : e.status === 405
            ? 'BadRequest_MethodNotAllowed'
            : e.status >= 500
              ? 'Internal_ServerError'
              : 'BadRequest',
        e.message,
      ),
    }),
    faultResponse: businessCentralFaultResponse,
    admin: {
      dumpState: () => ({
        companies: Object.values(ledger.state.companies).map((c) => ({
          ...ledger.companyJson(c),
          currencyCode: c.lcy,
          region: c.region,
          customers: Object.values(c.customers).map((x) => ledger.customerJson(c, x)),
          salesInvoices: Object.values(c.salesInvoices).map((d) => ({
            ...ledger.docJson(c, d),
            salesInvoiceLines: d.lines.map((l) => ledger.lineJson(c, d, l)),
          })),
          salesCreditMemos: Object.values(c.salesCreditMemos).map((d) => ({
            ...ledger.docJson(c, d),
            salesCreditMemoLines: d.lines.map((l) => ledger.lineJson(c, d, l)),
          })),
          customerPayments: Object.values(c.journals).flatMap((j) =>
            ledger.paymentsOf(c, j).map((p) => ledger.paymentJson(c, j, p)),
          ),
          postedPayments: c.postedPayments,
          accountingPeriods: Object.values(c.periods)
            .filter((p) => p.closed)
            .map((p) => ledger.periodJson(p)),
        })),
        subscriptions: [...notifier.subscriptions.values()].map(subscriptionJson),
        limits: {
          rateLimit: config.rateLimit,
          rateWindowMs: config.rateWindowMs,
          concurrencyLimit: config.concurrencyLimit,
          pageSize: config.pageSize,
        },
      }),
      reset,
    },
  });
  const close = server.close.bind(server);
  server.close = async () => {
    notifier.close();
    await close();
  };
  return {
    server,
    clock,
    get ledger() {
      return ledger;
    },
    oauth,
    notifier,
    reset,
    notificationsIdle: () => notifier.idle(),
  };
}
