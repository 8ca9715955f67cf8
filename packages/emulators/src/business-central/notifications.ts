/**
 * BC's webhook side: subscriptions (`POST subscriptions`, validated by calling
 * `notificationUrl?validationToken=…`, which must answer 200 with the token as text), and
 * change notifications `{value:[{subscriptionId, clientState, expirationDateTime, resource,
 * changeType, lastModifiedDateTime}]}`, retried only on 408, 429 and 5xx (and network errors).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../kit/index.ts';
import type { Change } from './ledger.ts';

export interface Subscription {
  subscriptionId: string;
  notificationUrl: string;
  /** As sent: `/api/v2.0/companies(<id>)/customers`. */
  resource: string;
  companyId: string;
  /** The entity set below the company (`customers`). */
  entitySet: string;
  clientState: string;
  userId: string;
  expiresAt: number;
  lastModified: number;
  rowVersion: number;
}

export interface NotificationAttempt {
  at: number;
  status?: number;
  error?: string;
}

export interface NotificationDelivery {
  id: string;
  subscriptionId: string;
  url: string;
  payload: unknown;
  state: 'pending' | 'delivered' | 'failed' | 'dropped';
  attempts: NotificationAttempt[];
}

export interface NotifierConfig {
  /** Attempts per notification before it is `failed` (BC retries for 36 hours). */
  maxAttempts: number;
  /** Real-time ms before retry n (doubling). */
  retryBaseMs: number;
  /** Per-attempt and handshake timeout. */
  timeoutMs: number;
}

const RETRYABLE = (s: number) => s === 408 || s === 429 || s >= 500;

export class Notifier {
  readonly #clock: Clock;
  readonly #config: NotifierConfig;
  subscriptions = new Map<string, Subscription>();
  deliveries: NotificationDelivery[] = [];
  #inflight = new Set<Promise<void>>();
  #closed = new AbortController();

  constructor(clock: Clock, config: NotifierConfig) {
    this.#clock = clock;
    this.#config = config;
  }

  reset(): void {
    this.subscriptions.clear();
    this.deliveries = [];
  }

  /** The handshake: true when the endpoint echoed the token with 200. */
  async validate(notificationUrl: string): Promise<{ ok: boolean; detail: string }> {
    const token = randomUUID();
    const url = new URL(notificationUrl);
    url.searchParams.set('validationToken', token);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '',
        signal: AbortSignal.any([AbortSignal.timeout(this.#config.timeoutMs), this.#closed.signal]),
      });
      const text = (await res.text()).trim();
      if (res.status !== 200)
        return { ok: false, detail: `the notification URL answered ${res.status}` };
      const unquoted = text.replace(/^"(.*)"$/, '$1');
      if (unquoted !== token)
        return {
          ok: false,
          detail: 'the notification URL did not answer with the validation token',
        };
      return { ok: true, detail: '' };
    } catch (err) {
      return {
        ok: false,
        detail: `the notification URL could not be reached (${err instanceof Error ? err.message : String(err)})`,
      };
    }
  }

  /** Sends the changes to every live subscription on their entity sets, one POST per subscription. */
  notify(changes: readonly Change[]): void {
    if (changes.length === 0) return;
    const now = this.#clock.now();
    for (const sub of this.subscriptions.values()) {
      if (sub.expiresAt <= now) continue;
      const mine = changes.filter(
        (c) =>
          c.companyId === sub.companyId &&
          (c.entitySet === sub.entitySet || c.entitySet.endsWith(`/${sub.entitySet}`)),
      );
      if (mine.length === 0) continue;
      // One entry per entity, its latest change (created stays created).
      const byId = new Map<string, Change>();
      for (const c of mine) {
        const prev = byId.get(c.id);
        byId.set(
          c.id,
          prev?.changeType === 'created' && c.changeType === 'updated'
            ? { ...c, changeType: 'created' }
            : c,
        );
      }
      const value = [...byId.values()].map((c) => ({
        subscriptionId: sub.subscriptionId,
        clientState: sub.clientState,
        expirationDateTime: new Date(sub.expiresAt).toISOString(),
        resource: `/api/v2.0/companies(${c.companyId})/${c.entitySet}(${c.id})`,
        changeType: c.changeType,
        lastModifiedDateTime: new Date(c.at).toISOString(),
      }));
      const delivery: NotificationDelivery = {
        id: randomUUID(),
        subscriptionId: sub.subscriptionId,
        url: sub.notificationUrl,
        payload: { value },
        state: 'pending',
        attempts: [],
      };
      this.deliveries.push(delivery);
      if (this.deliveries.length > 1000) this.deliveries.shift();
      const p = this.#deliver(delivery).finally(() => this.#inflight.delete(p));
      this.#inflight.add(p);
    }
  }

  async #deliver(d: NotificationDelivery): Promise<void> {
    const body = JSON.stringify(d.payload);
    for (let n = 1; n <= this.#config.maxAttempts; n++) {
      if (this.#closed.signal.aborted) {
        d.state = 'dropped';
        return;
      }
      const attempt: NotificationAttempt = { at: this.#clock.now() };
      d.attempts.push(attempt);
      try {
        const res = await fetch(d.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.any([
            AbortSignal.timeout(this.#config.timeoutMs),
            this.#closed.signal,
          ]),
        });
        await res.body?.cancel();
        attempt.status = res.status;
        if (res.status >= 200 && res.status < 300) {
          d.state = 'delivered';
          return;
        }
        if (!RETRYABLE(res.status)) {
          d.state = 'failed';
          return;
        }
      } catch (err) {
        attempt.error = err instanceof Error ? err.message : String(err);
      }
      if (n < this.#config.maxAttempts) {
        try {
          await sleep(this.#config.retryBaseMs * 2 ** (n - 1), undefined, {
            signal: this.#closed.signal,
          });
        } catch {
          d.state = 'dropped';
          return;
        }
      }
    }
    d.state = 'failed';
  }

  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  close(): void {
    this.#closed.abort();
  }
}
