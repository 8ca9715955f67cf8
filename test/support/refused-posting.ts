import { defineFlow } from '../../src/engine/flow.ts';
import { ValidationError } from '../../src/model/revsync-error.ts';

/**
 * A flow named like the invoice posting (so the default approval policy protects skipping or
 * replaying its runs) whose one step the ERP always refuses: every `x.invoice` event parks a run
 * with an open exception.
 */
export function refusedPostingFlow() {
  return defineFlow<{ total: number; currency: string }>({
    name: 'invoice-to-erp',
    triggers: ['x.invoice'],
    async run(ctx) {
      return ctx.step('post', () => {
        throw new ValidationError('the ERP refused the invoice');
      });
    },
  });
}
