import type * as kit from '../kit/index.ts';
import { invalidRequest, missingParam } from './errors.ts';

type FormValue = kit.FormValue;

/**
 * Typed access to a request's (nested) form parameters with Stripe's validation errors:
 * `parameter_missing`, `parameter_invalid_integer`, `parameter_unknown`, … Each nested view
 * knows its own path (`items[0][price]`) so errors name the exact parameter.
 */
export class Params {
  private constructor(
    private readonly values: Record<string, FormValue>,
    private readonly path: string,
    private readonly raw: URLSearchParams,
  ) {}

  /** The parameters of a request: the query for GET/DELETE, else the form body (query merged under it). */
  static fromRequest(req: kit.EmulatorRequest): Params {
    if (req.method === 'GET' || req.method === 'DELETE' || req.method === 'HEAD') {
      const body = req.rawBody.length > 0 ? req.form() : {};
      const raw = new URLSearchParams(req.searchParams);
      for (const [k, v] of new URLSearchParams(req.rawBody.toString('utf8'))) raw.append(k, v);
      return new Params({ ...body, ...req.query }, '', raw);
    }
    const raw = new URLSearchParams(req.searchParams);
    for (const [k, v] of new URLSearchParams(req.rawBody.toString('utf8'))) raw.append(k, v);
    return new Params({ ...req.query, ...req.form() }, '', raw);
  }

  /** A view over plain values (tests, internal calls). */
  static of(values: Record<string, FormValue>): Params {
    return new Params(values, '', new URLSearchParams());
  }

  /** The full parameter name of `key` under this view, e.g. `items[0][price]`. */
  name(key: string): string {
    return this.path === '' ? key : `${this.path}[${key}]`;
  }

  has(key: string): boolean {
    return this.values[key] !== undefined;
  }

  /** True when the parameter was sent as an empty string (Stripe's "unset"). */
  isEmpty(key: string): boolean {
    return this.values[key] === '';
  }

  keys(): string[] {
    return Object.keys(this.values);
  }

  /** Rejects parameters outside `allowed` (plus `expand`) with `parameter_unknown`. */
  allow(...allowed: string[]): this {
    for (const key of Object.keys(this.values)) {
      if (key === 'expand' || allowed.includes(key)) continue;
      throw invalidRequest(
        `Received unknown parameter: ${this.name(key)}`,
        this.name(key),
        'parameter_unknown',
      );
    }
    return this;
  }

