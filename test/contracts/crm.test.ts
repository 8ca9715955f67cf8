import { crmChecks, setUpCrmWorld } from './crm.ts';
import { defineContract } from './harness.ts';

defineContract('crm', setUpCrmWorld, crmChecks);
