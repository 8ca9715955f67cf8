import type * as kit from '../kit/index.ts';
import { invalidParam, missingParam } from './errors.ts';

type Form = Record<string, kit.FormValue>;

/**
 * Reads a Chargebee form body or query (as the `chargebee` SDK encodes it): scalars are
 * strings, `meta_data`/`metadata` are JSON strings, lists of objects arrive column-wise
 * (`subscription_items[item_price_id][0]=…&subscription_items[quantity][0]=…`), filters as
 * `customer_id[is]=…`.
 */
export class Params {
  readonly raw: Form;
  constructor(raw: Form) {
    this.raw = raw;
  }

  str(name: string): string | undefined {
    const v = this.raw[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw invalidParam(name, 'must be a string');
    return v === '' ? undefined : v;
  }

  reqStr(name: string): string {
    const v = this.str(name);
    if (v === undefined) throw missingParam(name);
    return v;
  }

  int(name: string, options: { min?: number; max?: number } = {}): number | undefined {
    const s = this.str(name);
    if (s === undefined) return undefined;
    return toInt(name, s, options);
  }

  bool(name: string): boolean | undefined {
    const s = this.str(name);
    if (s === undefined) return undefined;
    if (s === 'true') return true;
    if (s === 'false') return false;
    throw invalidParam(name, 'must be true or false');
  }

  /** A JSON object parameter (`meta_data`). */
  json(name: string): Record<string, unknown> | undefined {
    const s = this.str(name);
    if (s === undefined) return undefined;
    try {
      const parsed: unknown = JSON.parse(s);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        return parsed as Record<string, unknown>;
      }
    } catch {
      // fall through
    }
    throw invalidParam(name, 'must be a JSON object');
  }

  /** A nested object parameter (`billing_address[city]`), as strings. */
  object(name: string): Record<string, string> | undefined {
    const v = this.raw[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw invalidParam(name, 'must be an object');
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
    return out;
  }

  /** A column-wise list of objects (`subscription_items[item_price_id][0]`) as rows. */
  rows(name: string): Record<string, string>[] {
    const v = this.raw[name];
    if (v === undefined) return [];
    if (typeof v !== 'object' || Array.isArray(v)) throw invalidParam(name, 'must be a list');
    const rows: Record<string, string>[] = [];
    for (const [field, column] of Object.entries(v)) {
      const values = Array.isArray(column) ? column : [column];
      values.forEach((value, i) => {
        if (typeof value !== 'string') return;
        rows[i] ??= {};
        rows[i]![field] = value;
      });
    }
    return rows.filter((r) => r !== undefined);
  }

  /** A list filter: `name[is]`, `name[in]` (JSON array), `name[after]`… */
  filter(name: string): Record<string, string> | undefined {
    return this.object(name);
  }
}

export function toInt(
  name: string,
  s: string,
  options: { min?: number; max?: number } = {},
): number {
  if (!/^-?\d+$/.test(s)) throw invalidParam(name, 'must be an integer');
  const n = Number(s);
  if (options.min !== undefined && n < options.min) {
    throw invalidParam(name, `must be greater than or equal to ${options.min}`);
  }
  if (options.max !== undefined && n > options.max) {
    throw invalidParam(name, `must be less than or equal to ${options.max}`);
  }
  return n;
}

/** Whether `value` passes a Chargebee string filter (`is`, `is_not`, `in`, `not_in`, `starts_with`). */
export function matchesString(
  value: string | undefined,
  filter: Record<string, string> | undefined,
): boolean {
  if (!filter) return true;
  for (const [op, arg] of Object.entries(filter)) {
    if (op === 'is' && value !== arg) return false;
    if (op === 'is_not' && value === arg) return false;
    if (op === 'starts_with' && !(value ?? '').startsWith(arg)) return false;
    if (op === 'in' || op === 'not_in') {
      const list = parseList(arg);
      const has = value !== undefined && list.includes(value);
      if (op === 'in' ? !has : has) return false;
    }
  }
  return true;
}

/** Whether a timestamp passes a Chargebee time filter (`after`, `before`, `on`, `between`). */
export function matchesTime(
  value: number | undefined,
  filter: Record<string, string> | undefined,
  param: string,
): boolean {
  if (!filter) return true;
  if (value === undefined) return false;
  for (const [op, arg] of Object.entries(filter)) {
    if (op === 'between') {
      const [from, to] = parseList(arg).map((s) => toInt(param, s));
      if (from === undefined || to === undefined || value < from || value > to) return false;
      continue;
    }
    const t = toInt(`${param}[${op}]`, arg);
    if (op === 'after' && !(value > t)) return false;
    if (op === 'before' && !(value < t)) return false;
    if (op === 'on' && value !== t) return false;
  }
  return true;
}

function parseList(arg: string): string[] {
  try {
    const parsed: unknown = JSON.parse(arg);
    if (Array.isArray(parsed)) return parsed.map(String);
  } catch {
    // a bare value
  }
  return arg.split(',').map((s) => s.trim());
}
