import type { VendorEvent } from '../connectors/ports.ts';
import { stableId } from '../model/ids.ts';
import type { Store } from '../store/store.ts';

type Data = Record<string, unknown>;

/**
 * Gives each vendor event the entity key that orders its runs: the canonical customer. Salesforce
 * events carry the account id; billing objects carry the canonical id in their metadata (set by
 * revsync when it created them) or a customer id the cross-reference map knows. An event whose
 * customer revsync cannot place keeps a vendor-scoped key, so it is still ordered with its kin.
 */
export class EntityKeyResolver {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  /**
   * Adds the entity key and, for billing objects revsync created, the correlation id of the
   * business change that created them (kept in their metadata), so one correlation id follows a
   * deal from the CRM through billing to the ERP.
   */
  async resolve(event: VendorEvent): Promise<VendorEvent> {
    const correlationid = correlationOf(event) ?? event.correlationid;
    const entitykey = event.entitykey ?? (await this.#keyOf(event));
    return {
      ...event,
      ...(entitykey !== undefined && { entitykey }),
      ...(correlationid !== undefined && { correlationid }),
    };
  }

  async #keyOf(event: VendorEvent): Promise<string | undefined> {
    const data = (event.data ?? {}) as Data;
    switch (event.source) {
      case 'salesforce': {
        const accountId = event.type.startsWith('salesforce.account.')
          ? event.subject
          : str(data.AccountId);
        return accountId
          ? this.#canonical('salesforce', 'Account', accountId, () =>
              stableId('cus', `salesforce:Account:${accountId}`),
            )
          : undefined;
      }
      case 'stripe': {
        // Subscriptions carry it in metadata; their invoices in parent.subscription_details.metadata.
        const fromMetadata =
          str(obj(data.metadata)?.revsync_customer_id) ??
          str(obj(obj(obj(data.parent)?.subscription_details)?.metadata)?.revsync_customer_id);
        if (fromMetadata) return fromMetadata;
        const customer =
          data.object === 'customer'
            ? str(data.id)
            : (str(data.customer) ?? str(obj(data.customer)?.id));
        return customer
          ? this.#canonical('stripe', 'customer', customer, () => `stripe:customer:${customer}`)
          : undefined;
      }
      case 'netsuite': {
        const externalId = str(data.externalId) ?? str(obj(data.entity)?.externalId);
        if (externalId?.startsWith('cus_')) return externalId;
        const id = event.subject;
        return id
          ? this.#canonical('netsuite', 'customer', id, () => `netsuite:customer:${id}`)
          : undefined;
      }
      default:
        return event.subject ? `${event.source}:${event.subject}` : undefined;
    }
  }

  async #canonical(
    system: string,
    objectType: string,
    externalId: string,
    fallback: () => string,
  ): Promise<string> {
    return (
      (await this.#store.xrefs.findCanonical(this.#store.db, system, objectType, externalId)) ??
      fallback()
    );
  }
}

function correlationOf(event: VendorEvent): string | undefined {
  const data = (event.data ?? {}) as Data;
  return (
    str(obj(data.metadata)?.revsync_correlation_id) ??
    str(obj(obj(obj(data.parent)?.subscription_details)?.metadata)?.revsync_correlation_id)
  );
}

function obj(value: unknown): Data | undefined {
  return typeof value === 'object' && value !== null ? (value as Data) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
