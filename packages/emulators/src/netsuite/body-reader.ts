import { decimalFromNumber, parseDecimal, toMinorUnits, type Decimal } from './decimal.ts';
import { invalidContent } from './errors.ts';
import type { Json, JsonObject } from './state.ts';

/** A reference as sent in a body: `{ "id": "7" }`, `{ "externalId": "x" }`, `7` or `"7"`. */
export type RefInput = { id: string } | { externalId: string };

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for `YYYY-MM-DD` naming a real calendar day. */
export function isCalendarDate(text: string): boolean {
  const m = DATE_ONLY.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === text;
}

/** Field names every record carries that a client may echo back; ignored on write. */
const IGNORED = new Set(['links', 'id', 'refName']);

/**
 * Reads a JSON request body field by field, with NetSuite-style errors that carry the JSON path
 * (`o:errorPath`). Every reader returns `undefined` when the field is absent and `null` when it
 * is sent as `null` (which clears it on update).
 */
export class BodyReader {
  private readonly seen = new Set<string>();
  private readonly children: BodyReader[] = [];

  constructor(
    readonly body: JsonObject,
    readonly path = '',
  ) {}

  /** The JSON path of `key` within the request body. */
  at(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  private take(key: string): Json | undefined {
    this.seen.add(key);
    return Object.hasOwn(this.body, key) ? this.body[key] : undefined;
  }

  private wrongType(key: string, expected: string): never {
    throw invalidContent(
      `Error while accessing a resource. Invalid value type for field ${key}: expected ${expected}.`,
      this.at(key),
    );
  }

  /** Whether the body sends `key` at all. */
  has(key: string): boolean {
    return Object.hasOwn(this.body, key);
  }

  /** Marks fields the record computes itself (a client may echo them; they are ignored). */
  ignore(...keys: string[]): void {
    for (const k of keys) this.seen.add(k);
  }

  string(key: string): string | null | undefined {
    const v = this.take(key);
    if (v === undefined || v === null) return v;
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    return this.wrongType(key, 'string');
  }

  boolean(key: string): boolean | null | undefined {
    const v = this.take(key);
    if (v === undefined || v === null || typeof v === 'boolean') return v;
    return this.wrongType(key, 'boolean');
  }

  decimal(key: string): Decimal | null | undefined {
    const v = this.take(key);
    if (v === undefined || v === null) return v;
    const d =
      typeof v === 'number'
        ? decimalFromNumber(v)
        : typeof v === 'string'
          ? parseDecimal(v)
          : undefined;
    return d ?? this.wrongType(key, 'number');
  }

  /** A money amount in minor units of a currency with `digits` decimals. */
  money(key: string, digits: number, currencyCode: string): number | null | undefined {
    const d = this.decimal(key);
    if (d === undefined || d === null) return d;
    const minor = toMinorUnits(d, digits);
    if (minor === undefined) {
      throw invalidContent(
        `Error while accessing a resource. Invalid amount for field ${key}: ${currencyCode} amounts have at most ${digits} decimal places.`,
        this.at(key),
      );
    }
    return minor;
  }

  /** A date field: `YYYY-MM-DD` (an ISO date-time is cut to its date). */
  date(key: string): string | null | undefined {
    const v = this.take(key);
    if (v === undefined || v === null) return v;
    const text = typeof v === 'string' ? v.slice(0, 10) : undefined;
    if (text === undefined || !isCalendarDate(text)) {
      throw invalidContent(
        `Error while accessing a resource. Invalid date value for field ${key}: use YYYY-MM-DD.`,
        this.at(key),
      );
    }
    return text;
  }

  ref(key: string): RefInput | null | undefined {
    const v = this.take(key);
    if (v === undefined || v === null) return v;
    if (typeof v === 'number' && Number.isInteger(v)) return { id: String(v) };
    if (typeof v === 'string' && v !== '') return { id: v };
    if (typeof v === 'object' && !Array.isArray(v)) {
      const id = v['id'];
      const externalId = v['externalId'];
      if (typeof id === 'string' || typeof id === 'number') return { id: String(id) };
      if (typeof externalId === 'string') return { externalId };
    }
    return this.wrongType(key, 'a reference like {"id": "1"}');
  }

  /** A sublist sent as `{ "items": [ … ] }`; one reader per line. */
  sublist(key: string): BodyReader[] | null | undefined {
    const v = this.take(key);
    if (v === undefined || v === null) return v;
    const items = typeof v === 'object' && !Array.isArray(v) ? v['items'] : undefined;
    if (!Array.isArray(items)) return this.wrongType(key, 'a sublist like {"items": [ … ]}');
    return items.map((line, i) => {
      if (typeof line !== 'object' || line === null || Array.isArray(line)) {
        throw invalidContent(
          `Error while accessing a resource. Invalid sublist line in field ${key}.`,
          `${this.at(key)}.items[${i}]`,
        );
      }
      const child = new BodyReader(line, `${this.at(key)}.items[${i}]`);
      this.children.push(child);
      return child;
    });
  }

  /** Custom fields (names starting with `prefix`, e.g. `custentity_`), stored as sent. */
  custom(prefix: string): JsonObject {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(this.body)) {
      if (k.startsWith(prefix)) {
        this.seen.add(k);
        out[k] = v;
      }
    }
    return out;
  }

  /** JSON paths of the fields in the body (and its sublist lines) that nothing read. */
  unknownFields(): string[] {
    const own = Object.keys(this.body)
      .filter((k) => !this.seen.has(k) && !IGNORED.has(k))
      .map((k) => this.at(k));
    return [...own, ...this.children.flatMap((c) => c.unknownFields())];
  }
}
