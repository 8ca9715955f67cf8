import { sql } from 'kysely';
import type {
  BusinessViewColumn,
  BusinessViewInfo,
  BusinessViewResult,
  BusinessViews,
} from '../observability/business-views.ts';
import { NotFoundError } from '../model/revsync-error.ts';
import type { Store } from '../store/store.ts';
import type { Role } from '../connectors/definition.ts';

const ACTIVE = ['queued', 'running', 'waiting', 'parked'] as const;

interface ViewDefinition extends BusinessViewInfo {
  columns: BusinessViewColumn[];
  rows(
    store: Store,
    now: number,
    limit: number,
    systems: Record<Role, string>,
  ): Promise<Record<string, unknown>[]>;
}

const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString();
const minutesSince = (ms: number, now: number) =>
  Math.max(0, Math.round((now - Number(ms)) / 60_000));

/** Active runs of some flows, with what they wait for. */
function activeRunsView(
  name: string,
  title: string,
  description: string,
  flows: string[],
  subject: (input: unknown) => string,
): ViewDefinition {
  return {
    name,
    title,
    description,
    columns: [
      { name: 'subject', title: 'Subject', type: 'string' },
      { name: 'customer', title: 'Customer', type: 'string' },
      { name: 'flow', title: 'Flow', type: 'string' },
      { name: 'status', title: 'Status', type: 'string' },
      { name: 'step', title: 'Step', type: 'string' },
      { name: 'since', title: 'Since', type: 'timestamp' },
      { name: 'minutes', title: 'Minutes waiting', type: 'number' },
      { name: 'reason', title: 'Reason', type: 'string' },
      { name: 'runId', title: 'Run', type: 'string' },
      { name: 'correlationId', title: 'Correlation id', type: 'string' },
    ],
    async rows(store, now, limit) {
      const runs = await store.runs.list(store.db, { status: [...ACTIVE], limit: 10_000 });
      return runs
        .filter((r) => flows.includes(r.flow))
        .slice(0, limit)
        .map((r) => ({
          subject: subject(r.input),
          customer: r.entityKey,
          flow: r.flow,
          status: r.status,
          step: r.currentStep,
          since: iso(r.createdAt),
          minutes: minutesSince(r.createdAt, now),
          reason: r.error?.message ?? (r.waitSignal ? `waiting for ${r.waitSignal}` : null),
          runId: r.id,
          correlationId: r.correlationId,
        }));
    },
  };
}

const field = (key: string) => (input: unknown) =>
  typeof input === 'object' && input !== null
    ? String((input as Record<string, unknown>)[key] ?? '')
    : '';

/**
 * The business state finance teams ask about, as named views for the dashboard and `/metrics`:
 * what is not yet where it should be, and why.
 */
