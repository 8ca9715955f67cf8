import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { freePort } from '../../src/sim/free-port.ts';

/** A NATS server with JetStream the tests can reach, and how to stop it. */
export interface TestNats {
  url: string;
  /** Where it came from, for the test output. */
  description: string;
  stop(): Promise<void>;
}

const DEFAULT_URL = 'nats://127.0.0.1:4222';

/**
 * Provides NATS JetStream for a test file.
 *
 * `REVSYNC_TEST_NATS_URL` points at an existing server; otherwise one answering on
 * `nats://127.0.0.1:4222` is used; otherwise a throwaway `nats-server -js` is started on a free
 * port with a temporary store directory (`-sd`) and killed by `stop()`. Any failure throws: the
 * NATS tests are never skipped silently. Tests use their own stream names, so a shared server is
 * fine.
 */
export async function startTestNats(): Promise<TestNats> {
  const given = process.env.REVSYNC_TEST_NATS_URL;
  if (given) {
    await waitUntilAnswering(given, 5_000);
    return { url: given, description: `REVSYNC_TEST_NATS_URL (${given})`, stop: async () => {} };
  }
  if (await answers(DEFAULT_URL)) {
    return {
      url: DEFAULT_URL,
      description: `running server at ${DEFAULT_URL}`,
      stop: async () => {},
    };
  }
  const bin = findNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'revsync-nats-'));
  const port = await freePort();
  const child: ChildProcess = spawn(
    bin,
    ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', join(dir, 'jetstream')],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (c) => (err += c));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `nats://127.0.0.1:${port}`;
  try {
    await waitUntilAnswering(url, 15_000, () => child.exitCode !== null);
  } catch (caught) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${bin} did not start: ${String(caught)}\n${err}`);
  }
  return {
    url,
    description: `throwaway ${bin} on port ${port}`,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function findNatsServer(): string {
  const candidates = [
    process.env.NATS_SERVER_BIN,
    '/usr/sbin/nats-server',
    '/usr/bin/nats-server',
    ...(process.env.PATH ?? '').split(':').map((p) => join(p, 'nats-server')),
  ];
  const found = candidates.find((c): c is string => c !== undefined && c !== '' && existsSync(c));
  if (!found) {
    throw new Error(
      'nats-server not found. Install it (Debian: apt-get install -y nats-server), set ' +
        'NATS_SERVER_BIN, or set REVSYNC_TEST_NATS_URL to a running server with JetStream.',
    );
  }
  return found;
}

/** Whether a NATS server with JetStream answers at `url` (one quick attempt). */
async function answers(url: string): Promise<boolean> {
  try {
    const nc = await connect({ servers: url, timeout: 500, reconnect: false });
    try {
      await (await nc.jetstreamManager()).getAccountInfo();
      return true;
    } finally {
      await nc.close();
    }
  } catch {
    return false;
  }
}

async function waitUntilAnswering(
  url: string,
  timeoutMs: number,
  gaveUp: () => boolean = () => false,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await answers(url)) return;
    if (gaveUp()) throw new Error('the server exited');
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`NATS JetStream at ${url} did not answer within ${timeoutMs} ms`);
}
