import { EmulatorHttpError } from '../kit/index.ts';
import type { RecordChange } from './change-events.ts';
import { notFound, SalesforceError } from './errors.ts';
import { OBJECT_RULES } from './object-rules.ts';
import { salesforceId } from './salesforce-id.ts';
import {
  isCustomName,
  isDateString,
  parseDateTime,
  type FieldDef,
  type ObjectDef,
} from './schema.ts';
import { formatDateTime, type SalesforceState, type SfRecord } from './state.ts';

/** Options of a create. */
export interface CreateOptions {
  /** Seeding through the admin route: `CreatedDate` / `LastModifiedDate` may be given. */
  seeding?: boolean;
}

/** 300 Multiple Choices: an upsert key matched several records; the body lists their URLs. */
export class AmbiguousExternalIdError extends EmulatorHttpError {
  constructor(
    readonly field: string,
    readonly ids: string[],
    urls: string[],
  ) {
    super(300, urls);
    this.name = 'AmbiguousExternalIdError';
    this.message = `${field}: more than one record found for external id field: [${ids.join(', ')}]`;
  }
}

const AUDIT_FIELDS = new Set(['CreatedDate', 'LastModifiedDate']);
/** Not carried by change events. */
const NOT_IN_EVENTS = new Set(['Id', 'IsDeleted', 'SystemModstamp']);
/** Cascade-deleted records remember the record whose deletion took them, for undelete. */
const cascadeRoot = new WeakMap<SfRecord, string>();

const jsonError = (f: FieldDef, raw: unknown): SalesforceError =>
  new SalesforceError(
    400,
    'JSON_PARSER_ERROR',
    `Cannot deserialize instance of ${f.type} from ${typeof raw === 'string' ? 'VALUE_STRING' : 'value'} ${JSON.stringify(raw)} or request may be missing a required field`,
  );

/**
 * Record writes with Salesforce's rules: field checks (unknown, read-only, types, ids,
 * lengths, required), audit fields, derived fields and roll-ups (`object-rules.ts`),
 * cascade delete, recycle bin and undelete, upsert by external id. Every write runs in a
 * transaction of {@link SalesforceState} and buffers its change event there.
 */
export class Dml {
  constructor(readonly state: SalesforceState) {}

  /** The 18-character id of a path/body id for object `o`, or a `MALFORMED_ID` error. */
  parseId(o: ObjectDef, raw: string): string {
    const id = salesforceId.normalize(raw);
    if (!id || salesforceId.prefix(id) !== o.keyPrefix) {
      throw new SalesforceError(
        400,
        'MALFORMED_ID',
        `${o.label} ID: id value of incorrect type: ${raw}`,
        ['Id'],
      );
    }
    return id;
  }

  /** A live (not deleted) record, else 404 `NOT_FOUND` / `ENTITY_IS_DELETED`. */
  live(o: ObjectDef, rawId: string, forWrite = false): SfRecord {
    const id = this.parseId(o, rawId);
    const found = this.state.get(id);
    if (!found) throw notFound();
    if (found.record['IsDeleted'] === true) {
      if (forWrite) throw new SalesforceError(404, 'ENTITY_IS_DELETED', 'entity is deleted', []);
      throw notFound();
    }
    return found.record;
  }

  /** Inserts a record; returns its id. */
  create(o: ObjectDef, body: unknown, options: CreateOptions = {}): string {
    if (!o.createable) {
      throw new SalesforceError(
        400,
        'CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY',
        `entity type cannot be inserted: ${o.name}`,
        [],
      );
    }
    return this.state.transaction(() => {
      const values = this.parse(o, body, 'create', options.seeding === true);
      const id = this.state.newId(o.keyPrefix);
      const now = formatDateTime(this.state.now());
      const rec: SfRecord = { Id: id, IsDeleted: false };
      for (const f of o.fields) if (f.type === 'boolean') rec[f.name] = false;
      if (o.fields.some((f) => f.name === 'OwnerId')) rec['OwnerId'] = this.state.userId;
      Object.assign(rec, values);
      const created = (values['CreatedDate'] as string | undefined) ?? now;
      Object.assign(rec, {
        IsDeleted: false,
        CreatedDate: created,
        CreatedById: this.state.userId,
        LastModifiedDate: (values['LastModifiedDate'] as string | undefined) ?? created,
        LastModifiedById: this.state.userId,
        SystemModstamp: now,
      });
      if (o.custom && (rec['Name'] === undefined || rec['Name'] === null)) rec['Name'] = id;
      OBJECT_RULES[o.name]?.beforeWrite?.(this, rec, undefined, new Set(Object.keys(values)));
      this.checkRequired(o, rec);
      this.state.put(o.name, rec);
      this.state.recordChange(this.change(o, rec, 'CREATE'));
      OBJECT_RULES[o.name]?.afterWrite?.(this, rec, undefined);
      return id;
    });
  }

