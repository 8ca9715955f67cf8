import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/support/stores.ts';
import { FLOW_NAMES } from '../config/define-config.ts';
import { resolveConfig, type ResolvedConfig } from '../config/load-config.ts';
import type { PollSource } from '../connectors/ports.ts';
import { OutboundGateway } from '../gateway/outbound-gateway.ts';
import { EntityKeyResolver } from '../ingest/entity-keys.ts';
import { PollRunner } from '../ingest/poll-runner.ts';
import { Inbox } from '../store/inbox.ts';
import { Runtime, type RuntimeConnectors, type RuntimeOptions } from './runtime.ts';

function source(cursorName: string, catchUp = false, polls: number[] = []): PollSource {
  return {
    cursorName,
    ...(catchUp && { catchUp: true }),
    poll: async (cursor) => {
      polls.push(Date.now());
      return { events: [], cursor: cursor ?? '', hasMore: false };
    },
  };
}

function connector(system: string, pollers: PollSource[], webhooks: boolean) {
  return {
    system,
    port: {},
    connection: {},
    pollers,
    ...(webhooks && { webhooks: { system } }),
    check: async () => {},
  };
}

function configWith(connections: Record<string, object>): ResolvedConfig {
  const config = resolveConfig(
    {
      connections: {},
      flows: Object.fromEntries(FLOW_NAMES.map((f) => [f, false])),
      regions: { NA: { subsidiary: '1', currency: 'USD' } },
      defaultRegion: 'NA',
    },
    {},
  );
  return { ...config, connections } as ResolvedConfig;
}

async function intervalsOf(
  connections: Record<string, object>,
  connectors: RuntimeConnectors,
  options: Pick<RuntimeOptions, 'pollIntervalMs' | 'catchUpPollIntervalMs'> = {},
): Promise<Record<string, number>> {
  const store = await openTestStore('sqlite');
  try {
    const runtime = new Runtime(configWith(connections), {
      store,
      gateway: new OutboundGateway(),
      connectors,
      api: false,
      logger: pino({ level: 'silent' }),
      ...options,
    });
    return Object.fromEntries(
      Object.values(connectors)
        .flatMap((c) => c.pollers)
        .map((s) => [s.cursorName, runtime.polls.intervalOf(s)]),
    );
  } finally {
    await store.dispose();
  }
}

describe('poll intervals per connection', () => {
  const stack = (billingWebhooks: boolean) =>
    ({
      crm: connector('crm-x', [source('crm:changes')], false),
      billing: connector(
        'billing-x',
        [source('billing:events', true), source('billing:other')],
        billingWebhooks,
      ),
      erp: connector('erp-x', [source('erp:customers'), source('erp:transactions')], false),
    }) as unknown as RuntimeConnectors;

  it('polls each connection at its own interval, and a catch-up behind webhooks at 10 s', async () => {
    const intervals = await intervalsOf(
      { crm: { system: 'crm-x', pollIntervalMs: 250 }, erp: { system: 'erp-x' } },
      stack(true),
    );
    expect(intervals).toEqual({
      'crm:changes': 250,
      'billing:events': 10_000,
      'billing:other': 1_000,
      'erp:customers': 1_000,
      'erp:transactions': 1_000,
    });
  });

  it('polls the event list as the feed when the connection receives no webhooks', async () => {
    const intervals = await intervalsOf({ billing: { system: 'billing-x' } }, stack(false));
    expect(intervals['billing:events']).toBe(1_000);
  });

  it("takes the connection's catch-up interval, never shorter than its feed interval", async () => {
    const connectors = stack(true);
    expect(
      await intervalsOf(
        { billing: { system: 'billing-x', catchUpPollIntervalMs: 3_000 } },
        connectors,
      ),
    ).toMatchObject({ 'billing:events': 3_000 });
    expect(
      await intervalsOf(
        { billing: { system: 'billing-x', pollIntervalMs: 5_000, catchUpPollIntervalMs: 3_000 } },
        connectors,
      ),
    ).toMatchObject({ 'billing:events': 5_000, 'billing:other': 5_000 });
  });

  it("lets the runtime's options override every connection", async () => {
    const intervals = await intervalsOf(
      { crm: { system: 'crm-x', pollIntervalMs: 5_000 } },
      stack(true),
      { pollIntervalMs: 100, catchUpPollIntervalMs: 400 },
    );
    expect(intervals).toMatchObject({
      'crm:changes': 100,
      'billing:events': 400,
      'erp:customers': 100,
    });
  });
});

describe('PollRunner', () => {
  it('rests each source for its own interval between polls', async () => {
    const store = await openTestStore('sqlite');
    const fast: number[] = [];
    const slow: number[] = [];
    const sources = [source('fast', false, fast), source('slow', true, slow)];
    const runner = new PollRunner(sources, {
      inbox: new Inbox(store),
      keys: new EntityKeyResolver(store),
      logger: pino({ level: 'silent' }),
      intervalOf: (s) => (s.cursorName === 'slow' ? 60_000 : undefined),
      intervalMs: 20,
    });
    try {
      runner.start();
      await new Promise((resolve) => setTimeout(resolve, 400));
    } finally {
      await runner.stop();
      await store.dispose();
    }
    expect(slow).toHaveLength(1);
    expect(fast.length).toBeGreaterThan(3);
  });
});
