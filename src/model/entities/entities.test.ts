import { describe, expect, it } from 'vitest';
import { EntityValidationError, ModelError, type ValidationIssue } from '../errors.ts';
import { exampleEntities } from './examples.ts';
import { ENTITY_TYPES, type EntityType } from './entity-type.ts';
import { entitySchemas, parseEntity, type EntityOf } from './index.ts';
import { canTransitionPayment, PAYMENT_STATUS_TRANSITIONS, transitionPayment } from './payment.ts';

/** A deep copy of the example of `type`, changed by `edit`. */
function variant<T extends EntityType>(type: T, edit: (entity: EntityOf<T>) => void): unknown {
  const copy = structuredClone(exampleEntities[type]);
  edit(copy);
  return copy;
}

function issues(type: EntityType, value: unknown): ValidationIssue[] {
  try {
    parseEntity(type, value);
  } catch (error) {
    if (error instanceof EntityValidationError) return [...error.details];
    throw error;
  }
  return [];
}

function paths(type: EntityType, value: unknown): string[] {
  return issues(type, value).map((i) => i.path);
}

const usd = (amount: number) => ({ amount, currency: 'USD' as const });

describe('entity registry', () => {
  it('has a schema for every entity type', () => {
    expect(Object.keys(entitySchemas).sort()).toEqual([...ENTITY_TYPES].sort());
  });

  it.each(ENTITY_TYPES)('accepts the %s example unchanged', (type) => {
    expect(parseEntity(type, exampleEntities[type])).toEqual(exampleEntities[type]);
  });

  it.each(ENTITY_TYPES)('requires schemaVersion 1 on %s', (type) => {
    expect(paths(type, { ...exampleEntities[type], schemaVersion: 2 })).toEqual(['schemaVersion']);
  });

  it('throws EntityValidationError with code, paths and a readable message', () => {
    const bad = variant('customer', (c) => {
      (c as { currency: string }).currency = 'usd';
      c.name = '  ';
    });
    expect(() => parseEntity('customer', bad)).toThrow(EntityValidationError);
    try {
      parseEntity('customer', bad);
    } catch (error) {
      expect(error).toBeInstanceOf(ModelError);
      expect((error as ModelError).code).toBe('invalid_entity');
      expect((error as Error).message).toMatch(/^invalid customer: name: .*; currency: /);
    }
  });

  it('rejects non-objects at the root', () => {
    expect(paths('invoice', null)).toEqual(['']);
  });
});

describe('customer, contact, product', () => {
  it('rejects a bad id prefix, domain, email and country', () => {
    const bad = variant('customer', (c) => {
      c.id = exampleEntities.invoice.id;
      c.domain = 'Acme.COM';
      c.email = 'not-an-email';
      if (c.billingAddress) c.billingAddress.country = 'usa';
    });
    expect(paths('customer', bad)).toEqual(['id', 'email', 'domain', 'billingAddress.country']);
  });

  it('rejects an external ref whose system is not a system name', () => {
    const bad = variant('customer', (c) => {
      (c.externalRefs[0] as { system: string }).system = 'SAP Business One';
    });
    expect(paths('customer', bad)).toEqual(['externalRefs[0].system']);
  });

  it('needs a contact to have a last name or an email', () => {
    const bad = variant('contact', (c) => {
      delete c.lastName;
      delete c.email;
    });
    expect(issues('contact', bad)).toEqual([
      { path: '', message: 'a contact needs a lastName or an email' },
    ]);
  });

  it('requires product.active to be a boolean', () => {
    expect(paths('product', { ...exampleEntities.product, active: 'yes' })).toEqual(['active']);
  });
});

describe('price', () => {
  it('needs recurring exactly when type is recurring', () => {
    expect(
      paths(
        'price',
        variant('price', (p) => delete p.recurring),
      ),
    ).toEqual(['recurring']);
    expect(
      paths(
        'price',
        variant('price', (p) => (p.type = 'one_time')),
      ),
    ).toEqual(['recurring']);
  });

  it('rejects a negative or foreign-currency unit amount and a weekly interval', () => {
    expect(
      paths(
        'price',
        variant('price', (p) => (p.unitAmount = usd(-1))),
      ),
    ).toEqual(['unitAmount']);
    expect(
      paths(
        'price',
        variant('price', (p) => (p.unitAmount = { amount: 1, currency: 'EUR' })),
      ),
    ).toEqual(['unitAmount.currency']);
    const weekly = variant('price', (p) => {
      if (p.recurring) (p.recurring as { interval: string }).interval = 'week';
    });
    expect(paths('price', weekly)).toEqual(['recurring.interval']);
  });
});

