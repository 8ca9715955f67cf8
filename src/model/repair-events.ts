/**
 * Repair events: reconciliation starts a repair as an ordinary engine run, triggered by a
 * canonical event appended under this source (see src/app/recon-repair.ts). A flow tells a repair
 * run by its trigger's source: a repair must not trust revsync's own records of what the ERP
 * holds (the reconciliation found them wrong), so it checks the ERP again.
 */

/** The source of the events recon repair appends (canonical already: they pass normalise). */
export const RECON_REPAIR_SOURCE = 'revsync.recon';

/** Whether an event was appended by recon repair. */
export function isRepairEvent(event: { source: string }): boolean {
  return event.source === RECON_REPAIR_SOURCE;
}
