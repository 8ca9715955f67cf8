import { userError } from './errors.ts';
import { formatDateTime, keep, refView, resolveRef, type RecordType } from './record-type.ts';
import type { Item } from './state.ts';

type ItemTypeName = Item['type'];

/** The SuiteQL `item.itemtype` of each REST item type. */
export const SUITEQL_ITEM_TYPE: Record<ItemTypeName, string> = {
  noninventorysaleitem: 'NonInvtPart',
  serviceitem: 'Service',
};

function itemType<T extends ItemTypeName>(name: T, label: string): RecordType<T> {
  const def: RecordType<ItemTypeName> = {
    name,
    label,
    customPrefix: 'custitem',
    sublists: [],
    write(r, existing, base, ctx) {
      r.ignore('createdDate', 'lastModifiedDate', 'itemType');
      const itemId = keep(r.string('itemId'), existing?.itemId);
      if (!itemId) throw userError('Please enter value(s) for: Item Name/Number', r.at('itemId'));
      const allItems = [
        ...ctx.state.list('noninventorysaleitem'),
        ...ctx.state.list('serviceitem'),
      ];
      if (allItems.some((i) => i.itemId === itemId && i.id !== base.id)) {
        throw userError(
          'The item name you have chosen is already used. Go back, change the name and resubmit.',
          r.at('itemId'),
        );
      }
      const accountRef = r.ref('incomeAccount');
      const incomeAccount =
        accountRef === undefined
          ? existing?.incomeAccount
          : accountRef === null
            ? undefined
            : resolveRef(
                ctx.state,
                ['account'],
                accountRef,
                'incomeAccount',
                r.at('incomeAccount'),
              );
      const item = {
        ...base,
        type: name,
        itemId,
        isInactive: keep(r.boolean('isInactive'), existing?.isInactive) ?? false,
      } as Item;
      const displayName = keep(r.string('displayName'), existing?.displayName);
      const salesDescription = keep(r.string('salesDescription'), existing?.salesDescription);
      if (displayName !== undefined) item.displayName = displayName;
      if (salesDescription !== undefined) item.salesDescription = salesDescription;
      if (incomeAccount !== undefined) item.incomeAccount = incomeAccount;
      return item;
    },
    view: (i, ctx) => ({
      itemId: i.itemId,
      ...(i.displayName !== undefined && { displayName: i.displayName }),
      ...(i.salesDescription !== undefined && { salesDescription: i.salesDescription }),
      ...(i.incomeAccount !== undefined && {
        incomeAccount: refView(ctx, 'account', i.incomeAccount),
      }),
      itemType: { id: SUITEQL_ITEM_TYPE[i.type], refName: label },
      isInactive: i.isInactive,
      createdDate: formatDateTime(i.createdMs),
      lastModifiedDate: formatDateTime(i.lastModifiedMs),
    }),
    deleteBlocker: (i, state) =>
      [...state.list('invoice'), ...state.list('creditmemo')].some((t) =>
        t.lines.some((l) => l.item === i.id),
      )
        ? 'This record cannot be deleted because it has dependent records.'
        : undefined,
  };
  // The two item types differ only in name; one definition serves both.
  return def as unknown as RecordType<T>;
}

/** `noninventorysaleitem`: what a subscription or usage charge is sold as. */
export const nonInventorySaleItemType = itemType('noninventorysaleitem', 'Non-inventory Item');

/** `serviceitem`: services (implementation, support). */
export const serviceItemType = itemType('serviceitem', 'Service');

/** Both item types: invoice lines may reference either. */
export const ITEM_TYPES = ['noninventorysaleitem', 'serviceitem'] as const;