describe('contract and subscription', () => {
  it('rejects a term that ends before it starts and fractional quantities', () => {
    const bad = variant('contract', (c) => {
      c.termEnd = '2025-02-01';
      if (c.lines[0]) c.lines[0].quantity = 1.5;
    });
    expect(paths('contract', bad)).toEqual(['lines[0].quantity']);
    expect(
      paths(
        'contract',
        variant('contract', (c) => (c.termEnd = c.termStart)),
      ),
    ).toEqual(['termEnd']);
  });

  it('rejects impossible dates and non-UTC timestamps', () => {
    expect(
      paths(
        'contract',
        variant('contract', (c) => (c.termEnd = '2025-02-30')),
      ),
    ).toEqual(['termEnd']);
    const offset = variant('subscription', (s) => {
      s.currentPeriodStart = '2025-03-01T01:00:00+01:00';
    });
    expect(paths('subscription', offset)).toEqual(['currentPeriodStart']);
  });

  it('checks subscription status, period and status-dependent fields', () => {
    expect(paths('subscription', { ...exampleEntities.subscription, status: 'cancelled' })).toEqual(
      ['status'],
    );
    expect(paths('subscription', { ...exampleEntities.subscription, status: 'canceled' })).toEqual([
      'canceledAt',
    ]);
    expect(paths('subscription', { ...exampleEntities.subscription, status: 'trialing' })).toEqual([
      'trialEnd',
    ]);
    const backwards = variant('subscription', (s) => {
      s.currentPeriodEnd = s.currentPeriodStart;
    });
    expect(paths('subscription', backwards)).toEqual(['currentPeriodEnd']);
    expect(
      paths('subscription', { ...exampleEntities.subscription, amendmentSequence: -1 }),
    ).toEqual(['amendmentSequence']);
  });

  it('rejects duplicate item ids', () => {
    const dup = variant('subscription', (s) => {
      const item = s.items[0];
      if (item) s.items.push({ ...item });
    });
    expect(paths('subscription', dup)).toEqual(['items[1].id']);
  });
});

describe('invoice invariants', () => {
  it('rejects total ≠ subtotal + tax', () => {
    const bad = variant('invoice', (i) => (i.total = usd(21651)));
    expect(issues('invoice', bad)).toEqual([
      { path: 'total', message: 'must equal subtotal + tax (21650), is 21651' },
    ]);
  });

  it('rejects lines that do not sum to the subtotal', () => {
    const bad = variant('invoice', (i) => {
      i.subtotal = usd(19000);
      i.total = usd(20650);
    });
    expect(paths('invoice', bad)).toEqual(['subtotal']);
  });

  it('rejects tax lines that do not sum to the tax', () => {
    const bad = variant('invoice', (i) => {
      if (i.taxLines[0]) i.taxLines[0].amount = usd(1600);
    });
    expect(paths('invoice', bad)).toEqual(['tax']);
  });

  it('checks line-level tax lines against the tax too', () => {
    const ok = variant('invoice', (i) => {
      if (i.lines[0]) i.lines[0].taxLines = structuredClone(i.taxLines);
    });
    expect(paths('invoice', ok)).toEqual([]);
    const bad = variant('invoice', (i) => {
      if (i.lines[0])
        i.lines[0].taxLines = [{ rate: '0.08', taxableAmount: usd(20000), amount: usd(1600) }];
    });
    expect(paths('invoice', bad)).toEqual(['tax']);
  });

  it('rejects Money in another currency anywhere in the invoice, with its path', () => {
    const bad = variant('invoice', (i) => {
      if (i.lines[0]) i.lines[0].amount = { amount: 20000, currency: 'EUR' };
      if (i.taxLines[0]) i.taxLines[0].taxableAmount = { amount: 20000, currency: 'GBP' };
    });
    expect(issues('invoice', bad)).toContainEqual({
      path: 'lines[0].amount.currency',
      message: 'is EUR, expected USD',
    });
    expect(paths('invoice', bad)).toContain('taxLines[0].taxableAmount.currency');
  });

  it('rejects a float amount, never rounding it', () => {
    const bad = variant('invoice', (i) => {
      if (i.lines[0]) i.lines[0].amount = usd(200.5);
    });
    expect(paths('invoice', bad)).toEqual(['lines[0].amount.amount']);
  });

  it('checks amount = quantity × unitAmount − discount on non-proration lines only', () => {
    const wrong = variant('invoice', (i) => {
      if (i.lines[0]) i.lines[0].quantity = 9;
    });
    expect(paths('invoice', wrong)).toEqual(['lines[0].amount']);
    const discounted = variant('invoice', (i) => {
      const line = i.lines[0];
      if (!line) return;
      line.discountAmount = usd(2000);
      line.amount = usd(18000);
      i.subtotal = usd(18000);
      i.total = usd(19650);
      i.amountPaid = usd(19650);
    });
    expect(paths('invoice', discounted)).toEqual([]);
    const proration = variant('invoice', (i) => {
      const line = i.lines[0];
      if (!line) return;
      line.proration = true;
      line.amount = usd(9677);
      i.subtotal = usd(9677);
      i.taxLines = [];
      i.tax = usd(0);
      i.total = usd(9677);
      i.amountPaid = usd(9677);
    });
    expect(paths('invoice', proration)).toEqual([]);
  });

  it('allows credit (negative) lines and totals', () => {
    const credit = variant('invoice', (i) => {
      i.billingReason = 'subscription_update';
      i.status = 'open';
      i.amountPaid = usd(0);
      i.amountDue = usd(0);
      i.taxLines = [];
      i.tax = usd(0);
      i.lines = i.lines.map((line) => ({ ...line, proration: true, amount: usd(-500) }));
      i.subtotal = usd(-500);
      i.total = usd(-500);
    });
    expect(paths('invoice', credit)).toEqual([]);
  });

  it('checks status-dependent fields', () => {
    expect(paths('invoice', { ...exampleEntities.invoice, amountDue: usd(1) })).toEqual([
      'amountDue',
    ]);
    const open = variant('invoice', (i) => {
      i.status = 'open';
      delete i.number;
      delete i.issuedAt;
    });
    expect(paths('invoice', open)).toEqual(['number', 'issuedAt']);
    expect(paths('invoice', { ...(open as object), status: 'draft' })).toEqual([]);
    expect(paths('invoice', { ...exampleEntities.invoice, status: 'refunded' })).toEqual([
      'status',
    ]);
    expect(paths('invoice', { ...exampleEntities.invoice, billingReason: 'renewal' })).toEqual([
      'billingReason',
    ]);
    expect(paths('invoice', { ...exampleEntities.invoice, dueAt: '2025-02-01T00:00:00Z' })).toEqual(
      ['dueAt'],
    );
  });

  it('rejects a service period that ends before it starts and a bad tax rate', () => {
    const bad = variant('invoice', (i) => {
      const line = i.lines[0];
      if (line) line.servicePeriodEnd = '2025-02-01T00:00:00Z';
      if (i.taxLines[0]) i.taxLines[0].rate = '8.25%';
    });
    expect(paths('invoice', bad).sort()).toEqual(['lines[0].servicePeriodEnd', 'taxLines[0].rate']);
  });
});

