import type { Runtime } from '../app/runtime.ts';

/**
 * Waits until revsync is quiet: pollers read everything, the inbox is routed, and no run is
 * queued, running or waiting — twice in a row, so late webhooks and retries are counted. Gives up
 * after `timeoutMs` (the invariant report then lists what is still in flight).
 */
export async function settle(
  runtime: Runtime,
  options: {
    flushWebhooks?: () => Promise<void>;
    timeoutMs: number;
    onWait?: (busy: Record<string, number>) => void;
  },
): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  let quietRounds = 0;
  let lastReport = 0;
  while (Date.now() < deadline) {
    await options.flushWebhooks?.();
    await runtime.polls.pollAll().catch(() => 0);
    const runs = await runtime.store.runs.countByStatus(runtime.store.db);
    // Runs held behind a parked run of their customer wait for a person, not for revsync.
    const held = await runtime.store.runs.countHeldBehindParked(runtime.store.db);
    const inbox = await runtime.store.inbox.countByStatus(runtime.store.db);
    const busy = {
      queued: (runs.queued ?? 0) - (held.queued ?? 0),
      running: runs.running ?? 0,
      waiting: (runs.waiting ?? 0) - (held.waiting ?? 0),
      unrouted: inbox.received ?? 0,
    };
    if (busy.queued + busy.running + busy.waiting + busy.unrouted === 0) {
      quietRounds += 1;
      if (quietRounds >= 2) return true;
    } else {
      quietRounds = 0;
      if (Date.now() - lastReport > 5_000) {
        options.onWait?.(busy);
        lastReport = Date.now();
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}
