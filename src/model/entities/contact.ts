import { z } from 'zod';
import { idSchemas } from '../ids.ts';
import { ExternalRefV1 } from './external-ref.ts';
import { Text } from './primitives.ts';
import { report } from './refinements.ts';

/** What a contact is for at the customer. */
export const ContactRole = z.enum(['primary', 'billing', 'technical', 'other']);

/** @see ContactRole */
export type ContactRole = z.infer<typeof ContactRole>;

/** A person at a customer (CRM contact, billing email recipient). Needs a last name or an email. */
export const ContactV1 = z
  .object({
    schemaVersion: z.literal(1),
    id: idSchemas.contact,
    customerId: idSchemas.customer,
    firstName: Text.optional(),
    lastName: Text.optional(),
    email: z.email().optional(),
    phone: Text.optional(),
    title: Text.optional(),
    roles: z.array(ContactRole),
    externalRefs: z.array(ExternalRefV1),
  })
  .superRefine((contact, ctx) => {
    if (contact.lastName === undefined && contact.email === undefined) {
      report(ctx, [], 'a contact needs a lastName or an email');
    }
  });

/** @see ContactV1 */
export type ContactV1 = z.infer<typeof ContactV1>;
