import { BodyReader } from './body-reader.ts';
import { creditMemoType } from './credit-memos.ts';
import { customerPaymentType } from './customer-payments.ts';
import { customerType } from './customers.ts';
import { depositType } from './deposits.ts';
import { invalidContent, netsuiteError, userError } from './errors.ts';
import { invoiceType } from './invoices.ts';
import { nonInventorySaleItemType, serviceItemType } from './items.ts';
import { journalEntryType } from './journal-entries.ts';
import {
  dateOf,
  type RecordOf,
  type RecordType,
  type ViewContext,
  type WriteContext,
} from './record-type.ts';
import { accountType, currencyType, subsidiaryType } from './reference-data.ts';
import type {
  Application,
  Json,
  JsonObject,
  NetsuiteState,
  NsRecord,
  RecordBase,
  RecordTypeName,
} from './state.ts';

/** Every record type, by its REST name. */
export const RECORD_TYPES: { readonly [T in RecordTypeName]: RecordType<T> } = {
  customer: customerType,
  invoice: invoiceType,
  creditmemo: creditMemoType,
  customerpayment: customerPaymentType,
  journalentry: journalEntryType,
  deposit: depositType,
  noninventorysaleitem: nonInventorySaleItemType,
  serviceitem: serviceItemType,
  subsidiary: subsidiaryType,
  currency: currencyType,
  account: accountType,
};

/** The record type named in a URL (NetSuite accepts any letter case, e.g. `customerPayment`). */
export function recordTypeName(segment: string): RecordTypeName | undefined {
  const name = segment.toLowerCase();
  return Object.hasOwn(RECORD_TYPES, name) ? (name as RecordTypeName) : undefined;
}

function typeOf<T extends RecordTypeName>(name: T): RecordType<T> {
  return RECORD_TYPES[name] as RecordType<T>;
}

const EXTERNAL_ID = /^[A-Za-z0-9_-]+$/;

/** Whether an external id has only letters, digits, `_` and `-` (NetSuite's rule). */
export function isValidExternalId(value: string): boolean {
  return EXTERNAL_ID.test(value);
}

/** How a write treats body fields the emulator does not know. */
export interface WriteOptions {
  /** `X-NetSuite-PropertyNameValidation: Error` — refuse them (default: ignore them). */
  strictNames?: boolean;
}

/** How a record is rendered. */
export interface ViewOptions {
  /** `expandSubResources=true`: sublists inline instead of links. */
  expand?: boolean;
  /** `fields=a,b`: only these body fields (plus `links` and `id`). */
  fields?: string[];
}

/** Creates, changes, deletes and renders records; the HTTP layer sits on top. */
export interface RecordService {
  /** The record for `123` or `eid:VALUE`, if any. */
  find<T extends RecordTypeName>(type: T, key: string): RecordOf<T> | undefined;
  create(type: RecordTypeName, body: unknown, options?: WriteOptions): NsRecord;
  update(record: NsRecord, body: unknown, options?: WriteOptions): NsRecord;
  remove(record: NsRecord): void;
  view(record: NsRecord, recordUrl: string, options?: ViewOptions): JsonObject;
  /** A sublist as a collection body. */
  sublist(record: NsRecord, name: string, recordUrl: string): JsonObject | undefined;
}

function asObject(body: unknown): JsonObject {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidContent(
      'The request could not be understood by the server due to malformed syntax: the body must be a JSON object.',
    );
  }
  return body as JsonObject;
}

function readOnlyError(type: RecordType): never {
  throw netsuiteError(
    405,
    'METHOD_NOT_ALLOWED',
    `The ${type.name} record is read-only in this account: it can be read and queried, not changed.`,
  );
}

