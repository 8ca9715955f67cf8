import { z } from 'zod';

/** Which JSON Schema dialect: Fastify's Ajv speaks draft-07, OpenAPI 3.1 speaks 2020-12. */
export type SchemaTarget = 'draft-7' | 'draft-2020-12';

/**
 * A zod schema as JSON Schema: `input` for what requests may contain (before defaults and
 * transforms), `output` for what responses contain. The `$schema` marker is dropped, since the
 * schema is embedded in a route or a document.
 */
export function toJsonSchema(
  schema: z.ZodType,
  io: 'input' | 'output',
  target: SchemaTarget,
): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io, target, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  delete json.$schema;
  return json;
}
