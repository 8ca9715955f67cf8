/** A value decoded from a nested form body: a string, or arrays and objects of them. */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };

type Tree = Map<string, Tree | string | string[]>;

/** Integers up to this many digits are array indices; larger ones stay object keys. */
const INDEX = /^(0|[1-9]\d{0,3})$/;
const BRACKETED = /^([^[\]]+)((?:\[[^[\]]*\])*)$/;

/**
 * Decodes an `application/x-www-form-urlencoded` body or query string with the bracket
 * nesting Stripe's and Chargebee's SDKs send (the `qs` "indices" format) into nested values.
 *
 * - `a[b][c]=1` → `{a:{b:{c:'1'}}}`; brackets may be raw or percent-encoded (`a%5Bb%5D`).
 * - `items[0][price]=x` → `{items:[{price:'x'}]}`; a container whose keys are all integers
 *   (0–9999) becomes an array ordered by index, compacted when sparse.
 * - `expand[]=a&expand[]=b` → `{expand:['a','b']}`; `items[][x]=1&items[][y]=2&items[][x]=3`
 *   → `{items:[{x:'1',y:'2'},{x:'3'}]}` (a new element starts when the key repeats, as in Rails).
 * - A repeated plain key collects its values: `a=1&a=2` → `{a:['1','2']}`.
 * - `+` is a space; `key=` is `''` (Stripe's "unset"); a key without `=` is `''`.
 * - When a key is used both as a scalar and as a container, the later pair wins.
 * - A key that is not `name[seg]…` (e.g. `a[b`, `[a]`, `a[b]c`) is kept as a literal key;
 *   pairs touching `__proto__` are dropped.
 *
 * Every value stays a string: the emulator coerces numbers and booleans where its API does.
 */
export function parseFormBody(input: string | Buffer | URLSearchParams): Record<string, FormValue> {
  const params =
    input instanceof URLSearchParams
      ? input
      : new URLSearchParams(typeof input === 'string' ? input : input.toString('utf8'));
  const root: Tree = new Map();
  for (const [key, value] of params) {
    if (key === '') continue;
    const segments = splitKey(key);
    if (segments.includes('__proto__')) continue;
    assign(root, segments, value);
  }
  const out: Record<string, FormValue> = {};
  for (const [key, value] of root) out[key] = finalize(value);
  return out;
}

function splitKey(key: string): string[] {
  const m = BRACKETED.exec(key);
  if (!m || m[2] === '') return [key];
  const brackets = m[2] as string;
  return [m[1] as string, ...brackets.slice(1, -1).split('][')];
}

function assign(container: Tree, segments: string[], value: string): void {
  const [seg, ...rest] = segments as [string, ...string[]];
  const key = seg === '' ? appendKey(container, rest) : seg;
  const existing = container.get(key);
  if (rest.length === 0) {
    if (typeof existing === 'string') container.set(key, [existing, value]);
    else if (Array.isArray(existing)) existing.push(value);
    else container.set(key, value);
    return;
  }
  const child = existing instanceof Map ? existing : new Map();
  container.set(key, child);
  assign(child, rest, value);
}

/** The key `[]` stands for: the last element when it can still take `rest`, else a new one. */
function appendKey(container: Tree, rest: string[]): string {
  let max = -1;
  for (const k of container.keys()) if (INDEX.test(k)) max = Math.max(max, Number(k));
  if (max >= 0 && rest.length > 0) {
    const last = container.get(String(max));
    if (last instanceof Map && !hasPath(last, rest)) return String(max);
  }
  return String(max + 1);
}

function hasPath(node: Tree, segments: string[]): boolean {
  let current: Tree = node;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] as string;
    if (seg === '') return false;
    const v = current.get(seg);
    if (v === undefined) return false;
    if (i === segments.length - 1 || !(v instanceof Map)) return true;
    current = v;
  }
  return false;
}

function finalize(value: Tree | string | string[]): FormValue {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return [...value];
  const keys = [...value.keys()];
  if (keys.length > 0 && keys.every((k) => INDEX.test(k))) {
    return keys
      .map(Number)
      .sort((x, y) => x - y)
      .map((i) => finalize(value.get(String(i)) as Tree | string | string[]));
  }
  const out: Record<string, FormValue> = {};
  for (const [k, v] of value) out[k] = finalize(v);
  return out;
}
