import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { makeEnvelope } from '../../model/event-envelope.ts';
import { AuthError, ValidationError } from '../../model/revsync-error.ts';
import type { VendorEvent, WebhookSource } from '../ports.ts';
import type { QuickbooksChange } from './events.ts';
import { qboId } from './quickbooks-erp.ts';

const Notification = z.looseObject({
  eventNotifications: z.array(
    z.looseObject({
      realmId: z.string(),
      dataChangeEvent: z.looseObject({
        entities: z.array(
          z.looseObject({
            name: z.string(),
            id: z.string(),
            operation: z.string(),
            lastUpdated: z.string(),
          }),
        ),
      }),
    }),
  ),
});

const ACTIONS: Record<string, string> = {
  create: 'created',
  update: 'updated',
  delete: 'deleted',
  merge: 'merged',
  void: 'voided',
  emailed: 'emailed',
};

/** Options of {@link QuickbooksWebhooks}. */
export interface QuickbooksWebhookOptions {
  verifierToken: string;
  /**
   * `intuit-signature` signs the body only, with no timestamp: a delivery whose changes are all
   * older than this is refused as a replay (default 24 h; Intuit retries a failed delivery for a
   * few hours).
   */
  maxAgeMs?: number;
  now?: () => number;
}

/**
 * QuickBooks data-change webhooks: `intuit-signature` is base64(HMAC-SHA256(verifier token, raw
 * body)). A notification names changed objects only ("notify, then fetch"): one event per
 * entity, `quickbooks.<entity>.<created|updated|deleted…>`, subject `<realmId>:<Id>`.
 */
export class QuickbooksWebhooks implements WebhookSource {
  readonly #token: string;
  readonly #maxAgeMs: number;
  readonly #now: () => number;

  constructor(options: QuickbooksWebhookOptions) {
    this.#token = options.verifierToken;
    this.#maxAgeMs = options.maxAgeMs ?? 86_400_000;
    this.#now = options.now ?? Date.now;
  }

  verify(
    rawBody: string | Buffer,
    headers: Record<string, string | string[] | undefined>,
  ): VendorEvent[] {
    const header = headers['intuit-signature'];
    const signature = Array.isArray(header) ? header[0] : header;
    if (!signature)
      throw new AuthError('quickbooks webhook without intuit-signature', { system: 'quickbooks' });
    const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
    const expected = createHmac('sha256', this.#token).update(body).digest();
    const given = Buffer.from(signature, 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new AuthError('quickbooks webhook signature does not match', { system: 'quickbooks' });
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new ValidationError('quickbooks webhook body is not JSON', { system: 'quickbooks' });
    }
    const parsed = Notification.safeParse(json);
    if (!parsed.success) {
      throw new ValidationError('quickbooks webhook body is not a data-change notification', {
        system: 'quickbooks',
      });
    }
    const events: VendorEvent[] = [];
    let newest = 0;
    for (const n of parsed.data.eventNotifications) {
      for (const e of n.dataChangeEvent.entities) {
        const at = Date.parse(e.lastUpdated);
        if (!Number.isNaN(at)) newest = Math.max(newest, at);
        const data: QuickbooksChange = {
          realmId: n.realmId,
          entity: e.name,
          id: e.id,
          lastUpdated: e.lastUpdated,
        };
        const op = e.operation.toLowerCase();
        events.push(
          makeEnvelope<Record<string, unknown>>({
            source: 'quickbooks',
            type: `quickbooks.${e.name.toLowerCase()}.${ACTIONS[op] ?? op}`,
            id: `${n.realmId}:${e.name}:${e.id}:${e.lastUpdated}`,
            subject: qboId(n.realmId, e.id),
            ...(!Number.isNaN(at) && { time: new Date(at).toISOString() }),
            data: { ...data },
          }),
        );
      }
    }
    if (events.length > 0 && newest < this.#now() - this.#maxAgeMs) {
      throw new AuthError('quickbooks webhook is older than the replay window', {
        system: 'quickbooks',
      });
    }
    return events;
  }
}
