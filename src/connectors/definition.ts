/**
 * What a connector folder exports: one {@link ConnectorDefinition} naming its system, the role it
 * plays, its settings schema, how to build it, and how its vendor's events become canonical
 * events. `registry.ts` lists them; nothing else in revsync names a vendor.
 */
import type { z } from 'zod';
import type { CanonicalEventInput } from '../model/canonical-events.ts';
import type { GovernorLimits } from '../gateway/governor.ts';
import type { OutboundConnection } from '../gateway/outbound-gateway.ts';
import type { BillingSystem, Connector, CrmSystem, ErpSystem, VendorEvent } from './ports.ts';
import type { Resolved } from './settings.ts';

/** The part of the revenue stack a system plays. Flows, recon, the API and the UI know only these. */
export type Role = 'crm' | 'billing' | 'erp';

/** Every role, in the order a change travels through them. */
export const ROLES: readonly Role[] = ['crm', 'billing', 'erp'];

/** The port each role's connector implements. */
export interface Ports {
  crm: CrmSystem;
  billing: BillingSystem;
  erp: ErpSystem;
}

/** Logging a connector may do (a pino logger fits). */
export interface ConnectorLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What `create` gets besides the connection's settings. */
export interface ConnectorContext {
  /** The API account's outbound connection (governor + circuit breaker): every call goes through it. */
  connection: OutboundConnection;
  logger: ConnectorLogger;
  /** Test mode only: the billing platform's test clock new customers join (the simulator's). */
  testClock?: string;
}

/**
 * What a vendor event is about, for ordering its runs by canonical customer: the canonical id
 * itself when the event carries it (metadata revsync wrote), else the role object that
 * identifies the customer (`account` in a CRM, `customer` in billing and ERP), which the
 * cross-reference map resolves.
 */
export type EntityKeyHint =
  { canonicalId: string } | { objectType: string; id: string } | undefined;

/**
 * A registered connector. `webhooks` and `pollers` are members of the {@link Connector} that
 * `create` returns, because they need the connection's settings (signing secret, feeds).
 */
export interface ConnectorDefinition<
  R extends Role = Role,
  S extends z.ZodObject = z.ZodObject,
  Sys extends string = string,
> {
  /** The system's name in configuration, cross-references and event sources, e.g. `stripe`. */
  readonly system: Sys;
  readonly role: R;
  /** How people call it, e.g. `Business Central`. */
  readonly displayName: string;
  /**
   * The connection's own settings (besides `system`, `limits`, `circuit`, `pollIntervalMs` and
   * `catchUpPollIntervalMs`, which every connection has), built from `./settings.ts`: secrets as `secret`.
   */
  readonly configSchema: S;
  /** The vendor API's limits, used where the configuration sets none. */
  readonly defaultLimits?: GovernorLimits;
  /** Builds the connector on its outbound connection (loads the vendor SDK on first use). */
  create(config: Resolved<z.output<S>>, context: ConnectorContext): Promise<Connector<Ports[R]>>;
  /**
   * The canonical events a vendor event means (none for events revsync does not act on). Pure:
   * it reads only the event. Throwing makes the event poison (queued as an exception).
   */
  normalise(event: VendorEvent): CanonicalEventInput[];
  /** What the event is about, for its entity key (the canonical customer). Pure. */
  entityKey(event: VendorEvent): EntityKeyHint;
  /** The correlation id revsync stored on the vendor object, if any (metadata). Pure. */
  correlationId?(event: VendorEvent): string | undefined;
}

/** Any registered connector, whatever its settings. */
export type AnyConnectorDefinition = ConnectorDefinition<Role, z.ZodObject, string>;

/** Declares a connector (types `create`'s settings from `configSchema`). */
export function defineConnector<const Sys extends string, R extends Role, S extends z.ZodObject>(
  definition: ConnectorDefinition<R, S, Sys>,
): ConnectorDefinition<R, S, Sys> {
  if (!/^[a-z][a-z0-9-]*$/.test(definition.system)) {
    throw new Error(`connector system "${definition.system}" must be kebab-case (a-z, 0-9, -)`);
  }
  return definition;
}