describe('credit note', () => {
  it('checks line sum, total and sign', () => {
    expect(paths('credit_note', { ...exampleEntities.credit_note, total: usd(2000) })).toEqual([
      'total',
    ]);
    expect(paths('credit_note', { ...exampleEntities.credit_note, subtotal: usd(1) })).toEqual([
      'subtotal',
      'total',
    ]);
    const negative = variant('credit_note', (c) => {
      if (c.lines[0]) c.lines[0].amount = usd(-2000);
    });
    // the sign problem is reported, and the sums are still checked
    expect(paths('credit_note', negative)).toEqual(['lines[0].amount', 'subtotal']);
    expect(paths('credit_note', { ...exampleEntities.credit_note, invoiceId: undefined })).toEqual([
      'invoiceId',
    ]);
  });
});

describe('payment', () => {
  it('requires the status to be the last history entry', () => {
    expect(paths('payment', { ...exampleEntities.payment, status: 'failed' })).toEqual(['status']);
  });

  it('rejects illegal transitions and time going back in the history', () => {
    const bad = variant('payment', (p) => {
      p.status = 'pending';
      p.statusHistory = [
        { status: 'refunded', at: '2025-03-02T00:00:00Z' },
        { status: 'pending', at: '2025-03-01T00:00:00Z' },
      ];
    });
    expect(issues('payment', bad)).toEqual([
      { path: 'statusHistory[1].at', message: 'must be on or after 2025-03-02T00:00:00Z' },
      { path: 'statusHistory[1].status', message: 'cannot go from refunded to pending' },
    ]);
  });

  it('keeps refund amounts consistent with the status', () => {
    const refunded = variant('payment', (p) => {
      p.status = 'refunded';
      p.statusHistory.push({ status: 'refunded', at: '2025-03-05T00:00:00Z' });
    });
    expect(paths('payment', refunded)).toEqual(['amountRefunded']);
    expect(paths('payment', { ...exampleEntities.payment, amountRefunded: usd(99999) })).toEqual([
      'amountRefunded',
    ]);
  });

  it('has a transition table covering every status', () => {
    expect(Object.keys(PAYMENT_STATUS_TRANSITIONS).sort()).toEqual([
      'failed',
      'partially_refunded',
      'pending',
      'refunded',
      'succeeded',
    ]);
    expect(canTransitionPayment('pending', 'succeeded')).toBe(true);
    expect(canTransitionPayment('refunded', 'succeeded')).toBe(false);
  });

  it('changes status only through transitionPayment, keeping the lineage', () => {
    const payment = exampleEntities.payment;
    const partial = transitionPayment(payment, {
      status: 'partially_refunded',
      at: '2025-03-10T09:00:00Z',
      reason: 'one seat removed',
      amountRefunded: usd(2165),
    });
    expect(partial.status).toBe('partially_refunded');
    expect(partial.statusHistory.at(-1)).toEqual({
      status: 'partially_refunded',
      at: '2025-03-10T09:00:00Z',
      reason: 'one seat removed',
    });
    expect(payment.statusHistory).toHaveLength(2); // input untouched
    const full = transitionPayment(partial, {
      status: 'refunded',
      at: '2025-03-11T09:00:00Z',
      amountRefunded: usd(21650),
    });
    expect(full.statusHistory.map((h) => h.status)).toEqual([
      'pending',
      'succeeded',
      'partially_refunded',
      'refunded',
    ]);
    expect(() =>
      transitionPayment(full, { status: 'succeeded', at: '2025-03-12T00:00:00Z' }),
    ).toThrow(expect.objectContaining({ code: 'invalid_transition' }));
    expect(() =>
      transitionPayment(payment, { status: 'refunded', at: '2025-03-12T00:00:00Z' }),
    ).toThrow(EntityValidationError);
  });
});

