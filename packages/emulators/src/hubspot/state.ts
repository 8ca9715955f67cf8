import type { Clock } from '../kit/index.ts';
import { HubspotError, invalid, notFound, type HubspotErrorDetail } from './errors.ts';
import {
  associationType,
  defaultAssociationType,
  defaultPipelines,
  defaultProperties,
  OBJECT_TYPES,
  type AssociationType,
  type ObjectType,
  type Pipeline,
  type PropertyDefinition,
} from './schema.ts';

/** A CRM record as the portal keeps it: every property value is a string, as HubSpot's are. */
export interface StoredObject {
  id: string;
  type: ObjectType;
  properties: Record<string, string>;
  createdAt: number;
  updatedAt: number;
  archived: boolean;
}

/** What one write changed (the webhooks are made of these). */
export interface ObjectChange {
  type: ObjectType;
  id: string;
  kind: 'creation' | 'propertyChange' | 'associationChange';
  propertyName?: string;
  propertyValue?: string;
  at: number;
}

/** A property value as a request may carry it. */
export type InputValue = string | number | boolean | null | undefined;

/** An association as a create request carries it. */
export interface AssociationInput {
  to: { id: string };
  types: { associationCategory: string; associationTypeId: number }[];
}

/** The calculated properties every record has. */
const CALCULATED = new Set(['hs_object_id', 'createdate', 'hs_lastmodifieddate']);

/**
 * The emulated portal: records per object type, property definitions, associations, the deal
 * pipeline. Writes validate values against the property definitions (unknown, read-only,
 * wrong type, option not allowed, a unique value already taken) and report changes to
 * `onChange` (webhooks).
 */
export class HubspotState {
  readonly portalId: number;
  objects = new Map<ObjectType, Map<string, StoredObject>>();
  properties = defaultProperties();
  pipelines: Pipeline[];
  /** `type:id` → `toType:toId` → association type ids. */
  associations = new Map<string, Map<string, Set<number>>>();
  onChange: ((changes: ObjectChange[]) => void) | undefined;
  #nextId = 1;
  #seed: number;

  constructor(
    private readonly clock: Clock,
    seed: number,
    private readonly closedWonStage: string,
  ) {
    this.#seed = seed;
    this.portalId = 100_000 + (Math.abs(Math.trunc(seed)) % 900_000);
    this.pipelines = defaultPipelines(closedWonStage, new Date(clock.now()).toISOString());
    for (const t of OBJECT_TYPES) this.objects.set(t, new Map());
  }

  /** Forgets every record and association; ids restart from the seed. */
  reset(seed: number): void {
    this.#seed = seed;
    this.#nextId = 1;
    for (const t of OBJECT_TYPES) this.objects.set(t, new Map());
    this.associations.clear();
    this.properties = defaultProperties();
    this.pipelines = defaultPipelines(
      this.closedWonStage,
      new Date(this.clock.now()).toISOString(),
    );
  }

  table(type: ObjectType): Map<string, StoredObject> {
    return this.objects.get(type)!;
  }

  property(type: ObjectType, name: string): PropertyDefinition | undefined {
    return this.properties[type].find((p) => p.name === name);
  }

  /** The live record, or 404 `OBJECT_NOT_FOUND`. */
  require(type: ObjectType, id: string): StoredObject {
    const o = this.table(type).get(id);
    if (!o || o.archived) throw notFound();
    return o;
  }

  /** The live record whose unique property `idProperty` has `value`. */
  findBy(type: ObjectType, idProperty: string, value: string): StoredObject | undefined {
    if (idProperty === 'hs_object_id') {
      const o = this.table(type).get(value);
      return o && !o.archived ? o : undefined;
    }
    for (const o of this.table(type).values()) {
      if (!o.archived && o.properties[idProperty] === value) return o;
    }
    return undefined;
  }

  /** Checks that `idProperty` may identify records (`hs_object_id` or a unique property). */
  requireIdProperty(type: ObjectType, idProperty: string): void {
    if (idProperty === 'hs_object_id') return;
    const def = this.property(type, idProperty);
    if (!def) {
      throw invalid(`Property "${idProperty}" does not exist`, [
        { message: `Property "${idProperty}" does not exist`, code: 'PROPERTY_DOESNT_EXIST' },
      ]);
    }
    if (!def.hasUniqueValue) {
      throw invalid(`Property "${idProperty}" is not a unique identifier property`, [
        { message: `${idProperty} is not a unique property`, code: 'INVALID_ID_PROPERTY' },
      ]);
    }
  }

