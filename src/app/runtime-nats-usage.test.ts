import { connect } from 'nats';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNats, type TestNats } from '../../test/support/nats-server.ts';
import { openTestStore } from '../../test/support/stores.ts';
import { FLOW_NAMES } from '../config/define-config.ts';
import { ConfigError, resolveConfig } from '../config/load-config.ts';
import { OutboundGateway } from '../gateway/outbound-gateway.ts';
import { Runtime, type RuntimeConnectors } from './runtime.ts';

let nats: TestNats;
beforeAll(async () => {
  nats = await startTestNats();
});
afterAll(async () => {
  await nats?.stop();
});

/** A connection that is never called: every flow is off. */
function idle(system: string) {
  return { system, port: {}, connection: {}, pollers: [], check: async () => {} };
}

function configWith(usage: Record<string, unknown>) {
  return resolveConfig(
    {
      connections: {},
      flows: Object.fromEntries(FLOW_NAMES.map((f) => [f, false])),
      regions: { NA: { subsidiary: '1', currency: 'USD' } },
      defaultRegion: 'NA',
      usage: { requiredSources: ['meter'], ...usage },
    },
    {},
  );
}

describe('runtime with usage.source (NATS JetStream) [sqlite]', () => {
  it('refuses a source without a stream, and a source that is not nats://', () => {
    const details = (usage: Record<string, unknown>) => {
      try {
        configWith(usage);
      } catch (caught) {
        expect(caught).toBeInstanceOf(ConfigError);
        return ((caught as ConfigError).details ?? []).map((d) => d.path);
      }
      return [];
    };
    expect(details({ source: 'nats://127.0.0.1:4222' })).toEqual(['usage.stream']);
    expect(details({ source: 'http://x', stream: 'usage' })).toEqual(['usage.source']);
    expect(details({ source: 'nats://127.0.0.1:4222', stream: 'usage' })).toEqual([]);
  });

  it('starts the consumer, stores what is published, drains on stop; a dead letter cannot be retried', async () => {
    const stream = `usage_rt_${process.pid}_${Date.now().toString(36)}`;
    const config = configWith({ source: nats.url, stream, consumer: 'rt', batchSize: 50 });
    const store = await openTestStore('sqlite');
    const runtime = new Runtime(config, {
      store,
      gateway: new OutboundGateway(),
      connectors: {
        crm: idle('crm-x'),
        billing: idle('billing-x'),
        erp: idle('erp-x'),
      } as unknown as RuntimeConnectors,
      api: false,
      logger: pino({ level: 'silent' }),
    });
    const nc = await connect({ servers: nats.url });
    try {
      await runtime.start({ port: 0 });
      expect(runtime.natsUsage).toBeDefined();
      const js = nc.jetstream();
      const enc = new TextEncoder();
      for (let i = 0; i < 120; i++) {
        await js.publish(
          `${stream}.a`,
          enc.encode(
            JSON.stringify({
              subscriptionItemId: 'si_1',
              quantity: 2,
              timestamp: '2026-03-02T00:00:00Z',
              source: 'meter',
              dedupeKey: `k${i}`,
            }),
          ),
        );
      }
      await js.publish(`${stream}.a`, enc.encode('[]'));
      const jsm = await nc.jetstreamManager();
      for (let t = 0; ; t++) {
        const info = await jsm.consumers.info(stream, 'rt');
        if (info.num_pending === 0 && info.num_ack_pending === 0) break;
        if (t > 300) throw new Error('not consumed');
        await new Promise((r) => setTimeout(r, 50));
      }
      const tally = await store.usage.tally(
        store.db,
        'si_1',
        Date.parse('2026-03-01T00:00:00Z'),
        Date.parse('2026-04-01T00:00:00Z'),
      );
      expect(tally).toEqual([{ source: 'meter', count: 120, sum: 240 }]);
      const [dead] = await runtime.engine.exceptions.list({ status: 'open' });
      expect(dead).toMatchObject({ kind: 'message', id: `nats:${stream}:121` });
      await expect(runtime.engine.exceptions.retry(dead!.id, { actor: 'ann' })).rejects.toThrow(
        /dead-lettered stream message/,
      );
      const skipped = await runtime.engine.exceptions.skip(dead!.id, {
        actor: 'ann',
        reason: 'producer fixed',
      });
      expect(skipped.status).toBe('skipped');
    } finally {
      await runtime.stop();
      await (await nc.jetstreamManager()).streams.delete(stream).catch(() => false);
      await nc.close();
      await store.dispose().catch(() => {});
    }
  });
});
