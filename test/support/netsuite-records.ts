/**
 * What the reconciliation tests that corrupt NetSuite directly share: the shape of the records
 * they read and edit, reading every transaction of a type, the payments applied to an invoice,
 * and one reconciliation of the environment's systems with its discrepancies flattened.
 */
import { reconcileSystems } from '../../src/app/reconciliation.ts';
import type { Discrepancy } from '../../src/recon/index.ts';
import type { useFlowEnvironment } from './flow-env.ts';

type FlowEnvironment = ReturnType<typeof useFlowEnvironment>;

export interface NsLine {
  item: { id: string };
  quantity: number;
  rate: number;
}
export interface NsDoc {
  id: string;
  externalId: string;
  entity: { id: string };
  currency: { id: string };
  tranDate: string;
  memo?: string;
  taxTotal?: number;
  item: { items: NsLine[] };
}

export const NS_RECORDS = '/services/rest/record/v1';

/** A discrepancy as `class id` (the billing id, else the ERP id), for exact list comparisons. */
export const brief = (d: Discrepancy) => `${d.class} ${d.billingId ?? d.erpId}`;

/** Reconciles billing against the ERP of the environment, every period. */
export async function reconcileEnvironment(t: FlowEnvironment) {
  const { runtime } = t.env;
  const result = await reconcileSystems({
    billing: runtime.connectors.billing.port,
    erp: runtime.connectors.erp.port,
    store: runtime.store,
  });
  return {
    ...result,
    discrepancies: result.reports.flatMap((r) => r.discrepancies),
    inFlight: result.reports.flatMap((r) => r.inFlight),
  };
}

/** Every transaction of a SuiteQL type (`CustInvc`, `CustCred`) as its REST record, in id order. */
export async function netsuiteDocs(
  t: FlowEnvironment,
  type: 'CustInvc' | 'CustCred',
  record: 'invoice' | 'creditmemo',
): Promise<NsDoc[]> {
  const rows = await t.netsuite.suiteql<{ externalid: string }>(
    `SELECT externalid FROM transaction WHERE type = '${type}' ORDER BY id`,
  );
  const out: NsDoc[] = [];
  for (const row of rows.body.items) {
    const path = `${NS_RECORDS}/${record}/eid:${row.externalid}?expandSubResources=true`;
    out.push((await t.netsuite.get<NsDoc>(path)).body);
  }
  return out;
}

/** The ids of the customer payments applied to a NetSuite invoice (by internal id). */
export async function paymentsApplyingTo(t: FlowEnvironment, invoiceId: string): Promise<string[]> {
  const rows = await t.netsuite.suiteql<{ id: string }>(
    "SELECT DISTINCT t.id AS id FROM transaction t WHERE t.type = 'CustPymt' ORDER BY t.id",
  );
  const out: string[] = [];
  for (const { id } of rows.body.items) {
    const p = await t.netsuite.get<{ apply?: { items: { doc: { id: string } }[] } }>(
      `${NS_RECORDS}/customerpayment/${id}?expandSubResources=true`,
    );
    if (p.body.apply?.items.some((a) => a.doc.id === invoiceId)) out.push(String(id));
  }
  return out;
}

/**
 * Rewrites a posted transaction's currency behind revsync, as a hand edit in NetSuite would
 * (the emulator's `POST /_emulator/transactions/{type}/{id}/currency`; amounts are kept).
 */
export async function rewriteCurrency(
  t: FlowEnvironment,
  record: 'invoice' | 'creditmemo' | 'customerpayment',
  externalId: string,
  currency: string,
): Promise<{ status: number; body: unknown }> {
  return t.netsuite.post(`/_emulator/transactions/${record}/eid:${externalId}/currency`, {
    currency,
  });
}
