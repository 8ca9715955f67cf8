import { z } from 'zod';
import { describe, expect, it, vi } from 'vitest';
import { EnvelopeValidationError, type ValidationIssue } from './errors.ts';
import {
  EventEnvelopeSchema,
  extendEnvelope,
  makeEnvelope,
  parseEnvelope,
} from './event-envelope.ts';
import { seededRandom } from './seeded-random.ts';

const minimal = {
  specversion: '1.0',
  id: 'evt_01JQ8Z5X7B0000000000000001',
  source: '/connectors/stripe',
  type: 'revsync.invoice.finalized',
};

function details(value: unknown): ValidationIssue[] {
  try {
    parseEnvelope(value);
  } catch (error) {
    if (error instanceof EnvelopeValidationError) return [...error.details];
    throw error;
  }
  return [];
}

describe('parseEnvelope', () => {
  it('accepts a minimal CloudEvents 1.0 envelope', () => {
    expect(parseEnvelope(minimal)).toEqual(minimal);
  });

  it('accepts every optional attribute and the revsync extensions', () => {
    const full = {
      ...minimal,
      source: 'https://api.stripe.com/v1/events?since=1',
      subject: 'in_1QxYzAbCdEfGh',
      time: '2025-03-01T12:00:00.123+01:00',
      datacontenttype: 'application/json; charset=utf-8',
      dataschema: 'https://revsync.dev/schemas/invoice/v1.json',
      data: { anything: [1, 2, 3] },
      correlationid: 'evt_01JQ8Z5X7B0000000000000000',
      causationid: 'evt_01JQ8Z5X7B0000000000000000',
      entitykey: 'cus_01JQ8Z5X7B0000000000000001',
      schemaversion: 1,
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      retrycount: 3,
      replayed: false,
    };
    expect(parseEnvelope(full)).toEqual(full); // unknown well-formed extensions are kept
  });

  it('lists every problem with its path', () => {
    expect(details({ specversion: '0.3', source: 'has space', time: 'yesterday' })).toEqual([
      { path: 'specversion', message: 'Invalid input: expected "1.0"' },
      { path: 'id', message: 'Invalid input: expected string, received undefined' },
      { path: 'source', message: 'must be a URI-reference' },
      { path: 'type', message: 'Invalid input: expected string, received undefined' },
      { path: 'time', message: 'must be an RFC 3339 timestamp' },
    ]);
  });

  it('has code invalid_event and a readable message', () => {
    expect(() => parseEnvelope({ ...minimal, id: '' })).toThrow(
      expect.objectContaining({
        code: 'invalid_event',
        message: 'invalid event envelope: id: must not be empty',
      }),
    );
    expect(details('not an object')).toHaveLength(1);
  });

  it('rejects extension names that are not lowercase alphanumerics and bad values', () => {
    expect(
      details({ ...minimal, correlationId: 'x', 'trace-id': 'y', averyveryverylongname1: 1 }),
    ).toEqual([
      {
        path: 'correlationId',
        message: 'attribute names must be 1–20 lowercase letters or digits',
      },
      { path: 'trace-id', message: 'attribute names must be 1–20 lowercase letters or digits' },
      {
        path: 'averyveryverylongname1',
        message: 'attribute names must be 1–20 lowercase letters or digits',
      },
    ]);
    expect(details({ ...minimal, subject: undefined })).toEqual([]);
    expect(details({ ...minimal, tenant: { id: 1 } })).toEqual([
      { path: 'tenant', message: 'must be a string, integer or boolean' },
    ]);
  });

  it('checks the revsync extensions and the data members', () => {
    expect(details({ ...minimal, schemaversion: '1' }).map((d) => d.path)).toEqual([
      'schemaversion',
    ]);
    expect(details({ ...minimal, correlationid: '' }).map((d) => d.path)).toEqual([
      'correlationid',
    ]);
    expect(details({ ...minimal, dataschema: '/relative' }).map((d) => d.path)).toEqual([
      'dataschema',
    ]);
    expect(details({ ...minimal, data: 1, data_base64: 'AQ==' }).map((d) => d.path)).toEqual([
      'data_base64',
    ]);
  });

  it('validates data against a schema when given one, prefixing paths with data', () => {
    const Data = z.object({ invoiceId: z.string(), lines: z.array(z.object({ qty: z.int() })) });
    const event = parseEnvelope(
      { ...minimal, data: { invoiceId: 'inv', lines: [{ qty: 1 }] } },
      Data,
    );
    expect(event.data?.lines[0]?.qty).toBe(1);
    expect(() =>
      parseEnvelope({ ...minimal, data: { invoiceId: 'inv', lines: [{ qty: 0.5 }] } }, Data),
    ).toThrow(
      expect.objectContaining({
        details: [{ path: 'data.lines[0].qty', message: expect.any(String) }],
      }),
    );
    expect(() => parseEnvelope(minimal, Data)).toThrow(
      expect.objectContaining({ details: [{ path: 'data', message: expect.any(String) }] }),
    );
  });
});

