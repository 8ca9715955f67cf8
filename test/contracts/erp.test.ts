import { erpChecks, setUpErpWorld } from './erp.ts';
import { defineContract } from './harness.ts';

defineContract('erp', setUpErpWorld, erpChecks);
