import type { ExceptionQueue } from '../engine/exception-queue.ts';
import type { ApiKeys } from '../governance/api-keys.ts';
import type { ApprovalPolicyInput } from '../governance/approval-policy.ts';
import type { Approvals } from '../governance/approvals.ts';
import { ForbiddenError } from '../model/revsync-error.ts';
import type { Store } from '../store/store.ts';

/** What a CLI operator action works with: the queue, the approvals, the keys, and who acts. */
export interface OperatorContext {
  queue: ExceptionQueue;
  approvals: Approvals;
  keys: ApiKeys;
  /** The key's name when `key` was given (proven), else the claimed `actor`. */
  actor: string;
}

/**
 * The approvals service of a CLI command on `store`. A key proves who acts: its name replaces
 * the claimed actor, and only then may a protected action become a change request (otherwise
 * anyone could ask in another's name and approve it themselves).
 *
 * @throws ForbiddenError when the key's role is below operator
 */
export async function operatorApprovals(
  store: Store,
  options: { key?: string; actor: string; policy?: ApprovalPolicyInput },
): Promise<OperatorContext> {
  const [
    { ExceptionQueue },
    { systemClock },
    { Approvals },
    { ApiKeys },
    { resolveApprovalPolicy },
    { roleAllows },
  ] = await Promise.all([
    import('../engine/exception-queue.ts'),
    import('../engine/clock.ts'),
    import('../governance/approvals.ts'),
    import('../governance/api-keys.ts'),
    import('../governance/approval-policy.ts'),
    import('../governance/roles.ts'),
  ]);
  const queue = new ExceptionQueue(store, systemClock, () => {});
  const keys = new ApiKeys(store, { now: () => systemClock.now() });
  let actor = options.actor;
  let verified = false;
  if (options.key) {
    const who = await keys.authenticate(options.key);
    if (!roleAllows(who.role, 'operator')) {
      throw new ForbiddenError(
        `the key of ${who.name} (${who.role}) may not act on runs, exceptions or repairs`,
      );
    }
    actor = who.name;
    verified = true;
  }
  const approvals = new Approvals(store, queue, {
    policy: resolveApprovalPolicy(options.policy),
    now: () => systemClock.now(),
    requesterVerified: verified,
  });
  return { queue, approvals, keys, actor };
}
