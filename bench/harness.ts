import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** One measured quantity, as it goes into bench/results/latest.json. */
export interface Measurement {
  name: string;
  value: number;
  unit: string;
  /** How it was measured, in one line. */
  method: string;
  /** A target from the issue, when there is one (higher is better). */
  target?: number;
  /** An upper bound from the issue, when lower is better (seconds, megabytes). */
  targetMax?: number;
  extra?: Record<string, unknown>;
}

/** A scratch directory on the project's disk (bench/.data), removed afterwards. */
export function scratchDir(label: string): { path: string; remove(): void } {
  const base = new URL('./.data/', import.meta.url).pathname;
  mkdirSync(base, { recursive: true });
  const path = mkdtempSync(join(base, `${label}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Calls `fn` repeatedly for `ms` milliseconds; returns the number of calls per second. */
export function ratePerSecond(count: number, startedAt: bigint): number {
  const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  return count / seconds;
}

/** p-th percentile (0–100) of the values, nearest-rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function progress(message: string): void {
  process.stderr.write(`  … ${message}\n`);
}
