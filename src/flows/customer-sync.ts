import { createHash } from 'node:crypto';
import type { CrmAccount, PostalAddress } from '../connectors/ports.ts';
import type { FlowContext } from '../engine/flow.ts';
import { stableId } from '../model/ids.ts';
import { ConflictError } from '../model/revsync-error.ts';
import { DEFAULT_CUSTOMER_OWNERSHIP, matchKeyOf, regionOf } from './customer-rules.ts';
import type { FlowDeps } from './deps.ts';
import { readOptions, writeOptions } from './step-options.ts';

/** The synchronised fields of a canonical customer. */
export interface CustomerFields {
  name: string;
  email?: string;
  domain?: string;
  taxId?: { type: string; value: string };
  billingAddress?: PostalAddress;
  region: string;
  currency: string;
  subsidiary: string;
}

/** What revsync stores per canonical customer (entity type `customer`). */
export interface CustomerState {
  customerId: string;
  crmAccountId: string;
  fields: CustomerFields;
  /** The value of each field as last agreed between systems (for conflict detection). */
  lastSynced: Partial<CustomerFields>;
}

export type CustomerSyncResult =
  | {
      status: 'synced';
      customerId: string;
      fields: CustomerFields;
      erpCustomerId: string;
      billingCustomerId: string;
      applied: string[];
      conflicts: string[];
    }
  | { status: 'duplicate'; customerId: string; duplicateOf: string; rule: string[] };

/**
 * Brings one CRM account to the canonical customer and on to the ERP and the billing platform:
 * match rules prevent duplicates (a duplicate is queued as a sync conflict, nothing is created),
 * field ownership decides which incoming values apply, and a field both sides changed since the
 * last sync is queued as a conflict. Every part is a step named under `prefix`.
 */
