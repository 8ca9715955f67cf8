import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineConfig, env, file } from './define-config.ts';
import { ConfigError, loadConfig, resolveConfig } from './load-config.ts';

const ENV = {
  SALESFORCE_CLIENT_ID: 'id',
  SALESFORCE_CLIENT_SECRET: 'secret',
  STRIPE_API_KEY: 'sk_test_x',
  STRIPE_WEBHOOK_SECRET: 'whsec_x',
  NETSUITE_CONSUMER_KEY: 'ck',
  NETSUITE_CONSUMER_SECRET: 'cs',
  NETSUITE_TOKEN_ID: 'ti',
  NETSUITE_TOKEN_SECRET: 'ts',
};

const valid = defineConfig({
  connections: {
    crm: {
      system: 'salesforce',
      loginUrl: 'http://127.0.0.1:12112',
      clientId: env('SALESFORCE_CLIENT_ID'),
      clientSecret: env('SALESFORCE_CLIENT_SECRET'),
    },
    billing: {
      system: 'stripe',
      apiKey: env('STRIPE_API_KEY'),
      webhookSecret: env('STRIPE_WEBHOOK_SECRET'),
      baseUrl: 'http://127.0.0.1:12111',
    },
    erp: {
      system: 'netsuite',
      accountId: 'TSTDRV1',
      consumerKey: env('NETSUITE_CONSUMER_KEY'),
      consumerSecret: env('NETSUITE_CONSUMER_SECRET'),
      tokenId: env('NETSUITE_TOKEN_ID'),
      tokenSecret: env('NETSUITE_TOKEN_SECRET'),
    },
  },
  regions: { NA: { subsidiary: '1', currency: 'USD' }, EU: { subsidiary: '3', currency: 'EUR' } },
  defaultRegion: 'NA',
});

function problems(input: unknown, environment: Record<string, string> = ENV): string[] {
  try {
    resolveConfig(input, environment);
  } catch (caught) {
    expect(caught).toBeInstanceOf(ConfigError);
    return ((caught as ConfigError).details ?? []).map((d) => `${d.path}: ${d.message}`);
  }
  return [];
}

