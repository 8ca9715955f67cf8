import { z } from 'zod';
import { Text } from './primitives.ts';

/** A postal address; `country` is ISO 3166-1 alpha-2 (`US`, `DE`). */
export const AddressV1 = z
  .object({
    line1: Text,
    line2: z.string().optional(),
    city: z.string().optional(),
    /** State, province or county. */
    region: z.string().optional(),
    postalCode: z.string().optional(),
    country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as "US"'),
  })
  .meta({ id: 'AddressV1' });

/** @see AddressV1 */
export type AddressV1 = z.infer<typeof AddressV1>;
