import { billingChecks, setUpBillingWorld } from './billing.ts';
import { defineContract } from './harness.ts';

defineContract('billing', setUpBillingWorld, billingChecks);
