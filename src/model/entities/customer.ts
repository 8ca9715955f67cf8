import { z } from 'zod';
import { CurrencyCode } from '../currency.ts';
import { idSchemas } from '../ids.ts';
import { AddressV1 } from './address.ts';
import { ExternalRefV1 } from './external-ref.ts';
import { Text } from './primitives.ts';

/** A tax registration, e.g. `{ type: 'eu_vat', value: 'DE123456789' }`. */
export const TaxIdV1 = z.object({
  /** Kind of id in Stripe's vocabulary: `eu_vat`, `gb_vat`, `us_ein`, `au_abn`, … */
  type: Text,
  value: Text,
});

/** @see TaxIdV1 */
export type TaxIdV1 = z.infer<typeof TaxIdV1>;

/**
 * The customer (CRM account, billing customer, ERP customer): the entity key every flow of a
 * business change is ordered by.
 */
export const CustomerV1 = z.object({
  schemaVersion: z.literal(1),
  id: idSchemas.customer,
  /** Display name, as the CRM shows it. */
  name: Text,
  /** Registered legal name, as invoices and the ERP need it. */
  legalName: Text.optional(),
  /** Billing email address. */
  email: z.email().optional(),
  /** Web domain, lowercase, used by duplicate matching (`acme.com`). */
  domain: z
    .string()
    .regex(
      /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
      'must be a lowercase domain such as "acme.com"',
    )
    .optional(),
  taxId: TaxIdV1.optional(),
  billingAddress: AddressV1.optional(),
  shippingAddress: AddressV1.optional(),
  /** The currency the customer is invoiced in (ERP-owned). */
  currency: CurrencyCode,
  /** Sales or reporting region, e.g. `EMEA`. */
  region: Text.optional(),
  /** ERP subsidiary (legal entity) that books this customer's revenue. */
  subsidiary: Text.optional(),
  externalRefs: z.array(ExternalRefV1),
});

/** @see CustomerV1 */
export type CustomerV1 = z.infer<typeof CustomerV1>;
