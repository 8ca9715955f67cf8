import { FAULT_PRESETS, type FaultConfigInput } from '@revsync/emulators/kit';
import {
  createNetsuiteTestClient,
  netsuiteEmulatorDefaults,
  startNetsuiteEmulator,
} from '@revsync/emulators/netsuite';
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

type NetsuiteClient = ReturnType<typeof createNetsuiteTestClient>;

const KINDS: Record<string, ErpDocumentFacts['kind']> = {
  CustInvc: 'invoice',
  CustCred: 'credit_memo',
  CustPymt: 'payment',
};

/** The books in NetSuite, read through SuiteQL and the REST record service (TBA-signed). */
export class NetsuiteActor implements ErpActor {
  readonly client: NetsuiteClient;

  constructor(client: NetsuiteClient) {
    this.client = client;
  }

  async documents(): Promise<ErpDocumentFacts[]> {
    const currencies = new Map(
      (await this.suiteql<{ id: string; symbol: string }>('SELECT id, symbol FROM currency')).map(
        (c) => [c.id, c.symbol],
      ),
    );
    const rows = await this.suiteql<{
      id: string;
      externalid?: string;
      type: string;
      foreigntotal?: string;
      taxtotal?: string;
      currency: string;
    }>(
      "SELECT id, externalid, type, foreigntotal, taxtotal, currency FROM transaction WHERE type IN ('CustInvc', 'CustPymt', 'CustCred') ORDER BY id",
    );
    const out: ErpDocumentFacts[] = [];
    for (const row of rows) {
      const currency = toCurrencyCode(currencies.get(row.currency) ?? 'USD');
      const minor = (v?: string) => Math.abs(fromDecimalString(v ?? '0', currency).amount);
      const kind = KINDS[row.type]!;
      out.push({
        kind,
        id: row.id,
        ...(row.externalid && { externalId: row.externalid }),
        currency,
        total: minor(row.foreigntotal),
        tax: minor(row.taxtotal),
        ...(kind === 'payment' && { appliedTo: await this.#appliedTo(row.id) }),
      });
    }
    return out;
  }

  async customers(): Promise<{ id: string; externalId?: string; name: string }[]> {
    const rows = await this.suiteql<{ id: string; externalid?: string; companyname?: string }>(
      'SELECT id, externalid, companyname FROM customer',
    );
    return rows.map((c) => ({
      id: c.id,
      ...(c.externalid && { externalId: c.externalid }),
      name: c.companyname ?? '',
    }));
  }

  /** Every row of a SuiteQL query, page by page (each page retried). */
  async suiteql<T>(q: string): Promise<T[]> {
    const out: T[] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await retry(async () => {
        const answer = await this.client.suiteql<T>(q, { limit: 1000, offset });
        if (answer.status !== 200)
          throw Object.assign(
            new Error(`SuiteQL failed (${answer.status}): ${JSON.stringify(answer.body)}`),
            { status: answer.status },
          );
        return answer;
      });
      out.push(...page.body.items);
      if (!page.body.hasMore) return out;
    }
  }

  async #appliedTo(paymentId: string): Promise<string[]> {
    const record = await retry(async () => {
      const res = await this.client.get<{
        apply?: { items?: { doc?: { id?: string }; apply?: boolean }[] };
      }>(`/services/rest/record/v1/customerpayment/${paymentId}?expandSubResources=true`);
      if (res.status >= 500 || res.status === 429)
        throw Object.assign(new Error(`NetSuite answered ${res.status}`), { status: res.status });
      return res.body;
    });
    return (record.apply?.items ?? [])
      .filter((line) => line.apply !== false && line.doc?.id)
      .map((line) => line.doc!.id!);
  }
}

/**
 * NetSuite under heavy faults: the heavy preset, and the ERP down for 30 s a minute into the run
 * (instead of the preset's 5 s), long enough for circuits to open and runs to wait it out.
 */
function netsuiteFaults(level: FaultLevel): FaultLevel | FaultConfigInput {
  if (level !== 'heavy') return level;
  const heavy = FAULT_PRESETS.heavy;
  return {
    ...heavy,
    rules: [
      ...(heavy.rules ?? []).filter((rule) => !rule.outage),
      { match: '*', outage: { afterMs: 60_000, forMs: 30_000, mode: 'unavailable' } },
    ],
  };
}

/** The NetSuite emulator and revsync connected with Token-Based Authentication. */
export const driver: ErpDriver = {
  system: 'netsuite',
  role: 'erp',
  async start(options) {
    const emulator = await startOrAttach(options, (listen) =>
      startNetsuiteEmulator({
        ...listen,
        seed: options.seed,
        faults: netsuiteFaults(options.faults),
        oauthClock: 'system',
      }),
    );
    const url = emulator.url;
    const d = netsuiteEmulatorDefaults;
    const client = createNetsuiteTestClient({
      url,
      credentials: {
        accountId: d.accountId,
        consumerKey: d.consumerKey,
        consumerSecret: d.consumerSecret,
        tokenId: d.tokenId,
        tokenSecret: d.tokenSecret,
      },
    });
    return {
      url,
      connection: {
        accountId: d.accountId,
        baseUrl: url,
        consumerKey: env('NETSUITE_CONSUMER_KEY'),
        consumerSecret: env('NETSUITE_CONSUMER_SECRET'),
        tokenId: env('NETSUITE_TOKEN_ID'),
        tokenSecret: env('NETSUITE_TOKEN_SECRET'),
        limits: { maxConcurrent: 8 },
        pollIntervalMs: 250,
      },
      env: {
        NETSUITE_CONSUMER_KEY: d.consumerKey,
        NETSUITE_CONSUMER_SECRET: d.consumerSecret,
        NETSUITE_TOKEN_ID: d.tokenId,
        NETSUITE_TOKEN_SECRET: d.tokenSecret,
      },
      actor: new NetsuiteActor(client),
      clearFaults: emulator.clearFaults,
      close: emulator.close,
    };
  },
};