  /** Updates fields of a live record. */
  update(o: ObjectDef, rawId: string, body: unknown): string {
    return this.state.transaction(() => {
      const current = this.live(o, rawId, true);
      const values = this.parse(o, body, 'update', false);
      this.write(o, current, values, new Set(Object.keys(values)));
      return current['Id'] as string;
    });
  }

  /**
   * Writes `values` over `current` without field-level checks (for roll-ups and derived
   * updates of other records) and records the UPDATE change event.
   */
  write(
    o: ObjectDef,
    current: SfRecord,
    values: SfRecord,
    explicit: ReadonlySet<string>,
  ): SfRecord {
    const next: SfRecord = { ...current, ...values };
    OBJECT_RULES[o.name]?.beforeWrite?.(this, next, current, explicit);
    this.checkRequired(o, next);
    const now = formatDateTime(this.state.now());
    Object.assign(next, {
      LastModifiedDate: now,
      LastModifiedById: this.state.userId,
      SystemModstamp: now,
    });
    this.state.put(o.name, next);
    const changed: string[] = [];
    const nulled: string[] = [];
    const fields: SfRecord = {};
    for (const f of o.fields) {
      if (NOT_IN_EVENTS.has(f.name)) continue;
      const before = current[f.name] ?? null;
      const after = next[f.name] ?? null;
      if (before === after && f.name !== 'LastModifiedDate') continue;
      changed.push(f.name);
      fields[f.name] = after;
      if (after === null) nulled.push(f.name);
    }
    this.state.recordChange({
      entityName: o.name,
      recordId: next['Id'] as string,
      changeType: 'UPDATE',
      fields,
      changedFields: changed,
      nulledFields: nulled,
    });
    OBJECT_RULES[o.name]?.afterWrite?.(this, next, current);
    return next;
  }

  /** Moves a live record (and its cascade-delete children) to the recycle bin. */
  delete(o: ObjectDef, rawId: string): string {
    return this.state.transaction(() => {
      const current = this.live(o, rawId, true);
      this.deleteCascade(o, current, current['Id'] as string);
      return current['Id'] as string;
    });
  }

  private deleteCascade(o: ObjectDef, rec: SfRecord, root: string): void {
    const next: SfRecord = {
      ...rec,
      IsDeleted: true,
      SystemModstamp: formatDateTime(this.state.now()),
    };
    cascadeRoot.set(next, root);
    this.state.put(o.name, next);
    this.state.recordChange({
      entityName: o.name,
      recordId: rec['Id'] as string,
      changeType: 'DELETE',
      fields: {},
      changedFields: [],
      nulledFields: [],
    });
    for (const child of this.state.schema.list()) {
      for (const f of child.fields) {
        if (!f.cascadeDelete || f.referenceTo !== o.name) continue;
        for (const c of this.state.all(child.name)) {
          if (c['IsDeleted'] !== true && c[f.name] === rec['Id'])
            this.deleteCascade(child, c, root);
        }
      }
    }
    OBJECT_RULES[o.name]?.afterDelete?.(this, next);
  }

  /** Restores a record from the recycle bin with the records its deletion took along. */
  undelete(rawId: string): string {
    return this.state.transaction(() => {
      const id = salesforceId.normalize(rawId);
      const found = id ? this.state.get(id) : undefined;
      if (!id || !found) throw notFound();
      if (found.record['IsDeleted'] !== true) {
        throw new SalesforceError(400, 'UNDELETE_FAILED', 'Entity is not in the recycle bin', []);
      }
      const restore = (object: string, rec: SfRecord): void => {
        const o = this.state.objectOf(object);
        const next: SfRecord = {
          ...rec,
          IsDeleted: false,
          SystemModstamp: formatDateTime(this.state.now()),
        };
        this.state.put(object, next);
        this.state.recordChange(this.change(o, next, 'UNDELETE'));
        OBJECT_RULES[o.name]?.afterWrite?.(this, next, undefined);
      };
      restore(found.object, found.record);
      for (const o of this.state.schema.list()) {
        for (const rec of this.state.all(o.name)) {
          if (rec['Id'] !== id && rec['IsDeleted'] === true && cascadeRoot.get(rec) === id)
            restore(o.name, rec);
        }
      }
      return id;
    });
  }

