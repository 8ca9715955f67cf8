import type { Clock } from '../engine/clock.ts';
import { USAGE_PERIOD_CLOSED } from '../flows/usage-to-invoice.ts';
import type { UsageCompleteness, UsageLedger } from '../flows/deps.ts';
import { ValidationError } from '../model/revsync-error.ts';
import type { Inbox } from '../store/inbox.ts';
import type { Store } from '../store/store.ts';

/** A usage record as accepted through the API. */
export interface UsageRecordInput {
  subscriptionItemId: string;
  quantity: number;
  timestamp: string;
  source: string;
  dedupeKey: string;
}

/** A source's statement that it has sent everything for a period. */
export interface UsageManifestInput {
  source: string;
  subscriptionItemId: string;
  periodStart: string;
  periodEnd: string;
  count: number;
  sum: number;
}

/**
 * The usage ledger: records de-duplicated per (source, dedupe key); manifests closing periods;
 * and the completeness check the usage-to-invoice flow bills by. Closing a period appends a
 * `revsync.usage.period_closed` event (one per subscription item and period) to the inbox.
 */
export class UsageService implements UsageLedger {
  readonly #store: Store;
  readonly #inbox: Inbox;
  readonly #clock: Clock;
  readonly #requiredSources: string[];

  constructor(store: Store, inbox: Inbox, clock: Clock, requiredSources: string[]) {
    this.#store = store;
    this.#inbox = inbox;
    this.#clock = clock;
    this.#requiredSources = requiredSources;
  }

  async record(records: UsageRecordInput[]): Promise<{ accepted: number; duplicates: number }> {
    const rows = records.map((r) => ({
      source: r.source,
      dedupeKey: r.dedupeKey,
      subscriptionItemId: r.subscriptionItemId,
      quantity: r.quantity,
      timestamp: parseTime(r.timestamp, 'timestamp'),
    }));
    const accepted = await this.#store.grouped((trx) =>
      this.#store.usage.insert(trx, rows, this.#clock.now()),
    );
    return { accepted, duplicates: records.length - accepted };
  }

  async closePeriod(
    manifest: UsageManifestInput,
  ): Promise<{ eventId: string; duplicate: boolean }> {
    const periodStart = parseTime(manifest.periodStart, 'periodStart');
    const periodEnd = parseTime(manifest.periodEnd, 'periodEnd');
    if (periodEnd <= periodStart) throw new ValidationError('periodEnd must be after periodStart');
    await this.#store.grouped((trx) =>
      this.#store.usage.putManifest(
        trx,
        { ...manifest, periodStart, periodEnd },
        this.#clock.now(),
      ),
    );
    const result = await this.#inbox.append({
      specversion: '1.0',
      id: `${manifest.subscriptionItemId}:${new Date(periodStart).toISOString()}`,
      source: 'revsync.usage',
      type: USAGE_PERIOD_CLOSED,
      subject: manifest.subscriptionItemId,
      time: new Date(this.#clock.now()).toISOString(),
      data: {
        subscriptionItemId: manifest.subscriptionItemId,
        periodStart: new Date(periodStart).toISOString(),
        periodEnd: new Date(periodEnd).toISOString(),
      },
    });
    return { eventId: result.eventId, duplicate: result.duplicate };
  }

  async completeness(input: {
    subscriptionItemId: string;
    periodStart: string;
    periodEnd: string;
  }): Promise<UsageCompleteness> {
    const start = parseTime(input.periodStart, 'periodStart');
    const end = parseTime(input.periodEnd, 'periodEnd');
    const [manifests, tallies] = await Promise.all([
      this.#store.usage.manifests(this.#store.db, input.subscriptionItemId, start),
      this.#store.usage.tally(this.#store.db, input.subscriptionItemId, start, end),
    ]);
    const problems: string[] = [];
    if (this.#clock.now() < end)
      problems.push(`the period has not ended (watermark ${new Date(end).toISOString()})`);
    const sources = new Set([...this.#requiredSources, ...manifests.map((m) => m.source)]);
    for (const source of sources) {
      const manifest = manifests.find((m) => m.source === source);
      const tally = tallies.find((t) => t.source === source) ?? { count: 0, sum: 0 };
      if (!manifest) {
        problems.push(`source ${source} has not closed the period`);
      } else if (manifest.count !== tally.count || manifest.sum !== tally.sum) {
        problems.push(
          `source ${source}: ${tally.count} of ${manifest.count} records, sum ${tally.sum} of ${manifest.sum}`,
        );
      }
    }
    for (const t of tallies) {
      if (!sources.has(t.source))
        problems.push(`source ${t.source} sent ${t.count} records but is not expected`);
    }
    const quantity = tallies.reduce((acc, t) => acc + t.sum, 0);
    const records = tallies.reduce((acc, t) => acc + t.count, 0);
    return { complete: problems.length === 0, problems, quantity, records };
  }
}

function parseTime(value: string, field: string): number {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new ValidationError(`${field} is not an ISO timestamp: ${value}`);
  return t;
}
