import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulatorServer, type EmulatorServer } from './emulator-server.ts';
import { parseFormBody } from './form-body.ts';
import { createRng, type Rng } from './rng.ts';

// The SDK's own encoder is not exported; load it by file path to test against its exact output.
const require = createRequire(import.meta.url);
const stripeUtils = require(join(dirname(require.resolve('stripe')), 'utils.js')) as {
  queryStringifyRequestData(data: unknown): string;
};
const encode = (data: unknown): string => stripeUtils.queryStringifyRequestData(data);

describe('parseFormBody', () => {
  it.each([
    ['metadata[order_id]=6735', { metadata: { order_id: '6735' } }],
    [
      'items[0][price]=price_1&items[0][quantity]=2',
      { items: [{ price: 'price_1', quantity: '2' }] },
    ],
    [
      'items[0][price]=a&items[1][price]=b&items[1][quantity]=3',
      { items: [{ price: 'a' }, { price: 'b', quantity: '3' }] },
    ],
    ['expand[0]=data.customer', { expand: ['data.customer'] }],
    ['expand[]=a&expand[]=b', { expand: ['a', 'b'] }],
    ['items%5B0%5D%5Bprice%5D=x', { items: [{ price: 'x' }] }],
    ['items%5b0%5d%5bprice%5d=x', { items: [{ price: 'x' }] }],
    ['a%5Bb%5D[c]=1', { a: { b: { c: '1' } } }],
    ['a[b][c][d][e][f]=deep', { a: { b: { c: { d: { e: { f: 'deep' } } } } } }],
    ['items[][x]=1&items[][y]=2&items[][x]=3', { items: [{ x: '1', y: '2' }, { x: '3' }] }],
    [
      'items[0][tax_rates][0]=t1&items[0][tax_rates][1]=t2',
      { items: [{ tax_rates: ['t1', 't2'] }] },
    ],
    ['a[2]=c&a[0]=a', { a: ['a', 'c'] }],
    ['a[10000]=x', { a: { '10000': 'x' } }],
    ['a[0]=x&a[k]=y', { a: { '0': 'x', k: 'y' } }],
    ['a=1&a=2', { a: ['1', '2'] }],
    ['metadata[note]=', { metadata: { note: '' } }],
    ['flag', { flag: '' }],
    ['name=Jane+Doe&email=j%2Bx%40e.com', { name: 'Jane Doe', email: 'j+x@e.com' }],
    ['description=%E2%82%AC+5+%26+more%3D', { description: '€ 5 & more=' }],
    ['a=1&&=2&b=3', { a: '1', b: '3' }],
    ['a=1&a[b]=2', { a: { b: '2' } }],
    ['a[b]=2&a=1', { a: '1' }],
    ['a[b=1', { 'a[b': '1' }],
    ['[a]=1', { '[a]': '1' }],
    ['a[b]c=1', { 'a[b]c': '1' }],
    ['__proto__[polluted]=1&ok=1', { ok: '1' }],
    ['a[__proto__][x]=1', {}],
    ['bad=%zz', { bad: '%zz' }],
    ['bad=%E0%A4%A', { bad: '\ufffd%A' }],
    ['', {}],
  ])('%s', (input, expected) => {
    expect(parseFormBody(input)).toEqual(expected);
  });

  it('does not pollute Object.prototype', () => {
    parseFormBody('__proto__[x]=1&constructor[prototype][y]=2');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(({} as Record<string, unknown>).y).toBeUndefined();
  });

  it('accepts a Buffer and URLSearchParams', () => {
    expect(parseFormBody(Buffer.from('a[b]=1'))).toEqual({ a: { b: '1' } });
    expect(parseFormBody(new URLSearchParams('a[0]=x'))).toEqual({ a: ['x'] });
  });

  it('decodes exactly what the Stripe SDK encodes (hand-picked)', () => {
    const params = {
      customer: 'cus_1',
      items: [
        { price: 'price_1', quantity: 2, tax_rates: ['txr_1', 'txr_2'] },
        {
          price_data: {
            currency: 'usd',
            product: 'prod_1',
            recurring: { interval: 'month' },
            unit_amount: 1999,
          },
        },
      ],
      metadata: { order_id: '6735', note: 'a&b=c [x]', empty: null },
      expand: ['latest_invoice.payment_intent', 'customer'],
      proration_behavior: 'create_prorations',
      cancel_at_period_end: false,
      billing_cycle_anchor: new Date(1_700_000_000_000),
    };
    const encoded = encode(params);
    expect(encoded).toContain('items[0][price]=price_1');
    expect(parseFormBody(encoded)).toEqual({
      customer: 'cus_1',
      items: [
        { price: 'price_1', quantity: '2', tax_rates: ['txr_1', 'txr_2'] },
        {
          price_data: {
            currency: 'usd',
            product: 'prod_1',
            recurring: { interval: 'month' },
            unit_amount: '1999',
          },
        },
      ],
      metadata: { order_id: '6735', note: 'a&b=c [x]', empty: '' },
      expand: ['latest_invoice.payment_intent', 'customer'],
      proration_behavior: 'create_prorations',
      cancel_at_period_end: 'false',
      billing_cycle_anchor: '1700000000',
    });
  });

  it('round-trips 300 random Stripe-style payloads through the SDK encoder', () => {
    const rng = createRng('form-roundtrip');
    for (let i = 0; i < 300; i++) {
      const value = randomObject(rng, 0);
      expect(parseFormBody(encode(value)), encode(value)).toEqual(normalise(value));
    }
  });
});