export async function syncCustomerFromCrm(
  ctx: FlowContext,
  deps: FlowDeps,
  accountId: string,
  prefix = 'customer',
): Promise<CustomerSyncResult> {
  const account = await ctx.step(`${prefix}:read-account`, (s) =>
    deps.crm.getAccount(accountId, readOptions(s)),
  );

  const identity = await ctx.step(`${prefix}:match`, async () => {
    const linked = await deps.xrefs.find('salesforce', 'Account', accountId);
    if (linked) return { customerId: linked, duplicateOf: null, rule: [] as string[] };
    const customerId = stableId('cus', `salesforce:Account:${accountId}`);
    const key = matchKeyOf(account);
    for (const rule of deps.rules.matchRules) {
      const values = rule.map((field) => key[field]);
      if (values.some((v) => v === undefined)) continue;
      const owner = await claimMatchKey(deps, `${rule.join('+')}=${values.join('|')}`, customerId);
      if (owner !== customerId) return { customerId, duplicateOf: owner, rule: [...rule] };
    }
    await deps.xrefs.link({
      canonicalId: customerId,
      entityType: 'customer',
      system: 'salesforce',
      objectType: 'Account',
      externalId: accountId,
    });
    return { customerId, duplicateOf: null, rule: [] as string[] };
  });

  if (identity.duplicateOf) {
    await ctx.step(`${prefix}:queue-duplicate`, () =>
      deps.conflicts.open({
        entityType: 'customer',
        entityId: identity.duplicateOf!,
        kind: 'duplicate',
        field: `salesforce:Account:${accountId}`,
        values: {
          salesforceAccount: accountId,
          name: account.name,
          existingCustomer: identity.duplicateOf,
        },
        message: `Salesforce account ${accountId} (${account.name}) duplicates customer ${identity.duplicateOf} by ${identity.rule.join(' + ')}; merge the accounts in the CRM`,
        correlationId: ctx.correlationId,
      }),
    );
    return {
      status: 'duplicate',
      customerId: identity.customerId,
      duplicateOf: identity.duplicateOf,
      rule: identity.rule,
    };
  }
  const customerId = identity.customerId;

  const merged = await ctx.step(`${prefix}:apply-ownership`, async () => {
    const stored = await deps.entities.get<CustomerState>(customerId);
    const incoming = incomingFields(account, deps);
    if (!stored) {
      const state: CustomerState = {
        customerId,
        crmAccountId: accountId,
        fields: incoming,
        lastSynced: { ...incoming },
      };
      await deps.entities.put({
        id: customerId,
        type: 'customer',
        data: state,
        expectedVersion: 0,
        by: 'salesforce',
      });
      return {
        state,
        applied: Object.keys(incoming),
        conflicts: [] as { field: string; crm: unknown; owner: string; current: unknown }[],
      };
    }
    const ownership = { ...DEFAULT_CUSTOMER_OWNERSHIP, ...deps.rules.ownership.customer };
    const state: CustomerState = structuredClone(stored.data);
    const applied: string[] = [];
    const conflicts: { field: string; crm: unknown; owner: string; current: unknown }[] = [];
    for (const field of Object.keys(incoming) as (keyof CustomerFields)[]) {
      const value = incoming[field];
      const last = state.lastSynced[field];
      if (same(value, last)) continue; // the CRM did not change it
      const owner = ownership[field] ?? 'salesforce';
      if (owner === 'salesforce') {
        (state.fields as unknown as Record<string, unknown>)[field] = value;
        (state.lastSynced as Record<string, unknown>)[field] = value;
        applied.push(field);
      } else if (!same(state.fields[field], last)) {
        conflicts.push({ field, crm: value, owner, current: state.fields[field] });
      }
      // else: a change from a system that does not own the field is not applied.
    }
    if (applied.length > 0) {
      await deps.entities.put({
        id: customerId,
        type: 'customer',
        data: state,
        expectedVersion: stored.version,
        by: 'salesforce',
      });
    }
    return { state, applied, conflicts };
  });

  for (const c of merged.conflicts) {
    await ctx.step(`${prefix}:conflict:${c.field}`, () =>
      deps.conflicts.open({
        entityType: 'customer',
        entityId: customerId,
        kind: 'field',
        field: c.field,
        values: { salesforce: c.crm, [c.owner]: c.current },
        message: `${c.field} changed in Salesforce and in ${c.owner} since the last sync; ${c.owner} owns it`,
        correlationId: ctx.correlationId,
      }),
    );
  }

  const fields = merged.state.fields;
  const erpCustomerId = await ctx.step(`${prefix}:erp-customer`, async (s) => {
    const known = await deps.xrefs.findExternal(customerId, deps.erp.system, 'customer');
    if (known && merged.applied.length === 0) return known;
    const { id } = await deps.erp.upsertCustomer(
      {
        externalId: customerId,
        name: fields.name,
        subsidiary: fields.subsidiary,
        currency: fields.currency,
        ...(fields.email !== undefined && { email: fields.email }),
        ...(fields.billingAddress !== undefined && { address: fields.billingAddress }),
        ...(fields.taxId !== undefined && { taxId: fields.taxId.value }),
      },
      writeOptions(s),
    );
    await deps.xrefs.link({
      canonicalId: customerId,
      entityType: 'customer',
      system: deps.erp.system,
      objectType: 'customer',
      externalId: id,
    });
    return id;
  });

  const billingCustomerId = await ctx.step(`${prefix}:billing-customer`, async (s) => {
    const known = await deps.xrefs.findExternal(customerId, deps.billing.system, 'customer');
    if (known && merged.applied.length === 0) return known;
    const { id } = await deps.billing.upsertCustomer(
      {
        revsyncId: customerId,
        name: fields.name,
        currency: fields.currency,
        ...(fields.email !== undefined && { email: fields.email }),
        ...(fields.billingAddress !== undefined && { address: fields.billingAddress }),
        ...(fields.taxId !== undefined && { taxId: fields.taxId }),
      },
      writeOptions(s),
    );
    await deps.xrefs.link({
      canonicalId: customerId,
      entityType: 'customer',
      system: deps.billing.system,
      objectType: 'customer',
      externalId: id,
    });
    return id;
  });

  if (account.revsyncId !== customerId) {
    await ctx.step(`${prefix}:crm-writeback`, (s) =>
      deps.crm.updateAccountBilling(
        accountId,
        { revsyncId: customerId, billingCustomerId },
        writeOptions(s),
      ),
    );
  }

  return {
    status: 'synced',
    customerId,
    fields,
    erpCustomerId,
    billingCustomerId,
    applied: merged.applied,
    conflicts: merged.conflicts.map((c) => c.field),
  };
}

function incomingFields(account: CrmAccount, deps: FlowDeps): CustomerFields {
  const region = regionOf(account, deps.rules);
  return {
    name: account.name,
    region: region.code,
    currency: (account.currency ?? region.rule.currency).toUpperCase(),
    subsidiary: region.rule.subsidiary,
    ...(account.email !== undefined && { email: account.email }),
    ...(account.domain !== undefined && { domain: account.domain }),
    ...(account.taxId !== undefined && { taxId: account.taxId }),
    ...(account.billingAddress !== undefined && { billingAddress: account.billingAddress }),
  };
}

/**
 * Claims a match key for a customer atomically (an entity that may be created only once); returns
 * the customer that holds it — `customerId` itself unless another customer claimed it first.
 */
async function claimMatchKey(deps: FlowDeps, key: string, customerId: string): Promise<string> {
  const id = `mk_${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
  const existing = await deps.entities.get<{ customerId: string }>(id);
  if (existing) return existing.data.customerId;
  try {
    await deps.entities.put({
      id,
      type: 'match_key',
      data: { customerId, key },
      expectedVersion: 0,
      by: 'revsync',
    });
    return customerId;
  } catch (caught) {
    if (!(caught instanceof ConflictError)) throw caught;
    const winner = await deps.entities.get<{ customerId: string }>(id);
    return winner?.data.customerId ?? customerId;
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}
