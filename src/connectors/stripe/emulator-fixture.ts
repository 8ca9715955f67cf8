/**
 * Test support (not used at run time): the Stripe emulator on an ephemeral port, an SDK client
 * to arrange and inspect its state, and connectors on fresh outbound connections.
 */
import Stripe from 'stripe';
import type { BillingSystem, Connector } from '../ports.ts';
import {
  OutboundConnection,
  type CallRecord,
  type ConnectionSettings,
} from '../../gateway/outbound-gateway.ts';
import {
  startStripeEmulator,
  type StripeEmulator,
  type StripeEmulatorOptions,
} from '@revsync/emulators/stripe';
import { createStripeConnector, type StripeConnectorOptions } from './connector.ts';

/** The API key the fixtures use (any `sk_test_…` key works on the emulator). */
export const TEST_API_KEY = 'sk_test_revsync_connector';

/** A running emulator plus helpers. */
export interface StripeFixture {
  emu: StripeEmulator;
  /** A plain SDK client for arranging and checking state. */
  sdk: Stripe;
  /** A connector on a fresh connection (own governor and circuit). */
  connector(
    options?: Partial<Omit<StripeConnectorOptions, 'connection'>> & {
      settings?: Partial<ConnectionSettings>;
      /** Told of every outside call (one HTTP request), with its operation. */
      onCall?: (record: CallRecord) => void;
    },
  ): Connector<BillingSystem>;
  /** A new test clock at `frozenTime` (Unix seconds). */
  clock(frozenTime: number): Promise<string>;
  /** Advances a test clock and waits until it is ready. */
  advance(clockId: string, frozenTime: number): Promise<void>;
  /** A fresh idempotency key. */
  key(): string;
  close(): Promise<void>;
}

/** Starts the emulator (no rate limit unless asked) and returns the helpers. */
export async function startStripeFixture(
  options: StripeEmulatorOptions = {},
): Promise<StripeFixture> {
  const emu = await startStripeEmulator({ port: 0, rateLimit: 0, ...options });
  const sdk = new Stripe(TEST_API_KEY, {
    host: '127.0.0.1',
    port: emu.port,
    protocol: 'http',
    maxNetworkRetries: 0,
  });
  let keys = 0;
  let connections = 0;
  return {
    emu,
    sdk,
    connector({ settings, onCall, ...rest } = {}) {
      const connection = new OutboundConnection(
        `stripe-${++connections}`,
        { system: 'stripe', ...settings },
        { ...(onCall && { onCall }) },
      );
      return createStripeConnector({
        apiKey: TEST_API_KEY,
        baseUrl: emu.url,
        connection,
        ...rest,
      });
    },
    async clock(frozenTime) {
      return (await sdk.testHelpers.testClocks.create({ frozen_time: frozenTime })).id;
    },
    async advance(clockId, frozenTime) {
      await sdk.testHelpers.testClocks.advance(clockId, { frozen_time: frozenTime });
      for (;;) {
        const clock = await sdk.testHelpers.testClocks.retrieve(clockId);
        if (clock.status === 'ready') return;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    key: () => `test-key-${++keys}`,
    close: () => emu.close(),
  };
}

/** Unix seconds of a UTC date (month from 0). */
export function utcSeconds(year: number, month: number, day: number, hour = 0): number {
  return Date.UTC(year, month, day, hour) / 1000;
}
