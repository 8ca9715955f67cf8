import { z } from 'zod';

/** The operator actions the four-eyes policy can protect. */
export const PROTECTED_ACTIONS = [
  'exception.resubmit',
  'exception.skip',
  'run.replay',
  'recon.repair',
] as const;
export type ProtectedAction = (typeof PROTECTED_ACTIONS)[number];

/**
 * Flows whose runs post invoices, payments or credit memos to the ERP: skipping or replaying
 * one of their runs changes the books.
 */
export const FINANCIAL_FLOWS = [
  'quote-to-cash',
  'amendment',
  'renewal',
  'invoice-to-erp',
  'usage-to-invoice',
  'payment-status',
  'cancellation',
] as const;

/**
 * Field names (the last key of a JSON path, case-insensitive; `*` matches any run of
 * characters) that make an edit financially relevant.
 */
export const DEFAULT_SENSITIVE_FIELDS = {
  money: [
    'amount',
    '*amount',
    'amount*',
    'total',
    '*total',
    'subtotal',
    'tax',
    'tax*',
    '*tax',
    'price',
    '*price',
    'unitAmount*',
    'balance*',
    'discount*',
    'quantity',
    'currency',
    'rate',
    '*minor',
  ],
  account: [
    'account',
    'account*',
    '*account',
    '*accountId',
    'customer',
    'customerId',
    '*customerId',
    'subsidiary*',
    'gl*',
    'ledger*',
    'iban',
    'bank*',
    'externalId',
  ],
  date: ['date', '*date', '*At', 'period*', '*period', 'due*', 'term', 'terms', 'start', 'end'],
} as const;

const count = z.int().min(1).max(10);
const hours = z
  .number()
  .positive()
  .max(24 * 365);
const minor = z.int().min(0);

const common = {
  /** Whether the action needs approval at all (default true). */
  enabled: z.boolean().optional(),
  /** Approvers needed besides the requester (default: the policy's `approvers`). */
  approvers: count.optional(),
  /** Hours until a pending request expires (default: the policy's `expiresAfterHours`). */
  expiresAfterHours: hours.optional(),
  /**
   * Only when the amount at stake is at least this many minor units (any currency; default 0:
   * always). An action whose amount cannot be determined needs approval.
   */
  minAmount: minor.optional(),
};

/** The `approvals` section of `revsync.config.ts` (see docs/approvals.md). */
export const approvalPolicySchema = z.strictObject({
  /** The four-eyes policy as a whole (default true). */
  enabled: z.boolean().optional(),
  /** Approvers needed besides the requester (default 1). */
  approvers: count.optional(),
  /** Hours until a pending request expires and can no longer be approved (default 72). */
  expiresAfterHours: hours.optional(),
  actions: z
    .strictObject({
      'exception.resubmit': z
        .strictObject({
          ...common,
          /** Field-name patterns per kind; an edit touching any of them needs approval. */
          fields: z
            .strictObject({
              money: z.array(z.string().min(1)).optional(),
              account: z.array(z.string().min(1)).optional(),
              date: z.array(z.string().min(1)).optional(),
            })
            .optional(),
        })
        .optional(),
      'exception.skip': z
        .strictObject({ ...common, flows: z.array(z.string().min(1)).optional() })
        .optional(),
      'run.replay': z
        .strictObject({ ...common, flows: z.array(z.string().min(1)).optional() })
        .optional(),
      'recon.repair': z.strictObject(common).optional(),
    })
    .optional(),
});

export type ApprovalPolicyInput = z.input<typeof approvalPolicySchema>;

interface ActionRule {
  enabled: boolean;
  approvers: number;
  expiresAfterMs: number;
  minAmount: number;
}

/** The policy with every default applied. */
export interface ApprovalPolicy {
  enabled: boolean;
  actions: {
    'exception.resubmit': ActionRule & {
      fields: { money: string[]; account: string[]; date: string[] };
    };
    'exception.skip': ActionRule & { flows: string[] };
    'run.replay': ActionRule & { flows: string[] };
    'recon.repair': ActionRule;
  };
}

/** Default amount above which a reconciliation repair needs approval: 1,000.00 in minor units. */
export const DEFAULT_REPAIR_MIN_AMOUNT = 100_000;

/** Applies the defaults: on, one approver, 72 hours, the fields and flows above. */
export function resolveApprovalPolicy(input: ApprovalPolicyInput = {}): ApprovalPolicy {
  const parsed = approvalPolicySchema.parse(input);
  const approvers = parsed.approvers ?? 1;
  const expires = parsed.expiresAfterHours ?? 72;
  const a = parsed.actions ?? {};
  const rule = (
    r: {
      enabled?: boolean;
      approvers?: number;
      expiresAfterHours?: number;
      minAmount?: number;
    } = {},
    minAmount = 0,
  ): ActionRule => ({
    enabled: r.enabled ?? true,
    approvers: r.approvers ?? approvers,
    expiresAfterMs: (r.expiresAfterHours ?? expires) * 3_600_000,
    minAmount: r.minAmount ?? minAmount,
  });
  const fields = a['exception.resubmit']?.fields;
  return {
    enabled: parsed.enabled ?? true,
    actions: {
      'exception.resubmit': {
        ...rule(a['exception.resubmit']),
        fields: {
          money: fields?.money ?? [...DEFAULT_SENSITIVE_FIELDS.money],
          account: fields?.account ?? [...DEFAULT_SENSITIVE_FIELDS.account],
          date: fields?.date ?? [...DEFAULT_SENSITIVE_FIELDS.date],
        },
      },
      'exception.skip': {
        ...rule(a['exception.skip']),
        flows: a['exception.skip']?.flows ?? [...FINANCIAL_FLOWS],
      },
      'run.replay': {
        ...rule(a['run.replay']),
        flows: a['run.replay']?.flows ?? [...FINANCIAL_FLOWS],
      },
      'recon.repair': rule(a['recon.repair'], DEFAULT_REPAIR_MIN_AMOUNT),
    },
  };
}

/** A policy that protects nothing (tests of the unprotected paths, `approvals: { enabled: false }`). */
export function approvalsOff(): ApprovalPolicy {
  return { ...resolveApprovalPolicy(), enabled: false };
}

/** True when a field name matches one of the patterns (case-insensitive, `*` wildcards). */
export function fieldMatches(name: string, patterns: readonly string[]): boolean {
  const lower = name.toLowerCase();
  return patterns.some((p) => {
    const re = new RegExp(
      `^${p
        .toLowerCase()
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
    return re.test(lower);
  });
}

/** The last key of a JSON path (`$.lines[0].unitAmount` → `unitAmount`), or null for `$`/indexes. */
export function lastKey(path: string): string | null {
  const keys = path
    .replace(/\[\d+\]/g, '')
    .split('.')
    .slice(1);
  return keys.length > 0 ? keys[keys.length - 1]! : null;
}
