import { createHash } from 'node:crypto';
import { isCurrencyCode, type CurrencyCode } from '../../model/currency.ts';
import { ValidationError } from '../../model/revsync-error.ts';
import type { NetsuiteCallOptions, NetsuiteClient } from './client.ts';

/** How revsync picks the NetSuite item of an invoice or credit memo line. */
export interface ItemSettings {
  /** External id of the item used for lines without a product code. Default `revsync-service`. */
  defaultItem: string;
  /**
   * One non-inventory sale item per product code (external id = the code), created on first use
   * when it does not exist. When false, every line uses the default item. Default true.
   */
  productItems: boolean;
  /** Internal id of the income account given to items revsync creates (NetSuite requires one). */
  incomeAccount?: string;
}

// NetSuite external ids: letters, digits, `_`, `-`.
const EID_SAFE = /^[A-Za-z0-9_-]+$/;

/**
 * The external id of the item for a product code: the code itself when NetSuite accepts it,
 * else the code with other characters replaced by `_` plus a short hash (so `a.b` and `a b`
 * stay apart).
 */
export function itemExternalIdFor(productCode: string): string {
  if (EID_SAFE.test(productCode)) return productCode;
  const hash = createHash('sha256').update(productCode).digest('hex').slice(0, 8);
  return `${productCode.replace(/[^A-Za-z0-9_-]/g, '_')}-${hash}`;
}

/** Quotes text for a SuiteQL literal. */
export function sqlText(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

interface CurrencyRecord {
  id: string;
  code: CurrencyCode;
}

/**
 * The account's reference data revsync needs, read once and cached: currency records (ISO code
 * ↔ internal id, from the currency record's `symbol`) and the sale items invoice lines point at.
 */
export class NetsuiteReferenceData {
  readonly #client: NetsuiteClient;
  readonly #items: ItemSettings;
  #currencies: Promise<CurrencyRecord[]> | undefined;
  readonly #knownItems = new Set<string>();

  constructor(client: NetsuiteClient, items: ItemSettings) {
    this.#client = client;
    this.#items = items;
  }

  /** Reads the currency records again (and proves the credentials work). */
  async refreshCurrencies(options: NetsuiteCallOptions): Promise<void> {
    const load = this.#loadCurrencies(options);
    this.#currencies = load;
    try {
      await load;
    } catch (caught) {
      if (this.#currencies === load) this.#currencies = undefined;
      throw caught;
    }
  }

  /** The internal id of the currency record for an ISO code. */
  async currencyId(code: string, options: NetsuiteCallOptions): Promise<string> {
    let found = (await this.#currencyList(options)).find((c) => c.code === code);
    if (!found) {
      // A currency added to the account since the cache was filled.
      await this.refreshCurrencies(options);
      found = (await this.#currencyList(options)).find((c) => c.code === code);
    }
    if (!found) {
      throw new ValidationError(
        `currency ${code} is not set up in NetSuite (no currency record with symbol ${code})`,
        {
          system: 'netsuite',
          details: [{ path: 'currency', message: `unknown currency ${code}` }],
        },
      );
    }
    return found.id;
  }

  /** The ISO code of a currency record's internal id. */
  async currencyCode(id: string, options: NetsuiteCallOptions): Promise<CurrencyCode> {
    let found = (await this.#currencyList(options)).find((c) => c.id === id);
    if (!found) {
      await this.refreshCurrencies(options);
      found = (await this.#currencyList(options)).find((c) => c.id === id);
    }
    if (!found) {
      throw new ValidationError(`NetSuite currency ${id} has no ISO 4217 symbol revsync knows`, {
        system: 'netsuite',
      });
    }
    return found.code;
  }

  /** The external id of the item a line with this product code (or none) is posted with. */
  itemFor(productCode: string | undefined): string {
    return productCode !== undefined && this.#items.productItems
      ? itemExternalIdFor(productCode)
      : this.#items.defaultItem;
  }

  /**
   * Makes sure the items exist: one SuiteQL read for those not yet seen by this process, then
   * an upsert for each one missing. Items that exist are never changed (finance may have set
   * them up with their own accounts and names).
   */
  async ensureItems(
    wanted: readonly { externalId: string; name: string }[],
    options: NetsuiteCallOptions,
  ): Promise<void> {
    const unknown = new Map<string, string>();
    for (const w of wanted)
      if (!this.#knownItems.has(w.externalId)) unknown.set(w.externalId, w.name);
    if (unknown.size === 0) return;
    const list = [...unknown.keys()].map(sqlText).join(', ');
    const rows = await this.#client.suiteqlAll(
      `SELECT id, externalid FROM item WHERE externalid IN (${list})`,
      { ...options, operation: 'item.find' },
    );
    for (const row of rows) {
      if (row.externalid !== undefined) {
        this.#knownItems.add(row.externalid);
        unknown.delete(row.externalid);
      }
    }
    for (const [externalId, name] of unknown) {
      await this.#client.upsert(
        'noninventorysaleitem',
        externalId,
        {
          itemId: name.slice(0, 60),
          displayName: name.slice(0, 60),
          salesDescription: `Posted by revsync (${name})`,
          ...(this.#items.incomeAccount !== undefined && {
            incomeAccount: { id: this.#items.incomeAccount },
          }),
        },
        { ...options, operation: 'item.upsert' },
      );
      this.#knownItems.add(externalId);
    }
  }

  async #currencyList(options: NetsuiteCallOptions): Promise<CurrencyRecord[]> {
    if (!this.#currencies) await this.refreshCurrencies(options);
    return this.#currencies!;
  }

  async #loadCurrencies(options: NetsuiteCallOptions): Promise<CurrencyRecord[]> {
    const rows = await this.#client.suiteqlAll('SELECT id, symbol FROM currency', {
      ...options,
      operation: 'currency.list',
    });
    const out: CurrencyRecord[] = [];
    for (const row of rows) {
      const symbol = row.symbol?.trim().toUpperCase();
      if (row.id !== undefined && isCurrencyCode(symbol)) out.push({ id: row.id, code: symbol });
    }
    return out;
  }
}
