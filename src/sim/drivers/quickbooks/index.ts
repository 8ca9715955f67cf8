import { FAULT_PRESETS, type FaultConfigInput } from '@revsync/emulators/kit';
import {
  createQuickbooksTestClient,
  quickbooksEmulatorDefaults,
  startQuickbooksEmulator,
} from '@revsync/emulators/quickbooks';
import { env } from '../../../connectors/settings.ts';
import { currencyExponent, toCurrencyCode } from '../../../model/currency.ts';
import { fromDecimalString } from '../../../model/money.ts';
import { retry } from '../../retry.ts';
import {
  startOrAttach,
  type ErpActor,
  type ErpDocumentFacts,
  type ErpDriver,
  type FaultLevel,
} from '../driver.ts';

type QuickbooksClient = ReturnType<typeof createQuickbooksTestClient>;
type Row = Record<string, unknown>;

/**
 * One company per simulated region, each in the region's home currency: the emulator's default
 * realms (USD, GBP, EUR), so a simulation can also attach to `revsync emulate quickbooks`.
 */
const [NA, UK, EU] = quickbooksEmulatorDefaults.realms;
const REALMS = { NA: NA!, UK: UK!, EU: EU! };

const KINDS: Record<string, ErpDocumentFacts['kind']> = {
  Invoice: 'invoice',
  CreditMemo: 'credit_memo',
  RefundReceipt: 'credit_memo',
  Payment: 'payment',
};

const refValue = (v: unknown): string | undefined =>
  typeof v === 'object' && v !== null && 'value' in v
    ? String((v as { value: unknown }).value)
    : undefined;
/** revsync keeps the full external id in the note as `revsync:<id>`. */
const noteId = (note: unknown): string | undefined =>
  typeof note === 'string' ? /(?:^|\s)revsync:(\S+)/.exec(note)?.[1] : undefined;

/** The books in every QuickBooks company, read through the v3 query API. */
export class QuickbooksActor implements ErpActor {
  readonly client: QuickbooksClient;
  readonly realmIds: readonly string[];

  constructor(client: QuickbooksClient, realmIds: readonly string[]) {
    this.client = client;
    this.realmIds = realmIds;
  }

  async documents(): Promise<ErpDocumentFacts[]> {
    const out: ErpDocumentFacts[] = [];
    for (const realm of this.realmIds) {
      for (const entity of ['Invoice', 'CreditMemo', 'RefundReceipt', 'Payment'] as const) {
        for (const row of await this.#all(realm, `select * from ${entity}`)) {
          const currency = toCurrencyCode(refValue(row.CurrencyRef) ?? 'USD');
          const minor = (v: unknown) =>
            Math.abs(
              fromDecimalString(Number(v ?? 0).toFixed(currencyExponent(currency)), currency)
                .amount,
            );
          const kind = KINDS[entity]!;
          const externalId = noteId(row.PrivateNote);
          const tax = (row.TxnTaxDetail as { TotalTax?: unknown } | undefined)?.TotalTax;
          out.push({
            kind,
            id: `${realm}:${String(row.Id)}`,
            ...(externalId !== undefined && { externalId }),
            currency,
            total: minor(row.TotalAmt),
            tax: minor(tax),
            ...(kind === 'payment' && {
              appliedTo: (
                (row.Line as
                  { LinkedTxn?: { TxnId?: unknown; TxnType?: unknown }[] }[] | undefined) ?? []
              )
                .flatMap((l) => l.LinkedTxn ?? [])
                .filter((l) => l.TxnType === 'Invoice')
                .map((l) => `${realm}:${String(l.TxnId)}`),
            }),
          });
        }
      }
    }
    return out;
  }

  async customers(): Promise<{ id: string; externalId?: string; name: string }[]> {
    const out: { id: string; externalId?: string; name: string }[] = [];
    for (const realm of this.realmIds) {
      for (const c of await this.#all(realm, 'select * from Customer')) {
        const externalId = noteId(c.Notes);
        out.push({
          id: `${realm}:${String(c.Id)}`,
          ...(externalId !== undefined && { externalId }),
          name: String(c.CompanyName ?? c.DisplayName ?? ''),
        });
      }
    }
    return out;
  }

  /** Every row of a query, each page retried (faults may still be on while the books are read). */
  async #all(realm: string, q: string): Promise<Row[]> {
    return retry(() => this.client.queryAll(realm, q));
  }
}

/** QuickBooks under heavy faults: the heavy preset, with its outage held for 20 s. */
function quickbooksFaults(level: FaultLevel): FaultLevel | FaultConfigInput {
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

/** The QuickBooks emulator (three companies, one per region) and revsync connected over OAuth 2.0. */
export const driver: ErpDriver = {
  system: 'quickbooks',
  role: 'erp',
  async start(options) {
    const d = quickbooksEmulatorDefaults;
    const emulator = await startOrAttach(options, (listen) =>
      startQuickbooksEmulator({
        ...listen,
        seed: options.seed,
        faults: quickbooksFaults(options.faults),
        ratePerMinute: options.rateLimits === 'off' ? 0 : d.ratePerMinute,
      }),
    );
    const url = emulator.url;
    const refreshToken = (realmId: string) => `${d.refreshTokenPrefix}${realmId}`;
    const realmIds = Object.values(REALMS).map((r) => r.realmId);
    const client = createQuickbooksTestClient({
      url,
      clientId: d.clientId,
      clientSecret: d.clientSecret,
      refreshTokens: Object.fromEntries(realmIds.map((r) => [r, refreshToken(r)])),
    });
    return {
      url,
      connection: {
        clientId: env('QUICKBOOKS_CLIENT_ID'),
        clientSecret: env('QUICKBOOKS_CLIENT_SECRET'),
        realms: (Object.keys(REALMS) as (keyof typeof REALMS)[]).map((region) => ({
          realmId: REALMS[region].realmId,
          refreshToken: env(`QUICKBOOKS_REFRESH_TOKEN_${region}`),
        })),
        baseUrl: url,
        tokenUrl: `${url}/oauth2/v1/tokens/bearer`,
        webhookVerifierToken: env('QUICKBOOKS_WEBHOOK_VERIFIER'),
        limits: { ratePerSecond: 8, burst: 8, maxConcurrent: 8 },
        pollIntervalMs: 250,
      },
      env: {
        QUICKBOOKS_CLIENT_ID: d.clientId,
        QUICKBOOKS_CLIENT_SECRET: d.clientSecret,
        QUICKBOOKS_WEBHOOK_VERIFIER: d.verifierToken,
        ...Object.fromEntries(
          (Object.keys(REALMS) as (keyof typeof REALMS)[]).map((region) => [
            `QUICKBOOKS_REFRESH_TOKEN_${region}`,
            refreshToken(REALMS[region].realmId),
          ]),
        ),
      },
      // Japan has no company of its own: its yen customers are a foreign currency in the US
      // company (multi-currency, QuickBooks' exchange rate to USD).
      subsidiaries: {
        NA: REALMS.NA.realmId,
        UK: REALMS.UK.realmId,
        EU: REALMS.EU.realmId,
        JP: REALMS.NA.realmId,
      },
      actor: new QuickbooksActor(client, realmIds),
      clearFaults: emulator.clearFaults,
      close: emulator.close,
    };
  },
};