function mergeCustom(old: JsonObject, sent: JsonObject): JsonObject {
  const out: JsonObject = { ...old };
  for (const [k, v] of Object.entries(sent)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

function applicationsOf(record: NsRecord | undefined): Application[] {
  return record?.type === 'customerpayment' || record?.type === 'creditmemo' ? record.apply : [];
}

function sameApplications(a: Application[], b: Application[]): boolean {
  return (
    a.length === b.length && a.every((x, i) => x.doc === b[i]?.doc && x.amount === b[i]?.amount)
  );
}

/** Creates the record service over `state`, timestamping with `now()` (epoch ms). */
export function createRecordService(state: NetsuiteState, now: () => number): RecordService {
  const writeContext = (): WriteContext => {
    const nowMs = Math.floor(now() / 1000) * 1000;
    return { state, nowMs, today: dateOf(nowMs) };
  };

  const readExternalId = (r: BodyReader, type: RecordTypeName, selfId: string, old?: string) => {
    const sent = r.string('externalId');
    if (sent === undefined) return old;
    if (sent === null || sent === '') return undefined;
    if (!isValidExternalId(sent)) {
      throw invalidContent(
        `Error while accessing a resource. Invalid external ID '${sent}': use only letters, digits, underscore (_) and hyphen (-).`,
        'externalId',
      );
    }
    const owner = state.idForExternalId(type, sent);
    if (owner !== undefined && owner !== selfId) {
      throw userError(
        `Error while accessing a resource. This record already exists: a ${type} with external ID '${sent}' exists (internal ID ${owner}).`,
        'externalId',
      );
    }
    return sent;
  };

  const checkUnknown = (r: BodyReader, options: WriteOptions | undefined) => {
    const unknown = r.unknownFields();
    if (options?.strictNames && unknown.length > 0) {
      throw invalidContent(
        `Error while accessing a resource. Invalid field name: ${unknown.join(', ')}.`,
        unknown[0],
      );
    }
  };

  /** Payments and credit memos change their invoices' status: bump those invoices' lastModifiedDate. */
  const touchApplied = (before: NsRecord | undefined, after: NsRecord | undefined, ms: number) => {
    const a = applicationsOf(before);
    const b = applicationsOf(after);
    if (sameApplications(a, b)) return;
    for (const doc of new Set([...a, ...b].map((x) => x.doc))) {
      const invoice = state.get('invoice', doc);
      if (invoice) state.put({ ...invoice, lastModifiedMs: ms });
    }
  };

  const noteReceipt = (record: NsRecord): void => {
    const key = `${record.type}:${record.id}`;
    const seen = state.receipts.get(key);
    if (seen) {
      seen.writes += 1;
      if (record.externalId !== undefined) seen.externalId = record.externalId;
      return;
    }
    state.receipts.set(key, {
      type: record.type,
      id: record.id,
      ...(record.externalId !== undefined && { externalId: record.externalId }),
      receivedAtMs: Date.now(),
      writes: 1,
    });
  };

  const write = (
    type: RecordTypeName,
    body: unknown,
    existing: NsRecord | undefined,
    options: WriteOptions | undefined,
  ): NsRecord => {
    const def = typeOf(type);
    if (def.readOnly || !def.write) readOnlyError(def);
    const ctx = writeContext();
    const r = new BodyReader(asObject(body));
    const id = existing?.id ?? state.peekId(type);
    const externalId = readExternalId(r, type, id, existing?.externalId);
    const custom = def.customPrefix ? r.custom(def.customPrefix) : {};
    const base: RecordBase = {
      id,
      createdMs: existing?.createdMs ?? ctx.nowMs,
      lastModifiedMs: ctx.nowMs,
      custom: mergeCustom(existing?.custom ?? {}, custom),
      ...(externalId !== undefined && { externalId }),
    };
    const record = (def.write as NonNullable<RecordType['write']>)(
      r,
      existing as never,
      base,
      ctx,
    ) as NsRecord;
    checkUnknown(r, options);
    if (!existing) state.nextId(type);
    state.put(record);
    noteReceipt(record);
    touchApplied(existing, record, ctx.nowMs);
    return record;
  };

  const viewContext = (recordUrl: string): ViewContext => ({ state, recordUrl });

  const linesOf = (record: NsRecord, name: string, ctx: ViewContext): JsonObject[] => {
    const def = typeOf(record.type) as RecordType;
    return def.lines?.(record as never, name, ctx) ?? [];
  };

  const sublistBody = (record: NsRecord, name: string, ctx: ViewContext): JsonObject => {
    const self = `${ctx.recordUrl}/${record.type}/${record.id}/${name}`;
    const items = linesOf(record, name, ctx).map((line): JsonObject => ({
      links: [{ rel: 'self', href: `${self}/${String(line['line'])}` }],
      ...line,
    }));
    return {
      links: [{ rel: 'self', href: self }],
      count: items.length,
      hasMore: false,
      items,
      offset: 0,
      totalResults: items.length,
    };
  };

  return {
    find(type, key) {
      if (key.startsWith('eid:')) {
        const eid = key.slice(4);
        if (!isValidExternalId(eid)) {
          throw netsuiteError(
            400,
            'INVALID_ID',
            `Invalid external ID '${eid}': use only letters, digits, underscore (_) and hyphen (-).`,
          );
        }
        const id = state.idForExternalId(type, eid);
        return id === undefined ? undefined : state.get(type, id);
      }
      if (!/^\d+$/.test(key)) {
        throw netsuiteError(
          400,
          'INVALID_ID',
          `Invalid record ID '${key}': use an internal ID (digits) or eid:EXTERNAL_ID.`,
        );
      }
      return state.get(type, key);
    },
    create: (type, body, options) => write(type, body, undefined, options),
    update: (record, body, options) => write(record.type, body, record, options),
    remove(record) {
      const def = typeOf(record.type) as RecordType;
      if (def.readOnly) readOnlyError(def);
      const blocker = def.deleteBlocker?.(record as never, state);
      if (blocker) throw userError(blocker);
      state.remove(record.type, record.id);
      touchApplied(record, undefined, writeContext().nowMs);
    },
    view(record, recordUrl, options = {}) {
      const def = typeOf(record.type) as RecordType;
      const ctx = viewContext(recordUrl);
      const body: JsonObject = {
        ...def.view(record as never, ctx),
        ...(record.externalId !== undefined && { externalId: record.externalId }),
        ...record.custom,
      };
      for (const name of def.sublists) {
        body[name] = options.expand
          ? sublistBody(record, name, ctx)
          : { links: [{ rel: 'self', href: `${recordUrl}/${record.type}/${record.id}/${name}` }] };
      }
      let selected: [string, Json][] = Object.entries(body);
      if (options.fields) {
        const wanted = new Set(options.fields.map((f) => f.toLowerCase()));
        selected = selected.filter(([k]) => wanted.has(k.toLowerCase()));
      }
      return {
        links: [{ rel: 'self', href: `${recordUrl}/${record.type}/${record.id}` }],
        id: record.id,
        ...Object.fromEntries(selected),
      };
    },
    sublist(record, name, recordUrl) {
      const def = typeOf(record.type) as RecordType;
      if (!def.sublists.includes(name)) return undefined;
      return sublistBody(record, name, viewContext(recordUrl));
    },
  };
}
