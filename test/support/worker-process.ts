import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('../fixtures/durable-worker.ts', import.meta.url));

/** A durable-worker child process (see test/fixtures/durable-worker.ts). */
export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves when the engine has started. */
  ready: Promise<void>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  stderr(): string;
}

export function startWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (c) => (err += c));
  const ready = new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c) => {
      out += c;
      if (out.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before ready: ${err}`)));
  });
  ready.catch(() => {});
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, ready, exited, stderr: () => err };
}

/** Runs a worker to completion (seeding, or EXIT_WHEN_DONE); throws on a non-zero exit. */
export async function runWorker(env: Record<string, string>): Promise<void> {
  const w = startWorker(env);
  const code = await w.exited;
  if (code !== 0) throw new Error(`worker exited with ${code}: ${w.stderr()}`);
}