describe('usage record', () => {
  it('needs a non-negative integer quantity and a dedupe key', () => {
    expect(paths('usage_record', { ...exampleEntities.usage_record, quantity: -1 })).toEqual([
      'quantity',
    ]);
    expect(paths('usage_record', { ...exampleEntities.usage_record, quantity: 0.5 })).toEqual([
      'quantity',
    ]);
    expect(paths('usage_record', { ...exampleEntities.usage_record, dedupeKey: '' })).toEqual([
      'dedupeKey',
    ]);
  });
});

describe('revenue schedule', () => {
  it('rejects lines that do not sum to the total', () => {
    expect(
      paths('revenue_schedule', { ...exampleEntities.revenue_schedule, total: usd(20001) }),
    ).toEqual(['total']);
  });

  it('rejects gaps, overlaps and lines outside the term', () => {
    const gap = variant('revenue_schedule', (r) => {
      if (r.lines[1]) r.lines[1].periodStart = '2025-04-02';
    });
    expect(paths('revenue_schedule', gap)).toEqual(['lines[1].periodStart']);
    const short = variant('revenue_schedule', (r) => (r.termEnd = '2025-05-01'));
    expect(paths('revenue_schedule', short)).toEqual(['lines[1].periodEnd']);
  });
});

describe('journal entry', () => {
  it('rejects an unbalanced entry', () => {
    const bad = variant('journal_entry', (j) => {
      if (j.lines[2]) j.lines[2].credit = usd(1649);
    });
    expect(issues('journal_entry', bad)).toEqual([
      { path: 'lines', message: 'debits (21650) must equal credits (21649)' },
    ]);
  });

  it('needs exactly one of debit and credit per line, in the entry currency', () => {
    const both = variant('journal_entry', (j) => {
      if (j.lines[0]) j.lines[0].credit = usd(0);
    });
    expect(paths('journal_entry', both)).toEqual(['lines[0]']);
    const neither = variant('journal_entry', (j) => {
      j.lines.push({ account: '9999 Suspense' });
    });
    expect(paths('journal_entry', neither)).toEqual(['lines[3]']);
    const foreign = variant('journal_entry', (j) => {
      j.lines = j.lines.map((line) => ({
        ...line,
        ...(line.debit && { debit: { ...line.debit, currency: 'EUR' as const } }),
        ...(line.credit && { credit: { ...line.credit, currency: 'EUR' as const } }),
      }));
    });
    expect(paths('journal_entry', foreign)).toEqual([
      'lines[0].debit.currency',
      'lines[1].credit.currency',
      'lines[2].credit.currency',
    ]);
  });

  it('needs at least two lines', () => {
    const single = variant('journal_entry', (j) => (j.lines = j.lines.slice(0, 1)));
    expect(issues('journal_entry', single)).toEqual([
      { path: 'lines', message: 'Too small: expected array to have >=2 items' },
      { path: 'lines', message: 'debits (21650) must equal credits (0)' },
    ]);
  });
});
