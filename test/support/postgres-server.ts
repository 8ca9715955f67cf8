import { spawnSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../src/sim/free-port.ts';

/** A PostgreSQL server the tests can reach, and how to stop it. */
export interface TestPostgres {
  /** Connection string to the maintenance database; tests create their own databases in it. */
  url: string;
  /** Where it came from, for the test output. */
  description: string;
  stop(): Promise<void>;
}

/**
 * Provides PostgreSQL for the test suite.
 *
 * `REVSYNC_TEST_PG_URL` points at an existing server. Otherwise a throwaway server is started
 * with `initdb` + `pg_ctl` on a temporary data directory and a free port, so the suite needs no
 * running service; as root it runs as the `postgres` system user, because PostgreSQL refuses to
 * run as root. Any failure throws: the PostgreSQL half of the suite is never skipped silently.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const given = process.env.REVSYNC_TEST_PG_URL;
  if (given) {
    await waitUntilAccepting(given, 5_000);
    return {
      url: given,
      description: `REVSYNC_TEST_PG_URL (${redact(given)})`,
      stop: async () => {},
    };
  }
  const bin = findPostgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'revsync-pg-'));
  chmodSync(dir, 0o777);
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const asRoot = userInfo().uid === 0;
  const run = (cmd: string, args: string[]) => {
    const full = asRoot
      ? (['runuser', ['-u', 'postgres', '--', cmd, ...args]] as const)
      : ([cmd, args] as const);
    const r = spawnSync(full[0], [...full[1]], { encoding: 'utf8' });
    if (r.status !== 0) {
      throw new Error(
        `${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout || r.error?.message}`,
      );
    }
  };
  run(join(bin, 'initdb'), [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth=trust',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=on`;
  run(join(bin, 'pg_ctl'), [
    '-D',
    dataDir,
    '-o',
    opts,
    '-l',
    join(dir, 'server.log'),
    '-w',
    '-t',
    '60',
    'start',
  ]);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await waitUntilAccepting(url, 30_000);
  return {
    url,
    description: `throwaway server from ${bin} on port ${port}`,
    stop: async () => {
      const stop = asRoot
        ? spawn('runuser', [
            '-u',
            'postgres',
            '--',
            join(bin, 'pg_ctl'),
            '-D',
            dataDir,
            '-m',
            'immediate',
            '-w',
            'stop',
          ])
        : spawn(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      await new Promise((resolve) => stop.on('close', resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function findPostgresBin(): string {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    for (const v of readdirSync(debian).sort((a, b) => Number(b) - Number(a))) {
      candidates.push(join(debian, v, 'bin'));
    }
  }
  for (const p of (process.env.PATH ?? '').split(':')) candidates.push(p);
  const found = candidates.find(
    (d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl')),
  );
  if (!found) {
    throw new Error(
      'PostgreSQL server binaries (initdb, pg_ctl) not found. Install them (Debian: apt-get install -y postgresql) ' +
        'or set REVSYNC_TEST_PG_URL to a running server.',
    );
  }
  return found;
}

async function waitUntilAccepting(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('select 1');
      await client.end();
      return;
    } catch (err) {
      last = err;
      await client.end().catch(() => {});
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`PostgreSQL at ${redact(url)} did not accept connections: ${String(last)}`);
}

function redact(url: string): string {
  return url.replace(/:\/\/([^:@/]+):[^@/]+@/, '://$1:***@');
}
