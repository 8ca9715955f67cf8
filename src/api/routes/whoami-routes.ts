import { z } from 'zod';
import { UnauthorizedError } from '../../model/revsync-error.ts';
import { defineRoute } from '../route-spec.ts';

/** Who the presented API key is: the dashboard shows or hides actions by its role. */
export const whoamiRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/whoami',
    access: 'viewer',
    operationId: 'whoami',
    tag: 'keys',
    scopeArea: null,
    summary: 'The name and role of the API key that made the request',
    description:
      'Any valid key may ask. The dashboard calls it at sign-in to check the key and to decide which actions to offer; the server still checks the role of every write.',
    response: z.object({
      name: z.string().meta({ description: 'The key’s name: the actor of its writes.' }),
      role: z.enum(['viewer', 'operator', 'approver', 'admin']),
      scopes: z
        .array(z.string())
        .nullable()
        .meta({ description: 'What the key is limited to besides its role; null: its role only.' }),
    }),
    async handler({ principal }) {
      // The access check ran before the handler; a viewer route always has a principal.
      if (!principal) throw new UnauthorizedError('an API key is required');
      return {
        name: principal.name,
        role: principal.role,
        scopes: principal.scopes && [...principal.scopes],
      };
    },
  }),
];