  /** Validates `input` for `type`; answers the values to store (`''` clears). */
  validate(
    type: ObjectType,
    input: Record<string, InputValue>,
    current?: StoredObject,
  ): Record<string, string> {
    const problems: HubspotErrorDetail[] = [];
    const out: Record<string, string> = {};
    for (const [name, raw] of Object.entries(input)) {
      if (raw === undefined) continue;
      const def = this.property(type, name);
      const fail = (code: string, message: string) =>
        problems.push({ message, code, context: { propertyName: [name] } });
      if (!def) {
        fail('PROPERTY_DOESNT_EXIST', `Property "${name}" does not exist`);
        continue;
      }
      if (def.readOnlyValue) {
        fail('READ_ONLY_VALUE', `${name} is a read only property; its value cannot be set.`);
        continue;
      }
      const value = raw === null ? '' : String(raw);
      if (value === '') {
        out[name] = '';
        continue;
      }
      const normalised = this.#normalise(type, def, value, input, current);
      if (typeof normalised === 'object') fail(normalised.code, normalised.message);
      else out[name] = normalised;
    }
    for (const [name, value] of Object.entries(out)) {
      const def = this.property(type, name)!;
      if (!def.hasUniqueValue || value === '') continue;
      const other = this.findBy(type, name, value);
      if (other && other.id !== current?.id) {
        throw new HubspotError(
          409,
          'CONFLICT',
          `A ${type} record with ${name} "${value}" already exists. Existing ID: ${other.id}`,
          {
            errors: [{ message: `Duplicate value for unique property ${name}`, code: 'CONFLICT' }],
          },
        );
      }
    }
    if (problems.length > 0) {
      const summary = problems.map((p) => ({
        isValid: false,
        message: p.message,
        error: p.code,
        name: p.context?.['propertyName']?.[0],
      }));
      throw invalid(`Property values were not valid: ${JSON.stringify(summary)}`, problems);
    }
    return out;
  }

