import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  DEFAULT_ROTATION_GRACE_MS,
  parseKeyDuration,
  type ApiKeyInfo,
  type ApiKeys,
} from '../../governance/api-keys.ts';
import { ROLES, type Role } from '../../governance/roles.ts';
import type { Store } from '../../store/store.ts';
import { fail, print, table } from '../output.ts';
import { storeOption, type StoreOptions } from '../store-option.ts';

/** The audit actor of key changes made from the command line. */
const CLI_ACTOR = 'cli';

/** `--expires-in 90d` / `--grace 24h` as milliseconds; a usage error when malformed. */
function durationOption(name: string, allowZero: boolean) {
  return (text: string): number => {
    const ms = parseKeyDuration(text);
    if (ms === undefined || (!allowZero && ms === 0)) {
      throw new InvalidArgumentError(
        `${name}: a duration such as 90d, 24h, 30m or 45s${allowZero ? ' (0: none)' : ''}`,
      );
    }
    return ms;
  };
}

function scopesOption(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * `revsync keys create|list|rotate|revoke`: API key management straight on the store — the bootstrap
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
    .option(
      '--expires-in <duration>',
      'the key stops working after this long (90d, 24h, 30m); default: never',
      durationOption('--expires-in', false),
    )
    .option(
      '--scopes <list>',
      'comma-separated scopes limiting the key below its role, <area>:<read|write|*> (e.g. usage:write)',
      scopesOption,
    )
    .option('--json', 'print as JSON')
    .action(
      async (
        options: StoreOptions & {
          role: Role;
          name: string;
          expiresIn?: number;
          scopes?: string[];
          json?: boolean;
        },
      ) => {
        await withStore(options, async (_store, keys) => {
          const created = await keys.create(
            {
              name: options.name,
              role: options.role,
              ...(options.scopes && { scopes: options.scopes }),
              ...(options.expiresIn !== undefined && { expiresAt: Date.now() + options.expiresIn }),
            },
            { actor: CLI_ACTOR },
          );
          print(shown(created), options, (k) =>
            [
              `created ${k.role} key "${k.name}" (id ${k.id})${describeLimits(k)}`,
              '',
              `  ${k.key}`,
              '',
              'Store it now: it is not shown again. Send it as "Authorization: Bearer <key>".',
            ].join('\n'),
          );
        });
      },
    );

  storeOption(keys.command('rotate'))
    .description(
      'issue a new secret for a key (same id, name, role, scopes); the old secret works until the grace period ends',
    )
    .argument('<id>', 'the key id (the part after rsk_)')
    .addOption(
      new Option(
        '--grace <duration>',
        'how long the old secret keeps working (24h, 30m, 0 for not at all)',
      )
        .argParser(durationOption('--grace', true))
        .default(DEFAULT_ROTATION_GRACE_MS, '24h'),
    )
    .option(
      '--expires-in <duration>',
      'the key stops working after this long from now; default: the lifetime it had, or never',
      durationOption('--expires-in', false),
    )
    .option('--json', 'print as JSON')
    .action(
      async (
        id: string,
        options: StoreOptions & { grace: number; expiresIn?: number; json?: boolean },
      ) => {
        await withStore(options, async (_store, keys) => {
          const rotated = await keys.rotate(
            id,
            {
              graceMs: options.grace,
              ...(options.expiresIn !== undefined && { expiresAt: Date.now() + options.expiresIn }),
            },
            { actor: CLI_ACTOR },
          );
          const previousUntil = rotated.info.previousSecretExpiresAt;
          print(
            {
              ...shown(rotated),
              previousSecretExpiresAt:
                previousUntil === null ? null : new Date(previousUntil).toISOString(),
            },
            options,
            (k) =>
              [
                `rotated ${k.role} key "${k.name}" (id ${k.id})${describeLimits(k)}`,
                '',
                `  ${k.key}`,
                '',
                `The old secret works until ${k.previousSecretExpiresAt ?? 'now'}; then it is refused.`,
                'Store the new key now: it is not shown again.',
              ].join('\n'),
          );
        });
      },
    );

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
          expires: k.expiresAt === null ? '' : new Date(k.expiresAt).toISOString(),
          scopes: k.scopes?.join(',') ?? '',
          revoked: k.revokedAt === null ? '' : new Date(k.revokedAt).toISOString(),
        }));
        print(rows, options, (r) =>
          table(r, ['id', 'name', 'role', 'created', 'lastUsed', 'expires', 'scopes', 'revoked']),
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

/** What `create` and `rotate` print: the key (once) and what limits it. */
function shown({ key, info }: { key: string; info: ApiKeyInfo }) {
  return {
    key,
    id: info.id,
    name: info.name,
    role: info.role,
    scopes: info.scopes,
    expiresAt: info.expiresAt === null ? null : new Date(info.expiresAt).toISOString(),
  };
}

function describeLimits(k: { scopes: string[] | null; expiresAt: string | null }): string {
  return [
    k.scopes ? `, scopes ${k.scopes.join(', ')}` : '',
    k.expiresAt ? `, expires ${k.expiresAt}` : '',
  ].join('');
}

async function withStore(
  options: StoreOptions & { json?: boolean },
  work: (store: Store, keys: ApiKeys) => Promise<void>,
): Promise<void> {
  try {
    const [{ openStore }, { ApiKeys }, { API_ROUTES }, { scopeAreasOf }] = await Promise.all([
      import('../../store/open-store.ts'),
      import('../../governance/api-keys.ts'),
      import('../../api/routes/index.ts'),
      import('../../api/route-spec.ts'),
    ]);
    const store = await openStore({ url: options.store });
    try {
      await work(store, new ApiKeys(store, { scopeAreas: scopeAreasOf(API_ROUTES) }));
    } finally {
      await store.close();
    }
  } catch (caught) {
    fail(caught, options);
  }
}
