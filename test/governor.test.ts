import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStripeConnector } from '../src/connectors/stripe/connector.ts';
import { startStripeEmulator } from '@revsync/emulators/stripe';
import { OutboundGateway } from '../src/gateway/outbound-gateway.ts';

const N = 20;

describe('outbound governor against a rate-limited API (Stripe emulator, N requests/s)', () => {
  let emulator: Awaited<ReturnType<typeof startStripeEmulator>>;
  let invoiceId = '';

  beforeAll(async () => {
    emulator = await startStripeEmulator({ port: 0, rateLimit: N });
    const stripe = new Stripe('sk_test_governor', {
      host: '127.0.0.1',
      port: emulator.port,
      protocol: 'http',
      maxNetworkRetries: 5,
    });
    const customer = await stripe.customers.create({
      name: 'Governed',
      payment_method: 'pm_card_visa',
      invoice_settings: { default_payment_method: 'pm_card_visa' },
    });
    const price = await stripe.prices.create({
      currency: 'usd',
      unit_amount: 1000,
      recurring: { interval: 'month' },
      product_data: { name: 'Seat' },
    });
    const sub = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: price.id }],
    });
    invoiceId = String(sub.latest_invoice);
    await new Promise((r) => setTimeout(r, 1_100)); // let the emulator's bucket refill
  });
  afterAll(async () => emulator.close());

  it('reaches at least 90 % of the limit with no 429 once the limit is known, and serves payments ahead of a backfill', async () => {
    const gateway = new OutboundGateway();
    const connection = gateway.connection('stripe', {
      system: 'stripe',
      limits: { ratePerSecond: N },
    });
    const stripe = createStripeConnector({
      apiKey: 'sk_test_governor',
      baseUrl: emulator.url,
      connection,
    });
    emulator.app.requests.clear();
    const done: string[] = [];
    const backfill = Array.from({ length: 3 * N }, (_, i) =>
      stripe.port.listInvoices({}, { lane: 'low' }).then(() => done.push(`backfill-${i}`)),
    );
    while (connection.governor.state().granted < 5) await new Promise((r) => setTimeout(r, 5));
    const payments = Array.from({ length: 5 }, (_, i) =>
      stripe.port.getInvoice(invoiceId, { lane: 'critical' }).then(() => done.push(`payment-${i}`)),
    );
    await Promise.all([...backfill, ...payments]);

    const log = emulator.app.requests.list();
    expect(log.filter((e) => e.status === 429)).toEqual([]);
    expect(log.every((e) => e.status === 200)).toBe(true);
    const arrivals = log.map((e) => e.at).sort((a, b) => a - b);
    const rate = ((arrivals.length - 1) * 1000) / (arrivals[arrivals.length - 1]! - arrivals[0]!);
    console.log(
      `[governor] ${arrivals.length} requests at ${rate.toFixed(1)}/s against a limit of ${N}/s; payments finished at positions ${done.flatMap((d, i) => (d.startsWith('payment') ? [i + 1] : [])).join(', ')} of ${done.length}`,
    );
    expect(rate).toBeGreaterThanOrEqual(0.9 * N);
    // Payments queued behind 55 waiting backfill calls are all served within the next few grants.
    const lastPayment = Math.max(...done.flatMap((d, i) => (d.startsWith('payment') ? [i] : [])));
    expect(lastPayment).toBeLessThan(15);
  });
});