  #normalise(
    type: ObjectType,
    def: PropertyDefinition,
    value: string,
    input: Record<string, InputValue>,
    current: StoredObject | undefined,
  ): string | { code: string; message: string } {
    switch (def.type) {
      case 'number': {
        const n = Number(value);
        if (value.trim() === '' || !Number.isFinite(n))
          return { code: 'INVALID_DECIMAL', message: `${value} was not a valid number.` };
        return value.trim();
      }
      case 'bool':
        if (value !== 'true' && value !== 'false')
          return { code: 'INVALID_BOOLEAN', message: `${value} was not a valid boolean.` };
        return value;
      case 'datetime':
      case 'date': {
        const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
        if (!Number.isFinite(ms))
          return { code: 'INVALID_DATE', message: `${value} was not a valid date.` };
        return new Date(ms).toISOString();
      }
      case 'enumeration': {
        if (type === 'deals' && def.name === 'pipeline') {
          return this.pipelines.some((p) => p.id === value)
            ? value
            : { code: 'INVALID_OPTION', message: `${value} is not a valid pipeline.` };
        }
        if (type === 'deals' && def.name === 'dealstage') {
          const pipelineId = String(
            input['pipeline'] ?? current?.properties['pipeline'] ?? 'default',
          );
          const pipeline = this.pipelines.find((p) => p.id === pipelineId);
          return pipeline?.stages.some((s) => s.id === value)
            ? value
            : {
                code: 'INVALID_OPTION',
                message: `${value} was not one of the allowed options for pipeline ${pipelineId}`,
              };
        }
        return def.options.some((o) => o.value === value)
          ? value
          : {
              code: 'INVALID_OPTION',
              message: `${value} was not one of the allowed options: [${def.options.map((o) => o.value).join(', ')}]`,
            };
      }
      default:
        return value;
    }
  }

  /** Creates a record after validating its values and associations. */
  create(
    type: ObjectType,
    input: Record<string, InputValue>,
    associations: readonly AssociationInput[] = [],
  ): StoredObject {
    const values = this.validate(type, input);
    for (const a of associations) this.#checkAssociation(type, a);
    const now = this.clock.now();
    const id = String(this.#seed * 1_000_000_000 + 1_000_000 + this.#nextId++);
    const o: StoredObject = {
      id,
      type,
      properties: {},
      createdAt: now,
      updatedAt: now,
      archived: false,
    };
    for (const [k, v] of Object.entries(values)) if (v !== '') o.properties[k] = v;
    this.#defaults(o);
    this.#calculate(o);
    this.table(type).set(id, o);
    const changes: ObjectChange[] = [{ type, id, kind: 'creation', at: now }];
    for (const [name, value] of Object.entries(o.properties)) {
      if (!CALCULATED.has(name))
        changes.push({
          type,
          id,
          kind: 'propertyChange',
          propertyName: name,
          propertyValue: value,
          at: now,
        });
    }
    for (const a of associations) {
      for (const t of a.types) {
        // #checkAssociation above made sure the type exists between these objects.
        const to = this.#toTypeOf(type, a, t.associationTypeId)!;
        this.associate(type, id, associationType(type, to, t.associationTypeId)!, a.to.id, false);
      }
    }
    this.onChange?.(changes);
    return o;
  }

  /** Updates a record's properties; returns it. Unchanged values bump nothing. */
  update(type: ObjectType, id: string, input: Record<string, InputValue>): StoredObject {
    const o = this.require(type, id);
    const values = this.validate(type, input, o);
    const now = this.clock.now();
    const changes: ObjectChange[] = [];
    for (const [name, value] of Object.entries(values)) {
      const before = o.properties[name] ?? '';
      if (before === value) continue;
      if (value === '') delete o.properties[name];
      else o.properties[name] = value;
      changes.push({
        type,
        id,
        kind: 'propertyChange',
        propertyName: name,
        propertyValue: value,
        at: now,
      });
    }
    if (changes.length > 0) {
      o.updatedAt = Math.max(now, o.updatedAt + 1);
      this.#calculate(o);
      this.onChange?.(changes);
    }
    return o;
  }

  /** Archives a record (and drops its associations). */
  archive(type: ObjectType, id: string): void {
    const o = this.require(type, id);
    o.archived = true;
    o.updatedAt = this.clock.now();
    const key = `${type}:${id}`;
    for (const other of this.associations.get(key)?.keys() ?? []) {
      this.associations.get(other)?.delete(key);
    }
    this.associations.delete(key);
  }

  /** Adds an association of `type` (and its inverse) between two live records. */
  associate(
    from: ObjectType,
    fromId: string,
    type: AssociationType,
    toId: string,
    notify = true,
  ): void {
    this.require(from, fromId);
    this.require(type.to, toId);
    const add = (a: string, b: string, typeId: number) => {
      const m = this.associations.get(a) ?? new Map<string, Set<number>>();
      this.associations.set(a, m);
      const s = m.get(b) ?? new Set<number>();
      m.set(b, s);
      s.add(typeId);
    };
    add(`${from}:${fromId}`, `${type.to}:${toId}`, type.typeId);
    add(`${type.to}:${toId}`, `${from}:${fromId}`, type.inverse);
    // A primary association implies the unlabeled one, as in HubSpot.
    if (type.label !== null) {
      const unlabeled = defaultAssociationType(from, type.to);
      if (unlabeled) {
        add(`${from}:${fromId}`, `${type.to}:${toId}`, unlabeled.typeId);
        add(`${type.to}:${toId}`, `${from}:${fromId}`, unlabeled.inverse);
      }
    }
    if (notify) {
      const at = this.clock.now();
      this.onChange?.([
        { type: from, id: fromId, kind: 'associationChange', at },
        { type: type.to, id: toId, kind: 'associationChange', at },
      ]);
    }
  }

  /** Removes every association between two records. */
  dissociate(from: ObjectType, fromId: string, to: ObjectType, toId: string): void {
    this.associations.get(`${from}:${fromId}`)?.delete(`${to}:${toId}`);
    this.associations.get(`${to}:${toId}`)?.delete(`${from}:${fromId}`);
  }

  /** The records of `to` associated with a record, with their type ids, in id order. */
  associated(
    from: ObjectType,
    fromId: string,
    to: ObjectType,
  ): { id: string; typeIds: number[] }[] {
    const m = this.associations.get(`${from}:${fromId}`);
    if (!m) return [];
    const out: { id: string; typeIds: number[] }[] = [];
    for (const [key, types] of m) {
      const [t, id] = key.split(':') as [string, string];
      if (t !== to) continue;
      const o = this.table(to).get(id);
      if (!o || o.archived) continue;
      out.push({ id, typeIds: [...types].sort((a, b) => a - b) });
    }
    return out.sort((a, b) => compareIds(a.id, b.id));
  }

  #toTypeOf(from: ObjectType, a: AssociationInput, typeId: number): ObjectType | undefined {
    const candidates = [
      ...new Set(
        (['companies', 'contacts', 'deals', 'line_items'] as ObjectType[]).filter((to) =>
          associationType(from, to, typeId),
        ),
      ),
    ];
    return candidates.find((to) => this.table(to).get(a.to.id)) ?? candidates[0];
  }

  #checkAssociation(from: ObjectType, a: AssociationInput): void {
    if (
      !a ||
      typeof a !== 'object' ||
      !a.to ||
      typeof a.to.id !== 'string' ||
      !Array.isArray(a.types)
    ) {
      throw invalid('Invalid input JSON on line 1: associations need {to:{id}, types:[…]}');
    }
    for (const t of a.types) {
      const to = this.#toTypeOf(from, a, t.associationTypeId);
      if (!to || t.associationCategory !== 'HUBSPOT_DEFINED') {
        throw invalid(
          `${t.associationCategory} ${t.associationTypeId} is not a valid association type from ${from}`,
        );
      }
      const target = this.table(to).get(a.to.id);
      if (!target || target.archived) {
        throw invalid(`No ${to} with ID ${a.to.id} exists to associate with`, [
          { message: `${a.to.id} is not a valid object id`, code: 'INVALID_OBJECT_ID' },
        ]);
      }
    }
  }

  #defaults(o: StoredObject): void {
    if (o.type === 'deals') {
      o.properties['pipeline'] ??= 'default';
      o.properties['dealstage'] ??=
        this.pipelines.find((p) => p.id === o.properties['pipeline'])?.stages[0]?.id ??
        'appointmentscheduled';
    }
    if (o.type === 'line_items') {
      const productId = o.properties['hs_product_id'];
      const product = productId ? this.table('products').get(productId) : undefined;
      if (product) {
        for (const p of ['name', 'hs_sku', 'price', 'recurringbillingfrequency'])
          if (product.properties[p] !== undefined) o.properties[p] ??= product.properties[p]!;
      }
    }
  }

  /** HubSpot's calculated properties. */
  #calculate(o: StoredObject): void {
    o.properties['hs_object_id'] = o.id;
    o.properties['createdate'] = new Date(o.createdAt).toISOString();
    o.properties['hs_lastmodifieddate'] = new Date(o.updatedAt).toISOString();
    if (o.type === 'deals') {
      const pipeline = this.pipelines.find((p) => p.id === o.properties['pipeline']);
      const stage = pipeline?.stages.find((s) => s.id === o.properties['dealstage']);
      const closed = stage?.metadata.isClosed === 'true';
      const won = closed && stage?.metadata.probability === '1.0';
      o.properties['hs_is_closed'] = String(closed);
      if (won && o.properties['hs_is_closed_won'] !== 'true')
        o.properties['hs_closed_won_date'] = new Date(o.updatedAt).toISOString();
      o.properties['hs_is_closed_won'] = String(won);
    }
    if (o.type === 'line_items') {
      const q = Number(o.properties['quantity'] ?? '1');
      const p = Number(o.properties['price'] ?? '0');
      o.properties['amount'] = String(Math.round(q * p * 1e6) / 1e6);
    }
  }

  /** Everything, for `GET /_emulator/state`. */
  dump(): Record<string, unknown> {
    const records = Object.fromEntries(OBJECT_TYPES.map((t) => [t, [...this.table(t).values()]]));
    const associations = [...this.associations].flatMap(([from, m]) =>
      [...m].map(([to, types]) => ({ from, to, typeIds: [...types] })),
    );
    return { portalId: this.portalId, records, associations, pipelines: this.pipelines };
  }
}

/** Numeric ids compared as numbers. */
export function compareIds(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}