  /**
   * Upsert by external id: no match creates, one match updates, several answer 300
   * ({@link AmbiguousExternalIdError}) and write nothing.
   */
  upsert(
    o: ObjectDef,
    fieldName: string,
    value: string,
    body: unknown,
    version: string,
  ): { id: string; created: boolean } {
    const rec = this.asObject(body);
    for (const k of Object.keys(rec)) {
      if (k.toLowerCase() === fieldName.toLowerCase()) {
        throw new SalesforceError(
          400,
          'INVALID_FIELD',
          `The external ID field ${fieldName} must not be set in the request body: its value is taken from the URL`,
          [fieldName],
        );
      }
    }
    if (fieldName.toLowerCase() === 'id') {
      return { id: this.update(o, value, rec), created: false };
    }
    const f = this.externalIdField(o, fieldName, value);
    const key = this.coerce(f, value);
    const matches = this.findByField(o, f, key);
    if (matches.length > 1) {
      const ids = matches.map((m) => m['Id'] as string);
      throw new AmbiguousExternalIdError(
        f.name,
        ids,
        ids.map((id) => `/services/data/v${version}/sobjects/${o.name}/${id}`),
      );
    }
    const match = matches[0];
    if (match) return { id: this.update(o, match['Id'] as string, rec), created: false };
    return { id: this.create(o, { ...rec, [f.name]: key }), created: true };
  }

  /** The external id field of an upsert (any `__c` field, or `Product2.ExternalId`). */
  externalIdField(o: ObjectDef, name: string, sample: unknown): FieldDef {
    const standard = this.state.schema.field(o, name);
    const usable =
      standard?.custom === true ||
      isCustomName(name) ||
      (o.name === 'Product2' && name.toLowerCase() === 'externalid');
    const f = usable ? this.state.schema.fieldForWrite(o, name, sample) : undefined;
    if (!f) {
      throw new SalesforceError(
        404,
        'NOT_FOUND',
        `Provided external ID field does not exist or is not accessible: ${name}`,
      );
    }
    f.externalId = true;
    return f;
  }

  /** Live records whose field `f` equals `value` (text case-insensitively). */
  findByField(o: ObjectDef, f: FieldDef, value: unknown): SfRecord[] {
    const norm = (v: unknown): unknown => (typeof v === 'string' ? v.toLowerCase() : v);
    const want = norm(value);
    return this.state
      .all(o.name)
      .filter((r) => r['IsDeleted'] !== true && norm(r[f.name]) === want);
  }

  /** A record as the REST API shows it: `attributes`, then the fields (all, or `fields`). */
  view(o: ObjectDef, rec: SfRecord, version: string, fields?: readonly string[]): SfRecord {
    const out: SfRecord = {
      attributes: {
        type: o.name,
        url: `/services/data/v${version}/sobjects/${o.name}/${String(rec['Id'])}`,
      },
    };
    if (fields) {
      for (const name of fields) {
        const f = this.state.schema.fieldForRead(o, name);
        if (!f) {
          throw new SalesforceError(
            400,
            'INVALID_FIELD',
            `No such column '${name}' on entity '${o.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.`,
          );
        }
        out[f.name] = rec[f.name] ?? null;
      }
    } else {
      for (const f of o.fields) out[f.name] = rec[f.name] ?? null;
    }
    return out;
  }

