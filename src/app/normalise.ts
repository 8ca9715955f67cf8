import type { VendorEvent } from '../connectors/ports.ts';
import { connectorFor } from '../connectors/registry.ts';
import { passThrough, type Normalise } from '../engine/router.ts';
import type { DefinitionLookup } from '../ingest/entity-keys.ts';

/**
 * The normalise stage of revsync's runtime: a vendor event from a registered system becomes the
 * canonical events its connector says it means; events of other sources (revsync's own usage
 * events) are canonical already and pass through.
 */
export function normaliseWith(definitions: DefinitionLookup = connectorFor): Normalise {
  return (event) => {
    const definition = definitions(event.source);
    return definition ? definition.normalise(event as unknown as VendorEvent) : passThrough(event);
  };
}
