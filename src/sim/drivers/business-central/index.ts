import {
  ConfidentialClientApplication,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import {
  BC_SCOPE,
  businessCentralEmulatorDefaults,
  startBusinessCentralEmulator,
  type CompanySeed,
  type PostedPayment,
} from '@revsync/emulators/business-central';
import { FAULT_PRESETS, type FaultConfigInput } from '@revsync/emulators/kit';
import { env } from '../../../connectors/settings.ts';
import { toCurrencyCode } from '../../../model/currency.ts';
import { fromDecimalString } from '../../../model/money.ts';
import { retry } from '../../retry.ts';
import {
  startOrAttach,
  type ErpActor,
  type ErpDocumentFacts,
  type ErpDriver,
  type FaultLevel,
} from '../driver.ts';

type Row = Record<string, unknown>;
type Region = 'NA' | 'UK' | 'EU' | 'JP';

/** The environment revsync and the actor use (the emulator serves `production` and `sandbox`). */
const ENVIRONMENT = 'production';

/**
 * The company booking each region is the first in the region's home currency. The emulator's
 * defaults hold USD, GBP and JPY companies; the euro company is added (at start, or through the
 * admin route when attached to a `revsync emulate business-central` without one).
 */
const REGION_CURRENCIES: Record<Region, string> = { NA: 'USD', UK: 'GBP', EU: 'EUR', JP: 'JPY' };
const EU_COMPANY: CompanySeed = {
  name: 'Revsync Sim GmbH',
  currencyCode: 'EUR',
  country: 'DE',
  region: 'EMEA',
  defaultTaxPercent: 19,
};

/** Thrown for an API answer other than 2xx: `status` makes `retry` try 429 and 5xx again. */
class BusinessCentralHttpError extends Error {
  readonly status: number;
  constructor(status: number, what: string, body: string) {
    super(`Business Central ${what} answered ${status}: ${body.slice(0, 300)}`);
    this.status = status;
  }
}

/**
 * An HTTP client of the emulator's API v2.0: bearer tokens from its Entra ID token endpoint
 * through msal-node (the authority `https://login.microsoftonline.com/<tenant>` mapped to the
 * emulator by msal's `networkClient`, as in the emulator's conformance test), then `fetch`.
 */
export class BusinessCentralReader {
  readonly url: string;
  readonly apiBase: string;
  readonly #msal: ConfidentialClientApplication;
  #skipCache = false;

  constructor(
    url: string,
    credentials: { tenantId: string; clientId: string; clientSecret: string },
  ) {
    this.url = url;
    this.apiBase = `${url}/v2.0/${credentials.tenantId}/${ENVIRONMENT}/api/v2.0`;
    this.#msal = new ConfidentialClientApplication({
      auth: {
        clientId: credentials.clientId,
        clientSecret: credentials.clientSecret,
        authority: `https://${businessCentralEmulatorDefaults.authorityHost}/${credentials.tenantId}`,
      },
      system: { networkClient: emulatorNetwork(url) },
    });
  }

  /** One GET of the API (a path below `api/v2.0/`, or a whole `@odata.nextLink`), retried. */
  async get(pathOrUrl: string): Promise<Row> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.apiBase}/${pathOrUrl}`;
    return retry(async () => {
      const res = await fetch(url, {
        headers: { authorization: `Bearer ${await this.#token()}`, accept: 'application/json' },
      });
      const text = await res.text();
      if (res.status === 401) {
        // A token the emulator forgot (reset, expire-access-tokens): a new one, then again (an
        // error without a status is one `retry` tries again).
        this.#skipCache = true;
        throw new Error(`Business Central refused the token for GET ${url}: ${text.slice(0, 300)}`);
      }
      if (!res.ok) throw new BusinessCentralHttpError(res.status, `GET ${url}`, text);
      return JSON.parse(text) as Row;
    });
  }

  /** Every row of a collection, following `@odata.nextLink` (each page retried on its own). */
  async all(path: string): Promise<Row[]> {
    const rows: Row[] = [];
    for (let next: string | undefined = path; next !== undefined;) {
      const page = await this.get(next);
      rows.push(...((page.value as Row[] | undefined) ?? []));
      next = typeof page['@odata.nextLink'] === 'string' ? page['@odata.nextLink'] : undefined;
    }
    return rows;
  }

  /**
   * The emulator's admin state. Business Central's API v2.0 has no read of posted customer
   * payments (`customerPayments` are unposted journal lines; posted lines leave the journal), and
   * the emulator does not implement `customerLedgerEntries`, so posted payments are read here.
   */
  async postedPayments(): Promise<(PostedPayment & { companyId: string })[]> {
    const state = await retry(async () => {
      const res = await fetch(new URL('/_emulator/state', this.url));
      const text = await res.text();
      if (!res.ok) throw new BusinessCentralHttpError(res.status, 'GET /_emulator/state', text);
      return JSON.parse(text) as {
        state?: { companies?: { id: string; postedPayments?: PostedPayment[] }[] };
      };
    });
    return (state.state?.companies ?? []).flatMap((c) =>
      (c.postedPayments ?? []).map((p) => ({ ...p, companyId: c.id })),
    );
  }

  async #token(): Promise<string> {
    const skipCache = this.#skipCache;
    this.#skipCache = false;
    const result = await this.#msal.acquireTokenByClientCredential({
      scopes: [BC_SCOPE],
      ...(skipCache && { skipCache: true }),
    });
    if (!result?.accessToken) throw new Error('Business Central: msal returned no access token');
    return result.accessToken;
  }
}

