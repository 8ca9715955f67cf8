import { z } from 'zod';
import { InvalidRequestError } from '../../model/revsync-error.ts';
import { STREAM_EVENT_NAMES } from '../event-streams.ts';
import { defineRoute } from '../route-spec.ts';
import { CommaList } from '../schemas/common.ts';

/** Live engine events as server-sent events. */
export const eventRoutes = [
  defineRoute({
    method: 'GET',
    url: '/v1/events',
    access: 'viewer',
    operationId: 'streamEvents',
    tag: 'operations',
    summary: 'Server-sent events: engine events as they happen, with a heartbeat comment',
    description: `Each message is \`event: <name>\` and \`data: <json>\`. Names: ${STREAM_EVENT_NAMES.join(', ')}. A \`: heartbeat\` comment is sent periodically. Browsers: read it with \`fetch\` and a stream reader (EventSource cannot send the Authorization header).`,
    query: z.object({
      types: CommaList.optional().meta({ description: 'Only these event names (default all).' }),
    }),
    produces: 'text/event-stream',
    async handler({ api, query, reply }) {
      const types = query.types ?? [];
      const unknown = types.filter((t) => !(STREAM_EVENT_NAMES as readonly string[]).includes(t));
      if (unknown.length > 0) {
        throw new InvalidRequestError(`unknown event names: ${unknown.join(', ')}`, {
          details: [
            { path: 'querystring.types', message: `any of ${STREAM_EVENT_NAMES.join(', ')}` },
          ],
        });
      }
      reply.hijack();
      api.streams.open(reply.raw, types);
      return undefined;
    },
  }),
];
