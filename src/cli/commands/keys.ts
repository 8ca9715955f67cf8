import { Option, type Command } from 'commander';
import type { ApiKeys } from '../../governance/api-keys.ts';
import { ROLES, type Role } from '../../governance/roles.ts';
import type { Store } from '../../store/store.ts';
import { fail, print, table } from '../output.ts';
import { storeOption, type StoreOptions } from '../store-option.ts';

/** The audit actor of key changes made from the command line. */
const CLI_ACTOR = 'cli';

/**
 * `revsync keys create|list|revoke`: API key management straight on the store — the bootstrap
 * path for the first admin key, and a way back in when every admin key is lost.
 */
export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').description('manage API keys of the HTTP API');

  storeOption(keys.command('create'))
    .description('create an API key and print it once (only its hash is stored)')
    .addOption(
      new Option('--role <role>', 'what the key may do').choices(ROLES).makeOptionMandatory(),
    )
    .requiredOption(
      '--name <name>',
      'who or what uses the key; recorded as the actor of its writes',
    )
    .option('--json', 'print as JSON')
    .action(async (options: StoreOptions & { role: Role; name: string; json?: boolean }) => {
      await withStore(options, async (_store, keys) => {
        const created = await keys.create(
          { name: options.name, role: options.role },
          { actor: CLI_ACTOR },
        );
        print(
          {
            key: created.key,
            id: created.info.id,
            name: created.info.name,
            role: created.info.role,
          },
          options,
          (k) =>
            [
              `created ${k.role} key "${k.name}" (id ${k.id})`,
              '',
              `  ${k.key}`,
              '',
              'Store it now: it is not shown again. Send it as "Authorization: Bearer <key>".',
            ].join('\n'),
        );
      });
    });

  storeOption(keys.command('list'))
    .description('list API keys (never the keys themselves)')
    .option('--all', 'include revoked keys')
    .option('--json', 'print as JSON')
    .action(async (options: StoreOptions & { all?: boolean; json?: boolean }) => {
      await withStore(options, async (_store, keys) => {
        const list = await keys.list({ includeRevoked: options.all === true });
        const rows = list.map((k) => ({
          id: k.id,
          name: k.name,
          role: k.role,
          created: new Date(k.createdAt).toISOString(),
          lastUsed: k.lastUsedAt === null ? '' : new Date(k.lastUsedAt).toISOString(),
          revoked: k.revokedAt === null ? '' : new Date(k.revokedAt).toISOString(),
        }));
        print(rows, options, (r) =>
          table(r, ['id', 'name', 'role', 'created', 'lastUsed', 'revoked']),
        );
      });
    });

  storeOption(keys.command('revoke'))
    .description('revoke an API key at once')
    .argument('<id>', 'the key id (the part after rsk_)')
    .option('--json', 'print as JSON')
    .action(async (id: string, options: StoreOptions & { json?: boolean }) => {
      await withStore(options, async (_store, keys) => {
        const revoked = await keys.revoke(id, { actor: CLI_ACTOR });
        print(revoked, options, (k) => `revoked key "${k.name}" (id ${k.id})`);
      });
    });
}

async function withStore(
  options: StoreOptions & { json?: boolean },
  work: (store: Store, keys: ApiKeys) => Promise<void>,
): Promise<void> {
  try {
    const [{ openStore }, { ApiKeys }] = await Promise.all([
      import('../../store/open-store.ts'),
      import('../../governance/api-keys.ts'),
    ]);
    const store = await openStore({ url: options.store });
    try {
      await work(store, new ApiKeys(store));
    } finally {
      await store.close();
    }
  } catch (caught) {
    fail(caught, options);
  }
}
