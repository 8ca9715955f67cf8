import { z } from 'zod';
import { MoneySchema } from '../money.ts';

/** A UTC instant as RFC 3339 with a `Z` suffix, e.g. `2025-03-01T12:00:00Z` (canonical form). */
export const Timestamp = z.iso
  .datetime()
  .meta({ id: 'Timestamp', description: 'UTC instant, RFC 3339 with Z suffix.' });

/** A calendar date, e.g. `2025-03-01`. */
export const CalendarDate = z.iso
  .date()
  .meta({ id: 'CalendarDate', description: 'Calendar date, YYYY-MM-DD.' });

/** Money whose amount is zero or more. */
export const NonNegativeMoney = MoneySchema.refine((m) => m.amount >= 0, 'must not be negative');

/** A free-text field that must not be blank. */
export const Text = z.string().regex(/\S/, 'must not be empty or blank');
