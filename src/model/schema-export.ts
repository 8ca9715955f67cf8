import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { entitySchemas } from './entities/index.ts';
import { ENTITY_TYPES } from './entities/entity-type.ts';
import { EventEnvelopeSchema } from './event-envelope.ts';
import { CANONICAL_EVENT_SCHEMAS, CANONICAL_EVENT_TYPES } from './canonical-events.ts';
import { upcasters as defaultUpcasters, type UpcasterRegistry } from './upcasters.ts';

/** Base of every revsync JSON Schema `$id`. */
export const SCHEMA_BASE_URL = 'https://revsync.dev/schemas';

/** Key of the event envelope in {@link exportJsonSchemas}' result. */
export const ENVELOPE_SCHEMA_KEY = 'event_envelope';

const ENVELOPE_TITLE = 'revsync event envelope (CloudEvents 1.0)';

/**
 * JSON Schema (draft 2020-12) of every canonical entity, keyed by entity type, plus the event
 * envelope under `event_envelope`. Each has `$id` `https://revsync.dev/schemas/<type>/v1.json`
 * and a title. Cross-field invariants (sums, currencies) are zod refinements and are not
 * expressible here; the JSON Schemas check shape, formats and enums.
 */
export function exportJsonSchemas(): Record<string, object> {
  const out: Record<string, object> = {};
  for (const type of ENTITY_TYPES) {
    out[type] = describe(entitySchemas[type], type, `${titleOf(type)} v1`);
  }
  out[ENVELOPE_SCHEMA_KEY] = describe(EventEnvelopeSchema, ENVELOPE_SCHEMA_KEY, ENVELOPE_TITLE);
  return out;
}

/**
 * Writes each schema of {@link exportJsonSchemas} to `<dir>/<type>.v1.json` (creating `dir`)
 * and returns the paths written.
 */
export async function writeJsonSchemas(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [key, schema] of Object.entries(exportJsonSchemas())) {
    const path = join(dir, `${key}.v1.json`);
    await writeFile(path, `${JSON.stringify(schema, null, 2)}\n`, 'utf8');
    written.push(path);
  }
  return written;
}

/** One schema of the registry as the code defines it now. */
export interface RegistrySchema {
  /** The registry name: an entity type, a canonical event type, or `event_envelope`. */
  name: string;
  kind: 'entity' | 'event' | 'envelope';
  /** The version the code is at (1 + its upcasters). */
  version: number;
  /** JSON Schema draft 2020-12, `$id` `https://revsync.dev/schemas/<name>/v<version>.json`. */
  schema: Record<string, unknown>;
}

/**
 * Every schema the registry (`schemas/<name>/v<N>.json`) versions, generated from the code: the
 * canonical entities, the event envelope, and the `data` of every canonical event type. The
 * version of each is the upcasters' current version; an entity's `schemaVersion` literal must
 * agree with it (checked by `revsync schema check`).
 */
export function registrySchemas(
  upcasterRegistry: UpcasterRegistry = defaultUpcasters,
): RegistrySchema[] {
  const out: RegistrySchema[] = [];
  for (const type of ENTITY_TYPES) {
    const version = upcasterRegistry.currentVersion(type);
    out.push({
      name: type,
      kind: 'entity',
      version,
      schema: describe(entitySchemas[type], type, `${titleOf(type)} v${version}`, version),
    });
  }
  const envelopeVersion = upcasterRegistry.currentVersion(ENVELOPE_SCHEMA_KEY);
  out.push({
    name: ENVELOPE_SCHEMA_KEY,
    kind: 'envelope',
    version: envelopeVersion,
    schema: describe(EventEnvelopeSchema, ENVELOPE_SCHEMA_KEY, ENVELOPE_TITLE, envelopeVersion),
  });
  for (const type of CANONICAL_EVENT_TYPES) {
    const version = upcasterRegistry.currentVersion(type);
    out.push({
      name: type,
      kind: 'event',
      version,
      schema: describe(
        CANONICAL_EVENT_SCHEMAS[type],
        type,
        `${type} event data v${version}`,
        version,
      ),
    });
  }
  return out;
}

function describe(
  schema: z.ZodType,
  key: string,
  title: string,
  version = 1,
): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12' });
  return { $schema, $id: `${SCHEMA_BASE_URL}/${key}/v${version}.json`, ...rest, title };
}

function titleOf(type: string): string {
  return type
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}
