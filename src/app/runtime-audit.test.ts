import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../../test/support/stores.ts';
import { FLOW_NAMES } from '../config/define-config.ts';
import { resolveConfig } from '../config/load-config.ts';
import { OutboundGateway } from '../gateway/outbound-gateway.ts';
import { checkpointSignatureProblem } from '../governance/audit-signing.ts';
import { Runtime, type RuntimeConnectors } from './runtime.ts';

const dir = mkdtempSync(join(tmpdir(), 'revsync-runtime-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A connection that is never called: every flow is off. */
function idle(system: string) {
  return { system, port: {}, connection: {}, pollers: [], check: async () => {} };
}

describe('runtime with an audit section [sqlite]', () => {
  it('runs a checkpointer with the configured key, cadence and directory', async () => {
    const keyFile = join(dir, 'audit.pem');
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
    const config = resolveConfig(
      {
        connections: {},
        flows: Object.fromEntries(FLOW_NAMES.map((f) => [f, false])),
        regions: { NA: { subsidiary: '1', currency: 'USD' } },
        defaultRegion: 'NA',
        audit: {
          signingKey: keyFile,
          checkpointEvery: { entries: 2 },
          checkpointDir: join(dir, 'checkpoints'),
        },
      },
      {},
    );
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
    try {
      await runtime.start({ port: 0 });
      for (const n of [1, 2]) {
        await store.audit.record(store.db, {
          at: n,
          actor: 'ann',
          action: 'x',
          targetType: 't',
          targetId: String(n),
          details: {},
        });
      }
      const checkpoint = await runtime.checkpoints!.tick();
      expect(checkpoint).toMatchObject({ seq: 2, keyId: config.audit!.key.keyId });
      expect(checkpointSignatureProblem(checkpoint!, config.audit!.key.publicKey)).toBeUndefined();
      expect(readdirSync(join(dir, 'checkpoints'))).toEqual(['checkpoint-2.json']);
    } finally {
      await runtime.stop();
      await store.dispose().catch(() => {});
    }
  });
});
