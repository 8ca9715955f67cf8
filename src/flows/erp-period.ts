/**
 * Postings never go silently into a closed accounting period: before an ERP document dated in a
 * period the ERP reports closed (or locked for receivables) is posted, the run stops with the
 * reason and a proposed fix, and waits in the exception queue for a person.
 */
import type { StepContext } from '../engine/flow.ts';
import { ValidationError } from '../model/revsync-error.ts';
import type { FlowDeps } from './deps.ts';
import { readOptions } from './step-options.ts';

/** The first month after `period` that is not in `locked` (`YYYY-MM`). */
export function nextOpenPeriod(period: string, locked: readonly string[]): string {
  let [y, m] = period.split('-').map(Number) as [number, number];
  for (;;) {
    m += 1;
    if (m > 12) [y, m] = [y + 1, 1];
    const next = `${y}-${String(m).padStart(2, '0')}`;
    if (!locked.includes(next)) return next;
  }
}

/**
 * Posts through `post` only when `tranDate` falls in an open period; otherwise, or when the ERP
 * refuses the posting because the period was closed since revsync last looked (the periods are
 * read again after a refusal), throws a `ValidationError` with the reason and a proposed fix
 * (the run parks). Other failures pass through unchanged.
 */
export async function postInOpenPeriod<T>(
  deps: FlowDeps,
  what: string,
  tranDate: string,
  step: StepContext,
  post: () => Promise<T>,
): Promise<T> {
  await assertPeriodOpen(deps, what, tranDate, step);
  try {
    return await post();
  } catch (caught) {
    if (caught instanceof ValidationError) await assertPeriodOpen(deps, what, tranDate, step, true);
    throw caught;
  }
}

/**
 * Throws a `ValidationError` (the run parks) when `tranDate` falls in a period the ERP has
 * closed. Nothing when the ERP cannot say (no `lockedPeriods`).
 */
export async function assertPeriodOpen(
  deps: FlowDeps,
  what: string,
  tranDate: string,
  step: StepContext,
  fresh = false,
): Promise<void> {
  const read = (again: boolean) =>
    deps.erp.lockedPeriods?.({ ...readOptions(step, 'high'), fresh: again });
  const period = tranDate.slice(0, 7);
  let locked = await read(fresh);
  // A cached answer may be stale (the controller reopened the period): park only on a fresh one.
  if (!fresh && locked?.includes(period)) locked = await read(true);
  if (!locked?.includes(period)) return;
  throw new ValidationError(
    `${what} is dated ${tranDate}, in accounting period ${period}, which ${deps.erp.system} reports closed: revsync does not back-date postings into a closed period. Proposed fix: have the controller reopen ${period} and retry this run, or post it by hand into the next open period (${nextOpenPeriod(period, locked)}) and skip this run`,
    { system: deps.erp.system },
  );
}
