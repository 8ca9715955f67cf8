/**
 * Checks every role's connector passes, whatever its port: how its failures are classified, how
 * its change feeds page, how its webhooks are verified. The role suites call these with a read of
 * their own port and the objects they created.
 */
import { expect } from 'vitest';
import type { Ports, Role } from '../../src/connectors/definition.ts';
import type { Connector, VendorEvent } from '../../src/connectors/ports.ts';
import { AuthError, RateLimitedError, RetryableError } from '../../src/model/revsync-error.ts';
import type { ContractSubject } from './harness.ts';

/** A read of the role's port that succeeds while the emulator is healthy. */
export type PortRead<R extends Role> = (port: Ports[R]) => Promise<unknown>;

/** A 429 burst on every route: the read fails as `RateLimitedError` with the vendor's wait. */
export async function checkRateLimit<R extends Role>(
  subject: ContractSubject<R>,
  read: PortRead<R>,
): Promise<void> {
  const connector = await subject.connect();
  await read(connector.port); // signed in before the burst
  await subject.faults([{ rateLimitBurst: { p: 1, length: 1_000, retryAfterSeconds: 2 } }]);
  try {
    const error = await read(connector.port).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error, 'a 429 is RateLimitedError').toBeInstanceOf(RateLimitedError);
    expect(
      (error as RateLimitedError).retryAfterMs,
      'retryAfterMs from the vendor',
    ).toBeGreaterThan(0);
  } finally {
    await subject.faults();
  }
}

/** An outage (503, then connections reset): the read fails as retryable, never as a verdict. */
export async function checkOutage<R extends Role>(
  subject: ContractSubject<R>,
  read: PortRead<R>,
): Promise<void> {
  for (const mode of ['unavailable', 'reset'] as const) {
    const connector = await subject.connect();
    await read(connector.port);
    await subject.faults([{ outage: { forMs: 60_000, mode } }]);
    try {
      const error = await read(connector.port).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error, `outage (${mode}) is RetryableError`).toBeInstanceOf(RetryableError);
    } finally {
      await subject.faults();
    }
    await read(connector.port); // and it recovers
  }
}

/**
 * Reads every poller from its start in pages of two until all `subjects` were seen and the feeds
 * are drained: the feed pages (several polls, `hasMore` while a page was full), no event comes twice, every event is
 * the system's and names its subject.
 */
export async function pollAll(
  connector: Connector<unknown>,
  subjects: readonly string[],
  options: { timeoutMs?: number } = {},
): Promise<VendorEvent[]> {
  expect(
    connector.pollers.length + (connector.webhooks ? 1 : 0),
    'events come in somehow',
  ).toBeGreaterThan(0);
  const seen = new Map<string, VendorEvent>();
  const cursors = new Map<string, string | undefined>();
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let polls = 0;
  const missing = () => subjects.filter((s) => ![...seen.values()].some((e) => e.subject === s));
  for (;;) {
    if (Date.now() > deadline)
      throw new Error(`polled ${polls} pages; never saw ${missing().join(', ')}`);
    let more = false;
    for (const poller of connector.pollers) {
      const page = await poller.poll(cursors.get(poller.cursorName), { limit: 2 });
      polls += 1;
      expect(
        page.events.length,
        `${poller.cursorName}: a page holds at most the limit`,
      ).toBeLessThanOrEqual(2);
      for (const event of page.events) {
        expect(seen.has(event.id), `${poller.cursorName}: event ${event.id} came twice`).toBe(
          false,
        );
        expect(event.source).toBe(connector.system);
        expect(event.type.startsWith(`${connector.system}.`), event.type).toBe(true);
        seen.set(event.id, event);
      }
      cursors.set(poller.cursorName, page.cursor);
      more ||= page.hasMore;
    }
    if (!more && missing().length === 0) break; // drained, and everything was seen
    if (!more) await new Promise((r) => setTimeout(r, 250));
  }
  expect(polls, 'the feed took more than one page').toBeGreaterThan(1);
  return [...seen.values()];
}

/**
 * Webhook verification: a good delivery gives the system's events, a bad and a stale signature
 * throw `AuthError`. A connector without a webhook source must say so (no fixture either).
 */
export async function checkWebhooks<R extends Role>(subject: ContractSubject<R>): Promise<void> {
  const connector = await subject.connect();
  const delivery = subject.fixture.webhook;
  if (!connector.webhooks) {
    expect(
      delivery,
      `${subject.system} has no webhook source but its fixture signs deliveries`,
    ).toBeUndefined();
    expect(connector.pollers.length, 'without webhooks, pollers bring the events').toBeGreaterThan(
      0,
    );
    return;
  }
  expect(
    delivery,
    `add a webhook signer to test/contracts/fixtures for ${subject.system}`,
  ).toBeDefined();
  const good = delivery!.deliver('good', subject.started.env);
  const events = connector.webhooks.verify(good.body, good.headers);
  expect(events.length).toBeGreaterThan(0);
  for (const event of events) {
    expect(event.source).toBe(subject.system);
    expect(subject.definition.entityKey(event), 'a delivery names its customer').toBeDefined();
  }
  const asBuffer = connector.webhooks.verify(Buffer.from(good.body), good.headers);
  expect(asBuffer.map((e) => e.id)).toEqual(events.map((e) => e.id));
  for (const kind of ['bad', 'stale'] as const) {
    const d = delivery!.deliver(kind, subject.started.env);
    expect(() => connector.webhooks!.verify(d.body, d.headers), `${kind} signature`).toThrow(
      AuthError,
    );
  }
  const unsigned = delivery!.deliverUnsigned?.(subject.started.env) ?? {
    body: good.body,
    headers: {},
  };
  expect(() => connector.webhooks!.verify(unsigned.body, unsigned.headers), 'no signature').toThrow(
    AuthError,
  );
  if (delivery!.authenticatesBody === false) return; // the scheme cannot see a changed body
  expect(
    () => connector.webhooks!.verify(`${good.body} `, good.headers),
    'a body changed after signing',
  ).toThrow(AuthError);
}

/** `fn` rejects with an error of `type` (and returns it). */
export async function rejection<E extends Error>(
  fn: () => Promise<unknown>,
  type: abstract new (...args: never[]) => E,
  what: string,
): Promise<E> {
  const error = await fn().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, what).toBeInstanceOf(type);
  return error as E;
}

/**
 * The checks every role's suite ends with, given a healthy read of its port: error classes under
 * an injected 429 burst and outage, and webhook verification.
 */
export function commonChecks<R extends Role, W extends { subject: ContractSubject<R> }>(
  read: (world: W) => PortRead<R>,
): Record<string, (world: W) => Promise<void>> {
  return {
    async 'classifies a 429 as RateLimitedError'(world) {
      await checkRateLimit(world.subject, read(world));
    },
    async 'classifies an outage as retryable'(world) {
      await checkOutage(world.subject, read(world));
    },
    async 'verifies webhook signatures (good, bad, stale), or has none'({ subject }) {
      await checkWebhooks(subject);
    },
  };
}
