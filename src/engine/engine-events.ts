import type { RevsyncError } from '../model/revsync-error.ts';
import type { InboxRecord } from '../store/inbox-repository.ts';
import type { RunRecord } from '../store/run-repository.ts';

/** What the engine reports as it works; metrics, logs and live views subscribe to these. */
export interface EngineEvents extends Record<string, unknown> {
  'event.routed': { event: InboxRecord; runs: number };
  'event.poisoned': { event: InboxRecord; error: RevsyncError };
  'run.claimed': { run: RunRecord };
  'run.completed': { run: RunRecord; durationMs: number };
  'run.retrying': { run: RunRecord; step: string; error: RevsyncError; delayMs: number };
  'run.deferred': { run: RunRecord; step: string; error: RevsyncError; delayMs: number };
  'run.waiting': { run: RunRecord; key: string; deadline: number };
  'run.parked': { run: RunRecord; step: string | null; error: RevsyncError };
  'run.abandoned': { run: RunRecord; reason: string };
  'step.completed': { run: RunRecord; step: string; attempt: number; durationMs: number };
  'step.failed': {
    run: RunRecord;
    step: string;
    attempt: number;
    error: RevsyncError;
    durationMs: number;
  };
  'signal.raised': { key: string };
}