describe('configuration', () => {
  it('resolves env() references and enables every flow by default', () => {
    const config = resolveConfig(valid, ENV);
    expect(config.connections.billing?.apiKey).toBe('sk_test_x');
    expect(config.connections.erp?.tokenSecret).toBe('ts');
    expect([...config.enabledFlows]).toContain('quoteToCash');
  });

  it('names every mistake with its path, at once', () => {
    const broken = {
      ...valid,
      connections: {
        ...valid.connections,
        billing: { ...valid.connections.billing!, apiKey: 'sk_live_inline' },
      },
      defaultRegion: 'APAC',
      flows: { quoteToCsh: true },
    };
    expect(problems(broken)).toEqual(
      expect.arrayContaining([
        'connections.billing.apiKey: secrets must not be written in the configuration: write env("NAME") or file("/path") instead of the value',
        'flows: unknown setting "quoteToCsh"',
      ]),
    );
  });

  it('reports unset environment variables, an unknown default region and flows without their connection', () => {
    const { STRIPE_API_KEY: _unset, ...partial } = ENV;
    expect(problems({ ...valid, defaultRegion: 'APAC' }, partial)).toEqual([
      'connections.billing.apiKey: environment variable STRIPE_API_KEY is not set',
      'defaultRegion: "APAC" is not one of the regions (NA, EU)',
    ]);
    const noErp = { ...valid, connections: { ...valid.connections, erp: undefined } };
    expect(problems(noErp)).toContain(
      'flows.quoteToCash: needs connections.erp (or set flows.quoteToCash: false)',
    );
    expect(problems({ ...valid, surprise: 1 })).toEqual(['(root): unknown setting "surprise"']);
  });

  it('validates each connection with its connector, naming the path', () => {
    // `erp` is typed as any registered ERP's connection; this one is NetSuite's.
    const netsuite = valid.connections.erp as unknown as Record<string, unknown>;
    const { tokenSecret: _missing, ...erp } = netsuite;
    expect(problems({ ...valid, connections: { ...valid.connections, erp } })).toEqual([
      'connections.erp.tokenSecret: required',
    ]);
    const wrongRole = { ...valid.connections, erp: { ...valid.connections.billing! } };
    expect(problems({ ...valid, connections: wrongRole })).toEqual([
      'connections.erp.system: stripe is a billing system, not erp (put it under connections.billing)',
    ]);
    const unknown = { ...valid.connections, erp: { system: 'sap' } };
    expect(problems({ ...valid, connections: unknown })[0]).toMatch(
      /^connections\.erp\.system: unknown system "sap" \(erp systems: netsuite/,
    );
    expect(problems({ ...valid, connections: { ...valid.connections, ledger: {} } })).toContain(
      'connections.ledger: unknown role "ledger" (roles: crm, billing, erp)',
    );
  });

  it('answers the old connections shape (keyed by system) with the new one', () => {
    const { system: _s, ...salesforce } = valid.connections.crm!;
    const { system: _b, ...stripe } = valid.connections.billing!;
    const [problem] = problems({ ...valid, connections: { salesforce, stripe } });
    expect(problem).toContain('connections: connections are keyed by role, not by system');
    expect(problem).toContain("crm: { system: 'salesforce', loginUrl, clientId, clientSecret }");
    expect(problem).toContain("billing: { system: 'stripe', apiKey, webhookSecret, baseUrl }");
  });

  it('reads a secret from NAME_FILE when NAME is not set', () => {
    const dir = mkdtempSync(join(tmpdir(), 'revsync-secret-'));
    const file = join(dir, 'stripe-key');
    writeFileSync(file, 'sk_test_from_file\n');
    const { STRIPE_API_KEY: _unset, ...rest } = ENV;
    const config = resolveConfig(valid, { ...rest, STRIPE_API_KEY_FILE: file });
    expect(config.connections.billing?.apiKey).toBe('sk_test_from_file');
  });

  it('reads a secret from file() and names the setting, never the secret, when it cannot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'revsync-secret-'));
    const path = join(dir, 'netsuite-token-secret');
    writeFileSync(path, 'ts-from-file\r\n');
    const erp = { ...valid.connections.erp!, tokenSecret: file(path) };
    const config = resolveConfig({ ...valid, connections: { ...valid.connections, erp } }, ENV);
    expect(config.connections.erp?.tokenSecret).toBe('ts-from-file');

    const missing = { ...erp, tokenSecret: file(join(dir, 'nope')) };
    expect(problems({ ...valid, connections: { ...valid.connections, erp: missing } })).toEqual([
      `connections.erp.tokenSecret: cannot read ${join(dir, 'nope')} (from file()): no such file`,
    ]);
    writeFileSync(join(dir, 'empty'), '\n');
    const empty = { ...erp, tokenSecret: file(join(dir, 'empty')) };
    expect(problems({ ...valid, connections: { ...valid.connections, erp: empty } })).toEqual([
      `connections.erp.tokenSecret: ${join(dir, 'empty')} (from file()) is empty`,
    ]);
    // A literal secret is still refused.
    const literal = { ...erp, tokenSecret: 'ts-in-the-file' };
    const refused = problems({ ...valid, connections: { ...valid.connections, erp: literal } });
    expect(refused).toEqual([
      'connections.erp.tokenSecret: secrets must not be written in the configuration: write env("NAME") or file("/path") instead of the value',
    ]);
  });

  it('refuses NAME and NAME_FILE both set, and names an unreadable NAME_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'revsync-secret-'));
    const path = join(dir, 'stripe-key');
    writeFileSync(path, 'sk_test_from_file-secret-value\n');
    const both = problems(valid, { ...ENV, STRIPE_API_KEY_FILE: path });
    expect(both).toEqual([
      'connections.billing.apiKey: both STRIPE_API_KEY and STRIPE_API_KEY_FILE are set; set one of them',
    ]);
    const { STRIPE_API_KEY: _unset, ...rest } = ENV;
    const gone = problems(valid, { ...rest, STRIPE_API_KEY_FILE: join(dir, 'gone') });
    expect(gone).toEqual([
      `connections.billing.apiKey: cannot read ${join(dir, 'gone')} (from STRIPE_API_KEY_FILE): no such file`,
    ]);
    expect(problems(valid, rest)).toEqual([
      'connections.billing.apiKey: environment variable STRIPE_API_KEY is not set',
    ]);
    for (const text of [...both, ...gone]) expect(text).not.toContain('secret-value');
  });

  it('loads a config file and explains a missing default export', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'revsync-config-'));
    const good = join(dir, 'good.config.mjs');
    writeFileSync(good, `export default ${JSON.stringify(valid)};`);
    await expect(loadConfig(good, ENV)).resolves.toMatchObject({ defaultRegion: 'NA' });
    const bad = join(dir, 'bad.config.mjs');
    writeFileSync(bad, 'export const config = {};');
    await expect(loadConfig(bad, ENV)).rejects.toMatchObject({
      details: [{ message: 'has no default export: write `export default defineConfig({ … })`' }],
    });
    await expect(loadConfig(join(dir, 'missing.ts'), ENV)).rejects.toBeInstanceOf(ConfigError);
  });

  it('reads the audit signing key from env() or a PEM file, naming a wrong one by path', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const fromEnv = resolveConfig(
      { ...valid, audit: { signingKey: env('REVSYNC_AUDIT_KEY') } },
      { ...ENV, REVSYNC_AUDIT_KEY: pem },
    );
    expect(fromEnv.audit?.key.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(fromEnv.audit?.checkpointEvery).toEqual({ entries: 1000, minutes: 60 });

    const dir = mkdtempSync(join(tmpdir(), 'revsync-audit-key-'));
    const file = join(dir, 'audit.pem');
    writeFileSync(file, pem);
    const fromFile = resolveConfig(
      { ...valid, audit: { signingKey: file, checkpointEvery: { entries: 10 } } },
      ENV,
    );
    expect(fromFile.audit?.key.keyId).toBe(fromEnv.audit?.key.keyId);
    expect(fromFile.audit?.checkpointEvery).toEqual({ entries: 10, minutes: 60 });

    expect(problems({ ...valid, audit: { signingKey: env('REVSYNC_AUDIT_KEY') } })).toEqual([
      'audit.signingKey: environment variable REVSYNC_AUDIT_KEY is not set',
    ]);
    expect(
      problems(
        { ...valid, audit: { signingKey: env('REVSYNC_AUDIT_KEY') } },
        { ...ENV, REVSYNC_AUDIT_KEY: 'not a key' },
      ),
    ).toEqual([
      'audit.signingKey: environment variable REVSYNC_AUDIT_KEY: not a private key: expected PKCS #8 PEM or its DER in base64',
    ]);
    expect(problems({ ...valid, audit: { signingKey: join(dir, 'missing.pem') } })[0]).toMatch(
      /^audit\.signingKey: cannot read .*missing\.pem/,
    );
    expect(
      problems({
        ...valid,
        audit: { signingKey: file, checkpointEvery: { entries: 0, hours: 1 } },
      }),
    ).toEqual(
      expect.arrayContaining([
        'audit.checkpointEvery.entries: Too small: expected number to be >0',
        'audit.checkpointEvery: unknown setting "hours"',
      ]),
    );
    expect(problems({ ...valid, audit: {} })).toEqual([
      'audit.signingKey: required: env("NAME") or the path of a PEM file',
    ]);
  });
});
