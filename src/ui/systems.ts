import type { SystemInfo } from './api-types.ts';

/** Which part of the revenue stack a system plays, for labels and colours. */
export type SystemRole = 'CRM' | 'Billing' | 'ERP' | 'revsync';

const ROLE_LABELS: Record<SystemInfo['role'], SystemRole> = {
  crm: 'CRM',
  billing: 'Billing',
  erp: 'ERP',
};

/** The running stack as `GET /v1/systems` told it: system name → role and display name. */
const known = new Map<string, { role: SystemRole; displayName: string }>([
  ['revsync', { role: 'revsync', displayName: 'revsync' }],
]);

/** Learns the running stack (called once after sign-in, before any page renders). */
export function learnSystems(systems: readonly SystemInfo[]): void {
  for (const s of systems)
    known.set(s.system.toLowerCase(), { role: ROLE_LABELS[s.role], displayName: s.displayName });
}

/** A system name (or a role name: `erp`) → its role label (`ERP`), if known. */
export function roleOf(system: string): SystemRole | undefined {
  const key = system.toLowerCase();
  return known.get(key)?.role ?? ROLE_LABELS[key as SystemInfo['role']];
}

/** A system name → the vendor's display name from the registry, or the name itself. */
export function systemName(system: string): string {
  return known.get(system.toLowerCase())?.displayName ?? system;
}

/**
 * The system a step talks to, guessed from revsync's step naming (`…:erp-customer`, `post`,
 * `…:billing-customer`, `…:crm-writeback`); undefined when the name does not say.
 */
export function roleOfStep(step: string): SystemRole | undefined {
  if (/erp|post|credit-memo|journal/.test(step)) return 'ERP';
  if (/billing|subscription|price|invoice|refund|usage/.test(step)) return 'Billing';
  if (/crm|account|opportunit/.test(step)) return 'CRM';
  return undefined;
}
