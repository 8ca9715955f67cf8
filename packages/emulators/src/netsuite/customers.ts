import { userError } from './errors.ts';
import {
  customerName,
  formatDateTime,
  keep,
  refView,
  resolveRef,
  type RecordType,
} from './record-type.ts';
import type { Customer } from './state.ts';

/**
 * `customer`: a company (`companyName`) or a person (`isPerson`, `firstName`, `lastName`) in one
 * subsidiary, with a primary currency (default: the subsidiary's base currency). `entityId` is
 * auto-numbered `CUS<id>` unless sent, and must be unique.
 */
export const customerType: RecordType<'customer'> = {
  name: 'customer',
  label: 'Customer',
  customPrefix: 'custentity',
  sublists: [],
  write(r, existing, base, ctx) {
    r.ignore('dateCreated', 'lastModifiedDate', 'balance');
    const isPerson = keep(r.boolean('isPerson'), existing?.isPerson) ?? false;
    const companyName = keep(r.string('companyName'), existing?.companyName);
    const firstName = keep(r.string('firstName'), existing?.firstName);
    const lastName = keep(r.string('lastName'), existing?.lastName);
    if (isPerson) {
      if (!firstName) throw userError('Please enter value(s) for: First Name', r.at('firstName'));
      if (!lastName) throw userError('Please enter value(s) for: Last Name', r.at('lastName'));
    } else if (!companyName) {
      throw userError('Please enter value(s) for: Company Name', r.at('companyName'));
    }

    const subsidiaryRef = r.ref('subsidiary');
    const subsidiary =
      subsidiaryRef === undefined
        ? existing?.subsidiary
        : subsidiaryRef === null
          ? undefined
          : resolveRef(ctx.state, ['subsidiary'], subsidiaryRef, 'subsidiary', r.at('subsidiary'));
    if (subsidiary === undefined) {
      throw userError('Please enter value(s) for: Primary Subsidiary', r.at('subsidiary'));
    }
    if (
      existing &&
      subsidiary !== existing.subsidiary &&
      ctx.state.hasTransactionsFor(existing.id)
    ) {
      throw userError(
        'You cannot change the subsidiary of a customer that has transactions.',
        r.at('subsidiary'),
      );
    }

    const currencyRef = r.ref('currency');
    const currency =
      currencyRef === undefined || currencyRef === null
        ? (existing?.currency ?? ctx.state.get('subsidiary', subsidiary)?.currency ?? '1')
        : resolveRef(ctx.state, ['currency'], currencyRef, 'currency', r.at('currency'));

    const entityIdInput = keep(r.string('entityId'), existing?.entityId);
    const entityId = entityIdInput || `CUS${base.id}`;
    const clash = ctx.state
      .list('customer')
      .find((c) => c.entityId === entityId && c.id !== base.id);
    if (clash) {
      throw userError(
        'A customer record with this ID already exists. You must enter a unique customer ID for each record you create.',
        r.at('entityId'),
      );
    }

    const customer: Customer = {
      ...base,
      type: 'customer',
      entityId,
      isPerson,
      subsidiary,
      currency,
      isInactive: keep(r.boolean('isInactive'), existing?.isInactive) ?? false,
    };
    const optional = {
      companyName,
      firstName,
      lastName,
      email: keep(r.string('email'), existing?.email),
      phone: keep(r.string('phone'), existing?.phone),
      comments: keep(r.string('comments'), existing?.comments),
    };
    for (const [k, v] of Object.entries(optional)) {
      if (v !== undefined) Object.assign(customer, { [k]: v });
    }
    return customer;
  },
  view: (c, ctx) => ({
    entityId: c.entityId,
    ...(c.companyName !== undefined && { companyName: c.companyName }),
    isPerson: c.isPerson,
    ...(c.firstName !== undefined && { firstName: c.firstName }),
    ...(c.lastName !== undefined && { lastName: c.lastName }),
    altName: customerName(c),
    ...(c.email !== undefined && { email: c.email }),
    ...(c.phone !== undefined && { phone: c.phone }),
    ...(c.comments !== undefined && { comments: c.comments }),
    subsidiary: refView(ctx, 'subsidiary', c.subsidiary),
    currency: refView(ctx, 'currency', c.currency),
    isInactive: c.isInactive,
    dateCreated: formatDateTime(c.createdMs),
    lastModifiedDate: formatDateTime(c.lastModifiedMs),
  }),
  deleteBlocker: (c, state) =>
    state.hasTransactionsFor(c.id)
      ? 'This record cannot be deleted because it has dependent records.'
      : undefined,
};
