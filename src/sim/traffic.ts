import type { Logger } from 'pino';
import type { Rng } from '@revsync/emulators/kit';
import {
  addLines,
  amend,
  billingOf,
  cancelWithCreditNote,
  createAccount,
  refundLatest,
  reportUsage,
  winDeal,
  type BilledCustomer,
  type SimCustomer,
  type UsageApi,
  type World,
} from './actions.ts';

const DAY = 86_400_000;

/**
 * The demo's steady business: every tick one thing happens — a new customer wins a deal, an
 * upgrade or downgrade, usage, a day passes on the billing test clock (renewals come due), a card
 * declines and is later replaced, a refund, a cancellation, now and then a duplicate account or a
 * deal closed without its products (which parks in the exception queue until someone adds them
 * and presses retry).
 */
export class DemoTraffic {
  readonly #world: World;
  readonly #usage: UsageApi;
  readonly #rng: Rng;
  readonly #log: Logger;
  readonly #tickMs: number;
  readonly #sims: SimCustomer[] = [];
  readonly #pending: SimCustomer[] = [];
  readonly #billed: BilledCustomer[] = [];
  readonly #declined: BilledCustomer[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #busy: Promise<void> = Promise.resolve();

  constructor(
    world: World,
    usage: UsageApi,
    rng: Rng,
    log: Logger,
    options: { tickMs?: number } = {},
  ) {
    this.#world = world;
    this.#usage = usage;
    this.#rng = rng;
    this.#log = log;
    this.#tickMs = options.tickMs ?? 1_500;
  }

  start(): void {
    this.#running = true;
    this.#schedule();
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#busy;
  }

  /** Customers created so far (the dashboard test reads them). */
  get customers(): readonly SimCustomer[] {
    return this.#sims;
  }

  /** Adds the forgotten products to a deal that was closed without them. */
  async addMissingLines(sim: SimCustomer): Promise<void> {
    if (!sim.opportunityId) return;
    await addLines(this.#world, sim.opportunityId, sim);
  }

  #schedule(): void {
    if (!this.#running) return;
    this.#timer = setTimeout(() => {
      this.#busy = this.#tick()
        .catch((caught: unknown) => this.#log.warn({ err: caught }, 'demo traffic action failed'))
        .finally(() => this.#schedule());
    }, this.#tickMs);
  }

  async #tick(): Promise<void> {
    await this.#collectBilled();
    const rng = this.#rng;
    const roll = rng.next();
    if (roll < 0.35 || this.#billed.length < 3) return void (await this.#newDeal());
    if (roll < 0.5) return this.#amend();
    if (roll < 0.6) return this.#usageReport();
    if (roll < 0.75) return this.#world.billing.advanceClock(2 * DAY);
    if (roll < 0.8) return this.#decline();
    if (roll < 0.86) return this.#recover();
    if (roll < 0.9)
      return void (await refundLatest(this.#world, rng, rng.pick(this.#billed).billingCustomerId));
    if (roll < 0.93) return this.#cancel();
    if (roll < 0.96) return this.#duplicate();
    return this.#dealWithoutProducts();
  }

  async #newDeal(options: { withoutLines?: boolean } = {}): Promise<SimCustomer> {
    const sim = await createAccount(this.#world, this.#rng, this.#sims.length);
    this.#sims.push(sim);
    await winDeal(this.#world, this.#rng, sim, options);
    this.#pending.push(sim);
    return sim;
  }

  async #dealWithoutProducts(): Promise<void> {
    await this.#newDeal({ withoutLines: true });
  }

  async #duplicate(): Promise<void> {
    if (this.#sims.length === 0) return;
    const original = this.#rng.pick(this.#sims);
    const sim = await createAccount(this.#world, this.#rng, this.#sims.length, original);
    this.#sims.push(sim);
    await winDeal(this.#world, this.#rng, sim);
  }

  async #amend(): Promise<void> {
    const target = this.#rng.pick(this.#billed);
    await amend(this.#world, this.#rng, target);
  }

  async #usageReport(): Promise<void> {
    const target = this.#rng.pick(this.#billed);
    const { deliverLate } = await reportUsage(
      this.#usage,
      this.#rng,
      target.subscriptionItemId,
      this.#rng.chance(0.3),
    );
    if (deliverLate) setTimeout(() => void deliverLate().catch(() => undefined), 20_000).unref();
  }

  async #decline(): Promise<void> {
    const target = this.#rng.pick(this.#billed.filter((b) => b.sim.interval === 'month'));
    if (!target || this.#declined.includes(target)) return;
    await this.#world.billing.setCard(target.billingCustomerId, 'declining');
    this.#declined.push(target);
  }

  async #recover(): Promise<void> {
    const target = this.#declined.shift();
    if (!target) return;
    await this.#world.billing.setCard(target.billingCustomerId, 'good');
    await this.#world.billing.payOpenInvoices(target.billingCustomerId);
  }

  async #cancel(): Promise<void> {
    const index = this.#rng.int(0, this.#billed.length - 1);
    const [target] = this.#billed.splice(index, 1);
    if (target) await cancelWithCreditNote(this.#world, target);
  }

  /** Deals revsync has turned into subscriptions (read back from the CRM). */
  async #collectBilled(): Promise<void> {
    for (const sim of this.#pending.splice(0, 5)) {
      const billed = await billingOf(this.#world, sim);
      if (billed) this.#billed.push(billed);
      else if (sim.lines.length > 0) this.#pending.push(sim);
    }
  }
}
