import type { Role } from './api-types.ts';

const KEY = 'revsync.apiKey';

/** Who is signed in: the key (kept in `sessionStorage`, gone when the tab closes) and its role. */
export interface Session {
  key: string;
  name: string;
  role: Role;
}

/** The key stored by the last sign-in in this tab, if any. */
export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

/** Keeps the key for this tab only. */
export function storeKey(key: string): void {
  sessionStorage.setItem(KEY, key);
}

/** Forgets the key (sign out). */
export function forgetKey(): void {
  sessionStorage.removeItem(KEY);
}

/** True when the role may act on the exception queue and replay runs. */
export function canAct(session: Session): boolean {
  return session.role === 'operator' || session.role === 'approver' || session.role === 'admin';
}

/** True when the role may approve or reject other people's change requests. */
export function canApprove(session: Session): boolean {
  return session.role === 'approver' || session.role === 'admin';
}
