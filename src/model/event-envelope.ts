import { z } from 'zod';
import { EnvelopeValidationError, type ValidationIssue } from './errors.ts';
import { newId, type NewIdOptions } from './ids.ts';
import { toValidationIssues } from './validation.ts';

// RFC 3986 characters: unreserved, reserved and percent-encoded octets.
const URI_CHARS = String.raw`(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})`;
const URI_REFERENCE = new RegExp(`^${URI_CHARS}+$`);
const ABSOLUTE_URI = new RegExp(`^[A-Za-z][A-Za-z0-9+.\\-]*:${URI_CHARS}+$`);
const MEDIA_TYPE = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(?:\s*;.*)?$/;
// CloudEvents attribute names are lowercase ASCII letters and digits; 20 characters at most.
const ATTRIBUTE_NAME = /^[a-z0-9]{1,20}$/;
const NON_ATTRIBUTE_MEMBERS = new Set(['data', 'data_base64']);

const nonEmpty = z.string().min(1, 'must not be empty');

const attributes = {
  specversion: z.literal('1.0'),
  id: nonEmpty,
  source: z.string().regex(URI_REFERENCE, 'must be a URI-reference'),
  type: nonEmpty,
  subject: nonEmpty.optional(),
  time: z.iso.datetime({ offset: true, error: 'must be an RFC 3339 timestamp' }).optional(),
  datacontenttype: z.string().regex(MEDIA_TYPE, 'must be a media type').optional(),
  dataschema: z.string().regex(ABSOLUTE_URI, 'must be an absolute URI').optional(),
  data: z.unknown().optional(),
  data_base64: z.base64().optional(),
  correlationid: nonEmpty.optional(),
  causationid: nonEmpty.optional(),
  entitykey: nonEmpty.optional(),
  schemaversion: z.int().min(1).optional(),
};

/**
 * Zod schema of a revsync event: a CloudEvents 1.0 envelope in the JSON format, with the revsync
 * extensions `correlationid` (the business change this belongs to), `causationid` (the event that
 * caused it), `entitykey` (the ordering key, usually the canonical customer id) and
 * `schemaversion` (version of the `data` schema). Other extensions are kept if well-formed.
 */
export const EventEnvelopeSchema = z.looseObject(attributes).superRefine((event, ctx) => {
  if (event.data !== undefined && event.data_base64 !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['data_base64'],
      message: 'data and data_base64 are exclusive',
    });
  }
  for (const [name, value] of Object.entries(event)) {
    if (NON_ATTRIBUTE_MEMBERS.has(name) || value === undefined) continue;
    if (!ATTRIBUTE_NAME.test(name)) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: 'attribute names must be 1–20 lowercase letters or digits',
      });
    } else if (!isAttributeValue(value)) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: 'must be a string, integer or boolean',
      });
    }
  }
});

/** A revsync event envelope; `T` is the type of `data`. */
export type EventEnvelope<T = unknown> = Omit<z.infer<z.ZodObject<typeof attributes>>, 'data'> & {
  data?: T;
  /** Other CloudEvents extension attributes. */
  [extension: string]: unknown;
};

/**
 * Validates an event envelope (and, given `dataSchema`, its `data`) and returns it typed.
 *
 * @throws EnvelopeValidationError (`code: 'invalid_event'`) listing each problem with its path.
 */
export function parseEnvelope<T = unknown>(
  value: unknown,
  dataSchema?: z.ZodType<T>,
): EventEnvelope<T> {
  if (dataSchema === undefined && typeof value === 'object' && value !== null && SEALED.has(value))
    return value as EventEnvelope<T>;
  const result = EventEnvelopeSchema.safeParse(value);
  if (!result.success) throw new EnvelopeValidationError(toValidationIssues(result.error));
  if (dataSchema === undefined) return result.data as EventEnvelope<T>;
  const data = dataSchema.safeParse(result.data.data);
  if (!data.success) {
    const details: ValidationIssue[] = toValidationIssues(data.error).map((issue) => ({
      path:
        issue.path === ''
          ? 'data'
          : issue.path.startsWith('[')
            ? `data${issue.path}`
            : `data.${issue.path}`,
      message: issue.message,
    }));
    throw new EnvelopeValidationError(details);
  }
  return { ...result.data, data: data.data };
}