  str(key: string): string | undefined {
    const v = this.values[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string')
      throw invalidRequest(`Invalid string: ${JSON.stringify(v)}`, this.name(key));
    return v;
  }

  /** A string that must be present and non-empty. */
  reqStr(key: string): string {
    const v = this.str(key);
    if (v === undefined) throw missingParam(this.name(key));
    if (v === '') {
      throw invalidRequest(
        `You passed an empty string for '${this.name(key)}'. We assume empty values are an attempt to unset a parameter; however '${this.name(key)}' cannot be unset. You should remove '${this.name(key)}' from your request or supply a non-empty value.`,
        this.name(key),
        'parameter_invalid_empty',
      );
    }
    return v;
  }

  /** A string, or `null` when sent empty (unset), or `undefined` when absent. */
  nullableStr(key: string): string | null | undefined {
    const v = this.str(key);
    return v === '' ? null : v;
  }

  int(key: string, opts: { min?: number; max?: number } = {}): number | undefined {
    const v = this.str(key);
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v)) {
      throw invalidRequest(`Invalid integer: ${v}`, this.name(key), 'parameter_invalid_integer');
    }
    const n = Number(v);
    if (opts.min !== undefined && n < opts.min) {
      throw invalidRequest(
        `Invalid ${this.name(key)}: must be greater than or equal to ${opts.min}`,
        this.name(key),
      );
    }
    if (opts.max !== undefined && n > opts.max) {
      throw invalidRequest(
        `Invalid ${this.name(key)}: must be less than or equal to ${opts.max}`,
        this.name(key),
      );
    }
    return n;
  }

  reqInt(key: string, opts: { min?: number; max?: number } = {}): number {
    const n = this.int(key, opts);
    if (n === undefined) throw missingParam(this.name(key));
    return n;
  }

  /** A non-negative decimal number sent as a string (e.g. a tax rate percentage). */
  decimal(key: string): number | undefined {
    const v = this.str(key);
    if (v === undefined) return undefined;
    if (!/^-?\d+(\.\d+)?$/.test(v)) throw invalidRequest(`Invalid decimal: ${v}`, this.name(key));
    return Number(v);
  }

  bool(key: string): boolean | undefined {
    const v = this.str(key);
    if (v === undefined) return undefined;
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw invalidRequest(`Invalid boolean: ${v}`, this.name(key));
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T | undefined {
    const v = this.str(key);
    if (v === undefined) return undefined;
    if (!(values as readonly string[]).includes(v)) {
      const list =
        values.length > 1
          ? `${values.slice(0, -1).join(', ')}, or ${values[values.length - 1]}`
          : values.join('');
      throw invalidRequest(`Invalid ${this.name(key)}: must be one of ${list}`, this.name(key));
    }
    return v as T;
  }

  /** A nested hash; `undefined` when absent or sent empty. */
  obj(key: string): Params | undefined {
    const v = this.values[key];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) {
      throw invalidRequest(`Invalid object: ${this.name(key)} must be a hash`, this.name(key));
    }
    return new Params(v, this.name(key), this.raw);
  }

  /** An array of hashes (`items[0][price]=…`). */
  list(key: string): Params[] | undefined {
    const v = this.values[key];
    if (v === undefined) return undefined;
    if (v === '') return [];
    const arr = Array.isArray(v) ? v : typeof v === 'object' ? Object.values(v) : undefined;
    if (!arr) throw invalidRequest(`Invalid array`, this.name(key));
    return arr.map((item, i) => {
      if (typeof item !== 'object' || Array.isArray(item)) {
        throw invalidRequest(`Invalid hash`, `${this.name(key)}[${i}]`);
      }
      return new Params(item, `${this.name(key)}[${i}]`, this.raw);
    });
  }

  /** An array of strings (`expand[]=a`, `default_tax_rates[0]=txr_…`); `''` gives `[]`. */
  strings(key: string): string[] | undefined {
    const v = this.values[key];
    if (v === undefined) return undefined;
    if (v === '') return [];
    if (typeof v === 'string') return [v];
    const arr = Array.isArray(v) ? v : Object.values(v);
    return arr.map((item, i) => {
      if (typeof item !== 'string')
        throw invalidRequest(`Invalid string`, `${this.name(key)}[${i}]`);
      return item;
    });
  }

  /**
   * Applies `metadata[…]` to `current` with Stripe's rules: a key sent empty is removed,
   * `metadata=` clears everything. Read from the raw pairs so integer-like keys survive.
   */
  metadata(current: Record<string, string> = {}, key = 'metadata'): Record<string, string> {
    const full = this.name(key);
    if (!this.has(key)) return current;
    const out: Record<string, string> = { ...current };
    const prefix = `${full}[`;
    for (const [k, v] of this.raw) {
      if (k === full && v === '') {
        for (const existing of Object.keys(out)) delete out[existing];
        continue;
      }
      if (!k.startsWith(prefix) || !k.endsWith(']')) continue;
      const name = k.slice(prefix.length, -1);
      if (name.includes('[') || name.includes(']')) continue;
      if (name.length > 40) {
        throw invalidRequest(
          `Metadata keys can have a maximum length of 40 characters.`,
          `${full}[${name}]`,
        );
      }
      if (v.length > 500) {
        throw invalidRequest(
          `Metadata values can have a maximum length of 500 characters.`,
          `${full}[${name}]`,
        );
      }
      if (v === '') delete out[name];
      else out[name] = v;
    }
    if (Object.keys(out).length > 50) {
      throw invalidRequest(`Metadata can have a maximum of 50 keys.`, full);
    }
    return out;
  }

  /** The `expand[]` paths of the request. */
  expand(): string[] {
    return this.strings('expand') ?? [];
  }
}
