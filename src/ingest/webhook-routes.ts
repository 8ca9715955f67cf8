import type { FastifyInstance } from 'fastify';
import type { WebhookSource } from '../connectors/ports.ts';
import { coerceError } from '../model/revsync-error.ts';
import type { Inbox } from '../store/inbox.ts';
import type { EntityKeyResolver } from './entity-keys.ts';

/**
 * `POST /webhooks/:system`: verifies the vendor's signature on the raw body, and answers 2xx only
 * after the events are durably in the inbox. A source's endpoint-validation handshake (Business
 * Central's `?validationToken=`) is answered before any verification. A bad signature is 400 (the vendor should not
 * retry it); a storage failure is 503 (it should).
 */
export async function registerWebhookRoutes(
  app: FastifyInstance,
  sources: Record<string, WebhookSource>,
  deps: { inbox: Inbox; keys: EntityKeyResolver },
): Promise<void> {
  await app.register(async (scope) => {
    // Signatures cover the exact bytes sent: keep the body raw in this scope only.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.post<{ Params: { system: string } }>('/webhooks/:system', async (request, reply) => {
      const source = sources[request.params.system];
      if (!source) {
        return reply.code(404).send({
          error: { code: 'not_found', message: `no webhook source ${request.params.system}` },
        });
      }
      const handshake = source.handshake?.(
        new URLSearchParams(request.query as Record<string, string>),
      );
      if (handshake) {
        return reply.code(handshake.status).type(handshake.contentType).send(handshake.body);
      }
      let events;
      try {
        events = source.verify(request.body as Buffer, request.headers);
      } catch (caught) {
        const error = coerceError(caught);
        request.log.warn({ system: request.params.system, err: error }, 'webhook refused');
        return reply.code(400).send({ error: { code: error.code, message: error.message } });
      }
      try {
        const resolved = await Promise.all(events.map((e) => deps.keys.resolve(e)));
        const results = await deps.inbox.appendMany(resolved);
        return reply.code(200).send({
          received: results.length,
          duplicates: results.filter((r) => r.duplicate).length,
        });
      } catch (caught) {
        const error = coerceError(caught);
        request.log.error({ system: request.params.system, err: error }, 'webhook not stored');
        if (!error.retryable)
          return reply.code(400).send({ error: { code: error.code, message: error.message } });
        return reply
          .code(503)
          .send({ error: { code: error.code, message: 'could not store the event; retry' } });
      }
    });
  });
}
