import type { CrmBillingStatus } from '../connectors/ports.ts';
import type { StepContext } from '../engine/flow.ts';
import type { Lane } from '../gateway/lanes.ts';
import type { CrmWriteTarget, FlowDeps } from './deps.ts';
import { writeOptions } from './step-options.ts';

/**
 * A CRM billing write-back through revsync's write-back ledger, inside a step. When revsync
 * wrote these very values to the object less than the TTL ago, nothing is sent (no read, no
 * write). Otherwise every value is written without the connector's read-before-write
 * (`readBeforeWrite: false`) and recorded once the write succeeded; a crash between the two
 * only means the next identical write-back is sent again, which changes nothing.
 *
 * What this gives up: a person's edit of a revsync-owned billing field in the CRM is not
 * noticed; it is overwritten by the next write-back whose values changed, or by the next
 * unchanged one after the TTL (docs/flows.md, "CRM billing write-backs").
 */
export async function writeBillingToCrm(
  deps: FlowDeps,
  target: CrmWriteTarget,
  status: CrmBillingStatus,
  step: StepContext,
  options: {
    lane?: Lane;
    /** The caller has just read the CRM and seen other values: write without asking the ledger. */
    differs?: boolean;
  } = {},
): Promise<'written' | 'unchanged'> {
  if (!options.differs && (await deps.crmWrites.unchanged(target, status))) return 'unchanged';
  const write = { ...writeOptions(step, options.lane), readBeforeWrite: false };
  if (target.objectType === 'account')
    await deps.crm.updateAccountBilling(target.id, status, write);
  else await deps.crm.updateOpportunityBilling(target.id, status, write);
  await deps.crmWrites.written(target, status);
  return 'written';
}
