/**
 * Priority lanes for outbound calls: payments and ERP postings go ahead of backfills and
 * reconciliation reads when an account's limits are the bottleneck.
 */
export type Lane = 'critical' | 'high' | 'normal' | 'low';

/** Lanes from first-served to last-served. */
export const PRIORITY_ORDER: readonly Lane[] = ['critical', 'high', 'normal', 'low'];