/**
 * Envelopes known valid: made by {@link makeEnvelope} or {@link extendEnvelope}, and frozen
 * (shallowly: the attributes cannot change; `data` is not validated anyway), so they stay valid.
 */
const SEALED = new WeakSet<object>();

/**
 * `envelope` with extension attributes added (`undefined` ones left out), frozen. When the
 * envelope was made by {@link makeEnvelope} (or this function), only the new attributes are
 * checked, and {@link parseEnvelope} accepts the result without validating it a second time (a
 * webhook's envelope is validated once, by its connector's mapper, not again by the inbox).
 * Otherwise the whole envelope is validated as usual.
 *
 * @throws EnvelopeValidationError when an attribute is invalid.
 */
export function extendEnvelope<T>(
  envelope: EventEnvelope<T>,
  extensions: Record<string, string | undefined>,
): EventEnvelope<T> {
  const out: Record<string, unknown> = { ...envelope };
  let checked = SEALED.has(envelope);
  for (const [name, value] of Object.entries(extensions)) {
    if (value === undefined) continue;
    if (!ATTRIBUTE_NAME.test(name) || typeof value !== 'string' || value === '') checked = false;
    out[name] = value;
  }
  const result = checked ? (out as EventEnvelope<T>) : parseEnvelope<T>(out);
  // Frozen, so nothing can make it invalid after the check.
  Object.freeze(result);
  SEALED.add(result);
  return result;
}

/** What {@link makeEnvelope} needs; everything else is filled in. */
export interface EnvelopeInput<T> {
  type: string;
  source: string;
  data?: T;
  subject?: string;
  /** Defaults to a new `evt_` id. */
  id?: string;
  /** Defaults to now. */
  time?: string | Date;
  /** Defaults to `application/json` when there is data. */
  datacontenttype?: string;
  dataschema?: string;
  /** Defaults to the parent's correlation id, else to this event's own id (a new business change). */
  correlationid?: string;
  /** Defaults to the parent's id. */
  causationid?: string;
  /** Defaults to the parent's entity key. */
  entitykey?: string;
  schemaversion?: number;
  /** The event this one is a consequence of; links correlation and causation. */
  parent?: EventEnvelope<unknown>;
}

/**
 * Builds a valid envelope, filling `specversion`, `id`, `time`, `datacontenttype` and the
 * correlation chain. Pass `{ now, random }` for replayable ids and times.
 *
 * @throws EnvelopeValidationError when the result is not valid (say, a bad `source`).
 */
export function makeEnvelope<T>(
  input: EnvelopeInput<T>,
  options: NewIdOptions = {},
): EventEnvelope<T> {
  const { parent, time, ...fields } = input;
  const id = fields.id ?? newId('evt', options);
  const when =
    time instanceof Date ? time : time === undefined ? new Date(options.now ?? Date.now()) : time;
  const envelope: Record<string, unknown> = {
    specversion: '1.0',
    ...fields,
    id,
    time: typeof when === 'string' ? when : when.toISOString(),
    correlationid: fields.correlationid ?? parent?.correlationid ?? parent?.id ?? id,
  };
  const causationid = fields.causationid ?? parent?.id;
  if (causationid !== undefined) envelope.causationid = causationid;
  const entitykey = fields.entitykey ?? parent?.entitykey;
  if (entitykey !== undefined) envelope.entitykey = entitykey;
  if (fields.data !== undefined && fields.datacontenttype === undefined) {
    envelope.datacontenttype = 'application/json';
  }
  for (const [key, value] of Object.entries(envelope))
    if (value === undefined) delete envelope[key];
  const result = parseEnvelope<T>(envelope);
  // Frozen (attributes only) and remembered: later checks of it can be skipped.
  Object.freeze(result);
  SEALED.add(result);
  return result;
}

function isAttributeValue(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'boolean' || Number.isInteger(value);
}
