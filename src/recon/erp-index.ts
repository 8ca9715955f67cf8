/**
 * The ERP side of a reconciliation, held compactly: one row per ERP document in typed columns,
 * repeated strings (customer, currency, subsidiary, period, status) interned as small integers,
 * and only the ids and memo kept as strings. The raw pages are dropped as soon as they are read,
 * so a million documents cost tens of bytes each, not the payload's kilobytes.
 */
import type { ErpApplication, ErpDocument, ErpDocumentKind } from './documents.ts';

const KINDS: readonly ErpDocumentKind[] = ['invoice', 'credit_memo', 'payment'];

/** Interns strings as dense integers. */
export class Dictionary {
  private readonly ids = new Map<string, number>();
  readonly values: string[] = [];

  /** @param limit how many distinct values the column holding the ids can take */
  constructor(
    private readonly name: string,
    private readonly limit = 2 ** 31 - 1,
  ) {}

  intern(value: string): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      if (id >= this.limit)
        throw new RangeError(`reconciliation: more than ${this.limit} distinct ${this.name}`);
      this.ids.set(value, id);
      this.values.push(value);
    }
    return id;
  }

  /** The id of a known value, or -1. */
  find(value: string): number {
    return this.ids.get(value) ?? -1;
  }
}

/** Row states. */
export const UNMATCHED = 0;
export const MATCHED = 1;
/** A second ERP document of a billing document, already reported. */
export const DUPLICATE = 2;

function grow<T extends Float64Array | Int32Array | Uint16Array | Uint8Array>(
  a: T,
  size: number,
): T {
  if (size <= a.length) return a;
  const next = new (a.constructor as new (n: number) => T)(Math.max(size, a.length * 2));
  next.set(a);
  return next;
}

/** The compact ERP index. Row numbers are positions in the order documents were read. */
export class ErpIndex {
  readonly customers = new Dictionary('customers');
  readonly currencies = new Dictionary('currencies', 2 ** 16);
  readonly subsidiaries = new Dictionary('subsidiaries', 2 ** 16);
  readonly periods = new Dictionary('periods', 2 ** 16);
  readonly statuses = new Dictionary('statuses', 2 ** 16);

  size = 0;
  kind = new Uint8Array(1024);
  customer = new Int32Array(1024);
  currency = new Uint16Array(1024);
  subsidiary = new Uint16Array(1024);
  period = new Uint16Array(1024);
  status = new Uint16Array(1024);
  amount = new Float64Array(1024);
  /** NaN when the document has no tax. */
  tax = new Float64Array(1024);
  /** Epoch milliseconds. */
  date = new Float64Array(1024);
  state = new Uint8Array(1024);
  readonly id: string[] = [];
  readonly externalId: (string | undefined)[] = [];
  readonly memo: (string | undefined)[] = [];
  /** Payments only: applications, by row. */
  readonly applications = new Map<number, readonly ErpApplication[]>();

  /** Per kind: external id → first row with it. */
  private readonly byExternal = KINDS.map(() => new Map<string, number>());
  /** First row → later rows with the same kind and external id. */
  readonly sameExternal = new Map<number, number[]>();
  /** Per kind: ERP id → row; built on first use (cross-references). */
  private byId: Map<string, number>[] | undefined;

  add(doc: ErpDocument): number {
    const row = this.size++;
    if (row >= this.kind.length) {
      const n = row + 1;
      this.kind = grow(this.kind, n);
      this.customer = grow(this.customer, n);
      this.currency = grow(this.currency, n);
      this.subsidiary = grow(this.subsidiary, n);
      this.period = grow(this.period, n);
      this.status = grow(this.status, n);
      this.amount = grow(this.amount, n);
      this.tax = grow(this.tax, n);
      this.date = grow(this.date, n);
      this.state = grow(this.state, n);
    }
    const kind = KINDS.indexOf(doc.kind);
    this.kind[row] = kind;
    this.customer[row] = this.customers.intern(doc.customer);
    this.currency[row] = this.currencies.intern(doc.currency.toUpperCase());
    this.subsidiary[row] = this.subsidiaries.intern(doc.subsidiary);
    this.period[row] = this.periods.intern(doc.period);
    this.status[row] = this.statuses.intern(doc.status);
    this.amount[row] = doc.amount;
    this.tax[row] = doc.tax ?? Number.NaN;
    this.date[row] = Date.parse(doc.date);
    this.state[row] = UNMATCHED;
    this.id.push(doc.id);
    this.externalId.push(doc.externalId);
    this.memo.push(doc.memo);
    if (doc.applications) this.applications.set(row, doc.applications);
    if (doc.externalId !== undefined) {
      const map = this.byExternal[kind]!;
      const first = map.get(doc.externalId);
      if (first === undefined) map.set(doc.externalId, row);
      else {
        const list = this.sameExternal.get(first);
        if (list) list.push(row);
        else this.sameExternal.set(first, [row]);
      }
    }
    if (this.byId) this.byId[kind]!.set(doc.id, row);
    return row;
  }

  kindOf(row: number): ErpDocumentKind {
    return KINDS[this.kind[row]!]!;
  }

  /** The first row of this kind posted with this external id, or -1. */
  findExternal(kind: ErpDocumentKind, externalId: string): number {
    return this.byExternal[KINDS.indexOf(kind)]!.get(externalId) ?? -1;
  }

  /** The row of this kind with this ERP internal id, or -1. */
  findId(kind: ErpDocumentKind, id: string): number {
    if (!this.byId) {
      this.byId = KINDS.map(() => new Map<string, number>());
      for (let row = 0; row < this.size; row++) this.byId[this.kind[row]!]!.set(this.id[row]!, row);
    }
    return this.byId[KINDS.indexOf(kind)]!.get(id) ?? -1;
  }

  /**
   * The key documents share when they may be the same posting: kind, customer, currency,
   * |amount| (the row's own, or the billed amount when the row was edited).
   */
  fallbackKey(row: number, amount = this.amount[row]!): string {
    return `${this.kind[row]}|${this.customer[row]}|${this.currency[row]}|${Math.abs(amount)}`;
  }
}
