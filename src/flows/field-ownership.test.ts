import { describe, expect, it } from 'vitest';
import { markSeen, mergeOwnedFields } from './field-ownership.ts';

const ownership = { name: 'salesforce', currency: 'netsuite' };

describe('field ownership', () => {
  const canonical = { name: 'Acme', currency: 'EUR' };
  const seen = {
    salesforce: { name: 'Acme', currency: 'EUR' },
    netsuite: { name: 'Acme', currency: 'EUR' },
  };

  it('applies a change from the owner and ignores one from a system that does not own the field', () => {
    const crm = mergeOwnedFields(
      canonical,
      seen,
      'salesforce',
      { name: 'Acme Corp', currency: 'GBP' },
      ownership,
      'salesforce',
    );
    expect(crm.fields).toEqual({ name: 'Acme Corp', currency: 'EUR' });
    expect(crm).toMatchObject({ applied: ['name'], ignored: ['currency'], conflicts: [] });
    const erp = mergeOwnedFields(
      canonical,
      seen,
      'netsuite',
      { currency: 'USD' },
      ownership,
      'salesforce',
    );
    expect(erp.fields.currency).toBe('USD');
  });

  it('queues a conflict when both sides changed a field since the last sync', () => {
    const erp = mergeOwnedFields(
      canonical,
      seen,
      'netsuite',
      { currency: 'USD' },
      ownership,
      'salesforce',
    );
    const crm = mergeOwnedFields(
      erp.fields,
      erp.seen,
      'salesforce',
      { name: 'Acme', currency: 'GBP' },
      ownership,
      'salesforce',
    );
    expect(crm.conflicts).toEqual([
      { field: 'currency', from: 'salesforce', value: 'GBP', owner: 'netsuite', current: 'USD' },
    ]);
    expect(crm.fields.currency).toBe('USD');
    // Reported once: the same value again is no longer a change.
    expect(
      mergeOwnedFields(
        crm.fields,
        crm.seen,
        'salesforce',
        { currency: 'GBP' },
        ownership,
        'salesforce',
      ).conflicts,
    ).toEqual([]);
  });

  it('does not take the echo of what revsync sent for a change', () => {
    const afterWrite = markSeen(seen, 'netsuite', { name: 'Acme Corp' });
    const echo = mergeOwnedFields(
      { ...canonical, name: 'Acme Corp' },
      afterWrite,
      'netsuite',
      { name: 'Acme Corp', currency: 'EUR' },
      ownership,
      'salesforce',
    );
    expect(echo).toMatchObject({ applied: [], ignored: [], conflicts: [] });
  });
});