const VIEWS: ViewDefinition[] = [
  {
    name: 'invoices-awaiting-erp',
    title: 'Invoices awaiting ERP posting',
    description:
      'Invoices finalized in billing that have no ERP invoice (or credit memo) yet, oldest first.',
    columns: [
      { name: 'invoice', title: 'Billing invoice', type: 'string' },
      { name: 'customer', title: 'Customer', type: 'string' },
      { name: 'finalizedAt', title: 'Finalized (received)', type: 'timestamp' },
      { name: 'minutes', title: 'Minutes waiting', type: 'number' },
      { name: 'status', title: 'Run status', type: 'string' },
      { name: 'reason', title: 'Reason', type: 'string' },
    ],
    async rows(store, now, limit, systems) {
      const rows = await store.db
        .selectFrom('canonical_events as e')
        .select([
          'e.subject',
          'e.entity_key',
          (eb) => eb.fn.min('e.created_at').as('received'),
          (eb) => eb.fn.min('e.event_id').as('event_id'),
        ])
        .where('e.type', '=', 'billing.invoice.finalized')
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('xrefs as s')
                .innerJoin('xrefs as n', (join) =>
                  join
                    .onRef('n.canonical_id', '=', 's.canonical_id')
                    .on('n.system', '=', systems.erp),
                )
                .select(sql`1`.as('one'))
                .where('s.system', '=', systems.billing)
                .where('s.object_type', '=', 'invoice')
                .whereRef('s.external_id', '=', 'e.subject'),
            ),
          ),
        )
        .groupBy(['e.subject', 'e.entity_key'])
        .orderBy('received')
        .limit(limit)
        .execute();
      const out: Record<string, unknown>[] = [];
      for (const row of rows) {
        const [run] = await store.runs.list(store.db, {
          triggerEventId: String(row.event_id),
          limit: 5,
        });
        out.push({
          invoice: row.subject,
          customer: row.entity_key,
          finalizedAt: iso(Number(row.received)),
          minutes: minutesSince(Number(row.received), now),
          status: run?.status ?? 'not started',
          reason: run?.error?.message ?? null,
        });
      }
      return out;
    },
  },
  activeRunsView(
    'amendments-awaiting-posting',
    'Amendments awaiting posting',
    'Won amendments (upgrades, downgrades) whose subscription change or proration invoice has not reached the ERP yet.',
    ['amendment'],
    field('opportunityId'),
  ),
  activeRunsView(
    'payments-not-applied',
    'Payments not yet applied',
    'Payments, failures and refunds from billing not yet applied in the ERP and shown in the CRM.',
    ['payment-status'],
    (input) => field('invoiceId')(input) || field('refundId')(input),
  ),
  activeRunsView(
    'deals-not-billed',
    'Won deals not yet billing',
    'Closed-won opportunities without a running subscription and posted first invoice.',
    ['quote-to-cash'],
    field('opportunityId'),
  ),
  activeRunsView(
    'usage-periods-held',
    'Usage periods held back',
    'Usage periods not yet billed because a source has not reported them completely.',
    ['usage-to-invoice'],
    (input) => `${field('subscriptionItemId')(input)} ${field('periodStart')(input).slice(0, 16)}`,
  ),
  {
    name: 'sync-conflicts',
    title: 'Sync conflicts',
    description:
      'Fields both sides changed since the last sync, and duplicate records, waiting for a person.',
    columns: [
      { name: 'customer', title: 'Customer', type: 'string' },
      { name: 'kind', title: 'Kind', type: 'string' },
      { name: 'field', title: 'Field', type: 'string' },
      { name: 'values', title: 'Values', type: 'json' },
      { name: 'message', title: 'Message', type: 'string' },
      { name: 'createdAt', title: 'Since', type: 'timestamp' },
    ],
    async rows(store, _now, limit) {
      return (await store.conflicts.list(store.db, { status: 'open', limit })).map((c) => ({
        customer: c.entityId,
        kind: c.kind,
        field: c.field,
        values: c.values,
        message: c.message,
        createdAt: iso(c.createdAt),
      }));
    },
  },
];

/** The business views on a store. */
export class StoreBusinessViews implements BusinessViews {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #systems: Record<Role, string>;

  /** `systems`: which system plays each role (cross-references are kept per system). */
  constructor(store: Store, now: () => number, systems: Record<Role, string>) {
    this.#store = store;
    this.#now = now;
    this.#systems = systems;
  }

  listViews(): BusinessViewInfo[] {
    return VIEWS.map(({ name, title, description }) => ({ name, title, description }));
  }

  async view(name: string, params: Record<string, string>): Promise<BusinessViewResult> {
    const definition = VIEWS.find((v) => v.name === name);
    if (!definition) throw new NotFoundError(`no business view ${name}`);
    const limit = Math.min(1000, Math.max(1, Number(params.limit ?? 200) || 200));
    return {
      columns: definition.columns,
      rows: await definition.rows(this.#store, this.#now(), limit, this.#systems),
    };
  }
}