/** msal's network client with every `https://<host>` (the Entra authority) mapped to `url`. */
function emulatorNetwork(url: string): INetworkModule {
  const send = async <T>(
    method: string,
    target: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> => {
    const res = await fetch(target.replace(/^https:\/\/[^/]+/, url), {
      method,
      ...(options?.headers && { headers: options.headers }),
      ...(options?.body !== undefined && { body: options.body }),
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    const text = await res.text();
    let body: T;
    try {
      body = JSON.parse(text) as T;
    } catch {
      // An injected fault may answer something else; msal reports the status.
      body = {} as T;
    }
    return { status: res.status, headers, body };
  };
  return {
    sendGetRequestAsync: (target, options) => send('GET', target, options),
    sendPostRequestAsync: (target, options) => send('POST', target, options),
  };
}

/** A JSON decimal of the API in exact minor units (a stray decimal is an error, not rounded). */
function minor(value: unknown, currency: string): number {
  const n = typeof value === 'number' ? value : Number(value ?? 0);
  return Math.abs(fromDecimalString(String(n), toCurrencyCode(currency)).amount);
}

/**
 * revsync's id of a document: its `externalDocumentNumber` — the billing document's id, unless
 * that is longer than BC's 35 characters and revsync posted an `RS-<hash>` in its place, which
 * cannot be read back.
 */
function externalIdOf(externalDocumentNumber: unknown): string | undefined {
  return typeof externalDocumentNumber === 'string' &&
    externalDocumentNumber !== '' &&
    !externalDocumentNumber.startsWith('RS-')
    ? externalDocumentNumber
    : undefined;
}

/**
 * The payment id a payment-journal batch records: revsync posts each payment through a batch of
 * its own whose `displayName` is `rs:<payment id>|<date>|<amount>|<applied>|<invoice number>`.
 */
function journalPaymentId(displayName: unknown): string | undefined {
  if (typeof displayName !== 'string' || !displayName.startsWith('rs:')) return undefined;
  return displayName.slice(3).split('|')[0] || undefined;
}

/** A revsync customer's `displayName` is its name and ` [<canonical id>]`. */
const CUSTOMER_TAG = /\s\[([^\]\s]+)\]$/;

/** The books in every Business Central company of the environment, read through API v2.0. */
export class BusinessCentralActor implements ErpActor {
  readonly reader: BusinessCentralReader;

  constructor(reader: BusinessCentralReader) {
    this.reader = reader;
  }

  /** The companies' ids (every company: nobody but revsync posts in a simulation). */
  async companyIds(): Promise<string[]> {
    return (await this.reader.all('companies')).map((c) => String(c.id));
  }

  /**
   * Posted sales invoices and credit memos (drafts are not in the books) and posted customer
   * payments, each with revsync's id where it can be read back.
   */
  async documents(): Promise<ErpDocumentFacts[]> {
    const out: ErpDocumentFacts[] = [];
    const companies = await this.companyIds();
    for (const company of companies) {
      for (const [set, kind] of [
        ['salesInvoices', 'invoice'],
        ['salesCreditMemos', 'credit_memo'],
      ] as const) {
        for (const row of await this.reader.all(
          `companies(${company})/${set}?$filter=status ne 'Draft'`,
        )) {
          const currency = String(row.currencyCode);
          const externalId = externalIdOf(row.externalDocumentNumber);
          out.push({
            kind,
            id: String(row.id),
            ...(externalId !== undefined && { externalId }),
            currency: toCurrencyCode(currency),
            total: minor(row.totalAmountIncludingTax, currency),
            tax: minor(row.totalTaxAmount, currency),
          });
        }
      }
    }
    const journals = new Map<string, unknown>();
    for (const company of companies) {
      for (const j of await this.reader.all(`companies(${company})/customerPaymentJournals`))
        journals.set(`${company}:${String(j.code)}`, j.displayName);
    }
    for (const p of await this.reader.postedPayments()) {
      const record = journals.get(`${p.companyId}:${p.journalCode}`);
      // A credit memo applied to a later invoice: revsync moves the credit through a batch of
      // its own (`rc:<key>|<applied>`), a line to the invoice and one back; no payment received.
      if (typeof record === 'string' && record.startsWith('rc:')) continue;
      const externalId = journalPaymentId(record) ?? externalIdOf(p.externalDocumentNumber);
      out.push({
        kind: 'payment',
        id: p.id,
        ...(externalId !== undefined && { externalId }),
        currency: toCurrencyCode(p.currencyCode),
        // BC's sign: a payment received is negative.
        total: minor(p.amount, p.currencyCode),
        tax: 0,
        appliedTo: p.appliesToInvoiceId ? [p.appliesToInvoiceId] : [],
      });
    }
    return out;
  }

  async customers(): Promise<{ id: string; externalId?: string; name: string }[]> {
    const out: { id: string; externalId?: string; name: string }[] = [];
    for (const company of await this.companyIds()) {
      for (const c of await this.reader.all(`companies(${company})/customers`)) {
        const displayName = String(c.displayName ?? '');
        const externalId = CUSTOMER_TAG.exec(displayName)?.[1];
        out.push({
          id: String(c.id),
          ...(externalId !== undefined && { externalId }),
          name: displayName.replace(CUSTOMER_TAG, ''),
        });
      }
    }
    return out;
  }

  /** The company booking each region: the first company whose local currency is the region's. */
  async subsidiaries(): Promise<Partial<Record<Region, string>>> {
    const byCurrency = new Map<string, string>();
    for (const company of await this.companyIds()) {
      const info = await this.reader.get(`companies(${company})/companyInformation`);
      const rows = (info.value as Row[] | undefined) ?? [info];
      const currency = String(rows[0]?.currencyCode ?? '');
      if (currency && !byCurrency.has(currency)) byCurrency.set(currency, company);
    }
    const out: Partial<Record<Region, string>> = {};
    for (const region of Object.keys(REGION_CURRENCIES) as Region[]) {
      const id = byCurrency.get(REGION_CURRENCIES[region]);
      if (id) out[region] = id;
    }
    return out;
  }
}

/**
 * Business Central under heavy faults: the heavy preset, with its outage held for 20 s 45 s into
 * the run (as QuickBooks'), long enough for the circuit to open and runs to wait it out.
 */
function businessCentralFaults(level: FaultLevel): FaultLevel | FaultConfigInput {
  if (level !== 'heavy') return level;
  const heavy = FAULT_PRESETS.heavy;
  return {
    ...heavy,
    rules: [
      ...(heavy.rules ?? []).filter((rule) => !rule.outage),
      { match: '*', outage: { afterMs: 45_000, forMs: 20_000, mode: 'unavailable' } },
    ],
  };
}

/** Adds the euro company to an attached emulator that has none. */
async function ensureEuroCompany(url: string, actor: BusinessCentralActor): Promise<void> {
  if ((await actor.subsidiaries()).EU) return;
  const res = await fetch(new URL('/_emulator/companies', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(EU_COMPANY),
  });
  if (!res.ok)
    throw new Error(`${url}: adding the euro company answered ${res.status}: ${await res.text()}`);
}

/**
 * The Business Central emulator (a company per region: US/USD, UK/GBP, DE/EUR, JP/JPY) and
 * revsync connected with Entra ID client credentials.
 */
export const driver: ErpDriver = {
  system: 'business-central',
  role: 'erp',
  async start(options) {
    const d = businessCentralEmulatorDefaults;
    const emulator = await startOrAttach(options, (listen) =>
      startBusinessCentralEmulator({
        ...listen,
        seed: options.seed,
        faults: businessCentralFaults(options.faults),
        extraCompanies: [EU_COMPANY],
        rateLimit: options.rateLimits === 'off' ? 0 : d.rateLimit,
        // The defaults, not the process environment's BC_* (they are the connection's values).
        tenantId: d.tenantId,
        clientId: d.clientId,
        clientSecret: d.clientSecret,
      }),
    );
    const url = emulator.url;
    const started = emulator.started;
    const credentials = started
      ? {
          tenantId: started.tenantId,
          clientId: started.clientId,
          clientSecret: started.clientSecret,
        }
      : { tenantId: d.tenantId, clientId: d.clientId, clientSecret: d.clientSecret };
    const actor = new BusinessCentralActor(new BusinessCentralReader(url, credentials));
    try {
      if (!started) await ensureEuroCompany(url, actor);
      const subsidiaries = await actor.subsidiaries();
      return {
        url,
        connection: {
          tenantId: credentials.tenantId,
          clientId: env('BC_CLIENT_ID'),
          clientSecret: env('BC_CLIENT_SECRET'),
          environment: ENVIRONMENT,
          baseUrl: url,
          loginUrl: url,
          pollIntervalMs: 250,
        },
        env: { BC_CLIENT_ID: credentials.clientId, BC_CLIENT_SECRET: credentials.clientSecret },
        subsidiaries,
        actor,
        clearFaults: emulator.clearFaults,
        // Notifications go out after each request; this waits for those still in flight.
        ...(started && { flushWebhooks: () => started.notificationsIdle() }),
        close: emulator.close,
      };
    } catch (caught) {
      await emulator.close();
      throw caught;
    }
  },
};