const KEY_CHARS = 'abcxyz_09 .-+&=%é€';
function randomKey(rng: Rng): string {
  let k = rng.pick(['a', 'b', 'meta', 'x']);
  for (let i = rng.int(0, 6); i > 0; i--) k += rng.pick([...KEY_CHARS]);
  return /^\d+$/.test(k) ? `k${k}` : k;
}
function randomScalar(rng: Rng): unknown {
  switch (rng.int(0, 4)) {
    case 0:
      return rng.int(-1000, 100000);
    case 1:
      return rng.chance(0.5);
    case 2:
      return null;
    default:
      return [...Array(rng.int(0, 8))].map(() => rng.pick([...'aZ9 +&=%?/[]#é€😀'])).join('');
  }
}
function randomValue(rng: Rng, depth: number): unknown {
  const r = depth >= 3 ? 0 : rng.int(0, 5);
  if (r <= 2) return randomScalar(rng);
  if (r === 3) return [...Array(rng.int(1, 3))].map(() => randomScalar(rng));
  if (r === 4) return [...Array(rng.int(1, 3))].map(() => randomObject(rng, depth + 1));
  return randomObject(rng, depth + 1);
}
function randomObject(rng: Rng, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = rng.int(1, 4); i > 0; i--) out[randomKey(rng)] = randomValue(rng, depth);
  return out;
}
/** What the parser should give back: scalars as strings, null as '' (Stripe's unset). */
function normalise(v: unknown): unknown {
  if (v === null) return '';
  if (Array.isArray(v)) return v.map(normalise);
  if (typeof v === 'object') {
    return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, normalise(x)]));
  }
  return String(v);
}

describe('the real Stripe SDK against a kit server', () => {
  let server: EmulatorServer;
  let stripe: Stripe;
  beforeAll(async () => {
    server = await createEmulatorServer({
      name: 'stripe-echo',
      routes: [
        {
          method: '*',
          path: '/v1/*',
          handler: (req) => ({
            status: 200,
            body: {
              id: 'obj_1',
              object: 'echo',
              method: req.method,
              body: req.body ?? null,
              query: req.query,
            },
          }),
        },
      ],
    });
    stripe = new Stripe('sk_test_kit', {
      host: '127.0.0.1',
      port: server.port,
      protocol: 'http',
      maxNetworkRetries: 0,
      telemetry: false,
    });
  });
  afterAll(() => server.close());

  it('decodes a subscription create body', async () => {
    const res = (await stripe.subscriptions.create({
      customer: 'cus_1',
      items: [{ price: 'price_1', quantity: 2 }, { price: 'price_2' }],
      metadata: { order_id: '6735' },
      expand: ['latest_invoice.payment_intent'],
      proration_behavior: 'none',
    })) as unknown as { body: unknown };
    expect(res.body).toEqual({
      customer: 'cus_1',
      items: [{ price: 'price_1', quantity: '2' }, { price: 'price_2' }],
      metadata: { order_id: '6735' },
      expand: ['latest_invoice.payment_intent'],
      proration_behavior: 'none',
    });
  });

  it('decodes list query parameters', async () => {
    const res = (await stripe.customers.list({
      limit: 3,
      created: { gte: 5 },
      expand: ['data.default_source'],
    })) as unknown as { query: unknown; method: string };
    expect(res.method).toBe('GET');
    expect(res.query).toEqual({
      limit: '3',
      created: { gte: '5' },
      expand: ['data.default_source'],
    });
  });
});
