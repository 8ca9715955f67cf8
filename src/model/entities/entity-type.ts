import { z } from 'zod';

/** Every canonical entity type, in the order a quote-to-cash flow meets them. */
export const ENTITY_TYPES = [
  'customer',
  'contact',
  'product',
  'price',
  'contract',
  'subscription',
  'invoice',
  'credit_note',
  'payment',
  'usage_record',
  'revenue_schedule',
  'journal_entry',
] as const;

/** The name of a canonical entity type. */
export const EntityType = z.enum(ENTITY_TYPES).meta({ id: 'EntityType' });

/** @see EntityType */
export type EntityType = z.infer<typeof EntityType>;
