import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { chromium, type BrowserContext } from 'playwright-core';
import { describe, it } from 'vitest';
import { DEMO_KEYS, startDemo, type RunningDemo } from '../../src/sim/demo.ts';
import type { FaultLevel } from '../../src/sim/environment.ts';

/** Where Debian installs Chromium; `CHROMIUM_PATH` overrides it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM_PATH)
    ? undefined
    : `Chromium is not installed at ${CHROMIUM_PATH}: install it (Debian: apt-get install -y chromium) or set CHROMIUM_PATH`;
}

/**
 * `describe` for a browser suite: skipped, with the reason in its name, only where Chromium is
 * not installed; under CI (`CI` set) a missing Chromium fails instead, so CI never skips it.
 */
export function describeInChromium(name: string, suite: () => void): void {
  const missing = chromiumMissing();
  if (missing && process.env.CI) {
    describe(name, () => {
      it('needs Chromium', () => {
        throw new Error(`${missing} — CI must install it to run the browser tests`);
      });
    });
  }
  describe.skipIf(missing !== undefined)(
    `${name}${missing ? ` (skipped: ${missing})` : ''}`,
    suite,
  );
}

/** The demo's known keys by role. */
export const KEYS = {
  admin: DEMO_KEYS.find((k) => k.role === 'admin')!.key,
  operator: DEMO_KEYS.find((k) => k.role === 'operator')!.key,
  approver: DEMO_KEYS.find((k) => k.role === 'approver')!.key,
  viewer: DEMO_KEYS.find((k) => k.role === 'viewer')!.key,
};

/** A free TCP port on 127.0.0.1 (the Stripe emulator's webhook URL needs the API's port up front). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface BrowserDemo {
  demo: RunningDemo;
  url: string;
  stop(): Promise<void>;
}

/**
 * A real `revsync demo` in this process: the three emulators on free ports, revsync on a
 * throwaway SQLite file, the API and dashboard on a free port, steady traffic without faults.
 */
export async function startBrowserDemo(
  options: {
    trafficTickMs?: number;
    seed?: number;
    faults?: FaultLevel;
    port?: number;
    /** Steady simulated traffic (default on). */
    traffic?: boolean;
  } = {},
): Promise<BrowserDemo> {
  const dir = mkdtempSync(join(tmpdir(), 'revsync-ui-'));
  const port = options.port ?? (await freePort());
  const demo = await startDemo({
    port,
    storeUrl: `sqlite:${join(dir, 'demo.db')}`,
    seed: options.seed ?? 7,
    faults: options.faults ?? 'none',
    traffic: options.traffic ?? true,
    trafficTickMs: options.trafficTickMs ?? 300,
    anyPorts: true,
    logger: pino({ level: process.env.REVSYNC_TEST_LOG ?? 'silent' }),
  });
  return {
    demo,
    url: demo.url,
    async stop() {
      await demo.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Debian's Chromium, headless, on a fresh profile directory. Playwright refuses
 * `--user-data-dir` among `launch()` arguments, so the profile is given the way it accepts:
 * `launchPersistentContext(dir)`.
 */
export async function launchChromium(): Promise<{
  context: BrowserContext;
  close(): Promise<void>;
}> {
  const profile = mkdtempSync(join(tmpdir(), 'revsync-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1440, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
