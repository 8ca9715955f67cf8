import { z } from 'zod';
import { Text } from './primitives.ts';

/**
 * An outside system revsync connects: a registered connector's system name (kebab-case, e.g. the
 * name in `connections.billing.system`).
 */
export const SourceSystem = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, 'a system name such as "acme-billing"')
  .meta({ id: 'SourceSystem' });

/** @see SourceSystem */
export type SourceSystem = z.infer<typeof SourceSystem>;

/**
 * Where a canonical object lives in an outside system, e.g.
 * `{ system: 'acme-billing', objectType: 'customer', id: 'cus_Nf…' }`.
 */
export const ExternalRefV1 = z
  .object({
    system: SourceSystem,
    /** The object type in that system (`account`, `customer`, `invoice`, `invoice_line`). */
    objectType: Text,
    /** The vendor's id of the object. */
    id: Text,
  })
  .meta({ id: 'ExternalRefV1' });

/** @see ExternalRefV1 */
export type ExternalRefV1 = z.infer<typeof ExternalRefV1>;
