import type { z } from 'zod';
import { EntityValidationError } from '../errors.ts';
import { toValidationIssues } from '../validation.ts';
import { ContactV1 } from './contact.ts';
import { ContractV1 } from './contract.ts';
import { CreditNoteV1 } from './credit-note.ts';
import { CustomerV1 } from './customer.ts';
import type { EntityType } from './entity-type.ts';
import { InvoiceV1 } from './invoice.ts';
import { JournalEntryV1 } from './journal-entry.ts';
import { PaymentV1 } from './payment.ts';
import { PriceV1 } from './price.ts';
import { ProductV1 } from './product.ts';
import { RevenueScheduleV1 } from './revenue-schedule.ts';
import { SubscriptionV1 } from './subscription.ts';
import { UsageRecordV1 } from './usage-record.ts';

export * from './address.ts';
export * from './contact.ts';
export * from './contract.ts';
export * from './credit-note.ts';
export * from './customer.ts';
export * from './entity-type.ts';
export * from './external-ref.ts';
export * from './invoice.ts';
export * from './journal-entry.ts';
export * from './payment.ts';
export * from './price.ts';
export * from './product.ts';
export * from './revenue-schedule.ts';
export * from './subscription.ts';
export * from './usage-record.ts';
export { CalendarDate, Timestamp } from './primitives.ts';

/** The current (v1) schema of every canonical entity type. */
export const entitySchemas = {
  customer: CustomerV1,
  contact: ContactV1,
  product: ProductV1,
  price: PriceV1,
  contract: ContractV1,
  subscription: SubscriptionV1,
  invoice: InvoiceV1,
  credit_note: CreditNoteV1,
  payment: PaymentV1,
  usage_record: UsageRecordV1,
  revenue_schedule: RevenueScheduleV1,
  journal_entry: JournalEntryV1,
} as const satisfies Record<EntityType, z.ZodType>;

/** The TypeScript type of an entity type's current schema: `EntityOf<'invoice'>` is `InvoiceV1`. */
export type EntityOf<T extends EntityType> = z.infer<(typeof entitySchemas)[T]>;

/** Any canonical entity. */
export type CanonicalEntity = EntityOf<EntityType>;

/**
 * Validates `value` against the entity type's schema and returns it typed.
 *
 * @throws EntityValidationError listing every problem with its path.
 */
export function parseEntity<T extends EntityType>(type: T, value: unknown): EntityOf<T> {
  const schema: z.ZodType = entitySchemas[type];
  const result = schema.safeParse(value);
  if (!result.success) throw new EntityValidationError(type, toValidationIssues(result.error));
  return result.data as EntityOf<T>;
}
