import type { AnyConnectorDefinition } from '../connectors/definition.ts';
import type { VendorEvent } from '../connectors/ports.ts';
import { connectorFor } from '../connectors/registry.ts';
import { extendEnvelope } from '../model/event-envelope.ts';
import { customerIdForAccount } from '../model/ids.ts';
import type { Store } from '../store/store.ts';

/** Finds the connector definition of an event's source system. */
export type DefinitionLookup = (system: string) => AnyConnectorDefinition | undefined;

/**
 * Gives each vendor event the entity key that orders its runs: the canonical customer. The
 * event's connector says what the event is about (its `entityKey`): the canonical id itself when
 * the vendor object carries it, else the role object that identifies the customer, which the
 * cross-reference map resolves. A CRM account revsync has not met yet gets the canonical id it
 * will have; anything else revsync cannot place keeps a system-scoped key, so it is still
 * ordered with its kin.
 */
export class EntityKeyResolver {
  readonly #store: Store;
  readonly #definitions: DefinitionLookup;

  constructor(store: Store, definitions: DefinitionLookup = connectorFor) {
    this.#store = store;
    this.#definitions = definitions;
  }

  /**
   * Adds the entity key and, for vendor objects revsync created, the correlation id of the
   * business change that created them (kept in their metadata), so one correlation id follows a
   * deal from the CRM through billing to the ERP.
   */
  async resolve(event: VendorEvent): Promise<VendorEvent> {
    const definition = this.#definitions(event.source);
    const correlationid = definition?.correlationId?.(event) ?? event.correlationid;
    const entitykey = event.entitykey ?? (await this.#keyOf(event, definition));
    // Only the added attributes are checked: the connector's mapper validated the rest, so the
    // inbox does not validate the envelope again.
    return extendEnvelope(event, { entitykey, correlationid });
  }

  async #keyOf(
    event: VendorEvent,
    definition: AnyConnectorDefinition | undefined,
  ): Promise<string | undefined> {
    if (!definition) return event.subject ? `${event.source}:${event.subject}` : undefined;
    const hint = definition.entityKey(event);
    if (!hint) return undefined;
    if ('canonicalId' in hint) return hint.canonicalId;
    const known = await this.#store.xrefs.findCanonical(
      this.#store.db,
      definition.system,
      hint.objectType,
      hint.id,
    );
    if (known) return known;
    if (definition.role === 'crm' && hint.objectType === 'account')
      return customerIdForAccount(definition.system, hint.id);
    return `${definition.system}:${hint.objectType}:${hint.id}`;
  }
}
