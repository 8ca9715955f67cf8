import { z } from 'zod';
import { Text } from './primitives.ts';

/** The outside systems revsync connects. */
export const SOURCE_SYSTEMS = [
  'salesforce',
  'hubspot',
  'stripe',
  'chargebee',
  'netsuite',
  'business_central',
  'quickbooks',
] as const;

/** An outside system revsync connects. */
export const SourceSystem = z.enum(SOURCE_SYSTEMS).meta({ id: 'SourceSystem' });

/** @see SourceSystem */
export type SourceSystem = z.infer<typeof SourceSystem>;

/**
 * Where a canonical object lives in an outside system, e.g.
 * `{ system: 'stripe', objectType: 'customer', id: 'cus_Nf…' }`.
 */
export const ExternalRefV1 = z
  .object({
    system: SourceSystem,
    /** The vendor's object type (`Account`, `customer`, `invoice`, `CustInvc`). */
    objectType: Text,
    /** The vendor's id of the object. */
    id: Text,
  })
  .meta({ id: 'ExternalRefV1' });

/** @see ExternalRefV1 */
export type ExternalRefV1 = z.infer<typeof ExternalRefV1>;
