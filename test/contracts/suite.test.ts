/**
 * The contract suite's own test: its idempotency check passes for an ERP that upserts by external
 * id and fails for one that creates a new record on every call (a connector that POSTs where it
 * should PUT by external id), so a connector that double-creates on a retried upsert cannot pass.
 */
import { describe, expect, it } from 'vitest';
import type {
  ErpCreditMemo,
  ErpCustomer,
  ErpInvoice,
  ErpPayment,
  ErpSystem,
} from '../../src/connectors/ports.ts';
import { checkErpUpsertsConverge, erpDocuments, postErpWorld } from './erp.ts';

/** An in-memory ERP; `doubleCreate` makes every upsert create (the broken connector). */
class MemoryErp implements ErpSystem {
  readonly system = 'memory';
  readonly #records = new Map<string, { id: string; externalId: string; name?: string }[]>();
  #next = 0;

  constructor(private readonly doubleCreate: boolean) {}

  #upsert(kind: string, externalId: string, name?: string): { id: string } {
    const records = this.#records.get(kind) ?? [];
    this.#records.set(kind, records);
    const existing = records.find((r) => r.externalId === externalId);
    if (existing && !this.doubleCreate) {
      if (name !== undefined) existing.name = name;
      return { id: existing.id };
    }
    this.#next += 1;
    const record = { id: String(this.#next), externalId, ...(name !== undefined && { name }) };
    records.push(record);
    return { id: record.id };
  }

  #find(kind: string, externalId: string) {
    return this.#records.get(kind)?.find((r) => r.externalId === externalId);
  }

  async upsertCustomer(input: Parameters<ErpSystem['upsertCustomer']>[0]) {
    return this.#upsert('customer', input.externalId, input.name);
  }
  async upsertInvoice(input: Parameters<ErpSystem['upsertInvoice']>[0]) {
    return this.#upsert('invoice', input.externalId);
  }
  async upsertPayment(input: Parameters<ErpSystem['upsertPayment']>[0]) {
    return this.#upsert('payment', input.externalId);
  }
  async upsertCreditMemo(input: Parameters<ErpSystem['upsertCreditMemo']>[0]) {
    return this.#upsert('creditMemo', input.externalId);
  }
  async getCustomer(externalId: string): Promise<ErpCustomer | undefined> {
    const r = this.#find('customer', externalId);
    return r && { id: r.id, externalId, name: r.name ?? '', currency: 'USD', subsidiary: '1' };
  }
  async getInvoice(): Promise<ErpInvoice | undefined> {
    return undefined;
  }
  async getPayment(): Promise<ErpPayment | undefined> {
    return undefined;
  }
  async getCreditMemo(): Promise<ErpCreditMemo | undefined> {
    return undefined;
  }
  async findCustomers(filter: { externalId?: string }) {
    return (this.#records.get('customer') ?? [])
      .filter((r) => r.externalId === filter.externalId)
      .map((r) => ({ id: r.id, externalId: r.externalId, name: r.name ?? '' }));
  }
}

describe('the ERP contract itself', () => {
  it('passes an ERP that upserts by external id', async () => {
    const erp = new MemoryErp(false);
    const docs = erpDocuments('1');
    const ids = await postErpWorld(erp, docs);
    await checkErpUpsertsConverge(erp, docs, ids);
  });

  it('fails an ERP that creates again on a retried upsert', async () => {
    const erp = new MemoryErp(true);
    const docs = erpDocuments('1');
    const ids = await postErpWorld(erp, docs);
    await expect(checkErpUpsertsConverge(erp, docs, ids)).rejects.toThrow(
      /a retry with the same keys/,
    );
    expect(await erp.findCustomers({ externalId: docs.customer.externalId })).toHaveLength(2);
  });
});
