/** The API's roles, weakest first; each includes everything the ones before it may do. */
export const ROLES = ['viewer', 'operator', 'approver', 'admin'] as const;

/**
 * What an API key may do: `viewer` reads everything; `operator` also acts on the exception
 * queue, replays and ingests usage; `approver` also approves or rejects other people's change
 * requests (four-eyes approvals, see docs/approvals.md); `admin` also manages API keys (and, as
 * it includes `approver`, may approve too).
 */
export type Role = (typeof ROLES)[number];

/** True when `value` names a role. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** True when a key of role `have` may do what needs role `need`. */
export function roleAllows(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}
