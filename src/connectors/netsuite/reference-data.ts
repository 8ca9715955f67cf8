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

/** How many items {@link NetsuiteReferenceData} remembers before it forgets the oldest. */
const ITEM_CACHE_LIMIT = 10_000;

interface CurrencyRecord {
  id: string;
  code: CurrencyCode;
}

/**
 * The account's reference data revsync needs, read once and cached for the life of the process:
 * currency records (ISO code ↔ internal id, from the currency record's `symbol`) and the sale
 * items invoice lines point at (external id → internal id, at most {@link ITEM_CACHE_LIMIT}).
 */
export class NetsuiteReferenceData {
  readonly #client: NetsuiteClient;
  readonly #items: ItemSettings;
  #currencies: Promise<CurrencyRecord[]> | undefined;
  /** Items found or created by this process: external id → internal id, oldest first. */
  readonly #knownItems = new Map<string, string>();
  /** Item look-ups under way, by external id: each answers the external ids it created. */
  readonly #pendingItems = new Map<string, Promise<Set<string>>>();

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
   * Makes sure the items exist. Items this process has already found or created are answered
   * from memory (an item is upserted by its external id, so the mapping holds until someone
   * deletes the item in NetSuite: see {@link forgetItems}). For the others, one SuiteQL read, then
   * an upsert for each one missing; a look-up already under way for the same item (concurrent
   * postings of one product) is joined rather than repeated. Items that exist are never changed
   * (finance may have set them up with their own accounts and names).
   *
   * @returns the external ids answered from memory without a call (`cached`) and those this
   *   call (or the look-up it joined) had to create (`created`).
   */
  async ensureItems(
    wanted: readonly { externalId: string; name: string }[],
    options: NetsuiteCallOptions,
  ): Promise<{ cached: string[]; created: string[] }> {
    const cached: string[] = [];
    const created: string[] = [];
    const unknown = new Map<string, string>();
    const joined = new Set<Promise<Set<string>>>();
    for (const w of wanted) {
      if (this.#knownItems.has(w.externalId)) cached.push(w.externalId);
      else if (!unknown.has(w.externalId)) {
        unknown.set(w.externalId, w.name);
        const pending = this.#pendingItems.get(w.externalId);
        if (pending) joined.add(pending);
      }
    }
    if (unknown.size === 0) return { cached, created };
    if (joined.size > 0) {
      const settled = await Promise.allSettled(joined);
      const made = new Set<string>();
      for (const s of settled) if (s.status === 'fulfilled') for (const id of s.value) made.add(id);
      for (const externalId of [...unknown.keys()]) {
        if (!this.#knownItems.has(externalId)) continue;
        unknown.delete(externalId);
        if (made.has(externalId)) created.push(externalId);
      }
      // What a failed look-up left unknown is looked up again below, by this call.
      if (unknown.size === 0) return { cached, created };
    }
    const run = this.#findOrCreateItems(unknown, options);
    for (const externalId of unknown.keys()) this.#pendingItems.set(externalId, run);
    try {
      created.push(...(await run));
    } finally {
      for (const externalId of unknown.keys()) {
        if (this.#pendingItems.get(externalId) === run) this.#pendingItems.delete(externalId);
      }
    }
    return { cached, created };
  }

  /**
   * Forgets items this process believed exist, so the next {@link ensureItems} looks them up:
   * for a posting NetSuite refused, in case someone deleted an item since it was cached.
   */
  forgetItems(externalIds: readonly string[]): void {
    for (const externalId of externalIds) this.#knownItems.delete(externalId);
  }

  /** One SuiteQL read for the items, an upsert for each one missing; answers those created. */
  async #findOrCreateItems(
    items: ReadonlyMap<string, string>,
    options: NetsuiteCallOptions,
  ): Promise<Set<string>> {
    const list = [...items.keys()].map(sqlText).join(', ');
    const rows = await this.#client.suiteqlAll(
      `SELECT id, externalid FROM item WHERE externalid IN (${list})`,
      { ...options, operation: 'item.find' },
    );
    const missing = new Map(items);
    for (const row of rows) {
      if (row.externalid !== undefined && row.id !== undefined && missing.has(row.externalid)) {
        this.#rememberItem(row.externalid, row.id);
        missing.delete(row.externalid);
      }
    }
    const created = new Set<string>();
    for (const [externalId, name] of missing) {
      const id = await this.#client.upsert(
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
      this.#rememberItem(externalId, id);
      created.add(externalId);
    }
    return created;
  }

  #rememberItem(externalId: string, id: string): void {
    if (this.#knownItems.size >= ITEM_CACHE_LIMIT && !this.#knownItems.has(externalId)) {
      const oldest = this.#knownItems.keys().next();
      if (!oldest.done) this.#knownItems.delete(oldest.value);
    }
    this.#knownItems.set(externalId, id);
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
