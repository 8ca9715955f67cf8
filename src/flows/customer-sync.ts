import { createHash } from 'node:crypto';
import type { CrmAccount, PostalAddress } from '../connectors/ports.ts';
import type { FlowContext } from '../engine/flow.ts';
import { customerIdForAccount } from '../model/ids.ts';
import { ConflictError } from '../model/revsync-error.ts';
import {
  DEFAULT_CUSTOMER_OWNERSHIP,
  matchKeyOf,
  matchRuleKeys,
  regionOf,
} from './customer-rules.ts';
import { writeBillingToCrm } from './crm-writeback.ts';
import type { FlowDeps } from './deps.ts';
import {
  markSeen,
  mergeOwnedFields,
  type FieldConflict,
  type SeenValues,
} from './field-ownership.ts';
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

/** What revsync stores per canonical customer (entity type `customer`); `seen` is kept per role. */
export interface CustomerState {
  customerId: string;
  crmAccountId: string;
  fields: CustomerFields;
  /** What each system last showed or was sent, per field (to tell its changes from echoes). */
  seen: SeenValues;
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
 *
 * `known` is the account as a step of the caller already read it (quote-to-cash gets it with the
 * opportunity): the `read-account` step then records it instead of asking the CRM again. It is
 * used only when it is the account `accountId` names.
 */
export async function syncCustomerFromCrm(
  ctx: FlowContext,
  deps: FlowDeps,
  accountId: string,
  prefix = 'customer',
  known?: CrmAccount,
): Promise<CustomerSyncResult> {
  const account = await ctx.step(`${prefix}:read-account`, (s) =>
    known?.id === accountId ? known : deps.crm.getAccount(accountId, readOptions(s)),
  );

  const identity = await ctx.step(`${prefix}:match`, async () => {
    const linked = await deps.xrefs.find(deps.crm.system, 'account', accountId);
    if (linked) return { customerId: linked, duplicateOf: null, rule: [] as string[] };
    const customerId = customerIdForAccount(deps.crm.system, accountId);
    const key = matchKeyOf(account);
    for (const { rule, key: ruleKey } of matchRuleKeys(key, deps.rules.matchRules)) {
      const owner = await claimMatchKey(deps, ruleKey, customerId);
      if (owner !== customerId) return { customerId, duplicateOf: owner, rule: [...rule] };
    }
    await deps.xrefs.link({
      canonicalId: customerId,
      entityType: 'customer',
      system: deps.crm.system,
      objectType: 'account',
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
        field: `${deps.crm.system}:account:${accountId}`,
        values: {
          crmAccount: accountId,
          name: account.name,
          existingCustomer: identity.duplicateOf,
        },
        message: `CRM account ${accountId} (${account.name}) duplicates customer ${identity.duplicateOf} by ${identity.rule.join(' + ')}; merge the accounts in the CRM`,
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
        seen: { crm: { ...incoming } },
      };
      await deps.entities.put({
        id: customerId,
        type: 'customer',
        data: state,
        expectedVersion: 0,
        by: deps.crm.system,
      });
      return { state, applied: Object.keys(incoming), conflicts: [] as FieldConflict[] };
    }
    const merge = mergeOwnedFields(
      stored.data.fields,
      stored.data.seen,
      'crm',
      incoming,
      ownershipOf(deps),
      'crm',
    );
    const state: CustomerState = { ...stored.data, fields: merge.fields, seen: merge.seen };
    if (merge.applied.length + merge.ignored.length + merge.conflicts.length > 0) {
      await deps.entities.put({
        id: customerId,
        type: 'customer',
        data: state,
        expectedVersion: stored.version,
        by: deps.crm.system,
      });
    }
    return { state, applied: merge.applied, conflicts: merge.conflicts };
  });

  await openConflicts(ctx, deps, prefix, customerId, merged.conflicts);

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
    await recordSent(deps, customerId, 'erp', erpView(fields));
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
    // The account was just read and differs: written without the connector's read, and
    // recorded in the write-back ledger (so quote-to-cash's account write-back can skip it).
    await ctx.step(`${prefix}:crm-writeback`, (s) =>
      writeBillingToCrm(
        deps,
        { objectType: 'account', id: accountId },
        { revsyncId: customerId, billingCustomerId },
        s,
        { differs: true },
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

/**
 * The ERP's side of account sync: a changed ERP customer is re-read ("notify, then fetch") and
 * the fields the ERP owns (by default currency and subsidiary) are applied to the canonical
 * customer; a field both the ERP and its owner changed since the last sync is queued as a conflict.
 * revsync's own writes come back as echoes and change nothing.
 */
export async function syncCustomerFromErp(
  ctx: FlowContext,
  deps: FlowDeps,
  customerId: string,
): Promise<{ applied: string[]; conflicts: string[]; ignored: string[] } | { skipped: string }> {
  const erp = await ctx.step('read-erp-customer', (s) =>
    deps.erp.getCustomer(customerId, readOptions(s)),
  );
  if (!erp) return { skipped: `no ${deps.erp.system} customer with external id ${customerId}` };
  const merged = await ctx.step('apply-ownership', async () => {
    const stored = await deps.entities.get<CustomerState>(customerId);
    if (!stored) return undefined;
    const incoming: Partial<CustomerFields> = {
      name: erp.name,
      currency: erp.currency,
      subsidiary: erp.subsidiary,
      ...(erp.email !== undefined && { email: erp.email }),
    };
    const merge = mergeOwnedFields(
      stored.data.fields,
      stored.data.seen,
      'erp',
      incoming,
      ownershipOf(deps),
      'crm',
    );
    if (merge.applied.length + merge.ignored.length + merge.conflicts.length > 0) {
      await deps.entities.put({
        id: customerId,
        type: 'customer',
        data: { ...stored.data, fields: merge.fields, seen: merge.seen },
        expectedVersion: stored.version,
        by: deps.erp.system,
      });
    }
    return { applied: merge.applied, ignored: merge.ignored, conflicts: merge.conflicts };
  });
  if (!merged)
    return { skipped: `customer ${customerId} is not a canonical customer revsync knows` };
  await openConflicts(ctx, deps, 'erp', customerId, merged.conflicts);
  return {
    applied: merged.applied,
    ignored: merged.ignored,
    conflicts: merged.conflicts.map((c) => c.field),
  };
}

async function openConflicts(
  ctx: FlowContext,
  deps: FlowDeps,
  prefix: string,
  customerId: string,
  conflicts: FieldConflict[],
) {
  for (const c of conflicts) {
    await ctx.step(`${prefix}:conflict:${c.field}`, () =>
      deps.conflicts.open({
        entityType: 'customer',
        entityId: customerId,
        kind: 'field',
        field: c.field,
        values: { [c.from]: c.value, [c.owner]: c.current },
        message: `${c.field} changed in ${c.from} (${JSON.stringify(c.value)}) and in ${c.owner} (${JSON.stringify(c.current)}) since the last sync; ${c.owner} owns it, so the ${c.from} change was not applied`,
        correlationId: ctx.correlationId,
      }),
    );
  }
}

function ownershipOf(deps: FlowDeps): Record<string, string> {
  return { ...DEFAULT_CUSTOMER_OWNERSHIP, ...deps.rules.ownership.customer };
}

/** The fields revsync sends the ERP, as the ERP shows them back. */
function erpView(fields: CustomerFields): Partial<CustomerFields> {
  return {
    name: fields.name,
    currency: fields.currency,
    subsidiary: fields.subsidiary,
    ...(fields.email !== undefined && { email: fields.email }),
  };
}

/** Remembers what was sent to a system, so its echo is not taken for a change there. */
async function recordSent(
  deps: FlowDeps,
  customerId: string,
  system: string,
  sent: Partial<CustomerFields>,
) {
  const stored = await deps.entities.get<CustomerState>(customerId);
  if (!stored) return;
  await deps.entities.put({
    id: customerId,
    type: 'customer',
    data: { ...stored.data, seen: markSeen(stored.data.seen, system, sent) },
    expectedVersion: stored.version,
    by: 'revsync',
  });
}