  /** A JSON object body, else `JSON_PARSER_ERROR`. */
  asObject(body: unknown): SfRecord {
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new SalesforceError(
        400,
        'JSON_PARSER_ERROR',
        'Cannot deserialize instance of SObject: the request body must be a JSON object',
      );
    }
    return body as SfRecord;
  }

  private parse(
    o: ObjectDef,
    body: unknown,
    mode: 'create' | 'update',
    seeding: boolean,
  ): SfRecord {
    const values: SfRecord = {};
    for (const [key, raw] of Object.entries(this.asObject(body))) {
      if (key === 'attributes') continue;
      if (key.toLowerCase() === 'id') {
        throw new SalesforceError(
          400,
          'INVALID_FIELD',
          'The Id field should not be specified in the sobject data.',
          [],
        );
      }
      const f = this.state.schema.fieldForWrite(o, key, raw);
      if (!f) {
        throw new SalesforceError(
          400,
          'INVALID_FIELD',
          `No such column '${key}' on sobject of type ${o.name}`,
          [],
        );
      }
      const writable =
        (mode === 'create' ? f.createable : f.updateable) || (seeding && AUDIT_FIELDS.has(f.name));
      if (!writable) {
        throw new SalesforceError(
          400,
          'INVALID_FIELD_FOR_INSERT_UPDATE',
          `Unable to create/update fields: ${f.name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
          [f.name],
        );
      }
      values[f.name] = this.coerce(f, raw);
    }
    return values;
  }

  /** Converts a JSON value to the field's stored form, or throws Salesforce's error for it. */
  coerce(f: FieldDef, raw: unknown): unknown {
    if (raw === null || raw === undefined) return f.type === 'boolean' ? false : null;
    switch (f.type) {
      case 'boolean':
        if (typeof raw === 'boolean') return raw;
        if (raw === 'true' || raw === 'false') return raw === 'true';
        throw jsonError(f, raw);
      case 'double':
      case 'currency':
      case 'percent':
      case 'int': {
        const n =
          typeof raw === 'number'
            ? raw
            : typeof raw === 'string' && raw.trim() !== ''
              ? Number(raw)
              : NaN;
        if (!Number.isFinite(n) || (f.type === 'int' && !Number.isInteger(n)))
          throw jsonError(f, raw);
        return n;
      }
      case 'date':
        if (isDateString(raw)) return raw;
        throw jsonError(f, raw);
      case 'datetime': {
        const ms = parseDateTime(raw);
        if (ms === undefined) throw jsonError(f, raw);
        return formatDateTime(ms - (((ms % 1000) + 1000) % 1000));
      }
      case 'id':
      case 'reference':
        return this.coerceReference(f, raw);
      default: {
        if (typeof raw === 'object') throw jsonError(f, raw);
        const s = String(raw);
        if (f.length !== undefined && !f.inferred && s.length > f.length) {
          throw new SalesforceError(
            400,
            'STRING_TOO_LONG',
            `${f.label}: data value too large: ${s.slice(0, 40)}${s.length > 40 ? '...' : ''} (max length=${f.length})`,
            [f.name],
          );
        }
        return s;
      }
    }
  }

  private coerceReference(f: FieldDef, raw: unknown): string | null {
    if (raw === '') return null;
    const label = f.label.replace(/ Id$/, ' ID');
    const id = salesforceId.normalize(raw);
    if (!id) {
      throw new SalesforceError(
        400,
        'MALFORMED_ID',
        `${label}: id value of incorrect type: ${String(raw)}`,
        [f.name],
      );
    }
    if (f.inferred || !f.referenceTo) return id;
    const target = this.state.schema.find(f.referenceTo);
    if (!target || salesforceId.prefix(id) !== target.keyPrefix) {
      throw new SalesforceError(
        400,
        'FIELD_INTEGRITY_EXCEPTION',
        `${label}: id value of incorrect type: ${id}`,
        [f.name],
      );
    }
    const found = this.state.get(id);
    if (!found || found.record['IsDeleted'] === true) {
      throw new SalesforceError(400, 'INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', [
        f.name,
      ]);
    }
    return id;
  }

  private checkRequired(o: ObjectDef, rec: SfRecord): void {
    const missing = o.fields
      .filter(
        (f) =>
          f.required && (rec[f.name] === undefined || rec[f.name] === null || rec[f.name] === ''),
      )
      .map((f) => f.name);
    if (missing.length > 0) {
      throw new SalesforceError(
        400,
        'REQUIRED_FIELD_MISSING',
        `Required fields are missing: [${missing.join(', ')}]`,
        missing,
      );
    }
  }

  private change(o: ObjectDef, rec: SfRecord, changeType: 'CREATE' | 'UNDELETE'): RecordChange {
    const fields: SfRecord = {};
    for (const f of o.fields) {
      const v = rec[f.name];
      if (!NOT_IN_EVENTS.has(f.name) && v !== undefined && v !== null) fields[f.name] = v;
    }
    return {
      entityName: o.name,
      recordId: rec['Id'] as string,
      changeType,
      fields,
      changedFields: [],
      nulledFields: [],
    };
  }
}