describe('makeEnvelope', () => {
  it('fills specversion, id, time, content type and starts a correlation chain', () => {
    const event = makeEnvelope({
      type: 'revsync.customer.created',
      source: '/ingest/salesforce',
      subject: 'cus_01JQ8Z5X7B0000000000000001',
      entitykey: 'cus_01JQ8Z5X7B0000000000000001',
      schemaversion: 1,
      data: { name: 'Acme' },
    });
    expect(event.specversion).toBe('1.0');
    expect(event.id).toMatch(/^evt_[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
    expect(Date.parse(event.time ?? '')).not.toBeNaN();
    expect(event.datacontenttype).toBe('application/json');
    expect(event.correlationid).toBe(event.id);
    expect(event).not.toHaveProperty('causationid');
    expect(event.data).toEqual({ name: 'Acme' });
    expect(parseEnvelope(event)).toEqual(event);
  });

  it('links a child to its parent', () => {
    const root = makeEnvelope({ type: 'a', source: '/x', entitykey: 'cus_1' });
    const child = makeEnvelope({ type: 'b', source: '/y', parent: root });
    const grandchild = makeEnvelope({ type: 'c', source: '/z', parent: child });
    expect(child.correlationid).toBe(root.id);
    expect(child.causationid).toBe(root.id);
    expect(child.entitykey).toBe('cus_1');
    expect(grandchild.correlationid).toBe(root.id);
    expect(grandchild.causationid).toBe(child.id);
  });

  it('is replayable given a clock and a seeded random source', () => {
    const make = () =>
      makeEnvelope(
        { type: 'a', source: '/x' },
        { now: Date.UTC(2025, 2, 1), random: seededRandom(9) },
      );
    expect(make()).toEqual(make());
    expect(make().time).toBe('2025-03-01T00:00:00.000Z');
  });

  it('keeps explicit values and omits data fields when there is no data', () => {
    const event = makeEnvelope({
      type: 'a',
      source: '/x',
      id: 'custom-id',
      time: new Date('2025-01-02T03:04:05Z'),
      correlationid: 'corr-1',
    });
    expect(event).toEqual({
      specversion: '1.0',
      id: 'custom-id',
      source: '/x',
      type: 'a',
      time: '2025-01-02T03:04:05.000Z',
      correlationid: 'corr-1',
    });
  });

  it('throws EnvelopeValidationError for an invalid result', () => {
    expect(() => makeEnvelope({ type: 'a', source: 'not a uri' })).toThrow(EnvelopeValidationError);
  });
});

describe('extendEnvelope', () => {
  it('adds attributes to an envelope from makeEnvelope without validating it again', () => {
    const made = makeEnvelope({ type: 'stripe.invoice.finalized', source: 'stripe', id: 'evt_1' });
    const parse = vi.spyOn(EventEnvelopeSchema, 'safeParse');
    try {
      const extended = extendEnvelope(made, { entitykey: 'cus_1', correlationid: undefined });
      expect(extended).toEqual({ ...made, entitykey: 'cus_1' });
      expect(Object.isFrozen(extended)).toBe(true);
      // The inbox's check of it is skipped as well.
      expect(parseEnvelope(extended)).toBe(extended);
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });

  it('validates what it cannot vouch for: an envelope of unknown origin, a bad attribute', () => {
    expect(() => extendEnvelope({ ...minimal, source: '' } as never, {})).toThrow(
      EnvelopeValidationError,
    );
    const made = makeEnvelope({ type: 't', source: 'stripe' });
    expect(() => extendEnvelope(made, { entitykey: '' })).toThrow(EnvelopeValidationError);
    expect(() => extendEnvelope(made, { 'Bad-Name': 'x' })).toThrow(EnvelopeValidationError);
    expect(extendEnvelope({ ...minimal } as never, { entitykey: 'k' })).toEqual({
      ...minimal,
      entitykey: 'k',
    });
  });

  it('envelopes from makeEnvelope cannot be changed into invalid ones', () => {
    const made = makeEnvelope({ type: 't', source: 'stripe' });
    expect(() => {
      (made as { source: string }).source = '';
    }).toThrow(TypeError);
  });
});
