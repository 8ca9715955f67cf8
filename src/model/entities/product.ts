import { z } from 'zod';
import { idSchemas } from '../ids.ts';
import { ExternalRefV1 } from './external-ref.ts';
import { Text } from './primitives.ts';

/** Something sold: a plan, an add-on, a usage meter, a service. Prices hang off products. */
export const ProductV1 = z.object({
  schemaVersion: z.literal(1),
  id: idSchemas.product,
  name: Text,
  description: z.string().optional(),
  /** Stock-keeping unit / ERP item number. */
  sku: Text.optional(),
  active: z.boolean(),
  /** Tax classification code for tax engines (Stripe Tax `txcd_…`, Avalara code). */
  taxCode: Text.optional(),
  externalRefs: z.array(ExternalRefV1),
});

/** @see ProductV1 */
export type ProductV1 = z.infer<typeof ProductV1>;
